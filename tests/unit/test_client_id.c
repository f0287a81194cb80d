/* test_client_id.c - the hello id of sipc's command-line clients
 * (services/common/client_id.c): it names the tool, user, host and process,
 * fits a node id, and reads back as its tool for the strict guard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "services/common/client_id.h"

static void t_names_tool_user_host_pid(void **state)
{
    (void)state;
    char id[64], want[64], host[256] = "";
    sipc_cli_client_id("sipcctl", id, sizeof id);
    assert_true(strlen(id) <= 63);
    assert_int_equal(strncmp(id, "sipcctl:", 8), 0);
    char *at = strchr(id, '@');
    assert_non_null(at);
    assert_true(at > id + 8); /* a user name */
    snprintf(want, sizeof want, ":%ld", (long)getpid());
    size_t wl = strlen(want);
    assert_true(strlen(id) > wl);
    assert_string_equal(id + strlen(id) - wl, want);
    if (gethostname(host, sizeof host - 1) == 0 && host[0]) {
        host[strcspn(host, ".")] = '\0';
        if (strlen(host) <= 24 && strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                               "0123456789_-") == strlen(host))
            assert_int_equal(strncmp(at + 1, host, strlen(host)), 0);
    }
    for (const char *p = id; *p; p++) /* no byte a log line or JSON would mangle */
        assert_non_null(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:@", *p));
    char small[16];
    sipc_cli_client_id("tlstool", small, sizeof small);
    assert_int_equal(strlen(small), 15);
}

static void t_reads_back_as_tool(void **state)
{
    (void)state;
    char id[64], tool[16];
    sipc_cli_client_id("sipcctl", id, sizeof id);
    assert_int_equal(sipc_cli_client_tool(id, tool, sizeof tool), 1);
    assert_string_equal(tool, "sipcctl");
    sipc_cli_client_id("tlstool", id, sizeof id);
    assert_int_equal(sipc_cli_client_tool(id, tool, sizeof tool), 1);
    assert_string_equal(tool, "tlstool");
    /* node ids that are not a tool's session stay themselves */
    assert_int_equal(sipc_cli_client_tool("sipcctl", tool, sizeof tool), 0);
    assert_int_equal(sipc_cli_client_tool("tlstool-check", tool, sizeof tool), 0);
    assert_int_equal(sipc_cli_client_tool("sipcctl:nobody", tool, sizeof tool), 0);
    assert_int_equal(sipc_cli_client_tool("n1", tool, sizeof tool), 0);
    assert_int_equal(sipc_cli_client_tool("sipcctlx:a@b:1", tool, sizeof tool), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_names_tool_user_host_pid),
        cmocka_unit_test(t_reads_back_as_tool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
