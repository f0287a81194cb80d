/* test_sha256_dev.c - SHA-256 on the CPU's SHA extensions
 * (base/sha256_shani.c) and the wolfCrypt device that runs every SHA-256 of
 * the bundled wolfSSL on it (transport/tls_sha256_dev.c): FIPS 180-4 and
 * RFC 4231 vectors, and digests equal to wolfCrypt's own code for every
 * length, split and state (copies, reuse after a final, a 32-bit length
 * carry). Linked with --wrap=sipc_sha256_shani_blocks, which counts the block
 * function's calls: where the CPU has the extensions, wolfCrypt's hashing
 * must reach it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "base/sha256_shani.h"
#include "testutil.h"
#include "transport/tls_sha256_dev.h"

void __real_sipc_sha256_shani_blocks(uint32_t state[8], const uint8_t *data, size_t nblocks);
void __wrap_sipc_sha256_shani_blocks(uint32_t state[8], const uint8_t *data, size_t nblocks);

static unsigned long block_calls;

void __wrap_sipc_sha256_shani_blocks(uint32_t state[8], const uint8_t *data, size_t nblocks)
{
    block_calls++;
    __real_sipc_sha256_shani_blocks(state, data, nblocks);
}

/* The kernel's word for the CPU, unless valgrind (which hides the
 * extensions from CPUID and cannot run them) is in between. */
static int cpu_has_sha_ni(void)
{
    static const char *const flags[] = {"sha_ni", NULL};
    return tu_cpu_has(flags);
}

static int setup(void **state)
{
    (void)state;
    if (wolfSSL_Init() != WOLFSSL_SUCCESS)
        return -1;
    (void)sipc_tls_sha256_dev_register();
    return 0;
}

static void detection_agrees_with_the_kernel(void **state)
{
    (void)state;
    int has = cpu_has_sha_ni();
    if (has < 0)
        skip();
    assert_int_equal(sipc_sha256_shani_available(), has);
#if defined(SIPC_TEST_BUNDLED_WOLFSSL)
    /* the bundled build routes SHA-256 to the device wherever it can run */
    assert_int_equal(sipc_tls_sha256_dev_active(), has);
#else
    assert_int_equal(sipc_tls_sha256_dev_active(), 0);
#endif
}

/* The block function alone on FIPS 180-4's "abc", padded by hand, and two
 * blocks in one call equal to two calls. */
static void block_function(void **state)
{
    (void)state;
    if (!sipc_sha256_shani_available())
        skip();
    const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                            0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    uint8_t block[64] = {'a', 'b', 'c', 0x80};
    block[63] = 24; /* bits */
    uint32_t st[8];
    memcpy(st, iv, sizeof st);
    sipc_sha256_shani_blocks(st, block, 1);
    const uint32_t want[8] = {0xba7816bf, 0x8f01cfea, 0x414140de, 0x5dae2223,
                              0xb00361a3, 0x96177a9c, 0xb410ff61, 0xf20015ad};
    assert_memory_equal(st, want, sizeof want);

    uint8_t two[128];
    for (size_t i = 0; i < sizeof two; i++)
        two[i] = (uint8_t)(i * 7 + 3);
    uint32_t a[8], b[8];
    memcpy(a, iv, sizeof a);
    memcpy(b, iv, sizeof b);
    sipc_sha256_shani_blocks(a, two, 2);
    sipc_sha256_shani_blocks(b, two, 1);
    sipc_sha256_shani_blocks(b, two + 64, 1);
    assert_memory_equal(a, b, sizeof a);
}

static void sha256_of(const uint8_t *data, size_t len, size_t chunk, uint8_t out[32])
{
    wc_Sha256 s;
    assert_int_equal(wc_InitSha256(&s), 0);
    for (size_t off = 0; off < len;) {
        size_t n = len - off < chunk ? len - off : chunk;
        assert_int_equal(wc_Sha256Update(&s, data + off, (word32)n), 0);
        off += n;
    }
    assert_int_equal(wc_Sha256Final(&s, out), 0);
    wc_Sha256Free(&s);
}

