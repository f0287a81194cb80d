/* test_ecdsa_own.c - base/p256_scalar.c against wolfCrypt's multi-precision
 * arithmetic, and transport/tls_ecdsa_own.c against wolfCrypt's ECDSA
 * verification: the same verdict for good signatures, tampered ones, other
 * hashes and the edges of the scalars' range; signatures it must leave to
 * wolfCrypt (another key, non-canonical DER) are left; and the signer's nonce,
 * which a good signature's verification computes, is not left on the
 * verifying thread's stack. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/wolfmath.h>

#include "base/p256_scalar.h"
#include "testutil.h"
#include "transport/tls_ecdsa_own.h"

static const uint8_t N_BE[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
                                 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

/* xorshift: the same values on every run */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
}

/* big-endian 32 bytes: random, or one of the edges (0, 1, n-1, n, n+1, 2^256-1) */
static void pick(uint8_t b[32], int i)
{
    switch (i % 11) {
    case 0:
        memset(b, 0, 32);
        b[31] = (uint8_t)(i % 3); /* 0, 1 or 2 */
        break;
    case 1:
        memcpy(b, N_BE, 32);
        b[31] = (uint8_t)(b[31] - 1 + (i % 3)); /* n-1, n, n+1 */
        break;
    case 2:
        memset(b, 0xff, 32);
        break;
    case 3: /* just under n, but random below */
        memcpy(b, N_BE, 32);
        rnd_bytes(b + 16, 16);
        b[16] = 0x10;
        break;
    default:
        rnd_bytes(b, 32);
    }
}

static void mp_from(mp_int *m, const uint8_t b[32])
{
    assert_int_equal(mp_read_unsigned_bin(m, b, 32), MP_OKAY);
}

static void mp_out(mp_int *m, uint8_t b[32])
{
    assert_int_equal(mp_to_unsigned_bin_len(m, b, 32), MP_OKAY);
}

