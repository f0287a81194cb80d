/* test_verify_exit.c - tlstool's exit codes per verification status
 * (services/tlstool/verify_exit.c): 0 only for OK, every failure its own
 * code in 20..39 (40+ belong to `check`), the numbers docs/tlstool.md lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "services/tlstool/verify_exit.h"

static void test_distinct_and_in_range(void **state)
{
    (void)state;
    assert_int_equal(tlstool_verify_exit_code(SIPC_VFY_OK), 0);
    for (int a = 1; a < SIPC_VFY__COUNT; a++) {
        int ca = tlstool_verify_exit_code((sipc_vfy_status)a);
        assert_in_range(ca, 20, 39);
        for (int b = 1; b < a; b++)
            assert_int_not_equal(ca, tlstool_verify_exit_code((sipc_vfy_status)b));
    }
}

static void test_documented_numbers(void **state)
{
    (void)state;
    /* docs/tlstool.md, "Exit codes": never renumbered */
    assert_int_equal(tlstool_verify_exit_code(SIPC_VFY_NO_CERT), 20);
    assert_int_equal(tlstool_verify_exit_code(SIPC_VFY_UNTRUSTED_ROOT), 22);
    assert_int_equal(tlstool_verify_exit_code(SIPC_VFY_NOT_PINNED), 32);
    assert_int_equal(tlstool_verify_exit_code(SIPC_VFY_WEAK_KEY), 33);
    assert_int_equal(tlstool_verify_exit_code(SIPC_VFY_WEAK_SIGNATURE), 34);
    assert_int_equal(tlstool_verify_exit_code(SIPC_VFY_LEAF_IS_CA), 35);
    assert_int_equal(tlstool_verify_exit_code(SIPC_VFY_NAME_NOT_PERMITTED), 36);
    assert_int_equal(tlstool_verify_exit_code(SIPC_VFY_POLICY), 37);
    assert_int_equal(tlstool_verify_exit_code(SIPC_VFY_CHAIN_TOO_LONG), 38);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distinct_and_in_range),
        cmocka_unit_test(test_documented_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
