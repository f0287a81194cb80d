/* test_aes_gcm.c - sipc's AES-GCM (base/aes_gcm.c): the GCM
 * specification's test cases, the same ciphertexts and tags as wolfCrypt
 * for every length up to a few blocks past each loop's edge and for
 * TLS-record sizes, in place and not, through every loop the CPU runs (the
 * 128-bit one on AES-NI and PCLMULQDQ always; the 256-bit one where it has
 * VAES and VPCLMULQDQ; the 512-bit one where it also has AVX-512), and a
 * refusal (with the output wiped) of every tampered byte, through each loop
 * too. Where the CPU lacks AES-NI, PCLMULQDQ or AVX, the comparisons are
 * skipped and only the detection is checked. And the self-test that keeps
 * the wider loops out of use where they disagree with the 128-bit one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>

#include "base/aes_gcm.h"
#include "base/cpu_features.h"
#include "sipc/errno.h"
#include "testutil.h"

/* The kernel's word for the CPU (-1: it cannot tell, or valgrind is in
 * between): what the 128-bit code needs, and what the 256-bit code adds. */
static int cpu_has_gcm(void)
{
    static const char *const flags[] = {"aes", "pclmulqdq", "ssse3", "sse4_1", "avx", NULL};
    return tu_cpu_has(flags);
}

static int cpu_has_vaes_gcm(void)
{
    static const char *const flags[] = {"aes",  "pclmulqdq", "ssse3",      "sse4_1", "avx",
                                        "avx2", "vaes",      "vpclmulqdq", NULL};
    return tu_cpu_has(flags);
}

static void detection_agrees_with_the_kernel(void **state)
{
    (void)state;
    int k = cpu_has_gcm(), kv = cpu_has_vaes_gcm();
    if (k < 0 || kv < 0)
        skip();
    assert_int_equal(sipc_aes_gcm_available(), k);
    assert_int_equal(sipc_aes_gcm_vaes_available(), kv);
}

/* --version's CPU list (sipc_cpu_features_text) names every extension the
 * AES-GCM choice depends on: a CPU with AES-NI and PCLMULQDQ but no AVX
 * (which the 128-bit loop needs) reads so, and on this CPU the list holds
 * aes, pclmul, sse4.1 and avx exactly when sipc's AES-GCM runs. */
static void cpu_text_names_what_gcm_needs(void **state)
{
    (void)state;
    char t[80];
    assert_string_equal(sipc_cpu_features_text(0, t, sizeof t), "");
    assert_string_equal(
        sipc_cpu_features_text(SIPC_CPU_AES | SIPC_CPU_PCLMUL | SIPC_CPU_SSE41, t, sizeof t),
        " aes pclmul sse4.1");
    assert_string_equal(sipc_cpu_features_text(SIPC_CPU_AES | SIPC_CPU_PCLMUL | SIPC_CPU_SSE41 |
                                                   SIPC_CPU_AVX,
                                               t, sizeof t),
                        " aes pclmul sse4.1 avx");
    assert_string_equal(sipc_cpu_features_text(~0u, t, sizeof t),
                        " aes pclmul sse4.1 avx avx2 sha vaes avx512");
    char cut[12];
    assert_string_equal(sipc_cpu_features_text(~0u, cut, sizeof cut), " aes pclmul");
    sipc_cpu_features_text(sipc_cpu_features(), t, sizeof t);
    strcat(t, " ");
    int listed = strstr(t, " aes ") && strstr(t, " pclmul ") && strstr(t, " sse4.1 ") &&
                 strstr(t, " avx ");
    assert_int_equal(listed, sipc_aes_gcm_available());
}

/* A key starts with the widest loop the kernel says the CPU runs: 512 bits
 * with VAES and AVX-512 F, BW and VL, 256 with VAES, else 128. */
