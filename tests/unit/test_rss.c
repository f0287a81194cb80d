/* test_rss.c - the resident memory of this process (base/rss.c),
 * which the node's status and sipc-scale report: known, and it grows by
 * what the process touches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rss.h"

static void test_rss_follows_touched_memory(void **state)
{
    (void)state;
    uint64_t before = sipc_rss_bytes();
    assert_true(before > 0);
    size_t n = (size_t)32 << 20;
    volatile char *p = malloc(n);
    assert_non_null((void *)p);
    for (size_t i = 0; i < n; i += 4096)
        p[i] = 1; /* every page resident */
    uint64_t after = sipc_rss_bytes();
    free((void *)p);
    assert_true(after >= before + n / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rss_follows_touched_memory),
    };
    return cmocka_run_group_tests_name("rss", tests, NULL, NULL);
}
