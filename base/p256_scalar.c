/* p256_scalar.c - arithmetic modulo the P-256 group order, in constant time
 * (see p256_scalar.h). Montgomery multiplication in the CIOS form (Koc,
 * Acar and Kaliski, 1996) on 64-bit limbs with 128-bit products; in the
 * constant-time functions every conditional subtraction is a mask, never a
 * branch, and their temporaries are wiped (they may hold a nonce). The
 * four-limb loops are unrolled (GCC's -O2 does not by itself): a product
 * then takes 40 % fewer instructions. */
#include "base/p256_scalar.h"

#include <assert.h>
#include <string.h>

#include "base/endian.h"

typedef unsigned __int128 u128;

/* n, least significant limb first */
static const uint64_t N[4] = {0xf3b9cac2fc632551ULL, 0xbce6faada7179e84ULL, 0xffffffffffffffffULL,
                              0xffffffff00000000ULL};
/* -n^-1 mod 2^64 */
static const uint64_t N0 = 0xccd1c8aaee00bc4fULL;
/* 2^512 mod n: multiplying by it enters the Montgomery domain */
static const sipc_p256n R2 = {{0x83244c95be79eea2ULL, 0x4699799c49bd6fa6ULL, 0x2845b2392b6bec59ULL,
                               0x66e12d94f3d95620ULL}};

void sipc_p256n_from_be(sipc_p256n *r, const uint8_t in[32])
{
    for (int i = 0; i < 4; i++)
        r->w[i] = sipc_be64_get(in + (3 - i) * 8);
}

void sipc_p256n_to_be(uint8_t out[32], const sipc_p256n *a)
{
    for (int i = 0; i < 4; i++)
        sipc_be64_put(out + (3 - i) * 8, a->w[i]);
}

/* r = a + b over 256 bits; returns the carry */
static uint64_t add256(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
    uint64_t carry = 0;
    #pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        u128 x = (u128)a[i] + b[i] + carry;
        r[i] = (uint64_t)x;
        carry = (uint64_t)(x >> 64);
    }
    return carry;
}

/* r = a - b over 256 bits; returns the borrow */
static uint64_t sub256(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
    uint64_t borrow = 0;
    #pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        u128 x = (u128)a[i] - b[i] - borrow;
        r[i] = (uint64_t)x;
        borrow = (uint64_t)(x >> 64) & 1;
    }
    return borrow;
}

/* r = take ? d : t, by mask */
static void select4(sipc_p256n *r, uint64_t take, const uint64_t d[4], const uint64_t t[4])
{
    uint64_t m = 0 - (take & 1);
    #pragma GCC unroll 4
    for (int i = 0; i < 4; i++)
        r->w[i] = (d[i] & m) | (t[i] & ~m);
}

void sipc_p256n_reduce(sipc_p256n *r, const sipc_p256n *a)
{
    uint64_t d[4], t[4] = {a->w[0], a->w[1], a->w[2], a->w[3]};
    uint64_t borrow = sub256(d, t, N);
    select4(r, borrow ^ 1, d, t);
    explicit_bzero(t, sizeof t);
    explicit_bzero(d, sizeof d);
}

int sipc_p256n_is_valid(const sipc_p256n *a)
{
    uint64_t d[4];
    return !sipc_p256n_is_zero(a) && sub256(d, a->w, N) == 1;
}

int sipc_p256n_equal(const sipc_p256n *a, const sipc_p256n *b)
{
    return a->w[0] == b->w[0] && a->w[1] == b->w[1] && a->w[2] == b->w[2] && a->w[3] == b->w[3];
}

int sipc_p256n_is_zero(const sipc_p256n *a)
{
    uint64_t x = a->w[0] | a->w[1] | a->w[2] | a->w[3];
    return (int)(((x | (0 - x)) >> 63) ^ 1);
}

void sipc_p256n_add(sipc_p256n *r, const sipc_p256n *a, const sipc_p256n *b)
{
    uint64_t s[4], d[4];
    uint64_t carry = add256(s, a->w, b->w);
    uint64_t borrow = sub256(d, s, N);
    /* a + b < 2n: subtract n when the sum overflowed 2^256 or is not below n */
    select4(r, carry | (borrow ^ 1), d, s);
    explicit_bzero(s, sizeof s);
    explicit_bzero(d, sizeof d);
}

