/* test_client_id.c - the hello id of sipc's command-line clients
 * (services/common/client_id.c): it names the tool, user, host, home and
 * process, fits a node id, and reads back as its tool and as the strict
 * guard's peer (one per tool, user, host and home). */
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
    sipc_cli_client_id("sipcctl", ".", id, sizeof id);
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
        assert_non_null(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:@/", *p));
    char small[16];
    sipc_cli_client_id("tlstool", ".", small, sizeof small);
    assert_int_equal(strlen(small), 15);
}

static void t_reads_back_as_tool(void **state)
{
    (void)state;
    char id[64], tool[16];
    sipc_cli_client_id("sipcctl", ".", id, sizeof id);
    assert_int_equal(sipc_cli_client_tool(id, tool, sizeof tool), 1);
    assert_string_equal(tool, "sipcctl");
    sipc_cli_client_id("tlstool", ".", id, sizeof id);
    assert_int_equal(sipc_cli_client_tool(id, tool, sizeof tool), 1);
    assert_string_equal(tool, "tlstool");
    /* node ids that are not a tool's session stay themselves */
    assert_int_equal(sipc_cli_client_tool("sipcctl", tool, sizeof tool), 0);
    assert_int_equal(sipc_cli_client_tool("tlstool-check", tool, sizeof tool), 0);
    assert_int_equal(sipc_cli_client_tool("sipcctl:nobody", tool, sizeof tool), 0);
    assert_int_equal(sipc_cli_client_tool("n1", tool, sizeof tool), 0);
    assert_int_equal(sipc_cli_client_tool("sipcctlx:a@b:1", tool, sizeof tool), 0);
    /* an older client's id, without the home tag */
    assert_int_equal(sipc_cli_client_tool("sipcctl:alice@ops1:4242", tool, sizeof tool), 1);
    assert_string_equal(tool, "sipcctl");
}

static void t_home_tag(void **state)
{
    (void)state;
    char a[5], b[5], c[5], cwd[4096];
    sipc_cli_home_tag("/tmp", a);
    assert_int_equal(strlen(a), 4);
    assert_int_equal(strspn(a, "0123456789abcdef"), 4);
    sipc_cli_home_tag("/tmp/", b); /* the same directory, spelt otherwise */
    assert_string_equal(a, b);
    sipc_cli_home_tag("/", c);
    assert_string_not_equal(a, c);
    assert_non_null(getcwd(cwd, sizeof cwd));
    sipc_cli_home_tag(".", a);
    sipc_cli_home_tag(cwd, b);
    assert_string_equal(a, b);
}

static void t_peer_per_home(void **state)
{
    (void)state;
    char id1[64], id2[64], p1[64], p2[64], tag[5], want[80];
    sipc_cli_client_id("sipcctl", "/tmp", id1, sizeof id1);
    sipc_cli_client_id("sipcctl", "/", id2, sizeof id2);
    sipc_cli_home_tag("/tmp", tag);
    snprintf(want, sizeof want, "/%s:%ld", tag, (long)getpid());
    assert_non_null(strstr(id1, want));
    assert_int_equal(sipc_cli_client_peer(id1, p1, sizeof p1), 1);
    assert_int_equal(sipc_cli_client_peer(id2, p2, sizeof p2), 1);
    assert_string_not_equal(p1, p2); /* two homes: two peers */
    snprintf(want, sizeof want, " home %s", tag);
    assert_string_equal(p1 + strlen(p1) - strlen(want), want);
    assert_null(strchr(p1 + 8, ':')); /* no process: one peer for every session */
    /* a peer's own word, long and not ASCII: cut between characters */
    char longid[80] = "sipcctl:";
    for (int i = 0; i < 30; i++)
        strcat(longid, "\xc3\xa9");
    strcat(longid, "@h/ab:1");
    assert_int_equal(sipc_cli_client_peer(longid, p1, sizeof p1), 1);
    /* "sipcctl:" and 27 whole characters: the 28th would end at byte 64 */
    assert_int_equal(strlen(p1), 8 + 27 * 2);
    assert_true(((unsigned char)p1[strlen(p1) - 1]) == 0xa9);
    assert_int_equal(sipc_cli_client_peer("sipcctl:alice@ops1/a1b2:4242", p1, sizeof p1), 1);
    assert_string_equal(p1, "sipcctl:alice@ops1 home a1b2");
    assert_int_equal(sipc_cli_client_peer("sipcctl:alice@ops1/a1b2:99", p2, sizeof p2), 1);
    assert_string_equal(p1, p2);
    assert_int_equal(sipc_cli_client_peer("sipcctl:alice@ops1:4242", p1, sizeof p1), 1);
    assert_string_equal(p1, "sipcctl:alice@ops1");
    strcpy(p1, "x");
    assert_int_equal(sipc_cli_client_peer("n1", p1, sizeof p1), 0);
    assert_string_equal(p1, "x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_names_tool_user_host_pid),
        cmocka_unit_test(t_reads_back_as_tool),
        cmocka_unit_test(t_home_tag),
        cmocka_unit_test(t_peer_per_home),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