static void widest_loop_where_the_kernel_says(void **state)
{
    (void)state;
    static const char *const flags[] = {"avx512f", "avx512bw", "avx512vl", NULL};
    int k512 = tu_cpu_has(flags), kv = cpu_has_vaes_gcm();
    if (k512 < 0 || kv < 0 || !sipc_aes_gcm_available())
        skip();
    sipc_aes_gcm g;
    uint8_t key[16] = {0};
    assert_int_equal(sipc_aes_gcm_init(&g, key, sizeof key), 0);
    assert_int_equal(g.width, kv ? (k512 ? 512 : 256) : 128);
}

static void init_refuses_other_key_sizes(void **state)
{
    (void)state;
    if (!sipc_aes_gcm_available())
        skip();
    sipc_aes_gcm g;
    uint8_t key[32] = {0};
    assert_int_equal(sipc_aes_gcm_init(&g, key, 24), SIPC_EINVAL);
    assert_int_equal(sipc_aes_gcm_init(&g, key, 0), SIPC_EINVAL);
    assert_int_equal(sipc_aes_gcm_init(&g, key, 16), 0);
    assert_int_equal(sipc_aes_gcm_init(&g, key, 32), 0);
}

/* The widest loop a key takes on this CPU: every comparison runs through
 * it and each narrower one. */
static int widest(void)
{
    sipc_aes_gcm probe;
    uint8_t zero[16] = {0};
    assert_int_equal(sipc_aes_gcm_init(&probe, zero, sizeof zero), 0);
    return probe.width;
}

/* wolfCrypt's answer: the reference for every comparison */
static void wolf_seal(const uint8_t *key, size_t klen, const uint8_t iv[12], const uint8_t *aad,
                      size_t alen, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
    Aes aes;
    assert_int_equal(wc_AesInit(&aes, NULL, INVALID_DEVID), 0);
    assert_int_equal(wc_AesGcmSetKey(&aes, key, (word32)klen), 0);
    assert_int_equal(wc_AesGcmEncrypt(&aes, out, len ? in : (const uint8_t *)"", (word32)len, iv,
                                      12, tag, 16, alen ? aad : NULL, (word32)alen),
                     0);
    wc_AesFree(&aes);
}

/* McGrew and Viega, "The Galois/Counter Mode of Operation", appendix B:
 * test cases 2-4 (AES-128) and 14-16 (AES-256), 96-bit IVs. */
static const struct {
    const char *key, *iv, *pt, *aad, *ct, *tag;
} vectors[] = {
    {"00000000000000000000000000000000", "000000000000000000000000",
     "00000000000000000000000000000000", "", "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"},
    {"feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b5"
     "25b16aedf5aa0de657ba637b391aafd255",
     "",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa"
     "051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    {"feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b5"
     "25b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa"
     "051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     "00000000000000000000000000000000", "", "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"},
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b5"
     "25b16aedf5aa0de657ba637b391aafd255",
     "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838"
     "c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b5"
     "25b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838"
     "c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

static void spec_vectors(void **state)
{
    (void)state;
    int have = sipc_aes_gcm_available();
    for (size_t v = 0; v < sizeof vectors / sizeof vectors[0]; v++) {
        uint8_t key[32], iv[12], pt[64], aad[20], ct[64], tag[16], out[64], otag[16];
        size_t klen = strlen(vectors[v].key) / 2, len = strlen(vectors[v].pt) / 2,
               alen = strlen(vectors[v].aad) / 2;
        assert_int_equal(tu_unhex(vectors[v].key, key, klen), 0);
        assert_int_equal(tu_unhex(vectors[v].iv, iv, 12), 0);
        assert_int_equal(tu_unhex(vectors[v].pt, pt, len), 0);
        assert_int_equal(tu_unhex(vectors[v].aad, aad, alen), 0);
        assert_int_equal(tu_unhex(vectors[v].ct, ct, len), 0);
        assert_int_equal(tu_unhex(vectors[v].tag, tag, 16), 0);
        /* the vectors as written, by wolfCrypt first */
        wolf_seal(key, klen, iv, aad, alen, pt, len, out, otag);
        assert_memory_equal(out, ct, len);
        assert_memory_equal(otag, tag, 16);
        if (!have)
            continue;
        sipc_aes_gcm g;
        assert_int_equal(sipc_aes_gcm_init(&g, key, klen), 0);
        for (int width = g.width; width >= 128; width /= 2) {
            g.width = width;
            memset(out, 0, sizeof out);
            assert_int_equal(sipc_aes_gcm_seal(&g, iv, aad, alen, pt, len, out, otag), 0);
            assert_memory_equal(out, ct, len);
            assert_memory_equal(otag, tag, 16);
            assert_int_equal(sipc_aes_gcm_open(&g, iv, aad, alen, ct, len, tag, out), 0);
            assert_memory_equal(out, pt, len);
        }
    }
    if (!have)
        skip();
}

/* xorshift: the same bytes in every run */
static uint64_t rng = 0x9e3779b97f4a7c15u;
static void fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        p[i] = (uint8_t)rng;
    }
}

