/* sha256_shani.c - the SHA-256 block function on x86's SHA extensions.
 *
 * SHA256RNDS2 runs two rounds on the state held as two vectors, ABEF and
 * CDGH (Intel's layout, not FIPS's ABCD/EFGH), with the two rounds' W+K in
 * the low half of its third operand; SHA256MSG1 and SHA256MSG2 compute four
 * words of the message schedule at a time. The schedule is kept as a ring of
 * four vectors: before rounds 4r..4r+3 (r >= 4) the oldest one,
 * W[4r-16..4r-13], is replaced by W[4r..4r+3]. */
#include "base/sha256_shani.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#include "base/cpu_features.h"

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

int sipc_sha256_shani_available(void)
{
    const unsigned need = SIPC_CPU_SHA | SIPC_CPU_SSE41;
    return (sipc_cpu_features() & need) == need;
}

__attribute__((target("sha,sse4.1,ssse3"))) void
sipc_sha256_shani_blocks(uint32_t state[8], const uint8_t *data, size_t nblocks)
{
    /* Byte order of each 32-bit word: the message is big-endian. */
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);

    __m128i t = _mm_loadu_si128((const __m128i *)&state[0]); /* A B C D (A lowest) */
    __m128i efgh = _mm_loadu_si128((const __m128i *)&state[4]);
    t = _mm_shuffle_epi32(t, 0xB1);                  /* B A D C */
    efgh = _mm_shuffle_epi32(efgh, 0x1B);            /* H G F E */
    __m128i abef = _mm_alignr_epi8(t, efgh, 8);      /* F E B A */
    __m128i cdgh = _mm_blend_epi16(efgh, t, 0xF0);   /* H G D C */

    for (; nblocks > 0; nblocks--, data += 64) {
        const __m128i abef0 = abef, cdgh0 = cdgh;
        __m128i w[4];
        for (int i = 0; i < 4; i++)
            w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), bswap);
#if defined(__clang__)
#pragma unroll
#else
#pragma GCC unroll 16
#endif
        for (int r = 0; r < 16; r++) {
            if (r >= 4) {
                __m128i s = _mm_sha256msg1_epu32(w[r & 3], w[(r + 1) & 3]);
                s = _mm_add_epi32(s, _mm_alignr_epi8(w[(r + 3) & 3], w[(r + 2) & 3], 4));
                w[r & 3] = _mm_sha256msg2_epu32(s, w[(r + 3) & 3]);
            }
            __m128i m = _mm_add_epi32(w[r & 3], _mm_loadu_si128((const __m128i *)&K[4 * r]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, m); /* now the new ABEF */
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(m, 0x0E));
            /* two rounds each: the roles of the two vectors swap twice */
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }

    t = _mm_shuffle_epi32(abef, 0x1B);               /* A B E F */
    cdgh = _mm_shuffle_epi32(cdgh, 0xB1);            /* G H C D */
    abef = _mm_blend_epi16(t, cdgh, 0xF0);           /* A B C D */
    efgh = _mm_alignr_epi8(cdgh, t, 8);              /* E F G H */
    _mm_storeu_si128((__m128i *)&state[0], abef);
    _mm_storeu_si128((__m128i *)&state[4], efgh);
}

#else /* not x86-64 with GCC or clang */

#include <stdlib.h>

int sipc_sha256_shani_available(void)
{
    return 0;
}

void sipc_sha256_shani_blocks(uint32_t state[8], const uint8_t *data, size_t nblocks)
{
    (void)state;
    (void)data;
    (void)nblocks;
    abort(); /* never a digest left unchanged: callers must ask first */
}

#endif
