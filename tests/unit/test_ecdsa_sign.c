/* test_ecdsa_sign.c - transport/tls_ecdsa_sign.c, the signing of the
 * handshake's signatures with the node's P-256 key: RFC 6979's own test
 * vectors, the same signature for the same hash and none sharing a nonce
 * (also when the random generator returns the same bytes every time), hashes
 * of every length TLS 1.2 may sign, the check that refuses a signature the
 * key did not make, no copy of the nonce or the key left on the stack nor
 * its block on the heap, and --version naming the nonces.
 *
 * Linked with --wrap=sipc_kernel_random_block: in the bundled build every
 * random byte wolfCrypt draws comes through __wrap_sipc_kernel_random_block,
 * which can return a constant instead (a generator whose state repeated, as
 * in a cloned virtual machine). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <malloc.h>
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "base/kernel_random.h"
#include "sipc/errno.h"
#include "testutil.h"
#include "transport/tls_ecdsa_own.h"
#include "transport/tls_ecdsa_sign.h"
#include "transport/tls_engine.h"

int __real_sipc_kernel_random_block(unsigned char *out, unsigned int sz);
int __wrap_sipc_kernel_random_block(unsigned char *out, unsigned int sz);

static int constant_random; /* 1: the generator returns 0x5c bytes */

int __wrap_sipc_kernel_random_block(unsigned char *out, unsigned int sz)
{
    if (constant_random) {
        memset(out, 0x5c, sz);
        return 0;
    }
    return __real_sipc_kernel_random_block(out, sz);
}

static WC_RNG g_rng;

static void unhex(uint8_t *out, const char *hex, size_t n)
{
    assert_int_equal(tu_unhex(hex, out, n), 0);
}

static void random_bytes(uint8_t *p, size_t n)
{
    assert_int_equal(wc_RNG_GenerateBlock(&g_rng, p, (word32)n), 0);
}

/* RFC 6979, A.2.5: the P-256 key */
#define RFC_X "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"
#define RFC_UX "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
#define RFC_UY "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299"

/* ... and its SHA-256 signatures: message, k, r, s */
static const char *const rfc_sigs[][4] = {
    {"sample", "A6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60",
     "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
     "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"},
    {"test", "D16B6AE827F17175E040871A1C7EC3500192C4C92677336EC2537ACAEE0008E0",
     "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367",
     "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"},
};

/* A P-256 key as the engine is given it, and what verifies with it. */
typedef struct node_key {
    ecc_key key;
    uint8_t der[256];
    size_t der_len;
    sipc_ecdsa_own *own;
} node_key;

/* der: SEC 1 with the public key (pkcs8 0) or PKCS#8 without it (1) */
static void key_der(node_key *k, int pkcs8)
{
    int n = wc_EccKeyToDer(&k->key, k->der, sizeof k->der);
    assert_true(n > 0);
    if (pkcs8) {
        uint8_t sec1[256];
        memcpy(sec1, k->der, (size_t)n);
        word32 out = sizeof k->der;
        n = wc_EccPrivateKeyToPKCS8(&k->key, k->der, &out);
        assert_true(n > 0 && (word32)n == out && memcmp(k->der, sec1, 16) != 0);
    }
    k->der_len = (size_t)n;
    assert_int_equal(sipc_ecdsa_own_new(&k->own, k->der, k->der_len), 0);
    if (SIPC_TLS_ECDSA_OWN)
        assert_non_null(k->own);
}

static void rfc_key(node_key *k, int pkcs8)
{
    uint8_t x[32], pub[65] = {0x04};
    unhex(x, RFC_X, 32);
    unhex(pub + 1, RFC_UX, 32);
    unhex(pub + 33, RFC_UY, 32);
    assert_int_equal(wc_ecc_init(&k->key), 0);
    assert_int_equal(
        wc_ecc_import_private_key_ex(x, sizeof x, pub, sizeof pub, &k->key, ECC_SECP256R1), 0);
    key_der(k, pkcs8);
}

static void new_key(node_key *k, int curve_bytes, int curve)
{
    assert_int_equal(wc_ecc_init(&k->key), 0);
    assert_int_equal(wc_ecc_make_key_ex(&g_rng, curve_bytes, &k->key, curve), 0);
    key_der(k, 0);
}

static void key_free(node_key *k)
{
    sipc_ecdsa_own_free(k->own);
    wc_ecc_free(&k->key);
}