static void t_scalar_arithmetic(void **state)
{
    (void)state;
    mp_int n, a, b, r, one, big;
    assert_int_equal(mp_init_multi(&n, &a, &b, &r, &one, &big), MP_OKAY);
    mp_from(&n, N_BE);
    assert_int_equal(mp_set(&one, 1), MP_OKAY);
    /* 2^256: with it a Montgomery product is checked as a * b * 2^-256 */
    assert_int_equal(mp_2expt(&big, 256), MP_OKAY);
    assert_int_equal(mp_invmod(&big, &n, &big), MP_OKAY);
    for (int i = 0; i < 3000; i++) {
        uint8_t ab[32], bb[32], want[32], got[32];
        pick(ab, i);
        pick(bb, i / 11 + i * 7);
        sipc_p256n x, y, z;
        sipc_p256n_from_be(&x, ab);
        sipc_p256n_from_be(&y, bb);
        sipc_p256n_to_be(got, &x);
        assert_memory_equal(got, ab, 32);
        mp_from(&a, ab);
        mp_from(&b, bb);

        /* reduce: any a < 2^256 */
        sipc_p256n_reduce(&z, &x);
        assert_int_equal(mp_mod(&a, &n, &r), MP_OKAY);
        mp_out(&r, want);
        sipc_p256n_to_be(got, &z);
        assert_memory_equal(got, want, 32);

        /* validity and zero, as wolfCrypt compares */
        int valid = !mp_iszero(&a) && mp_cmp(&a, &n) == MP_LT;
        assert_int_equal(sipc_p256n_is_valid(&x), valid);
        assert_int_equal(sipc_p256n_is_zero(&x), mp_iszero(&a));

        /* the rest take reduced operands */
        sipc_p256n xr = z, yr;
        sipc_p256n_reduce(&yr, &y);
        assert_int_equal(mp_mod(&a, &n, &a), MP_OKAY);
        assert_int_equal(mp_mod(&b, &n, &b), MP_OKAY);

        sipc_p256n_add(&z, &xr, &yr);
        assert_int_equal(mp_addmod(&a, &b, &n, &r), MP_OKAY);
        mp_out(&r, want);
        sipc_p256n_to_be(got, &z);
        assert_memory_equal(got, want, 32);

        /* Montgomery product of a reduced and an unreduced factor */
        sipc_p256n_mont_mul(&z, &y, &xr);
        mp_from(&r, bb);
        assert_int_equal(mp_mulmod(&r, &a, &n, &r), MP_OKAY);
        assert_int_equal(mp_mulmod(&r, &big, &n, &r), MP_OKAY);
        mp_out(&r, want);
        sipc_p256n_to_be(got, &z);
        assert_memory_equal(got, want, 32);
        /* in place */
        sipc_p256n_mont_mul(&yr, &yr, &xr);
        assert_int_equal(mp_mulmod(&a, &b, &n, &r), MP_OKAY);
        assert_int_equal(mp_mulmod(&r, &big, &n, &r), MP_OKAY);
        mp_out(&r, want);
        sipc_p256n_to_be(got, &yr);
        assert_memory_equal(got, want, 32);

        /* into the Montgomery domain, any a < 2^256 */
        sipc_p256n_to_mont(&z, &x);
        mp_from(&r, ab);
        assert_int_equal(mp_mod(&r, &n, &r), MP_OKAY);
        assert_int_equal(mp_2expt(&b, 256), MP_OKAY);
        assert_int_equal(mp_mulmod(&r, &b, &n, &r), MP_OKAY);
        mp_out(&r, want);
        sipc_p256n_to_be(got, &z);
        assert_memory_equal(got, want, 32);

        /* no inverse of n itself or above (the loop would not end) */
        if (!sipc_p256n_is_valid(&x)) {
            sipc_p256n_inv_public(&z, &x);
            assert_true(sipc_p256n_is_zero(&z));
        }
        /* inverse of a valid scalar; 0 gives 0 */
        sipc_p256n_inv_public(&z, &xr);
        if (mp_iszero(&a)) {
            assert_true(sipc_p256n_is_zero(&z));
        } else {
            assert_int_equal(mp_invmod(&a, &n, &r), MP_OKAY);
            mp_out(&r, want);
            sipc_p256n_to_be(got, &z);
            assert_memory_equal(got, want, 32);
        }
    }
    mp_clear(&n);
    mp_clear(&a);
    mp_clear(&b);
    mp_clear(&r);
    mp_clear(&one);
    mp_clear(&big);
}

/* ---------------------------------------------------------------- ECDSA */

typedef struct pair {
    ecc_key key;
    uint8_t der[256]; /* private key, SEC 1 */
    int der_len;
    uint8_t pkcs8[256];
    word32 pkcs8_len;
    uint8_t spki[128];
    int spki_len;
} pair;

static WC_RNG g_rng;

static void pair_make(pair *p, int curve)
{
    assert_int_equal(wc_ecc_init(&p->key), 0);
    assert_int_equal(wc_ecc_make_key_ex(&g_rng, wc_ecc_get_curve_size_from_id(curve), &p->key, curve),
                     0);
    p->der_len = wc_EccKeyToDer(&p->key, p->der, sizeof p->der);
    assert_true(p->der_len > 0);
    p->pkcs8_len = sizeof p->pkcs8;
    assert_true(wc_EccKeyToPKCS8(&p->key, p->pkcs8, &p->pkcs8_len) > 0); /* its length */
    p->spki_len = wc_EccPublicKeyToDer(&p->key, p->spki, sizeof p->spki, 1);
    assert_true(p->spki_len > 0);
}

/* wolfCrypt's verdict: 1 good, 0 anything else */
static int wolf_verdict(pair *p, const uint8_t *sig, size_t sig_len, const uint8_t *h, size_t hl)
{
    int res = 0;
    int r = wc_ecc_verify_hash(sig, (word32)sig_len, h, (word32)hl, &res, &p->key);
    return r == 0 && res == 1;
}

