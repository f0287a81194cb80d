/* aes_gcm.c - AES-GCM on AES-NI and PCLMULQDQ, and on VAES and VPCLMULQDQ
 * where the CPU has them (see aes_gcm.h).
 *
 * GHASH works on byte-reflected blocks, as in Intel's white paper on
 * carry-less multiplication for GCM (Gueron and Kounavis, 2014): each block
 * is byte-swapped, multiplied as a 128 x 128-bit carry-less product, and the
 * 256-bit result is shifted left by one bit and reduced modulo
 * x^128 + x^7 + x^2 + x + 1. Shift and reduction are linear, so a turn's
 * products are summed first and reduced once: X' = (X + B1)H^k + B2 H^(k-1)
 * + ... + Bk H, with H's powers computed once per key. Counters are kept
 * byte-reflected too, so that GCM's 32-bit increment is an addition to the
 * lowest 32-bit lane. A loop turn encrypts k counter blocks and, one
 * register after each AES round, hashes k blocks of ciphertext (the
 * previous turn's when encrypting): written out this way the AES and the
 * carry-less multiplies issue side by side, which measured half again
 * faster than the two one after the other. The rest of a message, fewer
 * than k blocks, gets only the counters it needs and one reduction.
 *
 * Three loops do this, one per register width, the widest the CPU has
 * (once aes_gcm_self_test.c found it giving the 128-bit loop's result)
 * taking what it can: on 128-bit registers (AES-NI, PCLMULQDQ) eight
 * blocks a turn, one to a register, enough to keep the AES units busy
 * through an instruction's latency, each block's product by Karatsuba's
 * three multiplies (the halves of H's powers added are kept per key), as
 * the carry-less multiply is what limits it on AMD's Zen 2; with VAES and
 * VPCLMULQDQ sixteen blocks
 * a turn, two to a 256-bit register; and on a CPU with AVX-512 too, 512-byte
 * turns of four blocks to a 512-bit register, where VAESENC and VPCLMULQDQ
 * work on four blocks for what two cost on 256-bit registers (1.6-1.7 times
 * as fast on an Intel Xeon with VAES, docs/benchmarks.md, section 13). The
 * key schedule, H's powers, the reduction, the partial block, J0 and the tag
 * are the same code for all three.
 *
 * A short message on 128-bit registers (at most seven blocks and a block of
 * AAD: a TLS record of a small request or answer) takes none of the loops:
 * E(K, J0) and its counters in one batch of AES, and the AAD, the
 * ciphertext and the lengths in one sum of products with one reduction. */
#include "base/aes_gcm.h"

#include <string.h>

#include "sipc/errno.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>
#include <stdatomic.h>

#include "base/cpu_features.h"

/* What every function needs (the 128-bit loop and all the shared parts);
 * what the 256-bit loop adds; what the 512-bit loop adds to that. A
 * function of a narrower set is inlined into the wider ones. AVX for its
 * three-operand forms only: without them the 128-bit loop spent its time
 * copying registers and was slower than wolfCrypt's (AVX2) code on 16 KiB
 * records, with them faster. */
#define BASE __attribute__((target("avx,aes,pclmul,ssse3,sse4.1")))
#define TARGET __attribute__((target("avx2,vaes,vpclmulqdq,aes,pclmul,ssse3,sse4.1")))
#define TARGET512                                                                                  \
    __attribute__((                                                                                \
        target("avx512f,avx512bw,avx512vl,avx2,vaes,vpclmulqdq,aes,pclmul,ssse3,sse4.1")))

/* The 128-bit loop: NX blocks a turn, one to a register; eight keep
 * AES-NI's units busy through an instruction's latency and leave the
 * partial products, the key and the block being hashed room in the sixteen
 * registers. */
#define NX 8
#define CHUNKX (16 * NX)
/* The 256-bit loop: NB blocks a turn, two to a register. Sixteen keep the
 * AES units busy through each instruction's latency. */
#define NB 16
#define NY (NB / 2)
#define CHUNK (16 * NB)
/* The 512-bit loop: NW blocks a turn, four to a register. */
#define NW 32
#define NZ (NW / 4)
#define CHUNKW (16 * NW)
/* Powers of H kept: H^NH .. H^1 in g->h[0 .. NH-1], so g->h[NH - k] is H^k. */
#define NH NW
_Static_assert(sizeof((sipc_aes_gcm *)0)->h / 16 == NH && NH >= NB && NH >= NX,
               "the table holds the powers all loops use");

/* The loops over a turn's registers are unrolled, so the blocks stay in
 * registers instead of an array in memory. */
#if defined(__clang__)
#define UNROLL _Pragma("unroll 8")
#else
#define UNROLL _Pragma("GCC unroll 8")
#endif

/* every extension BASE names */
#define NEED_BASE (SIPC_CPU_AES | SIPC_CPU_PCLMUL | SIPC_CPU_SSE41 | SIPC_CPU_AVX)
/* and TARGET's */
#define NEED_VAES (NEED_BASE | SIPC_CPU_AVX2 | SIPC_CPU_VAES)

int sipc_aes_gcm_available(void)
{
    return (sipc_cpu_features() & NEED_BASE) == NEED_BASE;
}

int sipc_aes_gcm_vaes_available(void)
{
    return (sipc_cpu_features() & NEED_VAES) == NEED_VAES;
}

/* The widest loop the CPU runs: 512, 256 or 128. */
int sipc__aes_gcm_hw_width(void)
{
    const unsigned f = sipc_cpu_features();
    if ((f & NEED_VAES) != NEED_VAES)
        return 128;
    return (f & SIPC_CPU_AVX512) ? 512 : 256;
}

/* The widest loop keys use, chosen on first use (aes_gcm_self_test.c). */
static int cpu_width(void)
{
    const int w = atomic_load_explicit(&sipc__aes_gcm_chosen, memory_order_relaxed);
    return w ? w : sipc__aes_gcm_choose(0, 0);
}

