/* test_home_dir.c - the host a program dials for its home's own node
 * (services/common/home_dir.c): the [node] address, or loopback when it is a
 * wildcard in any spelling, as sipcctl and tlstool --reload dial it. Nothing
 * listens or connects here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "services/common/home_dir.h"
#include "sipc/node.h"

static char home[64];

/* The host dialed for a home whose [node] address is address. */
static void dials(const char *address, const char *want)
{
    char path[128], err[600];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "[node]\nid = n1\naddress = %s\n", address);
    fclose(f);
    sipc_config cfg;
    if (sipc_config_load(&cfg, home, err, sizeof err) != 0)
        fail_msg("address = %s: %s", address, err);
    const char *got = sipc_cli_home_node_host(&cfg);
    if (strcmp(got, want) != 0)
        fail_msg("address = %s dials %s, want %s", address, got, want);
}

static void t_wildcards_are_dialed_on_loopback(void **state)
{
    (void)state;
    dials("0.0.0.0", "127.0.0.1");
    dials("::", "::1");
    dials("[::]", "::1");
    dials("0::0", "::1");
}

static void t_an_address_is_dialed_as_it_is(void **state)
{
    (void)state;
    dials("127.0.86.5", "127.0.86.5");
    dials("fd00::2", "fd00::2");
    dials("localhost", "localhost");
}

int main(void)
{
    snprintf(home, sizeof home, "%s/sipc-homedir.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(home))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_wildcards_are_dialed_on_loopback),
        cmocka_unit_test(t_an_address_is_dialed_as_it_is),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    unlink(path);
    rmdir(home);
    return rc;
}
