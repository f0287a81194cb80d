/* test_cluster_hint.c - the fix a client home is given for a node of another
 * cluster (services/common/cluster_hint.c): the line it names reads back
 * from sipc.conf as the node's name, and a name no line can hold is said to
 * be one, never suggested. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "services/common/cluster_hint.h"

static char home[64];

static void load(sipc_config *cfg, const char *conf)
{
    char path[128], err[600];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(conf, f);
    fclose(f);
    assert_int_equal(sipc_config_load(cfg, home, err, sizeof err), 0);
}

/* The `name = ...` of fix, written under [cluster], read back: the name. */
static void reads_back(const char *fix, const char *name)
{
    const char *a = strstr(fix, "`name = "), *b = a ? strchr(a + 1, '`') : NULL;
    assert_non_null(b);
    char conf[200];
    snprintf(conf, sizeof conf, "[cluster]\n%.*s\n", (int)(b - a - 1), a + 1);
    sipc_config back;
    load(&back, conf);
    assert_string_equal(back.cluster, name);
}

static void t_names_the_line_and_the_value(void **state)
{
    (void)state;
    sipc_config cfg;
    load(&cfg, "[node]\nid = c\n[cluster]\nname = mine\n");
    static const char *const names[] = {"prod", "x', peer y", "ops#1", "a;b", "#lead", "two words", "a=b"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char fix[900], want[900];
        sipc_cli_cluster_fix(&cfg, names[i], fix, sizeof fix);
        snprintf(want, sizeof want,
                 "; this home's [cluster] name is 'mine' (%s/sipc.conf line 4): write `name = %s` "
                 "on that line to reach the node",
                 home, names[i]);
        assert_string_equal(fix, want);
        reads_back(fix, names[i]);
    }
}

static void t_without_a_name_line_says_add(void **state)
{
    (void)state;
    sipc_config cfg;
    load(&cfg, "[node]\nid = c\n");
    char fix[900], want[900];
    sipc_cli_cluster_fix(&cfg, "prod", fix, sizeof fix);
    snprintf(want, sizeof want,
             "; this home's [cluster] name is not set (the default 'sipc'): add `name = prod` "
             "under [cluster] in %s/sipc.conf to reach the node",
             home);
    assert_string_equal(fix, want);
    /* no hello came: the value is not known */
    sipc_cli_cluster_fix(&cfg, "", fix, sizeof fix);
    assert_non_null(strstr(fix, "add `name = <the node's cluster name>` under [cluster]"));
}

static void t_a_name_no_line_holds(void **state)
{
    (void)state;
    sipc_config cfg;
    load(&cfg, "[cluster]\nname = mine\n");
    static const char *const names[] = {" lead", "trail\t", "a ;b", "a\tb\t;c", ";lead", "new\nline"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char fix[900];
        sipc_cli_cluster_fix(&cfg, names[i], fix, sizeof fix);
        assert_non_null(strstr(fix, "cannot be written in sipc.conf"));
        assert_null(strstr(fix, "`name ="));
    }
}

int main(void)
{
    snprintf(home, sizeof home, "%s/sipc-hint.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(home))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_names_the_line_and_the_value),
        cmocka_unit_test(t_without_a_name_line_says_add),
        cmocka_unit_test(t_a_name_no_line_holds),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    unlink(path);
    rmdir(home);
    return r;
}