static int sign(pair *p, const uint8_t *h, size_t hl, uint8_t *sig)
{
    word32 n = 80;
    assert_int_equal(wc_ecc_sign_hash(h, (word32)hl, sig, &n, &g_rng, &p->key), 0);
    return (int)n;
}

/* A P-256 pair and the verifier with its own key. */
static sipc_ecdsa_own *own_pair(pair *p)
{
    pair_make(p, ECC_SECP256R1);
    sipc_ecdsa_own *own = NULL;
    assert_int_equal(sipc_ecdsa_own_new(&own, p->der, (size_t)p->der_len), 0);
    assert_non_null(own);
    return own;
}

/* Inverses of shapes that drive the divsteps to their extremes: powers of
 * two and their neighbours (long runs of even steps, or of odd ones), small
 * values and n minus small values (the most steps), each checked against
 * wolfCrypt's mp_invmod and as x * (1/x) = 1. */
static void t_inverse_shapes(void **state)
{
    (void)state;
    mp_int n, a, r, big;
    assert_int_equal(mp_init_multi(&n, &a, &r, &big, NULL, NULL), MP_OKAY);
    mp_from(&n, N_BE);
    assert_int_equal(mp_2expt(&big, 256), MP_OKAY);
    assert_int_equal(mp_invmod(&big, &n, &big), MP_OKAY);
    int checked = 0;
    for (int i = 0; i < 256 * 6 + 4000; i++) {
        uint8_t b[32] = {0}, want[32], got[32];
        const int k = i / 6 % 256;
        if (i < 256 * 6) {
            b[31 - k / 8] = (uint8_t)(1u << (k % 8)); /* 2^k */
            mp_from(&a, b);
            switch (i % 6) {
            case 1: assert_int_equal(mp_sub_d(&a, 1, &a), MP_OKAY); break; /* 2^k - 1 */
            case 2: assert_int_equal(mp_add_d(&a, 1, &a), MP_OKAY); break; /* 2^k + 1 */
            case 3: assert_int_equal(mp_sub(&n, &a, &a), MP_OKAY); break;  /* n - 2^k */
            case 4: assert_int_equal(mp_set(&a, (mp_digit)(k + 1)), MP_OKAY); break;
            case 5: /* n - (k + 1) */
                assert_int_equal(mp_sub_d(&n, (mp_digit)(k + 1), &a), MP_OKAY);
                break;
            default: break;
            }
            assert_int_equal(mp_mod(&a, &n, &a), MP_OKAY);
            mp_out(&a, b);
        } else {
            rnd_bytes(b, 32);
            b[0] &= 0x7f;
            mp_from(&a, b);
        }
        if (mp_iszero(&a))
            continue;
        sipc_p256n x, z, m;
        sipc_p256n_from_be(&x, b);
        sipc_p256n_inv_public(&z, &x);
        assert_int_equal(mp_invmod(&a, &n, &r), MP_OKAY);
        mp_out(&r, want);
        sipc_p256n_to_be(got, &z);
        assert_memory_equal(got, want, 32);
        /* x * z * 2^-256, times 2^256 again: 1 */
        sipc_p256n_mont_mul(&m, &x, &z);
        sipc_p256n_to_mont(&m, &m);
        sipc_p256n_to_be(got, &m);
        memset(want, 0, 32);
        want[31] = 1;
        assert_memory_equal(got, want, 32);
        checked++;
    }
    assert_true(checked > 5000);
    mp_clear(&n);
    mp_clear(&a);
    mp_clear(&r);
    mp_clear(&big);
}

