/* test_router.c - the (service, method) -> handler registry (ipc/router.c)
 * and the built-in sys service every new router carries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipc/internal.h"
#include "sipc/sipc.h"

/* The router's lookup with C strings. */
static const sipc_route *find(const sipc_router *r, const char *service, const char *method)
{
    return sipc__router_lookup(r, service, strlen(service), method, strlen(method));
}

static void h_a(sipc_request *req, void *arg)
{
    (void)req;
    (void)arg;
}

static void h_b(sipc_request *req, void *arg)
{
    (void)req;
    (void)arg;
}

static void test_new_router_has_sys(void **state)
{
    (void)state;
    sipc_router *r = NULL;
    assert_int_equal(sipc_router_new(&r), 0);
    assert_non_null(r);
    static const char *const methods[] = {"ping", "echo", "info"};
    for (size_t i = 0; i < 3; i++) {
        const sipc_route *rt = find(r, "sys", methods[i]);
        if (!rt)
            fail_msg("sys.%s missing", methods[i]);
        assert_non_null(rt->fn);
        assert_string_equal(rt->service, "sys");
        assert_string_equal(rt->method, methods[i]);
    }
    /* three distinct handlers */
    assert_ptr_not_equal(find(r, "sys", "ping")->fn,
                         find(r, "sys", "echo")->fn);
    assert_ptr_not_equal(find(r, "sys", "echo")->fn,
                         find(r, "sys", "info")->fn);
    assert_int_equal(r->n, 3);
    /* nothing else */
    assert_null(find(r, "sys", "hello"));
    assert_null(find(r, "sys", "PING"));
    assert_null(find(r, "SYS", "ping"));
    assert_null(find(r, "data", "ping"));
    assert_null(find(r, "", ""));
    assert_null(find(r, "sy", "sping")); /* no concatenation games */
    sipc_router_free(r);
}

static void test_add_find_replace(void **state)
{
    (void)state;
    sipc_router *r;
    assert_int_equal(sipc_router_new(&r), 0);
    int arg1 = 1, arg2 = 2;
    assert_int_equal(sipc_router_add(r, "data", "get", h_a, &arg1), 0);
    assert_int_equal(sipc_router_add(r, "data", "put", h_b, &arg2), 0);
    assert_int_equal(r->n, 5);
    const sipc_route *g = find(r, "data", "get");
    assert_non_null(g);
    assert_ptr_equal(g->fn, h_a);
    assert_ptr_equal(g->arg, &arg1);
    /* a name that differs only in its last byte, or one in the middle */
    assert_null(find(r, "data", "geT"));
    assert_null(find(r, "datA", "get"));
    assert_null(find(r, "dxta", "put"));
    const sipc_route *p = find(r, "data", "put");
    assert_non_null(p);
    assert_ptr_equal(p->fn, h_b);
    assert_ptr_equal(p->arg, &arg2);

    /* replacing keeps one entry and takes the new handler and arg */
    assert_int_equal(sipc_router_add(r, "data", "get", h_b, &arg2), 0);
    assert_int_equal(r->n, 5);
    g = find(r, "data", "get");
    assert_ptr_equal(g->fn, h_b);
    assert_ptr_equal(g->arg, &arg2);
    /* a NULL arg is allowed */
    assert_int_equal(sipc_router_add(r, "data", "get", h_a, NULL), 0);
    assert_null(find(r, "data", "get")->arg);

    /* the built-ins may be replaced too */
    assert_int_equal(sipc_router_add(r, "sys", "ping", h_a, &arg1), 0);
    assert_int_equal(r->n, 5);
    assert_ptr_equal(find(r, "sys", "ping")->fn, h_a);
    /* and the others are unaffected */
    assert_ptr_not_equal(find(r, "sys", "echo")->fn, h_a);
    sipc_router_free(r);
}

/* Names of every length up to SIPC_NAME_MAX, each looked up as registered
 * and with one byte changed at every position: the lookup compares them in
 * words whose last one overlaps the one before, so each length and each
 * byte of it is a case of its own. The names asked for lie in buffers of
 * exactly their length (ASan: nothing read past them). */