/* ---- AES ---------------------------------------------------------------- */

BASE static inline __m128i expand_step(__m128i k, __m128i t)
{
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    return _mm_xor_si128(k, t);
}

/* AESKEYGENASSIST takes its round constant as an immediate */
#define EXP128(i, rcon)                                                                         \
    rk[i] = expand_step(rk[(i)-1], _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[(i)-1], rcon), \
                                                     0xff))
#define EXP256A(i, rcon)                                                                        \
    rk[i] = expand_step(rk[(i)-2], _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[(i)-1], rcon), \
                                                     0xff))
#define EXP256B(i)                                                                              \
    rk[i] = expand_step(rk[(i)-2], _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[(i)-1], 0),    \
                                                     0xaa))

BASE static void expand_key(__m128i rk[15], const uint8_t *key, size_t key_len)
{
    rk[0] = _mm_loadu_si128((const __m128i *)key);
    if (key_len == 16) {
        EXP128(1, 0x01);
        EXP128(2, 0x02);
        EXP128(3, 0x04);
        EXP128(4, 0x08);
        EXP128(5, 0x10);
        EXP128(6, 0x20);
        EXP128(7, 0x40);
        EXP128(8, 0x80);
        EXP128(9, 0x1b);
        EXP128(10, 0x36);
        return;
    }
    rk[1] = _mm_loadu_si128((const __m128i *)(key + 16));
    EXP256A(2, 0x01);
    EXP256B(3);
    EXP256A(4, 0x02);
    EXP256B(5);
    EXP256A(6, 0x04);
    EXP256B(7);
    EXP256A(8, 0x08);
    EXP256B(9);
    EXP256A(10, 0x10);
    EXP256B(11);
    EXP256A(12, 0x20);
    EXP256B(13);
    EXP256A(14, 0x40);
}

BASE static inline __m128i aes_block(const sipc_aes_gcm *g, __m128i x)
{
    const __m128i *rk = (const __m128i *)g->rk;
    x = _mm_xor_si128(x, _mm_loadu_si128(&rk[0]));
    for (int i = 1; i < g->rounds; i++)
        x = _mm_aesenc_si128(x, _mm_loadu_si128(&rk[i]));
    return _mm_aesenclast_si128(x, _mm_loadu_si128(&rk[g->rounds]));
}

/* ---- GHASH -------------------------------------------------------------- */

BASE static inline __m128i bswap128(__m128i x)
{
    return _mm_shuffle_epi8(x, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

TARGET static inline __m256i bswap256(__m256i x)
{
    /* VPSHUFB shuffles within each 128-bit lane: both blocks reversed */
    return _mm256_shuffle_epi8(x, _mm256_broadcastsi128_si256(_mm_set_epi8(
                                      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)));
}

/* (hi:lo) + mid * 2^64, shifted left one bit and reduced: the product of
 * two byte-reflected field elements whose partial products these are. */
BASE static inline __m128i reduce(__m128i lo, __m128i mid, __m128i hi)
{
    lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
    hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
    /* the 256-bit value hi:lo, one bit left */
    __m128i clo = _mm_srli_epi32(lo, 31), chi = _mm_srli_epi32(hi, 31);
    lo = _mm_slli_epi32(lo, 1);
    hi = _mm_slli_epi32(hi, 1);
    __m128i carry = _mm_srli_si128(clo, 12);
    lo = _mm_or_si128(lo, _mm_slli_si128(clo, 4));
    hi = _mm_or_si128(hi, _mm_slli_si128(chi, 4));
    hi = _mm_or_si128(hi, carry);
    /* reduction: first phase */
    __m128i a = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(lo, 31), _mm_slli_epi32(lo, 30)),
                              _mm_slli_epi32(lo, 25));
    __m128i b = _mm_srli_si128(a, 4);
    lo = _mm_xor_si128(lo, _mm_slli_si128(a, 12));
    /* second phase */
    __m128i c = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(lo, 1), _mm_srli_epi32(lo, 2)),
                              _mm_srli_epi32(lo, 7));
    c = _mm_xor_si128(c, b);
    lo = _mm_xor_si128(lo, c);
    return _mm_xor_si128(hi, lo);
}

BASE static inline __m128i gmul(__m128i a, __m128i b)
{
    __m128i lo = _mm_clmulepi64_si128(a, b, 0x00);
    __m128i hi = _mm_clmulepi64_si128(a, b, 0x11);
    __m128i mid = _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x10), _mm_clmulepi64_si128(a, b, 0x01));
    return reduce(lo, mid, hi);
}

/* Two blocks times two powers of H (v and hk, a block in each lane) into
 * the sums of partial products. */
TARGET static inline __attribute__((always_inline)) void
mul_add(__m256i v, __m256i hk, __m256i *lo, __m256i *mid, __m256i *hi)
{
    *lo = _mm256_xor_si256(*lo, _mm256_clmulepi64_epi128(v, hk, 0x00));
    *hi = _mm256_xor_si256(*hi, _mm256_clmulepi64_epi128(v, hk, 0x11));
    *mid = _mm256_xor_si256(*mid, _mm256_clmulepi64_epi128(v, hk, 0x10));
    *mid = _mm256_xor_si256(*mid, _mm256_clmulepi64_epi128(v, hk, 0x01));
}

/* the two lanes of a 256-bit sum of products, added */
#define FOLD(v) _mm_xor_si128(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1))

/* The n (1..15) bytes at p, zero-padded to a block, where back bytes
 * before p may be read too. Not through a copy on the stack: a 16-byte load
 * of bytes just stored in pieces waits for the stores to retire. */
