/* cpu_features.c - CPUID, read once (see cpu_features.h). */
#include "base/cpu_features.h"

#include <stdio.h>

#include "base/aes_gcm.h"

const char *sipc_cpu_features_text(unsigned f, char *out, size_t len)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{SIPC_CPU_AES, "aes"},   {SIPC_CPU_PCLMUL, "pclmul"}, {SIPC_CPU_SSE41, "sse4.1"},
                 {SIPC_CPU_AVX, "avx"},   {SIPC_CPU_AVX2, "avx2"},     {SIPC_CPU_SHA, "sha"},
                 {SIPC_CPU_VAES, "vaes"}, {SIPC_CPU_AVX512, "avx512"}};
    size_t w = 0;
    if (len)
        out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0] && w < len; i++)
        if (f & names[i].bit)
            w += (size_t)snprintf(out + w, len - w, " %s", names[i].name);
    /* vaes and avx512 come last: the note follows whichever is (short, so
     * that --version's 64 bytes hold it after the whole list) */
    if ((f & SIPC_CPU_VAES) && w < len && sipc_aes_gcm_wide_failed())
        snprintf(out + w, len - w, " (self-test failed)");
    return out;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <cpuid.h>
#include <stdatomic.h>

static unsigned read_cpuid(void)
{
    unsigned a, b, c, d, f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    if (c & bit_AES)
        f |= SIPC_CPU_AES;
    if (c & bit_PCLMUL)
        f |= SIPC_CPU_PCLMUL;
    if ((c & bit_SSSE3) && (c & bit_SSE4_1))
        f |= SIPC_CPU_SSE41;
    int ymm = 0, zmm = 0;
    if ((c & bit_AVX) && (c & bit_OSXSAVE)) {
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        ymm = (lo & 6) == 6;       /* the OS saves XMM and YMM state */
        zmm = (lo & 0xe6) == 0xe6; /* and the mask registers and all of ZMM */
    }
    if (ymm)
        f |= SIPC_CPU_AVX;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        if (b & bit_SHA)
            f |= SIPC_CPU_SHA;
        if (ymm && (b & bit_AVX2)) {
            f |= SIPC_CPU_AVX2;
            if ((c & bit_VAES) && (c & bit_VPCLMULQDQ))
                f |= SIPC_CPU_VAES;
            if (zmm && (b & bit_AVX512F) && (b & bit_AVX512BW) && (b & bit_AVX512VL))
                f |= SIPC_CPU_AVX512;
        }
    }
    return f;
}

unsigned sipc_cpu_features(void)
{
    /* Racing first calls compute the same answer; bit 31 marks it read. */
    static atomic_uint cached;
    unsigned v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (v)
        return v & ~(1u << 31);
    v = read_cpuid();
    atomic_store_explicit(&cached, v | 1u << 31, memory_order_relaxed);
    return v;
}

#else

unsigned sipc_cpu_features(void)
{
    return 0;
}

#endif