/* sipc_ecdsa_sign_node with k's DER and own; the signature's length */
static size_t sign(const node_key *k, const sipc_ecdsa_own *own, const uint8_t *h, size_t hl,
                   uint8_t sig[80])
{
    size_t n = 80;
    assert_int_equal(sipc_ecdsa_sign_node(k->der, k->der_len, h, hl, &g_rng, own, sig, &n), 0);
    assert_true(n > 8 && n <= 72);
    return n;
}

static int verifies(node_key *k, const uint8_t *sig, size_t n, const uint8_t *h, size_t hl)
{
    int ok = 0;
    assert_int_equal(wc_ecc_verify_hash(sig, (word32)n, h, (word32)hl, &ok, &k->key), 0);
    return ok;
}

/* r of a DER signature, 32 bytes big-endian */
static void sig_r(const uint8_t *sig, size_t n, uint8_t r[32])
{
    uint8_t rb[80], sb[80];
    word32 rl = sizeof rb, sl = sizeof sb;
    assert_int_equal(wc_ecc_sig_to_rs(sig, (word32)n, rb, &rl, sb, &sl), 0);
    assert_true(rl <= 32);
    memset(r, 0, 32);
    memcpy(r + 32 - rl, rb, rl);
}

static void skip_unless_deterministic(void)
{
    if (!SIPC_TLS_ECDSA_DETERMINISTIC) {
        node_key k;
        rfc_key(&k, 0);
        uint8_t h[32] = {1}, sig[80];
        size_t n = sizeof sig;
        assert_int_equal(sipc_ecdsa_sign_node(k.der, k.der_len, h, 32, &g_rng, k.own, sig, &n),
                         SIPC_ENOTSUP);
        key_free(&k);
        skip();
    }
}

/* RFC 6979 A.2.5, P-256 with SHA-256: the very r and s, from the key as
 * SEC 1 and as PKCS#8 DER. Debian's libwolfssl (the _VARIANT) gives the
 * same for these hashes, both below n. */
static void t_rfc6979_vectors(void **state)
{
    (void)state;
    skip_unless_deterministic();
    for (int pkcs8 = 0; pkcs8 < 2; pkcs8++) {
        node_key k;
        rfc_key(&k, pkcs8);
        for (size_t v = 0; v < sizeof rfc_sigs / sizeof rfc_sigs[0]; v++) {
            uint8_t h[32], r[32], s[32], sig[80], want[80];
            assert_int_equal(wc_Sha256Hash((const byte *)rfc_sigs[v][0],
                                           (word32)strlen(rfc_sigs[v][0]), h), 0);
            unhex(r, rfc_sigs[v][2], 32);
            unhex(s, rfc_sigs[v][3], 32);
            word32 wl = sizeof want;
            assert_int_equal(wc_ecc_rs_raw_to_sig(r, 32, s, 32, want, &wl), 0);
            size_t n = sign(&k, k.own, h, sizeof h, sig);
            assert_int_equal(n, wl);
            assert_memory_equal(sig, want, n);
        }
        key_free(&k);
    }
}

/* The same hash, the same signature (the nonce no longer comes from the
 * generator), and it verifies; another hash, another r. Hashes of other
 * lengths (SHA-1's, SHA-224's, SHA-384's, SHA-512's) are signed as ECDSA
 * on P-256 reads them, their leftmost 256 bits as a number: the signature
 * verifies against the whole hash. */
static void t_same_hash_same_signature(void **state)
{
    (void)state;
    skip_unless_deterministic();
    node_key k;
    new_key(&k, 32, ECC_SECP256R1);
    uint8_t h[64], sig1[80], sig2[80], r1[32], r2[32];
    random_bytes(h, sizeof h);
    size_t n1 = sign(&k, k.own, h, 32, sig1), n2 = sign(&k, k.own, h, 32, sig2);
    assert_int_equal(n1, n2);
    assert_memory_equal(sig1, sig2, n1);
    assert_true(verifies(&k, sig1, n1, h, 32));
    h[31] ^= 1;
    n2 = sign(&k, k.own, h, 32, sig2);
    assert_true(verifies(&k, sig2, n2, h, 32));
    sig_r(sig1, n1, r1);
    sig_r(sig2, n2, r2);
    assert_memory_not_equal(r1, r2, 32);

    static const size_t lens[] = {20, 28, 48, 64};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        n1 = sign(&k, k.own, h, lens[i], sig1);
        assert_true(verifies(&k, sig1, n1, h, lens[i]));
        n2 = sign(&k, k.own, h, lens[i], sig2);
        assert_memory_equal(sig1, sig2, n1);
    }
    /* a longer hash is its first 32 bytes; a shorter one the number it is */
    n1 = sign(&k, k.own, h, 64, sig1);
    n2 = sign(&k, k.own, h, 32, sig2);
    assert_int_equal(n1, n2);
    assert_memory_equal(sig1, sig2, n1);
    uint8_t padded[32] = {0};
    memcpy(padded + 12, h, 20);
    n1 = sign(&k, k.own, h, 20, sig1);
    n2 = sign(&k, k.own, padded, 32, sig2);
    assert_memory_equal(sig1, sig2, n1);
    key_free(&k);
}