/* seal and open of one message against wolfCrypt, apart and in place;
 * every buffer exactly as long as its contents, so that ASan sees a read or
 * write past any of them */
static void compare_one(size_t klen, size_t alen, size_t len, int width)
{
    uint8_t key[32], iv[12], tag[16], wtag[16];
    const size_t sz = len ? len : 1;
    uint8_t *pt = malloc(sz), *ct = malloc(sz), *wct = malloc(sz), *buf = malloc(sz),
            *aad = malloc(alen ? alen : 1);
    assert_non_null(aad);
    assert_non_null(pt);
    assert_non_null(ct);
    assert_non_null(wct);
    assert_non_null(buf);
    fill(key, klen);
    fill(iv, 12);
    fill(aad, alen);
    fill(pt, len);
    sipc_aes_gcm g;
    assert_int_equal(sipc_aes_gcm_init(&g, key, klen), 0);
    g.width = width;
    wolf_seal(key, klen, iv, aad, alen, pt, len, wct, wtag);
    assert_int_equal(sipc_aes_gcm_seal(&g, iv, aad, alen, pt, len, ct, tag), 0);
    if (memcmp(ct, wct, len) != 0 || memcmp(tag, wtag, 16) != 0)
        fail_msg("AES-%zu-GCM (%d-bit loop), %zu bytes of AAD, %zu bytes: not wolfCrypt's answer",
                 klen * 8, width, alen, len);
    assert_int_equal(sipc_aes_gcm_open(&g, iv, aad, alen, ct, len, tag, buf), 0);
    assert_memory_equal(buf, pt, len);
    /* in place */
    memcpy(buf, pt, len);
    assert_int_equal(sipc_aes_gcm_seal(&g, iv, aad, alen, buf, len, buf, tag), 0);
    assert_memory_equal(buf, wct, len);
    assert_memory_equal(tag, wtag, 16);
    assert_int_equal(sipc_aes_gcm_open(&g, iv, aad, alen, buf, len, tag, buf), 0);
    assert_memory_equal(buf, pt, len);
    free(pt);
    free(ct);
    free(wct);
    free(buf);
    free(aad);
}

static void same_as_wolfcrypt(void **state)
{
    (void)state;
    if (!sipc_aes_gcm_available())
        skip();
    /* around a block, a pair of them, the 8-block turn of the 128-bit loop
     * (128 bytes), the 16-block turn of the 256-bit one (256 bytes) and two
     * turns; for the 512-bit loop its 32-block turn (512 bytes) and two */
    static const size_t alens[] = {0, 1, 13, 15, 16, 17, 127, 128, 129, 255, 256, 257, 300, 511, 512, 513, 600};
    for (int width = widest(); width >= 128; width /= 2) {
        const int wide = width == 512;
        for (size_t k = 16; k <= 32; k += 16) {
            for (size_t a = 0; a < sizeof alens / sizeof alens[0]; a++)
                for (size_t len = wide ? 480 : 0; len <= (wide ? 1100u : 800u); len++)
                    compare_one(k, alens[a], len, width);
            /* TLS records: the largest plaintext, and around it; 3,300
             * bytes, a 64 B x 32 window's record */
            static const size_t big[] = {1023, 1024, 1535, 3300, 4096, 16383, 16384, 16385, 65536 + 7};
            for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
                compare_one(k, 13, big[i], width);
        }
    }
}