BASE static inline __m128i load_partial(const uint8_t *p, size_t n, size_t back)
{
    if (back + n >= 16) {
        /* the 16 bytes that end at p + n, shifted down by 16 - n */
        static const uint8_t shift[32] = {0,    1,    2,    3,    4,    5,    6,    7,
                                          8,    9,    10,   11,   12,   13,   14,   15,
                                          0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                          0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
        __m128i v = _mm_loadu_si128((const __m128i *)(p + n - 16));
        return _mm_shuffle_epi8(v, _mm_loadu_si128((const __m128i *)(shift + 16 - n)));
    }
    /* a short message or AAD (a TLS record's is 13 bytes): up to 8, 4, 2
     * and 1 bytes, as n's bits say (n is public) */
    uint64_t w[2] = {0, 0}, t = 0;
    size_t at = n & 8, s = 0;
    if (at)
        memcpy(&w[0], p, 8);
    if (n & 4) {
        uint32_t v;
        memcpy(&v, p + at, 4);
        t = v;
        s = 4;
    }
    if (n & 2) {
        uint16_t v;
        memcpy(&v, p + at + s, 2);
        t |= (uint64_t)v << (8 * s);
        s += 2;
    }
    if (n & 1)
        t |= (uint64_t)p[at + s] << (8 * s);
    w[at ? 1 : 0] = t;
    return _mm_set_epi64x((long long)w[1], (long long)w[0]);
}

/* One block times one power of H into the sums of partial products. */
BASE static inline __attribute__((always_inline)) void
mul_add128(__m128i v, __m128i hk, __m128i *lo, __m128i *mid, __m128i *hi)
{
    *lo = _mm_xor_si128(*lo, _mm_clmulepi64_si128(v, hk, 0x00));
    *hi = _mm_xor_si128(*hi, _mm_clmulepi64_si128(v, hk, 0x11));
    *mid = _mm_xor_si128(*mid, _mm_clmulepi64_si128(v, hk, 0x10));
    *mid = _mm_xor_si128(*mid, _mm_clmulepi64_si128(v, hk, 0x01));
}

/* v's two 64-bit halves added, in both halves: a Karatsuba factor */
BASE static inline __m128i halves_added(__m128i v)
{
    return _mm_xor_si128(v, _mm_shuffle_epi32(v, 0x4e));
}

/* The same by Karatsuba's three multiplies: mid gets (v's halves added)
 * times (hk's halves added), which is the middle term plus the lo and hi
 * terms; the sum of these is made the middle term by adding the sums of lo
 * and hi before the reduction. One multiply fewer for two shuffles and two
 * additions: where the carry-less multiply is the bottleneck (AMD Zen 2
 * issues one every other cycle) that is the faster. */
BASE static inline __attribute__((always_inline)) void
mul_add_kara(__m128i v, __m128i hk, __m128i hx, __m128i *lo, __m128i *mid, __m128i *hi)
{
    const __m128i vx = halves_added(v);
    *lo = _mm_xor_si128(*lo, _mm_clmulepi64_si128(v, hk, 0x00));
    *hi = _mm_xor_si128(*hi, _mm_clmulepi64_si128(v, hk, 0x11));
    *mid = _mm_xor_si128(*mid, _mm_clmulepi64_si128(vx, hx, 0x00));
}

/* The GHASH of n (1..16 * NH) bytes at p, the last block padded with
 * zeros, whose blocks before block i are already in the sums lo, mid and
 * hi: block i of m times H^(m-i) onwards, x added to block 0, one
 * reduction for all. Reads only the n bytes. */
BASE static inline __attribute__((always_inline)) __m128i
ghash_from(const sipc_aes_gcm *g, __m128i x, const uint8_t *p, size_t n, int i, __m128i lo,
           __m128i mid, __m128i hi)
{
    const int m = (int)((n + 15) / 16), full = (int)(n / 16);
    for (; i < m; i++) {
        __m128i v = i < full ? _mm_loadu_si128((const __m128i *)(p + 16 * i))
                             : load_partial(p + 16 * i, n - 16 * (size_t)i, 16 * (size_t)i);
        v = bswap128(v);
        if (i == 0)
            v = _mm_xor_si128(v, x);
        mul_add128(v, _mm_loadu_si128((const __m128i *)g->h[NH - m + i]), &lo, &mid, &hi);
    }
    return reduce(lo, mid, hi);
}

/* x absorbs n (1..16 * NH) bytes at p, the last block padded with zeros. */
BASE static __m128i ghash_few(const sipc_aes_gcm *g, __m128i x, const uint8_t *p, size_t n)
{
    const __m128i z = _mm_setzero_si128();
    return ghash_from(g, x, p, n, 0, z, z, z);
}

/* The same with two blocks to a 256-bit register, for n up to CHUNK. */
TARGET static __m128i ghash_few_vaes(const sipc_aes_gcm *g, __m128i x, const uint8_t *p, size_t n)
{
    const int m = (int)((n + 15) / 16), full = (int)(n / 16);
    __m256i lo = _mm256_setzero_si256(), mid = lo, hi = lo;
    int i = 0;
    for (; i + 2 <= full; i += 2) {
        __m256i v = bswap256(_mm256_loadu_si256((const __m256i *)(p + 16 * i)));
        if (i == 0)
            v = _mm256_xor_si256(v, _mm256_zextsi128_si256(x));
        mul_add(v, _mm256_loadu_si256((const __m256i *)g->h[NH - m + i]), &lo, &mid, &hi);
    }
    /* a block left over from the pairs, and the partial one */
    return ghash_from(g, x, p, n, i, FOLD(lo), FOLD(mid), FOLD(hi));
}

/* x absorbs n bytes of p (the AAD), the last block padded with zeros. */
BASE static __m128i ghash_bytes(const sipc_aes_gcm *g, __m128i x, const uint8_t *p, size_t n)
{
    for (; n > 0; n -= n < CHUNK ? n : CHUNK, p += CHUNK)
        x = ghash_few(g, x, p, n < CHUNK ? n : CHUNK);
    return x;
}

/* The round keys and H's powers of a 16- or 32-byte key, g->width left 0. */
BASE void sipc__aes_gcm_key_setup(sipc_aes_gcm *g, const uint8_t *key, size_t key_len)
{
    memset(g, 0, sizeof *g);
    g->rounds = key_len == 16 ? 10 : 14;
    __m128i rk[15];
    expand_key(rk, key, key_len);
    memcpy(g->rk, rk, sizeof g->rk[0] * (size_t)(g->rounds + 1));
    explicit_bzero(rk, sizeof rk);
    /* H = E(K, 0), and its powers up to the NH-th */
    __m128i p[NH + 1];
    p[1] = bswap128(aes_block(g, _mm_setzero_si128()));
    for (int i = 2; i <= NH; i++)
        p[i] = gmul(p[i - 1], p[1]);
    for (int i = 1; i <= NH; i++)
        _mm_storeu_si128((__m128i *)g->h[NH - i], p[i]);
    for (int i = 1; i <= NX; i++)
        _mm_storeu_si128((__m128i *)g->hx[NX - i], halves_added(p[i]));
    explicit_bzero(p, sizeof p);
}

BASE int sipc_aes_gcm_init(sipc_aes_gcm *g, const uint8_t *key, size_t key_len)
{
    if (key_len != 16 && key_len != 32)
        return SIPC_EINVAL;
    sipc__aes_gcm_key_setup(g, key, key_len);
    g->width = cpu_width();
    return 0;
}

/* out = in xor the keystream at kb, n bytes. */
BASE static inline __attribute__((always_inline)) void
xor_keystream(const uint8_t *in, uint8_t *out, size_t n, const uint8_t *kb)
{
    const size_t full = n / 16;
    for (size_t i = 0; i < full; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(in + 16 * i));
        v = _mm_xor_si128(v, _mm_loadu_si128((const __m128i *)(kb + 16 * i)));
        _mm_storeu_si128((__m128i *)(out + 16 * i), v);
    }
    for (size_t i = 16 * full; i < n; i++)
        out[i] = in[i] ^ kb[i];
}