static void t_same_verdicts(void **state)
{
    (void)state;
    if (!SIPC_TLS_ECDSA_OWN)
        skip();
    pair p;
    pair_make(&p, ECC_SECP256R1);
    sipc_ecdsa_own *own = NULL, *own8 = NULL;
    assert_int_equal(sipc_ecdsa_own_new(&own, p.der, (size_t)p.der_len), 0);
    assert_int_equal(sipc_ecdsa_own_new(&own8, p.pkcs8, p.pkcs8_len), 0);
    assert_non_null(own);
    assert_non_null(own8);
    unsigned long before = sipc_ecdsa_own_count();
    int judged = 0, good = 0;
    static const size_t hlens[] = {32, 20, 48, 64, 28};
    for (int i = 0; i < 400; i++) {
        uint8_t h[64], sig[80];
        size_t hl = hlens[i % 5];
        rnd_bytes(h, hl);
        int sl = sign(&p, h, hl, sig);
        int valid = -1;
        /* a fresh signature: good both ways, PKCS#8 or SEC 1 alike */
        assert_int_equal(sipc_ecdsa_own_verify(own, p.spki, (size_t)p.spki_len, sig, (size_t)sl, h,
                                               hl, &valid),
                         1);
        assert_int_equal(valid, 1);
        assert_int_equal(wolf_verdict(&p, sig, (size_t)sl, h, hl), 1);
        assert_int_equal(sipc_ecdsa_own_verify(own8, p.spki, (size_t)p.spki_len, sig, (size_t)sl, h,
                                               hl, &valid),
                         1);
        assert_int_equal(valid, 1);
        good++;
        /* tampered: one bit of the hash (of its first 32 bytes: ECDSA on
         * P-256 uses no more, for both) or of the signature's r or s (the
         * DER may stop being canonical or parse at all: then not judged) */
        uint8_t h2[64], sig2[80];
        memcpy(h2, h, hl);
        memcpy(sig2, sig, (size_t)sl);
        if (i % 2)
            h2[rnd() % (hl < 32 ? hl : 32)] ^= (uint8_t)(1u << (rnd() % 8));
        else
            sig2[4 + rnd() % (size_t)(sl - 4)] ^= (uint8_t)(1u << (rnd() % 8));
        int j = sipc_ecdsa_own_verify(own, p.spki, (size_t)p.spki_len, sig2, (size_t)sl, h2, hl,
                                      &valid);
        if (j) {
            judged++;
            assert_int_equal(valid, wolf_verdict(&p, sig2, (size_t)sl, h2, hl));
            assert_int_equal(valid, 0);
        }
    }
    assert_true(judged > 300);
    assert_int_equal(sipc_ecdsa_own_count() - before, (unsigned long)(2 * good + judged));
    sipc_ecdsa_own_free(own);
    sipc_ecdsa_own_free(own8);
    wc_ecc_free(&p.key);
}

/* A signature from r and s given as 32-byte values (leading zeros dropped). */
static int sig_from(const uint8_t r[32], const uint8_t s[32], uint8_t *sig)
{
    int rs = 0, ss = 0;
    while (rs < 31 && r[rs] == 0)
        rs++;
    while (ss < 31 && s[ss] == 0)
        ss++;
    word32 n = 80;
    if (wc_ecc_rs_raw_to_sig(r + rs, (word32)(32 - rs), s + ss, (word32)(32 - ss), sig, &n) != 0)
        return -1;
    return (int)n;
}