static void test_names_every_length_and_byte(void **state)
{
    (void)state;
    sipc_router *r;
    assert_int_equal(sipc_router_new(&r), 0);
    char name[SIPC_NAME_MAX + 1];
    static int args[SIPC_NAME_MAX + 1]; /* each route's own arg */
    for (size_t n = 1; n <= SIPC_NAME_MAX; n++) {
        for (size_t i = 0; i < n; i++)
            name[i] = (char)('a' + (i * 7 + n) % 26);
        name[n] = '\0';
        assert_int_equal(sipc_router_add(r, name, name, h_a, &args[n]), 0);
        char *svc = malloc(n), *mth = malloc(n);
        assert_non_null(svc);
        assert_non_null(mth);
        memcpy(svc, name, n);
        memcpy(mth, name, n);
        const sipc_route *rt = sipc__router_lookup(r, svc, n, mth, n);
        assert_non_null(rt);
        assert_ptr_equal(rt->arg, &args[n]);
        for (size_t i = 0; i < n; i++) {
            char *which = i % 2 ? svc : mth; /* the service's bytes and the method's */
            which[i] ^= 0x20;
            if (sipc__router_lookup(r, svc, n, mth, n) != NULL)
                fail_msg("a name of %zu bytes found with byte %zu changed", n, i);
            which[i] ^= 0x20;
        }
        /* one byte shorter or longer is another name */
        if (n > 1)
            assert_null(sipc__router_lookup(r, svc, n - 1, mth, n - 1));
        free(svc);
        free(mth);
    }
    sipc_router_free(r);
}

/* The router keeps its own copies of the names. */
static void test_strings_copied(void **state)
{
    (void)state;
    sipc_router *r;
    assert_int_equal(sipc_router_new(&r), 0);
    char svc[16], m[16];
    strcpy(svc, "search");
    strcpy(m, "query");
    assert_int_equal(sipc_router_add(r, svc, m, h_a, NULL), 0);
    strcpy(svc, "XXXXXX");
    strcpy(m, "YYYYY");
    assert_non_null(find(r, "search", "query"));
    assert_null(find(r, "XXXXXX", "YYYYY"));
    sipc_router_free(r);
}

/* Many routes: the table grows and every entry stays findable. */
static void test_many_routes(void **state)
{
    (void)state;
    sipc_router *r;
    assert_int_equal(sipc_router_new(&r), 0);
    char s[32], m[32];
    for (int i = 0; i < 500; i++) {
        snprintf(s, sizeof s, "svc%d", i % 7);
        snprintf(m, sizeof m, "m%d", i);
        assert_int_equal(sipc_router_add(r, s, m, i % 2 ? h_a : h_b, (void *)(intptr_t)(i + 1)), 0);
    }
    assert_int_equal(r->n, 503);
    for (int i = 0; i < 500; i++) {
        snprintf(s, sizeof s, "svc%d", i % 7);
        snprintf(m, sizeof m, "m%d", i);
        const sipc_route *rt = find(r, s, m);
        assert_non_null(rt);
        assert_ptr_equal(rt->fn, i % 2 ? h_a : h_b);
        assert_true(rt->arg == (void *)(intptr_t)(i + 1));
        /* the same method name under another service is another route */
        snprintf(s, sizeof s, "svc%d", (i + 1) % 7);
        assert_null(find(r, s, m));
    }
    assert_non_null(find(r, "sys", "info"));
    sipc_router_free(r);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    sipc_router *r;
    assert_int_equal(sipc_router_new(&r), 0);
    assert_int_equal(sipc_router_add(NULL, "a", "b", h_a, NULL), SIPC_EINVAL);
    assert_int_equal(sipc_router_add(r, NULL, "b", h_a, NULL), SIPC_EINVAL);
    assert_int_equal(sipc_router_add(r, "a", NULL, h_a, NULL), SIPC_EINVAL);
    assert_int_equal(sipc_router_add(r, "a", "b", NULL, NULL), SIPC_EINVAL);
    assert_int_equal(sipc_router_add(r, "", "b", h_a, NULL), SIPC_EINVAL);
    assert_int_equal(sipc_router_add(r, "a", "", h_a, NULL), SIPC_EINVAL);
    assert_int_equal(r->n, 3); /* nothing was added */
    assert_int_equal(sipc_err_classify(SIPC_EINVAL), SIPC_CLASS_USAGE);
    sipc_router_free(r);
    sipc_router_free(NULL); /* harmless */
}

/* Two routers are independent. */
static void test_independent_routers(void **state)
{
    (void)state;
    sipc_router *a, *b;
    assert_int_equal(sipc_router_new(&a), 0);
    assert_int_equal(sipc_router_new(&b), 0);
    assert_int_equal(sipc_router_add(a, "data", "get", h_a, NULL), 0);
    assert_non_null(find(a, "data", "get"));
    assert_null(find(b, "data", "get"));
    sipc_router_free(a);
    assert_non_null(find(b, "sys", "ping"));
    sipc_router_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_router_has_sys),
        cmocka_unit_test(test_add_find_replace),
        cmocka_unit_test(test_strings_copied),
        cmocka_unit_test(test_names_every_length_and_byte),
        cmocka_unit_test(test_many_routes),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_independent_routers),
    };
    return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