/* The rest of a message, fewer bytes than a loop turn's: out = in xor the
 * keystream at ks (ks_len bytes, wiped after), and GHASH over the
 * ciphertext by the loop's own ghash (a constant). */
BASE static inline __attribute__((always_inline)) __m128i
crypt_rest(const sipc_aes_gcm *g, __m128i x, const uint8_t *in, size_t n, uint8_t *out,
           int decrypt, void *ks, size_t ks_len,
           __m128i (*ghash)(const sipc_aes_gcm *, __m128i, const uint8_t *, size_t))
{
    if (decrypt)
        x = ghash(g, x, in, n);
    xor_keystream(in, out, n, ks);
    if (!decrypt)
        x = ghash(g, x, out, n);
    explicit_bzero(ks, ks_len);
    return x;
}

/* ---- the 128-bit loop ---------------------------------------------------- */

/* Counter blocks ctr+0 .. ctr+nb-1 (ctr byte-reflected), put back in byte
 * order and xored with the first round key; nb a constant. */
BASE static inline __attribute__((always_inline)) void
first_round_x(const sipc_aes_gcm *g, __m128i ctr, __m128i ks[NX], int nb)
{
    const __m128i k = _mm_loadu_si128((const __m128i *)g->rk[0]);
    UNROLL for (int j = 0; j < nb; j++)
        ks[j] = _mm_xor_si128(bswap128(_mm_add_epi32(ctr, _mm_set_epi32(0, 0, 0, j))), k);
}

/* The keystream of nb blocks from counter ctr (byte-reflected); nb a
 * constant. */
BASE static inline __attribute__((always_inline)) void
keystream_x(const sipc_aes_gcm *g, __m128i ctr, __m128i ks[NX], int rounds, int nb)
{
    first_round_x(g, ctr, ks, nb);
#if defined(__clang__)
#pragma unroll 14
#else
#pragma GCC unroll 14
#endif
    for (int i = 1; i < rounds; i++) {
        const __m128i k = _mm_loadu_si128((const __m128i *)g->rk[i]);
        UNROLL for (int j = 0; j < nb; j++)
            ks[j] = _mm_aesenc_si128(ks[j], k);
    }
    const __m128i k = _mm_loadu_si128((const __m128i *)g->rk[rounds]);
    UNROLL for (int j = 0; j < nb; j++)
        ks[j] = _mm_aesenclast_si128(ks[j], k);
}

/* CTR from counter block ctr (byte-reflected) over n bytes, GHASH over the
 * ciphertext (in when decrypting, out when encrypting), NX blocks a turn;
 * returns GHASH's state before the length block. As crypt_rounds below,
 * one block a register. */
