/* test_errors.c - sipc error codes (ipc/error.c): every code has a name, a
 * message and its documented class; libuv codes pass through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sipc/sipc.h"

typedef struct expect {
    int code;
    const char *name;
    const char *msg;
    sipc_err_class cls;
    const char *cls_name;
} expect;

/* The table as documented (sipc.h, docs/protocol.md), written out by hand so
 * that a change of number, name or class is noticed. */
static const expect table[] = {
    {-30001, "SIPC_EINVAL", "invalid argument", SIPC_CLASS_USAGE, "usage"},
    {-30002, "SIPC_ENOMEM", "out of memory", SIPC_CLASS_USAGE, "usage"},
    {-30003, "SIPC_ECONFIG", "invalid configuration", SIPC_CLASS_USAGE, "usage"},
    {-30004, "SIPC_ECLOSING", "handle is closing", SIPC_CLASS_USAGE, "usage"},
    {-30005, "SIPC_EFORMAT", "malformed input data", SIPC_CLASS_USAGE, "usage"},
    {-30006, "SIPC_EPASSWORD", "wrong password", SIPC_CLASS_USAGE, "usage"},
    {-30010, "SIPC_ECLOSED", "connection closed", SIPC_CLASS_IO, "io"},
    {-30011, "SIPC_ENOTCONN", "not connected", SIPC_CLASS_IO, "io"},
    {-30012, "SIPC_EIDLE", "connection idle for too long", SIPC_CLASS_IO, "io"},
    {-30013, "SIPC_EQUEUEFULL", "write queue full", SIPC_CLASS_IO, "io"},
    {-30014, "SIPC_EREADFULL", "no room for a partial frame (max_read_buffer_total)", SIPC_CLASS_IO,
     "io"},
    {-30015, "SIPC_EKEEPALIVE", "no answer to a keepalive PING", SIPC_CLASS_IO, "io"},
    {-30016, "SIPC_ESILENT", "no answer from the peer", SIPC_CLASS_IO, "io"},
    {-30017, "SIPC_EHELLOTIMEOUT", "hello timed out", SIPC_CLASS_IO, "io"},
    {-30020, "SIPC_ETLS", "TLS failure", SIPC_CLASS_TLS, "tls"},
    {-30021, "SIPC_ETLSCONFIG", "TLS certificate or key could not be loaded", SIPC_CLASS_TLS, "tls"},
    {-30022, "SIPC_EHSTIMEOUT", "TLS handshake timed out", SIPC_CLASS_TLS, "tls"},
    {-30023, "SIPC_ENOTSUP", "algorithm not supported by this build", SIPC_CLASS_TLS, "tls"},
    {-30030, "SIPC_EPEERAUTH", "peer certificate rejected", SIPC_CLASS_AUTH, "auth"},
    {-30031, "SIPC_ENOPEERCERT", "peer presented no certificate", SIPC_CLASS_AUTH, "auth"},
    {-30032, "SIPC_ECERTREFUSED", "this side's certificate refused by the peer", SIPC_CLASS_AUTH,
     "auth"},
    {-30040, "SIPC_EPROTO", "malformed frame or envelope", SIPC_CLASS_PROTOCOL, "protocol"},
    {-30041, "SIPC_ETOOBIG", "frame larger than the configured maximum", SIPC_CLASS_PROTOCOL, "protocol"},
    {-30042, "SIPC_EVERSION", "protocol version mismatch", SIPC_CLASS_PROTOCOL, "protocol"},
    {-30043, "SIPC_ECLUSTER", "cluster name mismatch", SIPC_CLASS_PROTOCOL, "protocol"},
    {-30044, "SIPC_EPLAINTEXT", "peer speaks plaintext where TLS is required", SIPC_CLASS_PROTOCOL, "protocol"},
    {-30045, "SIPC_ETLSONPLAIN", "peer speaks TLS where plaintext is configured", SIPC_CLASS_PROTOCOL, "protocol"},
    {-30050, "SIPC_ETIMEDOUT", "call deadline exceeded", SIPC_CLASS_CALL, "call"},
    {-30051, "SIPC_ENOMETHOD", "no handler for that service and method", SIPC_CLASS_CALL, "call"},
    {-30052, "SIPC_EREMOTE", "remote handler returned an error", SIPC_CLASS_CALL, "call"},
    {-30053, "SIPC_ECANCELED", "call canceled", SIPC_CLASS_CALL, "call"},
};
#define NTABLE (sizeof table / sizeof table[0])

static void test_documented_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < NTABLE; i++) {
        const expect *e = &table[i];
        assert_string_equal(sipc_err_name(e->code), e->name);
        assert_string_equal(sipc_strerror(e->code), e->msg);
        if (sipc_err_classify(e->code) != e->cls)
            fail_msg("%s: class %s, documented %s", e->name,
                     sipc_err_class_name(sipc_err_classify(e->code)), e->cls_name);
        assert_string_equal(sipc_err_class_name(sipc_err_classify(e->code)), e->cls_name);
    }
}