/* A generator that returns the same bytes every time: wolfCrypt's own
 * signing then signs two hashes with one nonce (the same r: the key is
 * lost), the node's signing does not. Only the bundled wolfSSL draws its
 * bytes from the wrapped function. */
static void t_constant_generator(void **state)
{
    (void)state;
#if !defined(SIPC_TEST_BUNDLED_WOLFSSL)
    skip();
#else
    skip_unless_deterministic();
    node_key k;
    new_key(&k, 32, ECC_SECP256R1);
    uint8_t h1[32], h2[32], sig1[80], sig2[80], r1[32], r2[32];
    random_bytes(h1, sizeof h1);
    random_bytes(h2, sizeof h2);
    constant_random = 1;
    word32 l1 = sizeof sig1, l2 = sizeof sig2;
    assert_int_equal(wc_ecc_sign_hash(h1, 32, sig1, &l1, &g_rng, &k.key), 0);
    assert_int_equal(wc_ecc_sign_hash(h2, 32, sig2, &l2, &g_rng, &k.key), 0);
    sig_r(sig1, l1, r1);
    sig_r(sig2, l2, r2);
    assert_memory_equal(r1, r2, 32); /* the hazard is real */
    size_t n1 = sign(&k, k.own, h1, 32, sig1), n2 = sign(&k, k.own, h2, 32, sig2);
    constant_random = 0;
    sig_r(sig1, n1, r1);
    sig_r(sig2, n2, r2);
    assert_memory_not_equal(r1, r2, 32);
    assert_true(verifies(&k, sig1, n1, h1, 32));
    assert_true(verifies(&k, sig2, n2, h2, 32));
    key_free(&k);
#endif
}

/* A signature that does not verify with our key never leaves: here the
 * check is given another key's verifier, as a faulty signature would fail
 * it. Keys that are not P-256, hashes of no or too many bytes and too
 * little room are refused. */
static void t_checked_and_refused(void **state)
{
    (void)state;
    skip_unless_deterministic();
    node_key a, b, p384;
    new_key(&a, 32, ECC_SECP256R1);
    new_key(&b, 32, ECC_SECP256R1);
    uint8_t h[65], sig[80];
    random_bytes(h, sizeof h);
    size_t n = sizeof sig;
    memset(sig, 0xee, sizeof sig);
    assert_int_equal(sipc_ecdsa_sign_node(a.der, a.der_len, h, 32, &g_rng, b.own, sig, &n),
                     SIPC_ETLS);
    for (size_t i = 0; i < sizeof sig; i++)
        assert_int_equal(sig[i], 0); /* nothing of it left where wolfSSL would send it */
    unsigned long before = sipc_ecdsa_sign_count();
    (void)sign(&a, a.own, h, 32, sig);
    assert_int_equal(sipc_ecdsa_sign_count(), before + 1);

    assert_int_equal(wc_ecc_init(&p384.key), 0);
    assert_int_equal(wc_ecc_make_key_ex(&g_rng, 48, &p384.key, ECC_SECP384R1), 0);
    int dl = wc_EccKeyToDer(&p384.key, p384.der, sizeof p384.der);
    assert_true(dl > 0);
    n = sizeof sig;
    assert_int_equal(sipc_ecdsa_sign_node(p384.der, (size_t)dl, h, 32, &g_rng, a.own, sig, &n),
                     SIPC_EINVAL);
    wc_ecc_free(&p384.key);
    n = sizeof sig;
    assert_int_equal(sipc_ecdsa_sign_node(a.der, a.der_len, h, 0, &g_rng, a.own, sig, &n),
                     SIPC_EINVAL);
    assert_int_equal(sipc_ecdsa_sign_node(a.der, a.der_len, h, 65, &g_rng, a.own, sig, &n),
                     SIPC_EINVAL);
    assert_int_equal(sipc_ecdsa_sign_node(a.der, a.der_len, h, 32, &g_rng, NULL, sig, &n),
                     SIPC_EINVAL);
    n = 40;
    assert_int_equal(sipc_ecdsa_sign_node(a.der, a.der_len, h, 32, &g_rng, a.own, sig, &n),
                     SIPC_EINVAL);
    key_free(&a);
    key_free(&b);
}