BASE static inline __attribute__((always_inline)) __m128i
crypt_rounds_x(const sipc_aes_gcm *g, __m128i ctr, __m128i x, const uint8_t *in, size_t n,
               uint8_t *out, int decrypt, int rounds)
{
    const uint8_t(*h)[16] = &g->h[NH - NX]; /* H^NX .. H^1 */
    const __m128i step = _mm_set_epi32(0, 0, 0, NX);
    const uint8_t *pending = NULL; /* ciphertext of the last turn, not hashed yet */
    if (!decrypt && n >= CHUNKX) {
        /* the first turn has no ciphertext before it to hash: apart, so
         * that the loop's hashing has no condition the compiler would
         * schedule around (which put it all before the AES rounds) */
        __m128i ks[NX];
        keystream_x(g, ctr, ks, rounds, NX);
        ctr = _mm_add_epi32(ctr, step);
        xor_keystream(in, out, CHUNKX, (const uint8_t *)ks);
        pending = out;
        in += CHUNKX;
        out += CHUNKX;
        n -= CHUNKX;
    }
    for (; n >= CHUNKX; n -= CHUNKX, in += CHUNKX, out += CHUNKX) {
        const uint8_t *hp = decrypt ? in : out - CHUNKX;
        __m128i ks[NX];
        first_round_x(g, ctr, ks, NX);
        ctr = _mm_add_epi32(ctr, step);
        __m128i lo = _mm_setzero_si128(), mid = lo, hi = lo;
#if defined(__clang__)
#pragma unroll 14
#else
#pragma GCC unroll 14
#endif
        for (int i = 1; i < rounds; i++) {
            const __m128i k = _mm_loadu_si128((const __m128i *)g->rk[i]);
            UNROLL for (int j = 0; j < NX; j++)
                ks[j] = _mm_aesenc_si128(ks[j], k);
            /* block j, times H^(NX-j), after round 1 + j(rounds-1)/NX: one
             * a round for AES-128, spread over all thirteen for AES-256
             * (hashed in the first eight, AES-256 was slower than
             * wolfCrypt's on 16 KiB records) */
            UNROLL for (int j = 0; j < NX; j++) {
                if (1 + j * (rounds - 1) / NX != i)
                    continue;
                __m128i v = bswap128(_mm_loadu_si128((const __m128i *)(hp + 16 * j)));
                if (j == 0)
                    v = _mm_xor_si128(v, x);
                mul_add_kara(v, _mm_loadu_si128((const __m128i *)h[j]),
                             _mm_loadu_si128((const __m128i *)g->hx[j]), &lo, &mid, &hi);
            }
        }
        const __m128i k = _mm_loadu_si128((const __m128i *)g->rk[rounds]);
        UNROLL for (int j = 0; j < NX; j++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(in + 16 * j));
            _mm_storeu_si128((__m128i *)(out + 16 * j),
                             _mm_xor_si128(v, _mm_aesenclast_si128(ks[j], k)));
        }
        x = reduce(lo, _mm_xor_si128(mid, _mm_xor_si128(lo, hi)), hi);
        if (!decrypt)
            pending = out;
    }
    if (pending)
        x = ghash_few(g, x, pending, CHUNKX);
    if (n) {
        /* the rest, fewer than NX blocks: only as many counters as needed */
        __m128i ks[NX];
        const size_t m = (n + 15) / 16;
        if (m <= 2)
            keystream_x(g, ctr, ks, rounds, 2);
        else if (m <= 4)
            keystream_x(g, ctr, ks, rounds, 4);
        else
            keystream_x(g, ctr, ks, rounds, NX);
        x = crypt_rest(g, x, in, n, out, decrypt, ks, sizeof ks, ghash_few);
    }
    return x;
}

BASE static __m128i crypt_x(const sipc_aes_gcm *g, __m128i ctr, __m128i x, const uint8_t *in,
                            size_t n, uint8_t *out, int decrypt)
{
    if (g->rounds == 10)
        return crypt_rounds_x(g, ctr, x, in, n, out, decrypt, 10);
    return crypt_rounds_x(g, ctr, x, in, n, out, decrypt, 14);
}

/* ---- the 256-bit loop ---------------------------------------------------- */

/* Counter blocks ctr+0 .. ctr+2ny-1 (ctr byte-reflected), put back in
 * byte order and xored with the first round key; ny a constant. */
TARGET static inline __attribute__((always_inline)) void
first_round(const sipc_aes_gcm *g, __m128i ctr, __m256i ks[NY], int ny)
{
    const __m256i c = _mm256_broadcastsi128_si256(ctr);
    const __m256i k = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)g->rk[0]));
    UNROLL for (int j = 0; j < ny; j++)
        ks[j] = _mm256_xor_si256(
            bswap256(_mm256_add_epi32(c, _mm256_set_epi32(0, 0, 0, 2 * j + 1, 0, 0, 0, 2 * j))), k);
}

/* One AES round on ny registers of blocks; ny a constant. */
TARGET static inline __attribute__((always_inline)) void
aes_round(__m256i ks[NY], int ny, const uint8_t rk[16])
{
    const __m256i k = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)rk));
    UNROLL for (int j = 0; j < ny; j++)
        ks[j] = _mm256_aesenc_epi128(ks[j], k);
}

/* The keystream of 2 * ny blocks from counter ctr (byte-reflected; blocks
 * ctr+0 .. ctr+2ny-1); ny a constant. */
TARGET static inline __attribute__((always_inline)) void
keystream_n(const sipc_aes_gcm *g, __m128i ctr, __m256i ks[NY], int rounds, int ny)
{
    first_round(g, ctr, ks, ny);
#if defined(__clang__)
#pragma unroll 14
#else
#pragma GCC unroll 14
#endif
    for (int i = 1; i < rounds; i++)
        aes_round(ks, ny, g->rk[i]);
    const __m256i k =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)g->rk[rounds]));
    UNROLL for (int j = 0; j < ny; j++)
        ks[j] = _mm256_aesenclast_epi128(ks[j], k);
}

/* CTR from counter block ctr (byte-reflected) over n bytes, GHASH over
 * the ciphertext (in when decrypting, out when encrypting); returns GHASH's
 * state before the length block. The GHASH of a turn's blocks is interleaved with the AES
 * rounds, one register of blocks after each round, so that the AES and the
 * carry-less multiplies issue side by side; when encrypting, the blocks
 * hashed are the previous turn's ciphertext (this turn's is not there
 * yet). */