/* Every byte of ciphertext, tag, AAD and IV, one bit flipped: refused, and
 * the output is all zeros; through the loop of the given width, a message of
 * len bytes (1100: two turns of the widest loop and a tail; up to 112: a
 * TLS record's short path on the 128-bit width). */
static void refuse_tampering(int width, size_t len)
{
    enum { MAXLEN = 1100, ALEN = 13 };
    assert_true(len >= 1 && len <= MAXLEN);
    uint8_t key[16], iv[12], aad[ALEN], pt[MAXLEN], ct[MAXLEN], tag[16], out[MAXLEN],
        zero[MAXLEN] = {0};
    fill(key, sizeof key);
    fill(iv, sizeof iv);
    fill(aad, sizeof aad);
    fill(pt, sizeof pt);
    sipc_aes_gcm g;
    assert_int_equal(sipc_aes_gcm_init(&g, key, sizeof key), 0);
    g.width = width;
    assert_int_equal(sipc_aes_gcm_seal(&g, iv, aad, ALEN, pt, len, ct, tag), 0);
    uint8_t *parts[] = {ct, tag, aad, iv};
    size_t sizes[] = {len, 16, ALEN, 12};
    for (int p = 0; p < 4; p++) {
        for (size_t i = 0; i < sizes[p]; i++) {
            parts[p][i] ^= (uint8_t)(1u << (i % 8));
            memset(out, 0xa5, sizeof out);
            assert_int_equal(sipc_aes_gcm_open(&g, iv, aad, ALEN, ct, len, tag, out), SIPC_EFORMAT);
            assert_memory_equal(out, zero, len);
            parts[p][i] ^= (uint8_t)(1u << (i % 8));
        }
    }
    /* a shorter AAD or message under the same tag */
    assert_int_equal(sipc_aes_gcm_open(&g, iv, aad, ALEN - 1, ct, len, tag, out), SIPC_EFORMAT);
    assert_int_equal(sipc_aes_gcm_open(&g, iv, aad, ALEN, ct, len - 1, tag, out), SIPC_EFORMAT);
    assert_int_equal(sipc_aes_gcm_open(&g, iv, aad, ALEN, ct, len, tag, out), 0);
    assert_memory_equal(out, pt, len);
    /* in place, tampered: the buffer is wiped */
    uint8_t inplace[MAXLEN];
    memcpy(inplace, ct, len);
    inplace[len - 1] ^= 1;
    assert_int_equal(sipc_aes_gcm_open(&g, iv, aad, ALEN, inplace, len, tag, inplace), SIPC_EFORMAT);
    assert_memory_equal(inplace, zero, len);
    /* longer than GCM's 32-bit counter allows: refused before anything is
     * read */
    if (sizeof(size_t) > 4) {
        size_t huge = (size_t)SIPC_AES_GCM_MAX_LEN + 1;
        assert_int_equal(sipc_aes_gcm_seal(&g, iv, aad, ALEN, pt, huge, out, tag), SIPC_EINVAL);
        assert_int_equal(sipc_aes_gcm_open(&g, iv, aad, ALEN, ct, huge, tag, out), SIPC_EINVAL);
    }
}

static void tampering_is_refused(void **state)
{
    (void)state;
    if (!sipc_aes_gcm_available())
        skip();
    static const size_t lens[] = {1100, 1, 15, 16, 17, 100, 111, 112, 113};
    for (int width = widest(); width >= 128; width /= 2)
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
            refuse_tampering(width, lens[i]);
}

/* The self-test of the wider loops (sipc_aes_gcm_width): through every
 * loop this CPU runs it agrees with the known tags, and the process uses
 * the CPU's widest. */
static void self_test_passes(void **state)
{
    (void)state;
    if (!sipc_aes_gcm_available())
        skip();
    for (int width = 128; width <= 512; width *= 2)
        assert_int_equal(sipc_aes_gcm_self_test(width), 0);
    assert_int_equal(sipc_aes_gcm_wide_failed(), 0);
    assert_int_equal(sipc_aes_gcm_width(), widest());
    assert_int_equal(sipc_aes_gcm_width(), sipc_aes_gcm_vaes_available()
                                               ? ((sipc_cpu_features() & SIPC_CPU_AVX512) ? 512 : 256)
                                               : 128);
}