static void t_edges(void **state)
{
    (void)state;
    if (!SIPC_TLS_ECDSA_OWN)
        skip();
    pair p;
    sipc_ecdsa_own *own = own_pair(&p);
    uint8_t h[32];
    rnd_bytes(h, sizeof h);
    /* r and s at and around the ends of their range, against wolfCrypt */
    for (int i = 0; i < 11 * 11 * 3; i++) {
        uint8_t r[32], s[32], sig[80];
        pick(r, i);
        pick(s, i / 11 + i * 5);
        int sl = sig_from(r, s, sig);
        if (sl < 0)
            continue;
        int valid = -1;
        int j = sipc_ecdsa_own_verify(own, p.spki, (size_t)p.spki_len, sig, (size_t)sl, h, sizeof h,
                                      &valid);
        if (j)
            assert_int_equal(valid, wolf_verdict(&p, sig, (size_t)sl, h, sizeof h));
    }
    /* r or s at 0 or n: left to wolfCrypt, which refuses with its own error */
    {
        uint8_t one[32] = {0}, sig0[80];
        one[31] = 1;
        int l = sig_from(N_BE, one, sig0);
        int v = -1;
        assert_int_equal(
            sipc_ecdsa_own_verify(own, p.spki, (size_t)p.spki_len, sig0, (size_t)l, h, sizeof h, &v),
            0);
        assert_int_equal(wolf_verdict(&p, sig0, (size_t)l, h, sizeof h), 0);
    }
    /* r = -e/d makes e/s + (r/s)*d zero for any s: R at infinity, judged
     * and refused (as wolfCrypt does) */
    {
        uint8_t db[32], rr[32], s1[32] = {0}, sig0[80];
        word32 dl = sizeof db;
        s1[31] = 7;
        assert_int_equal(wc_ecc_export_private_only(&p.key, db, &dl), 0);
        mp_int n, d, e, r;
        assert_int_equal(mp_init_multi(&n, &d, &e, &r, NULL, NULL), MP_OKAY);
        mp_from(&n, N_BE);
        mp_from(&d, db);
        mp_from(&e, h);
        assert_int_equal(mp_mod(&e, &n, &e), MP_OKAY);
        assert_int_equal(mp_invmod(&d, &n, &r), MP_OKAY);
        assert_int_equal(mp_mulmod(&r, &e, &n, &r), MP_OKAY);
        assert_int_equal(mp_sub(&n, &r, &r), MP_OKAY); /* -e/d */
        mp_out(&r, rr);
        int l = sig_from(rr, s1, sig0);
        unsigned long before = sipc_ecdsa_own_count();
        int v = -1;
        assert_int_equal(
            sipc_ecdsa_own_verify(own, p.spki, (size_t)p.spki_len, sig0, (size_t)l, h, sizeof h, &v),
            1);
        assert_int_equal(v, 0);
        assert_int_equal(sipc_ecdsa_own_count() - before, 1);
        assert_int_equal(wolf_verdict(&p, sig0, (size_t)l, h, sizeof h), 0);
        mp_clear(&n);
        mp_clear(&d);
        mp_clear(&e);
        mp_clear(&r);
    }
    /* a good signature, then the same numbers in a longer (non-canonical)
     * DER: not ours to judge */
    uint8_t sig[80], longer[82];
    int sl = sign(&p, h, sizeof h, sig);
    int valid = -1;
    assert_int_equal(
        sipc_ecdsa_own_verify(own, p.spki, (size_t)p.spki_len, sig, (size_t)sl, h, sizeof h, &valid),
        1);
    assert_int_equal(valid, 1);
    /* 30 L 02 rl r ...: r with one more leading zero byte */
    longer[0] = 0x30;
    longer[1] = (uint8_t)(sig[1] + 1);
    longer[2] = 0x02;
    longer[3] = (uint8_t)(sig[3] + 1);
    longer[4] = 0x00;
    memcpy(longer + 5, sig + 4, (size_t)sl - 4);
    valid = -1;
    assert_int_equal(sipc_ecdsa_own_verify(own, p.spki, (size_t)p.spki_len, longer, (size_t)sl + 1,
                                           h, sizeof h, &valid),
                     0);
    /* trailing garbage */
    memcpy(longer, sig, (size_t)sl);
    longer[sl] = 0;
    assert_int_equal(sipc_ecdsa_own_verify(own, p.spki, (size_t)p.spki_len, longer, (size_t)sl + 1,
                                           h, sizeof h, &valid),
                     0);
    /* truncated */
    assert_int_equal(sipc_ecdsa_own_verify(own, p.spki, (size_t)p.spki_len, sig, (size_t)sl - 1, h,
                                           sizeof h, &valid),
                     0);
    /* an r of 70 bytes: wolfCrypt's decoder copies it whole (into a buffer
     * that must hold it: ASan watches), and it is left to wolfCrypt */
    uint8_t wide[77] = {0x30, 75, 0x02, 70};
    memset(wide + 4, 0x5a, 70);
    wide[74] = 0x02;
    wide[75] = 0x01;
    wide[76] = 0x01;
    assert_int_equal(sipc_ecdsa_own_verify(own, p.spki, (size_t)p.spki_len, wide, sizeof wide, h,
                                           sizeof h, &valid),
                     0);
    assert_int_equal(wolf_verdict(&p, wide, sizeof wide, h, sizeof h), 0);
    /* a hash wolfCrypt refuses for its length */
    assert_int_equal(
        sipc_ecdsa_own_verify(own, p.spki, (size_t)p.spki_len, sig, (size_t)sl, h, 8, &valid), 0);
    sipc_ecdsa_own_free(own);
    wc_ecc_free(&p.key);
}