TARGET static inline __attribute__((always_inline)) __m128i
crypt_rounds(const sipc_aes_gcm *g, __m128i ctr, __m128i x, const uint8_t *in, size_t n,
             uint8_t *out, int decrypt, int rounds)
{
    const __m256i *h = (const __m256i *)g->h[NH - NB]; /* H^NB .. H^1 */
    const __m128i step = _mm_set_epi32(0, 0, 0, NB);
    const uint8_t *pending = NULL; /* ciphertext of the last turn, not hashed yet */
    for (; n >= CHUNK; n -= CHUNK, in += CHUNK, out += CHUNK) {
        const uint8_t *hp = decrypt ? in : pending;
        __m256i ks[NY];
        first_round(g, ctr, ks, NY);
        ctr = _mm_add_epi32(ctr, step);
        __m256i lo = _mm256_setzero_si256(), mid = lo, hi = lo;
#if defined(__clang__)
#pragma unroll 14
#else
#pragma GCC unroll 14
#endif
        for (int i = 1; i < rounds; i++) {
            aes_round(ks, NY, g->rk[i]);
            if (hp && i - 1 < NY) {
                const int j = i - 1; /* blocks 2j and 2j+1, times H^(NB-2j), H^(NB-2j-1) */
                __m256i v = bswap256(_mm256_loadu_si256((const __m256i *)(hp + 32 * j)));
                if (j == 0)
                    v = _mm256_xor_si256(v, _mm256_zextsi128_si256(x));
                mul_add(v, _mm256_loadu_si256(&h[j]), &lo, &mid, &hi);
            }
        }
        const __m256i k =
            _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)g->rk[rounds]));
        UNROLL for (int j = 0; j < NY; j++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(in + 32 * j));
            _mm256_storeu_si256((__m256i *)(out + 32 * j),
                                _mm256_xor_si256(v, _mm256_aesenclast_epi128(ks[j], k)));
        }
        if (hp)
            x = reduce(FOLD(lo), FOLD(mid), FOLD(hi));
        pending = out;
    }
    if (!decrypt && pending)
        x = ghash_few_vaes(g, x, pending, CHUNK);
    if (n) {
        /* the rest, fewer than NB blocks: only as many counters as needed */
        __m256i ks[NY];
        const size_t m = (n + 15) / 16;
        if (m <= 4)
            keystream_n(g, ctr, ks, rounds, 2);
        else if (m <= 8)
            keystream_n(g, ctr, ks, rounds, 4);
        else
            keystream_n(g, ctr, ks, rounds, NY);
        x = crypt_rest(g, x, in, n, out, decrypt, ks, sizeof ks, ghash_few_vaes);
    }
    return x;
}

/* ---- the 512-bit loop ---------------------------------------------------- */

TARGET512 static inline __attribute__((always_inline)) __m512i bswap512(__m512i x)
{
    return _mm512_shuffle_epi8(x, _mm512_broadcast_i32x4(_mm_set_epi8(
                                      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)));
}

TARGET512 static inline __attribute__((always_inline)) __m512i bcast_key(const uint8_t rk[16])
{
    return _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)rk));
}

/* Four blocks times four powers of H into the sums of partial products. */
TARGET512 static inline __attribute__((always_inline)) void
mul_add512(__m512i v, __m512i hk, __m512i *lo, __m512i *mid, __m512i *hi)
{
    *lo = _mm512_xor_si512(*lo, _mm512_clmulepi64_epi128(v, hk, 0x00));
    *hi = _mm512_xor_si512(*hi, _mm512_clmulepi64_epi128(v, hk, 0x11));
    *mid = _mm512_xor_si512(*mid, _mm512_clmulepi64_epi128(v, hk, 0x10));
    *mid = _mm512_xor_si512(*mid, _mm512_clmulepi64_epi128(v, hk, 0x01));
}

/* the four lanes of a 512-bit sum of products, added */
#define FOLD512(v) FOLD(_mm256_xor_si256(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1)))

/* crypt_rounds' loop on 512-byte turns, for n a multiple of CHUNKW: counters
 * from *ctr, which is advanced past them; returns GHASH's state after all
 * of the ciphertext. */
TARGET512 static inline __attribute__((always_inline)) __m128i
crypt_wide_rounds(const sipc_aes_gcm *g, __m128i *ctr, __m128i x, const uint8_t *in, size_t n,
                  uint8_t *out, int decrypt, int rounds)
{
    const __m512i *h = (const __m512i *)g->h; /* H^32 .. H^1, four to a load */
    /* the four blocks of a register: counters +0 .. +3 in their lowest lanes */
    const __m512i lanes = _mm512_set_epi32(0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0);
    const uint8_t *pending = NULL; /* ciphertext of the last turn, not hashed yet */
    for (; n >= CHUNKW; n -= CHUNKW, in += CHUNKW, out += CHUNKW) {
        const uint8_t *hp = decrypt ? in : pending;
        const __m512i c = _mm512_add_epi32(_mm512_broadcast_i32x4(*ctr), lanes);
        const __m512i k0 = bcast_key(g->rk[0]);
        __m512i ks[NZ];
        UNROLL for (int j = 0; j < NZ; j++)
            ks[j] = _mm512_xor_si512(
                bswap512(_mm512_add_epi32(c, _mm512_maskz_set1_epi32(0x1111, 4 * j))), k0);
        *ctr = _mm_add_epi32(*ctr, _mm_set_epi32(0, 0, 0, NW));
        __m512i lo = _mm512_setzero_si512(), mid = lo, hi = lo;
#if defined(__clang__)
#pragma unroll 14
#else
#pragma GCC unroll 14
#endif
        for (int i = 1; i < rounds; i++) {
            const __m512i k = bcast_key(g->rk[i]);
            UNROLL for (int j = 0; j < NZ; j++)
                ks[j] = _mm512_aesenc_epi128(ks[j], k);
            if (hp && i - 1 < NZ) {
                const int j = i - 1; /* blocks 4j .. 4j+3, times H^(NW-4j) .. H^(NW-4j-3) */
                __m512i v = bswap512(_mm512_loadu_si512((const void *)(hp + 64 * j)));
                if (j == 0)
                    v = _mm512_xor_si512(v, _mm512_zextsi128_si512(x));
                mul_add512(v, _mm512_loadu_si512((const void *)&h[j]), &lo, &mid, &hi);
            }
        }
        const __m512i k = bcast_key(g->rk[rounds]);
        UNROLL for (int j = 0; j < NZ; j++) {
            __m512i v = _mm512_loadu_si512((const void *)(in + 64 * j));
            _mm512_storeu_si512((void *)(out + 64 * j),
                                _mm512_xor_si512(v, _mm512_aesenclast_epi128(ks[j], k)));
        }
        if (hp)
            x = reduce(FOLD512(lo), FOLD512(mid), FOLD512(hi));
        pending = out;
    }
    if (!decrypt && pending) {
        x = ghash_few_vaes(g, x, pending, CHUNK);
        x = ghash_few_vaes(g, x, pending + CHUNK, CHUNK);
    }
    return x;
}

