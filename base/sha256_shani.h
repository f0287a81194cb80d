/* sha256_shani.h - the SHA-256 block function (FIPS 180-4, 6.2.2) on x86's
 * SHA extensions (SHA-NI: SHA256RNDS2, SHA256MSG1, SHA256MSG2). wolfSSL
 * 5.5.4's own assembly has no code for them; on a CPU that has them this is
 * about three times faster than its AVX2 code, and SHA-256 is most of a
 * resumed TLS 1.2 handshake (the PRF's HMACs). transport/tls_sha256_dev.c
 * hands it to wolfCrypt. Only the block function lives here: padding, length
 * and the buffering of partial blocks are the caller's. */
#ifndef SIPC_BASE_SHA256_SHANI_H
#define SIPC_BASE_SHA256_SHANI_H

#include <stddef.h>
#include <stdint.h>

/* 1 when this CPU (and this build: x86-64 with GCC or clang) runs the SHA
 * extensions, else 0. CPUID is read once. Under valgrind, which does not
 * emulate them and hides them from CPUID, 0. */
int sipc_sha256_shani_available(void);

/* Compresses nblocks 64-byte blocks of data into state (the eight working
 * words H0..H7, native byte order, as FIPS 180-4 names them). Only after
 * sipc_sha256_shani_available() returned 1. */
void sipc_sha256_shani_blocks(uint32_t state[8], const uint8_t *data, size_t nblocks);

#endif
