/* test_kernel_random.c - base/kernel_random.c, and that the bundled wolfSSL
 * draws every random byte from it.
 *
 * Linked with --wrap=sipc_kernel_random_block: every call of the block
 * function (wolfSSL's too) goes through __wrap_sipc_kernel_random_block,
 * which counts it and can make it fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>

#include "base/kernel_random.h"

_Static_assert(SIPC_KERNEL_RANDOM_WOLFSSL_FAILURE == RNG_FAILURE_E,
               "sipc_kernel_random_block must fail with wolfSSL's RNG_FAILURE_E");

int __real_sipc_kernel_random_block(unsigned char *out, unsigned int sz);
int __wrap_sipc_kernel_random_block(unsigned char *out, unsigned int sz);

static unsigned long block_calls;
static unsigned long block_bytes;
static int block_fail;

int __wrap_sipc_kernel_random_block(unsigned char *out, unsigned int sz)
{
    block_calls++;
    block_bytes += sz;
    if (block_fail)
        return SIPC_KERNEL_RANDOM_WOLFSSL_FAILURE;
    return __real_sipc_kernel_random_block(out, sz);
}

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static void fills_and_differs(void **state)
{
    (void)state;
    unsigned char a[64] = {0}, b[64] = {0};
    assert_int_equal(sipc_kernel_random(a, sizeof a), 0);
    assert_int_equal(sipc_kernel_random(b, sizeof b), 0);
    assert_false(all_zero(a, sizeof a));
    assert_false(all_zero(b, sizeof b));
    assert_memory_not_equal(a, b, sizeof a);
    /* every length from 1 to 40 is written to its end and not beyond */
    for (size_t n = 1; n <= 40; n++) {
        unsigned char c[48];
        memset(c, 0xA5, sizeof c);
        int filled = 0;
        for (int tries = 0; tries < 4 && !filled; tries++) { /* a 1-byte draw may be 0xA5 */
            assert_int_equal(sipc_kernel_random(c, n), 0);
            filled = c[n - 1] != 0xA5;
        }
        assert_true(filled);
        for (size_t i = n; i < sizeof c; i++)
            assert_int_equal(c[i], 0xA5);
    }
    assert_int_equal(sipc_kernel_random(a, 0), 0);
    assert_int_equal(sipc_kernel_random(NULL, 0), 0);
    /* the wolfSSL-shaped entry point */
    memset(a, 0, sizeof a);
    assert_int_equal(sipc_kernel_random_block(a, sizeof a), 0);
    assert_false(all_zero(a, sizeof a));
}

/* Above getrandom's 32 MiB cap per call: the loop must take the short
 * returns and fill the whole buffer. */
static void large_sizes(void **state)
{
    (void)state;
    size_t n = (size_t)40 << 20;
    unsigned char *p = calloc(1, n);
    assert_non_null(p);
    assert_int_equal(sipc_kernel_random(p, n), 0);
    /* each 64 KiB stretch, including the last one, holds random bytes:
     * about 256 zero bytes per stretch, never 4,096 */
    for (size_t off = 0; off < n; off += 65536) {
        size_t zeros = 0;
        for (size_t i = off; i < off + 65536; i++)
            zeros += p[i] == 0;
        assert_in_range(zeros, 1, 4095);
    }
    free(p);
}

#ifdef SIPC_TEST_BUNDLED_WOLFSSL
#define STR_(x) #x
#define STR(x) STR_(x)

/* The handshake's first flight, kept instead of sent. */
static unsigned char hello[4096];
static size_t hello_len;

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    (void)ctx;
    if (hello_len + (size_t)sz <= sizeof hello) {
        memcpy(hello + hello_len, buf, (size_t)sz);
        hello_len += (size_t)sz;
    }
    return sz;
}

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    (void)buf;
    (void)sz;
    (void)ctx;
    return WOLFSSL_CBIO_ERR_WANT_READ;
}

/* wolfSSL_connect up to its ClientHello; returns wolfSSL's error code. */
static int client_hello(unsigned char random_out[32])
{
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfTLSv1_2_client_method());
    assert_non_null(ctx);
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
    wolfSSL_CTX_SetIORecv(ctx, io_recv);
    wolfSSL_CTX_SetIOSend(ctx, io_send);
    hello_len = 0;
    int err = 0;
    WOLFSSL *ssl = wolfSSL_new(ctx);
    if (!ssl) {
        err = -1;
    } else {
        if (wolfSSL_connect(ssl) != WOLFSSL_SUCCESS)
            err = wolfSSL_get_error(ssl, 0);
        wolfSSL_free(ssl);
    }
    wolfSSL_CTX_free(ctx);
    /* record header 5, handshake header 4, version 2, then the random */
    if (hello_len >= 5 + 4 + 2 + 32)
        memcpy(random_out, hello + 11, 32);
    return err;
}

/* The bundled build's wolfSSL has no Hash-DRBG: every random byte it uses
 * comes from sipc_kernel_random_block, and its failure fails wolfSSL. */
static void bundled_wolfssl_draws_from_the_kernel(void **state)
{
    (void)state;
    assert_string_equal(STR(CUSTOM_RAND_GENERATE_BLOCK), "sipc_kernel_random_block");
#ifdef HAVE_HASHDRBG
    fail_msg("the bundled wolfSSL still has its Hash-DRBG");
#endif
    assert_int_equal(wolfSSL_Init(), WOLFSSL_SUCCESS);

    /* wolfCrypt's generator */
    WC_RNG rng;
    unsigned char buf[100] = {0};
    block_calls = block_bytes = 0;
    assert_int_equal(wc_InitRng(&rng), 0);
    assert_int_equal(wc_RNG_GenerateBlock(&rng, buf, sizeof buf), 0);
    assert_int_equal(block_calls, 1);
    assert_int_equal(block_bytes, sizeof buf);
    assert_false(all_zero(buf, sizeof buf));
    block_fail = 1;
    assert_int_equal(wc_RNG_GenerateBlock(&rng, buf, sizeof buf), RNG_FAILURE_E);
    assert_int_not_equal(wolfSSL_RAND_bytes(buf, sizeof buf), WOLFSSL_SUCCESS);
    block_fail = 0;
    wc_FreeRng(&rng);

    /* a TLS connection: its ClientHello random comes from here */
    unsigned char r1[32] = {0}, r2[32] = {0};
    block_calls = block_bytes = 0;
    assert_int_equal(client_hello(r1), WOLFSSL_ERROR_WANT_READ);
    assert_true(block_calls >= 1);
    assert_true(block_bytes >= 32);
    assert_int_equal(client_hello(r2), WOLFSSL_ERROR_WANT_READ);
    assert_memory_not_equal(r1, r2, 32);
    /* and when the kernel cannot answer, the connection fails */
    block_fail = 1;
    block_calls = 0;
    assert_int_not_equal(client_hello(r1), WOLFSSL_ERROR_WANT_READ);
    assert_true(block_calls >= 1);
    block_fail = 0;
    wolfSSL_Cleanup();
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fills_and_differs),
        cmocka_unit_test(large_sizes),
#ifdef SIPC_TEST_BUNDLED_WOLFSSL
        cmocka_unit_test(bundled_wolfssl_draws_from_the_kernel),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
