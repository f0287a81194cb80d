/* tls_sha256_dev.h - SHA-256 for wolfCrypt on the CPU's SHA extensions
 * (base/sha256_shani.c), handed to it as a crypto-callback device.
 *
 * wolfSSL 5.5.4 has no SHA-NI code, and SHA-256 is over half of a resumed
 * TLS 1.2 handshake's instructions (the PRF's HMACs, the handshake hash).
 * Its SHA-256 objects always take wolfCrypt's default device id (its
 * InitSha256 overwrites the one wc_InitSha256_ex is given), so the bundled
 * build names a default device (WOLFSSL_CAAM_DEVID, cmake/WolfSSL.cmake) and
 * this module registers it: every SHA-256 of the process, TLS and sipc's own,
 * then runs here. Other algorithms and SHA-384/512 are declined and run in
 * wolfCrypt as before. The state stays in wolfCrypt's own fields and layout,
 * so an object hashed partly here and partly by wolfCrypt (before
 * registration) still gives the right digest. */
#ifndef SIPC_TRANSPORT_TLS_SHA256_DEV_H
#define SIPC_TRANSPORT_TLS_SHA256_DEV_H

#include <wolfssl/options.h>

/* 1 in a build whose SHA-256 objects go to a default device (the bundled
 * wolfSSL), else 0: then the functions below do nothing. */
#if defined(WOLF_CRYPTO_CB) && defined(WOLFSSL_CAAM_DEVID) && !defined(NO_SHA256)
#define SIPC_TLS_SHA256_DEV 1
#else
#define SIPC_TLS_SHA256_DEV 0
#endif

/* Registers the device if this CPU has the SHA extensions and this wolfSSL
 * build routes SHA-256 to a default device; once wolfSSL_Init has run
 * (wolfCrypt_Init clears the device table). 1 registered (now or before), 0
 * not: wolfCrypt's own code hashes. Not thread-safe: call it under the
 * engine's one-time initialisation. */
int sipc_tls_sha256_dev_register(void);

/* 1 while SHA-256 runs on the device (registered and not unregistered). */
int sipc_tls_sha256_dev_active(void);

/* Unregisters it again: SHA-256 falls back to wolfCrypt's code (tests
 * compare the two). */
void sipc_tls_sha256_dev_unregister(void);

#endif