TARGET512 static __m128i crypt_wide(const sipc_aes_gcm *g, __m128i *ctr, __m128i x,
                                    const uint8_t *in, size_t n, uint8_t *out, int decrypt)
{
    if (g->rounds == 10)
        x = crypt_wide_rounds(g, ctr, x, in, n, out, decrypt, 10);
    else
        x = crypt_wide_rounds(g, ctr, x, in, n, out, decrypt, 14);
    _mm256_zeroupper();
    return x;
}

TARGET static __m128i crypt_vaes(const sipc_aes_gcm *g, __m128i ctr, __m128i x,
                                 const uint8_t *in, size_t n, uint8_t *out, int decrypt)
{
    if (g->rounds == 10)
        x = crypt_rounds(g, ctr, x, in, n, out, decrypt, 10);
    else
        x = crypt_rounds(g, ctr, x, in, n, out, decrypt, 14);
    /* back to code on 128-bit registers without the penalty of mixing */
    _mm256_zeroupper();
    return x;
}

/* The loop of the given width takes the message. */
BASE static __m128i crypt(const sipc_aes_gcm *g, __m128i j0r, __m128i x, const uint8_t *in,
                          size_t n, uint8_t *out, int decrypt, int width)
{
    __m128i ctr = _mm_add_epi32(j0r, _mm_set_epi32(0, 0, 0, 1));
    if (width < 256)
        return crypt_x(g, ctr, x, in, n, out, decrypt);
    if (n >= CHUNKW && width >= 512) {
        size_t w = n - n % CHUNKW;
        x = crypt_wide(g, &ctr, x, in, w, out, decrypt);
        in += w;
        out += w;
        n -= w;
    }
    return crypt_vaes(g, ctr, x, in, n, out, decrypt);
}

/* GHASH's last block, [len(A) || len(C)] in bits, byte-reflected: len(C)
 * in the low half. */
BASE static inline __m128i lengths(size_t aad_len, size_t len)
{
    return _mm_set_epi64x((long long)((uint64_t)aad_len * 8), (long long)((uint64_t)len * 8));
}

/* The tag: GHASH's state after the lengths, xored with E(K, J0) (ekj0). */
BASE static __m128i finish(const sipc_aes_gcm *g, __m128i x, __m128i ekj0, size_t aad_len,
                           size_t len)
{
    const __m128i h1 = _mm_loadu_si128((const __m128i *)g->h[NH - 1]);
    x = gmul(_mm_xor_si128(x, lengths(aad_len, len)), h1);
    return _mm_xor_si128(bswap128(x), ekj0);
}

/* J0 = IV || 0^31 || 1, byte-reflected; built in registers, as a 16-byte
 * load of bytes just stored one by one would wait for them. */
BASE static __m128i j0_reflected(const uint8_t iv[12])
{
    uint64_t a;
    uint32_t b;
    memcpy(&a, iv, 8);
    memcpy(&b, iv + 8, 4);
    __m128i j0 = _mm_set_epi32(0x01000000, (int)b, (int)(uint32_t)(a >> 32), (int)(uint32_t)a);
    return bswap128(j0);
}

/* The n (1..15) bytes of v to p, and nothing past them: in pieces of 8, 4,
 * 2 and 1 bytes as n's bits say (n is public). */
BASE static inline void store_partial(uint8_t *p, __m128i v, size_t n)
{
    const size_t at = n & 8;
    uint64_t t = (uint64_t)_mm_cvtsi128_si64(v), s = 0;
    if (at) {
        memcpy(p, &t, 8);
        t = (uint64_t)_mm_extract_epi64(v, 1);
    }
    if (n & 4) {
        uint32_t w = (uint32_t)t;
        memcpy(p + at, &w, 4);
        t >>= 32;
        s = 4;
    }
    if (n & 2) {
        uint16_t w = (uint16_t)t;
        memcpy(p + at + s, &w, 2);
        t >>= 16;
        s += 2;
    }
    if (n & 1)
        p[at + s] = (uint8_t)t;
}

/* Messages of at most SHORT bytes with at most a block of AAD: a TLS record
 * of a short request or answer. */
#define SHORT (16 * (NX - 1))

/* Both directions of a short message on 128-bit registers: E(K, J0) and
 * the counters in one batch of AES, the AAD, the ciphertext and the lengths
 * in one sum of products with one reduction, the partial block in
 * registers. Through the general path a 100-byte record cost more
 * instructions than wolfCrypt's, which recomputes the hash key per call:
 * a separate AES for E(K, J0), three reductions, the rest's keystream
 * through memory and the calls between. */
