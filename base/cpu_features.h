/* cpu_features.h - which x86 extensions this CPU and OS offer, read from
 * CPUID once per process. The code that has a faster path for one of them
 * (base/sha256_shani.c, base/aes_gcm.c) asks here, and --version lists
 * them. Under valgrind, which hides from CPUID what it cannot emulate, the
 * answer is valgrind's. */
#ifndef SIPC_BASE_CPU_FEATURES_H
#define SIPC_BASE_CPU_FEATURES_H

#include <stddef.h>

enum {
    SIPC_CPU_AES = 1 << 0,    /* AES-NI */
    SIPC_CPU_PCLMUL = 1 << 1, /* PCLMULQDQ */
    SIPC_CPU_SSE41 = 1 << 2,  /* SSSE3 and SSE4.1 */
    SIPC_CPU_AVX2 = 1 << 3,   /* AVX2, with the OS saving the 256-bit registers */
    SIPC_CPU_SHA = 1 << 4,    /* the SHA extensions (SHA-NI) */
    SIPC_CPU_VAES = 1 << 5,   /* VAES and VPCLMULQDQ, with AVX2 */
    SIPC_CPU_AVX512 = 1 << 6, /* AVX-512 F, BW and VL, with the OS saving the
                                 512-bit registers and the mask registers */
    SIPC_CPU_AVX = 1 << 7,    /* AVX, with the OS saving the 256-bit registers */
};

/* The SIPC_CPU_* bits this CPU has; 0 on other architectures or compilers. */
unsigned sipc_cpu_features(void);
/* The bits of f in out as --version lists them, each after a space:
 * " aes pclmul sse4.1 avx avx2 sha vaes avx512" for all. Every bit a fast
 * path is chosen by is named, so that the list tells which ones run:
 * sipc's AES-GCM needs aes, pclmul, sse4.1 and avx (base/aes_gcm.c), its
 * 256-bit loop avx2 and vaes too, its 512-bit loop avx512 on top; SHA-256
 * on the CPU needs sha and sse4.1. When f has vaes but this process's
 * AES-GCM found its wider loops wrong in its self-test (and so uses the
 * 128-bit one, sipc_aes_gcm_wide_failed), " (self-test failed)"
 * follows the list's vaes and avx512. "" when f is 0. Returns out. */
const char *sipc_cpu_features_text(unsigned f, char *out, size_t len);

#endif