void sipc_p256n_mont_mul(sipc_p256n *r, const sipc_p256n *a, const sipc_p256n *b)
{
    uint64_t t[6] = {0};
    #pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        u128 c = 0;
        #pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            c += (u128)a->w[j] * b->w[i] + t[j];
            t[j] = (uint64_t)c;
            c >>= 64;
        }
        c += t[4];
        t[4] = (uint64_t)c;
        t[5] = (uint64_t)(c >> 64);
        uint64_t m = t[0] * N0; /* makes t + m * n divisible by 2^64 */
        c = (u128)m * N[0] + t[0];
        c >>= 64;
        #pragma GCC unroll 4
        for (int j = 1; j < 4; j++) {
            c += (u128)m * N[j] + t[j];
            t[j - 1] = (uint64_t)c;
            c >>= 64;
        }
        c += t[4];
        t[3] = (uint64_t)c;
        t[4] = t[5] + (uint64_t)(c >> 64);
    }
    /* t < 2n here (a * b < n * 2^256); t[4] is its bit 256 */
    uint64_t d[4];
    uint64_t borrow = sub256(d, t, N);
    select4(r, t[4] | (borrow ^ 1), d, t);
    explicit_bzero(t, sizeof t);
    explicit_bzero(d, sizeof d);
}

void sipc_p256n_to_mont(sipc_p256n *r, const sipc_p256n *a)
{
    sipc_p256n_mont_mul(r, a, &R2);
}

/* ---- inversion of public values ----------------------------------------
 * Bernstein and Yang's divsteps ("Fast constant-time gcd computation and
 * modular inversion", 2019), in batches of 62 on machine words: each batch
 * decides its 62 steps from the low bits of f and g alone, as a 2x2 matrix
 * of small integers, then applies the matrix once to the whole numbers.
 * About ten times as fast as bit-at-a-time binary inversion, whose branches
 * a CPU cannot predict. The steps themselves are branch-free, but the
 * number of batches depends on the value, hence public values only. */

#define M62 (((uint64_t)1 << 62) - 1)
typedef __int128 s128;

/* A signed number as sum of v[i] * 2^(62 i): v[0..3] in [0, 2^62), v[4]
 * carries the sign. Room for the 257-bit intermediates. */
typedef struct {
    int64_t v[5];
} s62;

static const s62 N62 = {{0x33b9cac2fc632551LL, 0x339beab69c5e7a13LL, 0x3ffffffffffffffbLL,
                         0x3fffffc00000003fLL, 0xff}};

static void s62_from(s62 *r, const uint64_t a[4])
{
    r->v[0] = (int64_t)(a[0] & M62);
    r->v[1] = (int64_t)((a[0] >> 62 | a[1] << 2) & M62);
    r->v[2] = (int64_t)((a[1] >> 60 | a[2] << 4) & M62);
    r->v[3] = (int64_t)((a[2] >> 58 | a[3] << 6) & M62);
    r->v[4] = (int64_t)(a[3] >> 56);
}

/* a in [0, 2^256) */
static void s62_to(uint64_t r[4], const s62 *a)
{
    const uint64_t *v = (const uint64_t *)a->v;
    r[0] = v[0] | v[1] << 62;
    r[1] = v[1] >> 2 | v[2] << 60;
    r[2] = v[2] >> 4 | v[3] << 58;
    r[3] = v[3] >> 6 | v[4] << 56;
}

/* a + m * n, m in {-1, 0, 1}, limbs carried back into range */
static void s62_add_n(s62 *a, int64_t m)
{
    int64_t c = 0;
    for (int i = 0; i < 4; i++) {
        c += a->v[i] + m * N62.v[i];
        a->v[i] = c & (int64_t)M62;
        c >>= 62;
    }
    a->v[4] += c + m * N62.v[4];
}

static int s62_is_zero(const s62 *a)
{
    return (a->v[0] | a->v[1] | a->v[2] | a->v[3] | a->v[4]) == 0;
}

/* 2^62 times the matrix of 62 divsteps from (delta, f, g): (u v; q r), with
 * 2^62 f' = u f + v g and 2^62 g' = q f + r g; f is odd. A divstep is
 * (1 - delta, g, (g - f) / 2) when delta > 0 and g is odd, else
 * (1 + delta, f, (g + (g odd ? f : 0)) / 2). Taken several at a time: a
 * run of even g as one shift; and since no swap can come while delta <= 0,
 * the next 1 - delta steps add f or not as g's low bits want, i.e. add
 * w f with w = -g / f mod 2^k (f's inverse mod 64 is f (2 - f^2)). Only the
 * low 64 bits of f and g are needed: 62 steps read no higher bit. */