/* Signing keeps nothing on the heap: wolfCrypt's SP code leaves the block
 * that held the nonce (three of its four words) allocated, unless
 * tls_ecdsa_sign.c wipes and frees it. (AddressSanitizer's allocator keeps
 * no mallinfo2 count; its leak check finds such a block instead.) */
static void t_no_heap_left(void **state)
{
    (void)state;
    skip_unless_deterministic();
    node_key k;
    new_key(&k, 32, ECC_SECP256R1);
    uint8_t h[32], sig[80];
    random_bytes(h, sizeof h);
    (void)sign(&k, k.own, h, sizeof h, sig); /* wolfCrypt's first-use tables */
    long before = (long)mallinfo2().uordblks;
    for (int i = 0; i < 64; i++) {
        h[0] = (uint8_t)i;
        (void)sign(&k, k.own, h, sizeof h, sig);
    }
    long grew = (long)mallinfo2().uordblks - before;
#if defined(__SANITIZE_ADDRESS__)
    grew = 0;
#endif
    if (grew > 1024)
        fail_msg("64 signatures left %ld bytes allocated", grew);
    key_free(&k);
}

typedef struct sign_job {
    const node_key *k;
    const uint8_t *h;
    int rc;
} sign_job;

static void *sign_on_thread(void *arg)
{
    sign_job *j = arg;
    uint8_t sig[80];
    size_t n = sizeof sig;
    j->rc = sipc_ecdsa_sign_node(j->k->der, j->k->der_len, j->h, 32, &g_rng, j->k->own, sig, &n);
#ifdef FP_ECC
    /* Debian's wolfCrypt caches a table of the base point per thread; a
     * thread that ends without this leaves it allocated */
    wc_ecc_fp_free();
#endif
    return NULL;
}

/* A signature made on a thread of its own leaves none of the nonce (RFC
 * 6979's k for "sample", which with r, s and the hash gives the key away)
 * nor the key on that thread's stack, in either byte order. (Not under
 * AddressSanitizer, which keeps frames of its own.) */
static void t_nothing_left(void **state)
{
    (void)state;
    skip_unless_deterministic();
    node_key k;
    rfc_key(&k, 1);
    uint8_t h[32], secrets[2][32];
    assert_int_equal(wc_Sha256Hash((const byte *)"sample", 6, h), 0);
    unhex(secrets[0], rfc_sigs[0][1], 32);
    unhex(secrets[1], RFC_X, 32);
    const size_t stack_len = 1u << 20;
    sign_job j = {.k = &k, .h = h, .rc = -1};
    uint8_t *stack;
    assert_int_equal(tu_run_on_stack(sign_on_thread, &j, stack_len, &stack), 0);
    assert_int_equal(j.rc, 0);
#if !defined(__SANITIZE_ADDRESS__)
    for (int i = 0; i < 2; i++) {
        uint8_t le[32];
        for (size_t b = 0; b < sizeof le; b++)
            le[b] = secrets[i][sizeof le - 1 - b];
        int nb = tu_count_in(stack, stack_len, secrets[i], 32);
        int nl = tu_count_in(stack, stack_len, le, 32);
        if (nb || nl)
            fail_msg("the signing thread's stack still holds the %s: %d copies big-endian, "
                     "%d little-endian", i ? "private key" : "nonce", nb, nl);
    }
#endif
    tu_stack_free(stack, stack_len);
    key_free(&k);
}

/* --version (sipc_tls_engine_version) names the nonces this build's
 * signatures take, and only one kind: RFC 6979's in the bundled build. */
static void t_version_names_nonces(void **state)
{
    (void)state;
    const char *v = sipc_tls_engine_version();
    const char *det = strstr(v, " ecdsa-rfc6979"), *rnd = strstr(v, " ecdsa-random-nonce");
    assert_true(!det != !rnd);
    assert_int_equal(!!det, SIPC_TLS_ECDSA_DETERMINISTIC);
#if defined(SIPC_TEST_BUNDLED_WOLFSSL)
    assert_non_null(det);
    assert_null(strstr(v, " ecdsa-rfc6979-variant"));
#endif
}

int main(void)
{
    if (wc_InitRng(&g_rng) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_rfc6979_vectors),
        cmocka_unit_test(t_same_hash_same_signature),
        cmocka_unit_test(t_constant_generator),
        cmocka_unit_test(t_checked_and_refused),
        cmocka_unit_test(t_nothing_left),
        cmocka_unit_test(t_no_heap_left),
        cmocka_unit_test(t_version_names_nonces),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    wc_FreeRng(&g_rng);
    return r;
}
