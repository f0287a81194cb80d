/* aes_gcm.h - AES-GCM (NIST SP 800-38D, 96-bit IVs, 128-bit tags) on x86's
 * AES-NI and PCLMULQDQ, on their vector forms (VAES and VPCLMULQDQ on
 * 256-bit registers: two blocks per instruction) where the CPU has them, and
 * on 512-bit registers (four) where it also has AVX-512. It is mechanism
 * only: transport/tls_record.c chooses it for a connection's records when
 * sipc_aes_gcm_available() says the CPU can, and uses wolfCrypt otherwise.
 * Why it is written here rather than taken from wolfCrypt: with VAES,
 * wolfSSL 5.5.4's assembly has no code for the vector forms, and sealing a
 * 16 KiB record is one and a half to two and a half times as fast here;
 * without VAES, wolfCrypt's one-shot calls compute the hash key E(K, 0) and
 * its powers again for every record and take the additional data a byte at
 * a time, which is most of a short record's cost, while a key here keeps H's
 * powers. Constant time: no branch or memory access depends on the key, the
 * data or the tag. */
#ifndef SIPC_BASE_AES_GCM_H
#define SIPC_BASE_AES_GCM_H

#include <stddef.h>
#include <stdint.h>

/* A key's AES round keys and GHASH powers. Its fields are the
 * implementation's; wipe it (explicit_bzero) when done. */
typedef struct sipc_aes_gcm {
    uint8_t rk[15][16]; /* round keys */
    uint8_t h[32][16];  /* H^32..H^1, byte-reflected, two or four to a load */
    uint8_t hx[8][16];  /* H^8..H^1's two halves added, in both halves: the
                           128-bit loop's Karatsuba multiplies */
    int rounds;         /* 10 (AES-128) or 14 (AES-256) */
    int width;          /* 512, 256 or 128: the widest registers long
                           messages go through, the widest this process uses
                           when the key is set (sipc_aes_gcm_width); tests
                           lower it to check the narrower loops on such a CPU
                           too (raising it past that has no effect) */
} sipc_aes_gcm;

/* Most bytes one call takes: GCM's 32-bit block counter starts at 2. */
#define SIPC_AES_GCM_MAX_LEN ((((uint64_t)1 << 32) - 2) * 16)

/* 1 when this CPU (and this build: x86-64 with GCC or clang) runs AES-NI,
 * PCLMULQDQ, SSSE3, SSE4.1 and AVX and the OS saves the 256-bit registers
 * (every x86-64 CPU with AES-NI since 2011 but a few low-power ones), so
 * that the functions below may be called, else 0. CPUID is read once. */
int sipc_aes_gcm_available(void);

/* 1 when the CPU also runs AVX2, VAES and VPCLMULQDQ and the OS saves the
 * 256-bit registers: a key then starts with width 256 (512 with AVX-512)
 * unless the self-test below failed, else 0. Under valgrind, which emulates
 * neither VAES nor VPCLMULQDQ and hides them from CPUID, 0 (the 128-bit code
 * runs there). */
int sipc_aes_gcm_vaes_available(void);

/* The widest loop this process's keys use: 512, 256 or 128 (0 where
 * sipc_aes_gcm_available() is 0). Before a width above 128 is first used
 * (by this call, sipc_aes_gcm_wide_failed or the first key), it is
 * self-tested once per process: a fixed message of 1,357 bytes with fixed
 * AAD, under an AES-128 and an AES-256 key, sealed and opened through each
 * wider loop the CPU has and compared with the 128-bit loop's result, which
 * the known-answer tests check on every machine (the wider ones run only
 * where a CPU has them: no CI machine here has). On a mismatch no key of
 * the process uses more than 128. A few microseconds, once. */
int sipc_aes_gcm_width(void);

/* 0, or the width (256 or 512) that failed the self-test: then this process
 * uses the 128-bit loop, and what logs says so (sipc_cpu_features_text
 * marks vaes, and --version with it). Runs the self-test if not yet run. */
int sipc_aes_gcm_wide_failed(void);

/* The self-test itself, through every loop up to width that the CPU runs
 * (and the 128-bit one against its known tags): 0, or SIPC_EFORMAT when a
 * result differs. It decides nothing. Only after sipc_aes_gcm_available()
 * returned 1. */
int sipc_aes_gcm_self_test(int width);

/* Tests only (the hot path never calls it): chooses this process's width
 * again, as the first use does, as if the CPU's widest were pretend (0: the
 * CPU's own; a width the CPU lacks is not run, the 128-bit loop stands in),
 * with a bit of the wider loops' result flipped when flip is set, so that
 * the comparison fails. Returns the width chosen. */
int sipc__aes_gcm_test_choose(int pretend, int flip);

/* Between aes_gcm.c and aes_gcm_self_test.c only: the widest loop the CPU
 * runs; the width keys use, 0 until sipc__aes_gcm_choose(pretend, flip)
 * (as sipc__aes_gcm_test_choose) has chosen it; a key's tables without its
 * width; and both directions through the loop of the given width, tag to
 * tag. */
int sipc__aes_gcm_hw_width(void);
extern _Atomic int sipc__aes_gcm_chosen;
int sipc__aes_gcm_choose(int pretend, int flip);
void sipc__aes_gcm_key_setup(sipc_aes_gcm *g, const uint8_t *key, size_t key_len);
void sipc__aes_gcm_at(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad,
                      size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, int decrypt,
                      int width, uint8_t tag[16]);

/* Expands a 16- or 32-byte key; SIPC_EINVAL for another length. Only after
 * sipc_aes_gcm_available() returned 1. */
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