BASE static inline __attribute__((always_inline)) __m128i
gcm_short_n(const sipc_aes_gcm *g, __m128i j0r, const uint8_t *aad, size_t aad_len,
            const uint8_t *in, size_t n, uint8_t *out, int decrypt, int rounds, int nb)
{
    /* ks[0] = E(K, J0), ks[1 + i] the keystream of block i (n < 16 * nb);
     * rounds and nb constants */
    __m128i ks[NX];
    const size_t full = n / 16, rest = n % 16;
    keystream_x(g, j0r, ks, rounds, nb);
    /* block k of the t hashed is multiplied by H^(t-k) */
    size_t k = NH - ((aad_len > 0) + (n + 15) / 16 + 1);
    __m128i lo = _mm_setzero_si128(), mid = lo, hi = lo;
    if (aad_len) {
        __m128i a = aad_len == 16 ? _mm_loadu_si128((const __m128i *)aad)
                                  : load_partial(aad, aad_len, 0);
        mul_add128(bswap128(a), _mm_loadu_si128((const __m128i *)g->h[k++]), &lo, &mid, &hi);
    }
    static const uint8_t ones[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    /* constant indices into ks, so that it stays in registers */
    UNROLL for (int i = 0; i < nb - 1; i++) {
        __m128i c;
        if ((size_t)i < full) {
            const __m128i v = _mm_loadu_si128((const __m128i *)(in + 16 * i)),
                          o = _mm_xor_si128(v, ks[1 + i]);
            _mm_storeu_si128((__m128i *)(out + 16 * i), o);
            c = decrypt ? v : o;
        } else if ((size_t)i == full && rest) {
            /* bytes past the message: zero in the ciphertext hashed */
            const __m128i v = load_partial(in + 16 * i, rest, 16 * (size_t)i),
                          o = _mm_and_si128(_mm_xor_si128(v, ks[1 + i]),
                                            _mm_loadu_si128((const __m128i *)(ones + 16 - rest)));
            store_partial(out + 16 * i, o, rest);
            c = decrypt ? v : o;
        } else {
            break;
        }
        mul_add128(bswap128(c), _mm_loadu_si128((const __m128i *)g->h[k++]), &lo, &mid, &hi);
    }
    mul_add128(lengths(aad_len, n), _mm_loadu_si128((const __m128i *)g->h[k]), &lo, &mid, &hi);
    return _mm_xor_si128(bswap128(reduce(lo, mid, hi)), ks[0]);
}

BASE static __m128i gcm_short(const sipc_aes_gcm *g, __m128i j0r, const uint8_t *aad,
                              size_t aad_len, const uint8_t *in, size_t n, uint8_t *out,
                              int decrypt)
{
    /* three blocks or fewer (a short alert, a small answer): half the AES */
    if (g->rounds == 10)
        return n <= 16 * 3 ? gcm_short_n(g, j0r, aad, aad_len, in, n, out, decrypt, 10, 4)
                           : gcm_short_n(g, j0r, aad, aad_len, in, n, out, decrypt, 10, NX);
    return n <= 16 * 3 ? gcm_short_n(g, j0r, aad, aad_len, in, n, out, decrypt, 14, 4)
                       : gcm_short_n(g, j0r, aad, aad_len, in, n, out, decrypt, 14, NX);
}

/* Both directions: CTR over in into out and the tag over aad and the
 * ciphertext, through the loop of the given width (one the CPU runs);
 * inlined, so that a record pays no call for it. */
BASE static inline __attribute__((always_inline)) __m128i
gcm_at(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
       const uint8_t *in, size_t len, uint8_t *out, int decrypt, int width)
{
    __m128i j0r = j0_reflected(iv);
    if (width == 128 && len <= SHORT && aad_len <= 16)
        return gcm_short(g, j0r, aad, aad_len, in, len, out, decrypt);
    /* first: the CPU works on it while GHASH takes the AAD */
    __m128i ekj0 = aes_block(g, bswap128(j0r));
    __m128i x = ghash_bytes(g, _mm_setzero_si128(), aad, aad_len);
    x = crypt(g, j0r, x, in, len, out, decrypt, width);
    return finish(g, x, ekj0, aad_len, len);
}

/* The same through the key's width, as far as this process uses. */
BASE static __m128i gcm(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad,
                        size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, int decrypt)
{
    const int cpu = cpu_width(), width = g->width < cpu ? g->width : cpu;
    return gcm_at(g, iv, aad, aad_len, in, len, out, decrypt, width);
}

BASE void sipc__aes_gcm_at(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad,
                           size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                           int decrypt, int width, uint8_t tag[16])
{
    _mm_storeu_si128((__m128i *)tag, gcm_at(g, iv, aad, aad_len, in, len, out, decrypt, width));
}

static int too_long(size_t aad_len, size_t len)
{
    return (uint64_t)len > SIPC_AES_GCM_MAX_LEN || (uint64_t)aad_len > UINT64_MAX / 8;
}

BASE int sipc_aes_gcm_seal(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad,
                             size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                             uint8_t tag[16])
{
    if (too_long(aad_len, len))
        return SIPC_EINVAL;
    _mm_storeu_si128((__m128i *)tag, gcm(g, iv, aad, aad_len, in, len, out, 0));
    return 0;
}

BASE int sipc_aes_gcm_open(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad,
                             size_t aad_len, const uint8_t *in, size_t len, const uint8_t tag[16],
                             uint8_t *out)
{
    if (too_long(aad_len, len))
        return SIPC_EINVAL;
    /* read before out is written: out may cover it */
    const __m128i want = _mm_loadu_si128((const __m128i *)tag);
    __m128i diff = _mm_xor_si128(gcm(g, iv, aad, aad_len, in, len, out, 1), want);
    if (!_mm_testz_si128(diff, diff)) {
        /* nothing of a forged message is left where the caller looks */
        explicit_bzero(out, len);
        return SIPC_EFORMAT;
    }
    return 0;
}

#else /* not x86-64 with GCC or clang */

#include <stdlib.h>

int sipc_aes_gcm_available(void)
{
    return 0;
}

int sipc_aes_gcm_vaes_available(void)
{
    return 0;
}

/* never called: available() said no */
int sipc_aes_gcm_init(sipc_aes_gcm *g, const uint8_t *key, size_t key_len)
{
    (void)g, (void)key, (void)key_len;
    abort();
}

int sipc_aes_gcm_seal(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad,
                      size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                      uint8_t tag[16])
{
    (void)g, (void)iv, (void)aad, (void)aad_len, (void)in, (void)len, (void)out, (void)tag;
    abort();
}

int sipc_aes_gcm_open(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad,
                      size_t aad_len, const uint8_t *in, size_t len, const uint8_t tag[16],
                      uint8_t *out)
{
    (void)g, (void)iv, (void)aad, (void)aad_len, (void)in, (void)len, (void)tag, (void)out;
    abort();
}

#endif
