/* aes_gcm_vaes.h - AES-GCM (NIST SP 800-38D, 96-bit IVs, 128-bit tags) on
 * x86's vector AES and carry-less multiply (VAES and VPCLMULQDQ on 256-bit
 * registers: two blocks per instruction; on 512-bit ones, four, where the
 * CPU has AVX-512). wolfSSL 5.5.4's assembly has no code for them; on a CPU
 * that has them this seals TLS records of 16 KiB about one and a half times
 * as fast as its AES-NI code (over twice as fast with AVX-512), and AES-GCM
 * is the largest part of the CPU a large TLS message costs. It is
 * mechanism only: transport/tls_record.c chooses it for a connection's
 * records when sipc_aes_gcm_vaes_available() says the CPU can, and uses
 * wolfCrypt otherwise. Constant time: no branch or memory access depends
 * on the key, the data or the tag. */
#ifndef SIPC_BASE_AES_GCM_VAES_H
#define SIPC_BASE_AES_GCM_VAES_H

#include <stddef.h>
#include <stdint.h>

/* A key's AES round keys and GHASH powers. Its fields are the
 * implementation's; wipe it (explicit_bzero) when done. */
typedef struct sipc_aes_gcm {
    uint8_t rk[15][16]; /* round keys */
    uint8_t h[32][16];  /* H^32..H^1, byte-reflected, two or four to a load */
    int rounds;         /* 10 (AES-128) or 14 (AES-256) */
    int wide;           /* 1: long messages go through the loop on 512-bit
                           registers (the CPU has AVX-512); tests clear it to
                           check the 256-bit loop on such a CPU too (setting
                           it has no effect where the CPU lacks AVX-512) */
} sipc_aes_gcm;

/* Most bytes one call takes: GCM's 32-bit block counter starts at 2. */
#define SIPC_AES_GCM_MAX_LEN ((((uint64_t)1 << 32) - 2) * 16)

/* 1 when this CPU (and this build: x86-64 with GCC or clang) runs AES-NI,
 * PCLMULQDQ, AVX2, VAES and VPCLMULQDQ and the OS saves the 256-bit
 * registers, else 0. CPUID is read once. Under valgrind, which emulates
 * neither VAES nor VPCLMULQDQ and hides them from CPUID, 0. */
int sipc_aes_gcm_vaes_available(void);

/* Expands a 16- or 32-byte key; SIPC_EINVAL for another length. Only after
 * sipc_aes_gcm_vaes_available() returned 1. */
int sipc_aes_gcm_init(sipc_aes_gcm *g, const uint8_t *key, size_t key_len);

/* Encrypts len bytes of in to out (the same buffer or disjoint ones) and
 * writes the 16-byte tag, computed over aad and the ciphertext under the
 * IV. SIPC_EINVAL when len exceeds SIPC_AES_GCM_MAX_LEN or aad_len * 8
 * does not fit 64 bits. */
int sipc_aes_gcm_seal(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad,
                      size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                      uint8_t tag[16]);

/* Decrypts len bytes of in to out (the same buffer or disjoint ones) if tag
 * authenticates them and aad; if it does not, returns SIPC_EFORMAT (the
 * input is not what was sealed) with out zeroed. SIPC_EINVAL as for seal.
 * Registers and the stack are not wiped of keystream, as wolfCrypt does
 * not wipe them either: what must stay secret is the key, in g. */
int sipc_aes_gcm_open(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad,
                      size_t aad_len, const uint8_t *in, size_t len, const uint8_t tag[16],
                      uint8_t *out);

#endif