static void t_not_ours(void **state)
{
    (void)state;
    pair p, q;
    pair_make(&p, ECC_SECP256R1);
    pair_make(&q, ECC_SECP256R1);
    sipc_ecdsa_own *own = NULL;
    assert_int_equal(sipc_ecdsa_own_new(&own, p.der, (size_t)p.der_len), 0);
    uint8_t h[32], sig[80];
    rnd_bytes(h, sizeof h);
    int sl = sign(&q, h, sizeof h, sig);
    int valid = -1;
    /* another key's signature, with its key: wolfCrypt's to verify */
    assert_int_equal(
        sipc_ecdsa_own_verify(own, q.spki, (size_t)q.spki_len, sig, (size_t)sl, h, sizeof h, &valid),
        0);
    /* ... and claimed for ours, it is judged and refused */
    if (SIPC_TLS_ECDSA_OWN) {
        assert_int_equal(sipc_ecdsa_own_verify(own, p.spki, (size_t)p.spki_len, sig, (size_t)sl, h,
                                               sizeof h, &valid),
                         1);
        assert_int_equal(valid, 0);
    }
    /* no own key, or not a P-256 one: nothing made */
    assert_int_equal(
        sipc_ecdsa_own_verify(NULL, p.spki, (size_t)p.spki_len, sig, (size_t)sl, h, sizeof h, &valid),
        0);
    pair r;
    pair_make(&r, ECC_SECP384R1);
    sipc_ecdsa_own *own384 = (sipc_ecdsa_own *)1;
    assert_int_equal(sipc_ecdsa_own_new(&own384, r.der, (size_t)r.der_len), 0);
    assert_null(own384);
    /* a private key whose stated public key is another's: nothing made
     * (verifying "ours" with d would then judge q's signatures wrongly) */
    uint8_t pd[32], qpub[65], mixed_der[256];
    word32 pdl = sizeof pd, qpl = sizeof qpub;
    assert_int_equal(wc_ecc_export_private_only(&p.key, pd, &pdl), 0);
    assert_int_equal(wc_ecc_export_x963(&q.key, qpub, &qpl), 0);
    ecc_key mixed;
    assert_int_equal(wc_ecc_init(&mixed), 0);
    assert_int_equal(wc_ecc_import_private_key_ex(pd, pdl, qpub, qpl, &mixed, ECC_SECP256R1), 0);
    int ml = wc_EccKeyToDer(&mixed, mixed_der, sizeof mixed_der);
    assert_true(ml > 0);
    sipc_ecdsa_own *own_mixed = (sipc_ecdsa_own *)1;
    assert_int_equal(sipc_ecdsa_own_new(&own_mixed, mixed_der, (size_t)ml), 0);
    assert_null(own_mixed);
    wc_ecc_free(&mixed);
    sipc_ecdsa_own *junk = (sipc_ecdsa_own *)1;
    assert_int_equal(sipc_ecdsa_own_new(&junk, h, sizeof h), 0);
    assert_null(junk);
    sipc_ecdsa_own_free(own);
    wc_ecc_free(&p.key);
    wc_ecc_free(&q.key);
    wc_ecc_free(&r.key);
}

typedef struct verify_job {
    const sipc_ecdsa_own *own;
    const pair *p;
    const uint8_t *sig, *h;
    size_t sig_len, hl;
    int judged, valid;
} verify_job;