/* The map in sipc.h and the table above describe the same codes. */
static void test_map_matches_table(void **state)
{
    (void)state;
    size_t n = 0;
#define XX(N, C, K, M)                                                               \
    do {                                                                             \
        int found = 0;                                                               \
        for (size_t i = 0; i < NTABLE; i++)                                          \
            if (table[i].code == (C)) {                                              \
                found = 1;                                                           \
                assert_string_equal(table[i].name, "SIPC_" #N);                      \
                assert_int_equal(table[i].cls, SIPC_CLASS_##K);                      \
                assert_string_equal(table[i].msg, M);                                \
            }                                                                        \
        if (!found)                                                                  \
            fail_msg("SIPC_%s (%d) is not in the documented table", #N, C);          \
        assert_int_equal(SIPC_##N, C);                                               \
        n++;                                                                         \
    } while (0);
    SIPC_ERRNO_MAP(XX)
#undef XX
    assert_int_equal(n, NTABLE);
}

/* Codes are unique, negative, in sipc's own range and far from libuv's. */
static void test_codes_distinct_and_in_range(void **state)
{
    (void)state;
    for (size_t i = 0; i < NTABLE; i++) {
        assert_true(table[i].code <= -30001 && table[i].code >= -30099);
        for (size_t j = i + 1; j < NTABLE; j++) {
            assert_int_not_equal(table[i].code, table[j].code);
            assert_string_not_equal(table[i].name, table[j].name);
        }
        /* no libuv code has the same value (uv_err_name_r: uv_err_name
         * leaks a string for codes it does not know) */
        char buf[64];
        uv_err_name_r(table[i].code, buf, sizeof buf);
        assert_non_null(strstr(buf, "Unknown"));
    }
}

static void test_libuv_codes_pass_through(void **state)
{
    (void)state;
    assert_int_equal(sipc_err_classify(UV_ECONNREFUSED), SIPC_CLASS_IO);
    assert_string_equal(sipc_err_class_name(sipc_err_classify(UV_ECONNREFUSED)), "io");
    assert_string_equal(sipc_err_name(UV_ECONNREFUSED), "ECONNREFUSED");
    assert_string_equal(sipc_strerror(UV_ECONNREFUSED), uv_strerror(UV_ECONNREFUSED));

    static const int uv_codes[] = {UV_ECONNRESET, UV_EPIPE,     UV_ETIMEDOUT, UV_EADDRINUSE,
                                   UV_EOF,        UV_ECANCELED, UV_ENOENT,    UV_EAI_NONAME,
                                   UV_EHOSTUNREACH, UV_EACCES};
    for (size_t i = 0; i < sizeof uv_codes / sizeof uv_codes[0]; i++) {
        int c = uv_codes[i];
        assert_int_equal(sipc_err_classify(c), SIPC_CLASS_IO);
        assert_string_equal(sipc_err_name(c), uv_err_name(c));
        assert_string_equal(sipc_strerror(c), uv_strerror(c));
    }
}

static void test_zero_and_positive(void **state)
{
    (void)state;
    assert_string_equal(sipc_strerror(0), "success");
    assert_int_equal(sipc_err_classify(0), SIPC_CLASS_NONE);
    assert_string_equal(sipc_err_class_name(SIPC_CLASS_NONE), "none");
    assert_non_null(sipc_err_name(0));
    assert_string_equal(sipc_err_name(0), "OK");
    /* positive values (e.g. application status codes) are not errors */
    assert_int_equal(sipc_err_classify(1), SIPC_CLASS_NONE);
    assert_int_equal(sipc_err_classify(404), SIPC_CLASS_NONE);
    assert_non_null(sipc_strerror(404));
    assert_non_null(sipc_err_name(404));
}

/* Whatever the value, the strings are never NULL. */
static void test_never_null(void **state)
{
    (void)state;
    static const int probes[] = {-1, -200, -1000, -4095, -4096, -4097, -29999, -30000, -30005,
                                 -30054, -30099, -30100, -100000, INT32_MIN, INT32_MAX, 1, 42};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        assert_non_null(sipc_strerror(probes[i]));
        assert_true(strlen(sipc_strerror(probes[i])) > 0);
        assert_non_null(sipc_err_name(probes[i]));
        assert_true(strlen(sipc_err_name(probes[i])) > 0);
        assert_non_null(sipc_err_class_name(sipc_err_classify(probes[i])));
    }
    /* codes libuv does not know read as unknown too (and leak nothing: ASan) */
    assert_string_equal(sipc_strerror(-1000), "unknown error");
    assert_string_equal(sipc_err_name(-1000), "UNKNOWN");
    assert_int_equal(sipc_err_classify(-1000), SIPC_CLASS_IO);
    /* unknown codes in sipc's range read as unknown, not as a libuv text */
    assert_string_equal(sipc_strerror(-30099), "unknown error");
    assert_string_equal(sipc_err_name(-30099), "UNKNOWN");
    for (int c = -30100; c <= -30001; c++) {
        int known = 0;
        for (size_t i = 0; i < NTABLE; i++)
            known |= table[i].code == c;
        if (!known) {
            assert_string_equal(sipc_strerror(c), "unknown error");
            assert_string_equal(sipc_err_name(c), "UNKNOWN");
        }
    }
}

static void test_class_names(void **state)
{
    (void)state;
    assert_string_equal(sipc_err_class_name(SIPC_CLASS_NONE), "none");
    assert_string_equal(sipc_err_class_name(SIPC_CLASS_USAGE), "usage");
    assert_string_equal(sipc_err_class_name(SIPC_CLASS_IO), "io");
    assert_string_equal(sipc_err_class_name(SIPC_CLASS_TLS), "tls");
    assert_string_equal(sipc_err_class_name(SIPC_CLASS_AUTH), "auth");
    assert_string_equal(sipc_err_class_name(SIPC_CLASS_PROTOCOL), "protocol");
    assert_string_equal(sipc_err_class_name(SIPC_CLASS_CALL), "call");
    assert_string_equal(sipc_err_class_name((sipc_err_class)99), "unknown");
    assert_string_equal(sipc_err_class_name((sipc_err_class)-1), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documented_table),
        cmocka_unit_test(test_map_matches_table),
        cmocka_unit_test(test_codes_distinct_and_in_range),
        cmocka_unit_test(test_libuv_codes_pass_through),
        cmocka_unit_test(test_zero_and_positive),
        cmocka_unit_test(test_never_null),
        cmocka_unit_test(test_class_names),
    };
    return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