/* A wider loop whose result differs from the 128-bit one's (made so
 * through the test-only entry, as if this CPU had that loop) is not used:
 * the width is capped at 128 for the process, keys start at 128 and a key
 * asking for more gets 128, and the CPU list says so within --version's 64
 * bytes. Chosen again without the fault, the CPU's own width comes back. */
static void self_test_failure_caps_the_width(void **state)
{
    (void)state;
    if (!sipc_aes_gcm_available())
        skip();
    const int hw = widest();
    char t[64];
    const unsigned all = SIPC_CPU_AES | SIPC_CPU_PCLMUL | SIPC_CPU_SSE41 | SIPC_CPU_AVX |
                         SIPC_CPU_AVX2 | SIPC_CPU_SHA | SIPC_CPU_VAES | SIPC_CPU_AVX512;
    for (int pretend = 256; pretend <= 512; pretend *= 2) {
        assert_int_equal(sipc__aes_gcm_test_choose(pretend, 1), 128);
        assert_int_equal(sipc_aes_gcm_wide_failed(), pretend);
        assert_int_equal(sipc_aes_gcm_width(), 128);
        assert_int_equal(widest(), 128);
        assert_string_equal(sipc_cpu_features_text(all, t, sizeof t),
                            " aes pclmul sse4.1 avx avx2 sha vaes avx512 (self-test failed)");
        assert_string_equal(sipc_cpu_features_text(all & ~SIPC_CPU_AVX512, t, sizeof t),
                            " aes pclmul sse4.1 avx avx2 sha vaes (self-test failed)");
        /* without vaes there is nothing to mark */
        assert_string_equal(sipc_cpu_features_text(SIPC_CPU_AES | SIPC_CPU_AVX2, t, sizeof t),
                            " aes avx2");
        /* a key set to a wider loop is held to the process's width (on
         * this CPU, a loop it lacks would fault): wolfCrypt's result */
        static const uint8_t key[16] = {7}, iv[12] = {8};
        uint8_t in[1357], out[1357], ref[1357], tag[16], rtag[16];
        for (size_t i = 0; i < sizeof in; i++)
            in[i] = (uint8_t)(i * 13);
        sipc_aes_gcm g;
        assert_int_equal(sipc_aes_gcm_init(&g, key, sizeof key), 0);
        assert_int_equal(g.width, 128);
        g.width = 512;
        assert_int_equal(sipc_aes_gcm_seal(&g, iv, NULL, 0, in, sizeof in, out, tag), 0);
        wolf_seal(key, sizeof key, iv, NULL, 0, in, sizeof in, ref, rtag);
        assert_memory_equal(out, ref, sizeof out);
        assert_memory_equal(tag, rtag, sizeof tag);
    }
    /* the same pretence without the fault passes, and uses no more than
     * this CPU runs */
    assert_int_equal(sipc__aes_gcm_test_choose(256, 0), hw < 256 ? hw : 256);
    assert_int_equal(sipc_aes_gcm_wide_failed(), 0);
    assert_null(strstr(sipc_cpu_features_text(~0u, t, sizeof t), "self-test"));
    assert_int_equal(sipc__aes_gcm_test_choose(0, 0), hw);
    assert_int_equal(widest(), hw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(detection_agrees_with_the_kernel),
        cmocka_unit_test(init_refuses_other_key_sizes),
        cmocka_unit_test(widest_loop_where_the_kernel_says),
        cmocka_unit_test(cpu_text_names_what_gcm_needs),
        cmocka_unit_test(spec_vectors),
        cmocka_unit_test(same_as_wolfcrypt),
        cmocka_unit_test(tampering_is_refused),
        cmocka_unit_test(self_test_passes),
        /* last: it changes the process's width, then puts it back */
        cmocka_unit_test(self_test_failure_caps_the_width),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