static void *verify_on_thread(void *arg)
{
    verify_job *j = arg;
    j->judged = sipc_ecdsa_own_verify(j->own, j->p->spki, (size_t)j->p->spki_len, j->sig,
                                      j->sig_len, j->h, j->hl, &j->valid);
#ifdef FP_ECC
    /* Debian's wolfCrypt caches a table of the base point per thread; a
     * thread that ends without this leaves it allocated */
    wc_ecc_fp_free();
#endif
    return NULL;
}

/* A good signature verified on a thread whose stack the test maps itself:
 * once the thread has ended, that stack holds no copy of the signer's nonce
 * k = (e + r*d)/s, computed here on the test's own stack, in either byte
 * order (wolfCrypt's base multiplication keeps it in 64-bit limbs, least
 * significant first). (Not under AddressSanitizer, which keeps frames of its
 * own, as test_keypair_wipe.) */
static void t_nonce_not_left(void **state)
{
    (void)state;
    if (!SIPC_TLS_ECDSA_OWN)
        skip();
    pair p;
    sipc_ecdsa_own *own = own_pair(&p);
    uint8_t h[32], sig[80], rb[80], sb[80], db[32];
    rnd_bytes(h, sizeof h);
    int sl = sign(&p, h, sizeof h, sig);
    word32 rl = sizeof rb, sbl = sizeof sb, dl = sizeof db;
    assert_int_equal(wc_ecc_sig_to_rs(sig, (word32)sl, rb, &rl, sb, &sbl), 0);
    assert_int_equal(wc_ecc_export_private_only(&p.key, db, &dl), 0);
    assert_true(rl <= 32 && sbl <= 32 && dl == 32);
    uint8_t r32[32] = {0}, s32[32] = {0};
    memcpy(r32 + 32 - rl, rb, rl);
    memcpy(s32 + 32 - sbl, sb, sbl);
    sipc_p256n r, s, e, d, w, u1, u2, k;
    sipc_p256n_from_be(&r, r32);
    sipc_p256n_from_be(&s, s32);
    sipc_p256n_from_be(&e, h);
    sipc_p256n_reduce(&e, &e);
    sipc_p256n_from_be(&d, db);
    sipc_p256n_inv_public(&w, &s);
    sipc_p256n_to_mont(&w, &w);
    sipc_p256n_mont_mul(&u1, &e, &w);
    sipc_p256n_mont_mul(&u2, &r, &w);
    sipc_p256n_to_mont(&d, &d);
    sipc_p256n_mont_mul(&u2, &u2, &d);
    sipc_p256n_add(&k, &u1, &u2);
    uint8_t be[32], le[32];
    sipc_p256n_to_be(be, &k);
    for (size_t i = 0; i < sizeof le; i++)
        le[i] = be[sizeof be - 1 - i];

    const size_t stack_len = 1u << 20;
    verify_job j = {.own = own, .p = &p, .sig = sig, .sig_len = (size_t)sl, .h = h,
                    .hl = sizeof h, .valid = -1};
    uint8_t *stack;
    assert_int_equal(tu_run_on_stack(verify_on_thread, &j, stack_len, &stack), 0);
    assert_int_equal(j.judged, 1);
    assert_int_equal(j.valid, 1);
#if !defined(__SANITIZE_ADDRESS__)
    int b = tu_count_in(stack, stack_len, be, sizeof be);
    int l = tu_count_in(stack, stack_len, le, sizeof le);
    if (b || l)
        fail_msg("the verifying thread's stack still holds the signer's nonce: %d copies "
                 "big-endian, %d little-endian", b, l);
#endif
    tu_stack_free(stack, stack_len);
    sipc_ecdsa_own_free(own);
    wc_ecc_free(&p.key);
}

int main(void)
{
    if (wc_InitRng(&g_rng) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_scalar_arithmetic),
        cmocka_unit_test(t_inverse_shapes),
        cmocka_unit_test(t_same_verdicts),
        cmocka_unit_test(t_edges),
        cmocka_unit_test(t_not_ours),
        cmocka_unit_test(t_nonce_not_left),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    wc_FreeRng(&g_rng);
    return r;
}