static int64_t divsteps62(int64_t delta, uint64_t f, uint64_t g, int64_t t[4])
{
    uint64_t u = 1, v = 0, q = 0, r = 1, x;
    int i = 62;
    for (;;) {
        const int zeros = __builtin_ctzll(g | (UINT64_MAX << i));
        g >>= zeros, u <<= zeros, v <<= zeros, delta += zeros, i -= zeros;
        if (i == 0)
            break;
        if (delta > 0) { /* g is odd: swap, negating */
            delta = -delta;
            x = f, f = g, g = 0 - x;
            x = u, u = q, q = 0 - x;
            x = v, v = r, r = 0 - x;
        }
        int k = 1 - (int)delta; /* delta <= 0 here */
        k = k < i ? k : i;
        k = k < 6 ? k : 6;
        const uint64_t w = (0 - g * (f * (2 - f * f))) & (UINT64_MAX >> (64 - k));
        g += f * w, q += u * w, r += v * w;
    }
    t[0] = (int64_t)u, t[1] = (int64_t)v, t[2] = (int64_t)q, t[3] = (int64_t)r;
    return delta;
}

/* (f, g) = (u f + v g, q f + r g) / 2^62: exact divisions. */
static void update_fg(s62 *f, s62 *g, const int64_t t[4])
{
    s128 cf = (s128)t[0] * f->v[0] + (s128)t[1] * g->v[0];
    s128 cg = (s128)t[2] * f->v[0] + (s128)t[3] * g->v[0];
    cf >>= 62, cg >>= 62;
    for (int i = 1; i < 5; i++) {
        cf += (s128)t[0] * f->v[i] + (s128)t[1] * g->v[i];
        cg += (s128)t[2] * f->v[i] + (s128)t[3] * g->v[i];
        f->v[i - 1] = (int64_t)cf & (int64_t)M62;
        g->v[i - 1] = (int64_t)cg & (int64_t)M62;
        cf >>= 62, cg >>= 62;
    }
    f->v[4] = (int64_t)cf, g->v[4] = (int64_t)cg;
}

/* (d, e) = (u d + v e, q d + r e) / 2^62 mod n, for d, e in [0, n): the
 * multiple of n that makes each sum divisible by 2^62 added first, which
 * leaves it in (-n, 2n), brought back into [0, n). */
static void update_de(s62 *d, s62 *e, const int64_t t[4])
{
    s128 cd = (s128)t[0] * d->v[0] + (s128)t[1] * e->v[0];
    s128 ce = (s128)t[2] * d->v[0] + (s128)t[3] * e->v[0];
    const int64_t md = (int64_t)(((uint64_t)cd * N0) & M62), me = (int64_t)(((uint64_t)ce * N0) & M62);
    cd += (s128)md * N62.v[0], ce += (s128)me * N62.v[0];
    cd >>= 62, ce >>= 62;
    for (int i = 1; i < 5; i++) {
        cd += (s128)t[0] * d->v[i] + (s128)t[1] * e->v[i] + (s128)md * N62.v[i];
        ce += (s128)t[2] * d->v[i] + (s128)t[3] * e->v[i] + (s128)me * N62.v[i];
        d->v[i - 1] = (int64_t)cd & (int64_t)M62;
        e->v[i - 1] = (int64_t)ce & (int64_t)M62;
        cd >>= 62, ce >>= 62;
    }
    d->v[4] = (int64_t)cd, e->v[4] = (int64_t)ce;
    s62 *x[2] = {d, e};
    for (int i = 0; i < 2; i++) {
        if (x[i]->v[4] < 0) {
            s62_add_n(x[i], 1);
        } else {
            s62 y = *x[i];
            s62_add_n(&y, -1);
            if (y.v[4] >= 0)
                *x[i] = y;
        }
    }
}

void sipc_p256n_inv_public(sipc_p256n *r, const sipc_p256n *a)
{
    if (!sipc_p256n_is_valid(a)) { /* no inverse (0), or not reduced */
        memset(r, 0, sizeof *r);
        return;
    }
    /* f = n and g = a, with f = d a and g = e a mod n throughout; g reaches
     * 0 within 741 steps for 256-bit inputs (the paper's bound: 12
     * batches), f is then the gcd up to its sign, 1 or -1 since n is prime */
    s62 f = N62, g, d = {{0}}, e = {{1}};
    s62_from(&g, a->w);
    int64_t delta = 1, t[4];
    for (int batch = 0; batch < 12 && !s62_is_zero(&g); batch++) {
        delta = divsteps62(delta, (uint64_t)f.v[0] | (uint64_t)f.v[1] << 62,
                           (uint64_t)g.v[0] | (uint64_t)g.v[1] << 62, t);
        update_de(&d, &e, t);
        update_fg(&f, &g, t);
    }
    assert(s62_is_zero(&g));
    if (!s62_is_zero(&g)) { /* cannot happen; no wrong inverse if it did */
        memset(r, 0, sizeof *r);
        return;
    }
    if (f.v[4] < 0) { /* f = -1: the inverse is n - d (d is not 0) */
        s62 m = N62;
        for (int i = 0; i < 5; i++)
            m.v[i] -= d.v[i];
        s62_add_n(&m, 0);
        d = m;
    }
    s62_to(r->w, &d);
}