static void fips_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *msg, *digest;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    unsigned long before = block_calls;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t want[32], got[32];
        assert_int_equal(tu_unhex(v[i].digest, want, sizeof want), 0);
        for (size_t chunk = 1; chunk <= 130; chunk += 43) {
            sha256_of((const uint8_t *)v[i].msg, strlen(v[i].msg), chunk, got);
            assert_memory_equal(got, want, sizeof want);
        }
    }
    /* a million 'a', in pieces that straddle the blocks */
    uint8_t *m = malloc(1000000);
    assert_non_null(m);
    memset(m, 'a', 1000000);
    uint8_t want[32], got[32];
    assert_int_equal(tu_unhex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", want, sizeof want), 0);
    sha256_of(m, 1000000, 999, got);
    assert_memory_equal(got, want, sizeof want);
    sha256_of(m, 1000000, 1000000, got);
    assert_memory_equal(got, want, sizeof want);
    free(m);
    if (sipc_tls_sha256_dev_active())
        assert_true(block_calls > before);
    else
        assert_int_equal(block_calls, before);
}

static void hmac_rfc4231(void **state)
{
    (void)state;
    uint8_t key6[131];
    memset(key6, 0xaa, sizeof key6);
    uint8_t key1[20];
    memset(key1, 0x0b, sizeof key1);
    static const char *data6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    const struct {
        const uint8_t *key;
        size_t klen;
        const char *data, *mac;
    } v[] = {
        {key1, sizeof key1, "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {(const uint8_t *)"Jefe", 4, "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {key6, sizeof key6, data6,
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        Hmac h;
        uint8_t want[32], got[32];
        assert_int_equal(tu_unhex(v[i].mac, want, sizeof want), 0);
        assert_int_equal(wc_HmacInit(&h, NULL, INVALID_DEVID), 0);
        assert_int_equal(wc_HmacSetKey(&h, WC_SHA256, v[i].key, (word32)v[i].klen), 0);
        /* twice with one key: the hash objects are reused after their final */
        for (int round = 0; round < 2; round++) {
            assert_int_equal(wc_HmacUpdate(&h, (const byte *)v[i].data, (word32)strlen(v[i].data)), 0);
            assert_int_equal(wc_HmacFinal(&h, got), 0);
            assert_memory_equal(got, want, sizeof want);
        }
        wc_HmacFree(&h);
    }
}

/* One run of updates over data with the split pattern of seed, a GetHash
 * and a Copy in the middle and a second message on the same object after
 * the final: every digest goes to out (4 x 32 bytes). */
static void scenario(const uint8_t *data, size_t len, unsigned seed, uint32_t lo_start,
                     uint8_t out[4][32])
{
    wc_Sha256 s, c;
    assert_int_equal(wc_InitSha256(&s), 0);
    s.loLen = lo_start; /* wolfCrypt's length counter: tests its carry */
    size_t off = 0, mid = len / 2;
    int copied = 0;
    while (off < len) {
        size_t n = 1 + (seed = seed * 1103515245u + 12345u) % 97u;
        if (n > len - off)
            n = len - off;
        assert_int_equal(wc_Sha256Update(&s, data + off, (word32)n), 0);
        off += n;
        if (!copied && off >= mid) {
            assert_int_equal(wc_Sha256GetHash(&s, out[0]), 0);
            assert_int_equal(wc_Sha256Copy(&s, &c), 0);
            copied = 1;
        }
    }
    if (!copied) {
        assert_int_equal(wc_Sha256GetHash(&s, out[0]), 0);
        assert_int_equal(wc_Sha256Copy(&s, &c), 0);
    }
    assert_int_equal(wc_Sha256Final(&s, out[1]), 0);
    assert_int_equal(wc_Sha256Update(&c, data, (word32)(len < 70 ? len : 70)), 0);
    assert_int_equal(wc_Sha256Final(&c, out[2]), 0);
    assert_int_equal(wc_Sha256Update(&s, data, (word32)len), 0); /* reused after the final */
    assert_int_equal(wc_Sha256Final(&s, out[3]), 0);
    wc_Sha256Free(&s);
    wc_Sha256Free(&c);
}

static void same_digests_as_wolfcrypt(void **state)
{
    (void)state;
    if (!sipc_tls_sha256_dev_active())
        skip(); /* wolfCrypt's own code is both sides */
    enum { MAXLEN = 1100 };
    uint8_t *data = malloc(MAXLEN);
    assert_non_null(data);
    for (size_t i = 0; i < MAXLEN; i++)
        data[i] = (uint8_t)(i * 131 + 7);
    static const uint32_t starts[] = {0, 0xffffffc0u, 0xfffffff9u};
    for (size_t len = 0; len <= MAXLEN; len += (len < 200 ? 1 : 37)) {
        for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++) {
            uint8_t dev[4][32], soft[4][32];
            unsigned seed = (unsigned)(len * 7 + k);
            scenario(data, len, seed, starts[k], dev);
            sipc_tls_sha256_dev_unregister();
            unsigned long before = block_calls;
            scenario(data, len, seed, starts[k], soft);
            assert_int_equal(block_calls, before); /* wolfCrypt's code really ran */
            assert_int_equal(sipc_tls_sha256_dev_register(), 1);
            if (memcmp(dev, soft, sizeof dev) != 0)
                fail_msg("digests differ from wolfCrypt's at length %zu, length start %#x", len,
                         starts[k]);
        }
    }
    free(data);
}

/* An object hashed by wolfCrypt's code before the device was registered
 * (sipc's fingerprints at start-up) and finished on the device, and the
 * other way round: the state is wolfCrypt's layout throughout. */
static void switch_mid_message(void **state)
{
    (void)state;
    if (!sipc_tls_sha256_dev_active())
        skip();
    uint8_t data[300], want[32], got[32];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 17 + 1);
    sha256_of(data, sizeof data, sizeof data, want);
    for (size_t cut = 0; cut <= sizeof data; cut += 7) {
        for (int dev_first = 0; dev_first < 2; dev_first++) {
            wc_Sha256 s;
            if (!dev_first)
                sipc_tls_sha256_dev_unregister();
            assert_int_equal(wc_InitSha256(&s), 0);
            assert_int_equal(wc_Sha256Update(&s, data, (word32)cut), 0);
            if (dev_first)
                sipc_tls_sha256_dev_unregister();
            else
                assert_int_equal(sipc_tls_sha256_dev_register(), 1);
            assert_int_equal(wc_Sha256Update(&s, data + cut, (word32)(sizeof data - cut)), 0);
            assert_int_equal(wc_Sha256Final(&s, got), 0);
            wc_Sha256Free(&s);
            if (dev_first)
                assert_int_equal(sipc_tls_sha256_dev_register(), 1);
            assert_true(sipc_tls_sha256_dev_active());
            if (memcmp(got, want, sizeof want) != 0)
                fail_msg("wrong digest when switching %s after %zu bytes",
                         dev_first ? "to wolfCrypt" : "to the device", cut);
        }
    }
}

/* After wolfSSL_Cleanup and a new wolfSSL_Init (which clears wolfCrypt's
 * device table) the device is registered again, and says so truly. */
static void register_after_reinit(void **state)
{
    (void)state;
    if (!sipc_sha256_shani_available())
        skip();
#if defined(SIPC_TEST_BUNDLED_WOLFSSL)
    assert_true(sipc_tls_sha256_dev_active());
    wolfSSL_Cleanup();
    assert_int_equal(wolfSSL_Init(), WOLFSSL_SUCCESS);
    assert_false(sipc_tls_sha256_dev_active());
    assert_int_equal(sipc_tls_sha256_dev_register(), 1);
    assert_true(sipc_tls_sha256_dev_active());
    assert_int_equal(sipc_tls_sha256_dev_register(), 1); /* again: harmless */
    assert_true(sipc_tls_sha256_dev_active());
#else
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(detection_agrees_with_the_kernel),
        cmocka_unit_test(block_function),
        cmocka_unit_test(fips_vectors),
        cmocka_unit_test(hmac_rfc4231),
        cmocka_unit_test(same_digests_as_wolfcrypt),
        cmocka_unit_test(switch_mid_message),
        cmocka_unit_test(register_after_reinit),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
