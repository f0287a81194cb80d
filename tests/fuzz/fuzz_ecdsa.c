/* fuzz_ecdsa.c - libFuzzer target: ECDSA P-256 verification with our own key
 * (transport/tls_ecdsa_own.c) against wolfCrypt's wc_ecc_verify_hash, and
 * the scalar arithmetic under it (base/p256_scalar.c) against wolfCrypt's mp
 * functions. Any difference aborts.
 *
 * Input: [0] picks the hash length (16..64), [1..33) and [33..65) two
 * scalars for the arithmetic, then the hash, then the signature (DER). The
 * key is fixed, so the corpus can hold its real signatures. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/wolfmath.h>

#include "base/p256_scalar.h"
#include "transport/tls_ecdsa_own.h"

static const uint8_t N_BE[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
                                 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

static ecc_key g_key;
static sipc_ecdsa_own *g_own;
static uint8_t g_spki[128];
static int g_spki_len;

static void setup(void)
{
    uint8_t d[32], der[256];
    for (int i = 0; i < 32; i++)
        d[i] = (uint8_t)(i + 1); /* the fixed private key 0x0102...20 */
    if (wolfSSL_Init() != WOLFSSL_SUCCESS || wc_ecc_init(&g_key) != 0 ||
        wc_ecc_import_private_key_ex(d, 32, NULL, 0, &g_key, ECC_SECP256R1) != 0 ||
        wc_ecc_make_pub(&g_key, NULL) != 0)
        abort();
    int dl = wc_EccKeyToDer(&g_key, der, sizeof der);
    g_spki_len = wc_EccPublicKeyToDer(&g_key, g_spki, sizeof g_spki, 1);
    if (dl <= 0 || g_spki_len <= 0 || sipc_ecdsa_own_new(&g_own, der, (size_t)dl) != 0)
        abort();
    if (SIPC_TLS_ECDSA_OWN && !g_own)
        abort();
}

static void same(const sipc_p256n *x, const mp_int *m)
{
    uint8_t a[32], b[32];
    sipc_p256n_to_be(a, x);
    if (mp_to_unsigned_bin_len((mp_int *)m, b, 32) != MP_OKAY || memcmp(a, b, 32) != 0)
        abort();
}

static void arithmetic(const uint8_t ab[32], const uint8_t bb[32])
{
    mp_int n, a, b, r, t;
    if (mp_init_multi(&n, &a, &b, &r, &t, NULL) != MP_OKAY ||
        mp_read_unsigned_bin(&n, N_BE, 32) != MP_OKAY ||
        mp_read_unsigned_bin(&a, ab, 32) != MP_OKAY || mp_read_unsigned_bin(&b, bb, 32) != MP_OKAY)
        abort();
    sipc_p256n x, y, z;
    sipc_p256n_from_be(&x, ab);
    sipc_p256n_from_be(&y, bb);
    if (sipc_p256n_is_valid(&x) != (!mp_iszero(&a) && mp_cmp(&a, &n) == MP_LT))
        abort();
    sipc_p256n_reduce(&x, &x);
    sipc_p256n_reduce(&z, &y);
    if (mp_mod(&a, &n, &a) != MP_OKAY || mp_mod(&b, &n, &r) != MP_OKAY)
        abort();
    same(&x, &a);
    same(&z, &r);
    sipc_p256n_add(&z, &x, &z);
    if (mp_addmod(&a, &r, &n, &t) != MP_OKAY)
        abort();
    same(&z, &t);
    /* x * y / 2^256 with y unreduced: t * 2^256 == a * b (mod n) */
    sipc_p256n_mont_mul(&z, &y, &x);
    if (mp_2expt(&r, 256) != MP_OKAY || mp_invmod(&r, &n, &r) != MP_OKAY ||
        mp_mulmod(&a, &b, &n, &t) != MP_OKAY || mp_mulmod(&t, &r, &n, &t) != MP_OKAY)
        abort();
    same(&z, &t);
    if (!mp_iszero(&a)) {
        sipc_p256n_inv_public(&z, &x);
        if (mp_invmod(&a, &n, &t) != MP_OKAY)
            abort();
        same(&z, &t);
    }
    mp_clear(&n);
    mp_clear(&a);
    mp_clear(&b);
    mp_clear(&r);
    mp_clear(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    if (size < 65)
        return 0;
    arithmetic(data + 1, data + 33);
    size_t hl = 16 + data[0] % 49;
    if (size < 65 + hl)
        return 0;
    const uint8_t *hash = data + 65, *sig = hash + hl;
    size_t sl = size - 65 - hl;
    int valid = -1, res = 0;
    int judged = sipc_ecdsa_own_verify(g_own, g_spki, (size_t)g_spki_len, sig, sl, hash, hl, &valid);
    int ret = wc_ecc_verify_hash(sig, (word32)sl, hash, (word32)hl, &res, &g_key);
    if (judged && valid != (ret == 0 && res == 1))
        abort();
    return 0;
}
