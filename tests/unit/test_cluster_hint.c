/* test_cluster_hint.c - the fix a client home is given for a node of another
 * cluster (services/common/cluster_hint.c): the line it names reads back
 * from sipc.conf as the node's name, and a name no line can hold is said to
 * be one, never suggested; and cli_shown_n, which shows a node's bytes as
 * the fix shows its name. */
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
#include "services/common/err_line.h"
#include "services/common/shown_text.h"

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
    const char *a = strstr(fix, "`name"), *b = a ? strchr(a + 1, '`') : NULL;
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
    static const char *const names[] = {"prod",  "x', peer y", "ops#1", "a;b", "#lead", "two words",
                                        "a=b",   ";lead",      ";",     ";a#b", "pr\xc3\xbc" "d"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char fix[900], want[900];
        sipc_cli_cluster_fix(&cfg, names[i], 0, fix, sizeof fix);
        /* a ';' first is kept only right after the '=' */
        /* the address first: a wrong one is the likelier cause */
        snprintf(want, sizeof want,
                 "; is it the node you meant? It is in cluster '%s': if not, correct the "
                 "address; if so, this home's [cluster] name is 'mine' (%s/sipc.conf line 4): "
                 "write `name%s%s` on that line to reach the node",
                 names[i], home,
                 names[i][0] == ';' ? "=" : " = ", names[i]);
        assert_string_equal(fix, want);
        reads_back(fix, names[i]);
    }
}

/* What the suggestion for a ';' first rests on, as the inih sipc is built
 * with reads it: a ';' after white space starts a comment, right after the
 * '=' it is kept. */
static void t_inih_semicolon_after_equals(void **state)
{
    (void)state;
    sipc_config cfg;
    load(&cfg, "[cluster]\nname=;x\n");
    assert_string_equal(cfg.cluster, ";x");
    load(&cfg, "[cluster]\nname=a ;x\n");
    assert_string_equal(cfg.cluster, "a");
    char path[128], err[600];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[cluster]\nname = ;x\n", f);
    fclose(f);
    /* refused as empty, or read as something else: never ";x" */
    if (sipc_config_load(&cfg, home, err, sizeof err) == 0)
        assert_string_not_equal(cfg.cluster, ";x");
}

static void t_without_a_name_line_says_add(void **state)
{
    (void)state;
    sipc_config cfg;
    load(&cfg, "[node]\nid = c\n[cluster]\nnodes = a:1\n");
    char fix[900], want[900];
    sipc_cli_cluster_fix(&cfg, "prod", 0, fix, sizeof fix);
    snprintf(want, sizeof want,
             "; this home's [cluster] name is not set (the default 'sipc'): add `name = prod` "
             "under [cluster] in %s/sipc.conf to reach the node",
             home);
    assert_string_equal(fix, want);
    /* no hello came: the value is not known */
    sipc_cli_cluster_fix(&cfg, "", 0, fix, sizeof fix);
    assert_non_null(strstr(fix, "add `name = <the node's cluster name>` under [cluster]"));
}

/* Without a [cluster] section, or without sipc.conf, the fix says to add
 * the section, or to create the file, too. */
static void t_without_the_section_or_the_file(void **state)
{
    (void)state;
    sipc_config cfg;
    char fix[900], want[900], path[128];
    load(&cfg, "[node]\nid = c\n");
    sipc_cli_cluster_fix(&cfg, "prod", 0, fix, sizeof fix);
    snprintf(want, sizeof want,
             "; this home's [cluster] name is not set (the default 'sipc'): add a [cluster] "
             "section with `name = prod` to %s/sipc.conf to reach the node",
             home);
    assert_string_equal(fix, want);
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    assert_int_equal(unlink(path), 0);
    sipc_cli_cluster_fix(&cfg, "prod", 0, fix, sizeof fix);
    snprintf(want, sizeof want,
             "; this home's [cluster] name is not set (the default 'sipc'): create "
             "%s/sipc.conf with a [cluster] section holding `name = prod` to reach the node",
             home);
    assert_string_equal(fix, want);
}

static void t_a_name_no_line_holds(void **state)
{
    (void)state;
    sipc_config cfg;
    load(&cfg, "[cluster]\nname = mine\n");
    static const char *const names[] = {" lead", "trail\t", "a ;b", "a\tb\t;c", ";a ;b",
                                        "new\nline", "pr\xc2\x9b" "2J", "bad\xff", "cut\xc3"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char fix[900];
        sipc_cli_cluster_fix(&cfg, names[i], 0, fix, sizeof fix);
        assert_non_null(strstr(fix, "cannot be written in sipc.conf"));
        assert_null(strstr(fix, "`name"));
    }
}

/* The peer's name reaches a terminal: its escape sequences must not. */
static void t_the_name_is_shown_escaped(void **state)
{
    (void)state;
    sipc_config cfg;
    load(&cfg, "[cluster]\nname = mine\n");
    char fix[900];
    sipc_cli_cluster_fix(&cfg, "a\x1b]0;owned\x07\x1b[2Jb", 0, fix, sizeof fix);
    assert_non_null(strstr(fix, "'a\\x1b]0;owned\\x07\\x1b[2Jb'"));
    sipc_cli_cluster_fix(&cfg, "c1\xc2\x9b" "2J", 0, fix, sizeof fix); /* CSI, U+009B */
    assert_non_null(strstr(fix, "'c1\\xc2\\x9b2J'"));
    sipc_cli_cluster_fix(&cfg, "x\xff\x7f", 1, fix, sizeof fix);
    assert_non_null(strstr(fix, "'x\\xff\\x7f...'"));
    for (const unsigned char *p = (const unsigned char *)fix; *p; p++)
        assert_true(*p >= 0x20 && *p != 0x7f && *p != 0xc2 && *p != 0xff);
}

/* Bytes with a length (a record's id): a NUL is shown, not an end, and a
 * character cut by the end is escaped, never read past it. */
static void t_bytes_are_shown_escaped(void **state)
{
    (void)state;
    static const unsigned char id[] = {'a', 0, 0xc2, 0x9b, '2', 'J', 0xc3, 0xa9, 0xe6, 0x97};
    char out[100];
    unsigned char *heap = malloc(sizeof id); /* no NUL after it */
    assert_non_null(heap);
    memcpy(heap, id, sizeof id);
    assert_int_equal(cli_shown_n(heap, sizeof id, out, sizeof out), 1);
    assert_string_equal(out, "a\\x00\\xc2\\x9b2J\xc3\xa9\\xe6\\x97");
    assert_int_equal(cli_shown_n(heap + 6, 2, out, sizeof out), 0);
    assert_string_equal(out, "\xc3\xa9");
    free(heap);
}

/* Nothing to show: an empty protobuf bytes field has no data at all (NULL),
 * and no room is room for nothing (out is not written). */
static void t_nothing_to_show(void **state)
{
    (void)state;
    char out[8] = "xyz";
    assert_int_equal(cli_shown_n(NULL, 0, out, sizeof out), 0);
    assert_string_equal(out, "");
    out[0] = 'x';
    assert_int_equal(cli_shown_n("abc", 3, out, 0), 1);
    assert_int_equal(out[0], 'x');
    assert_int_equal(cli_shown("", out, sizeof out), 0);
    assert_string_equal(out, "");
}

/* Whether s is whole UTF-8: no character cut at its end. */
static int whole_utf8(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 0;
        if (!n)
            return 0;
        for (int k = 1; k < n; k++)
            if ((p[k] & 0xc0) != 0x80)
                return 0;
        p += n;
    }
    return 1;
}

/* An error line cut to the caller's buffer ends between characters, never
 * inside one, and never with a dangling ": ". */
static void t_err_line_cut_between_characters(void **state)
{
    (void)state;
    const char *detail = "peer says: caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"
                         " \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 \x1b[2J end";
    char full[400], buf[400];
    cli_err_line(full, sizeof full, SIPC_ECLOSED, detail);
    assert_non_null(strstr(full, "connection closed [SIPC_ECLOSED, io]: peer says: caf\xc3\xa9 "));
    assert_non_null(strstr(full, "\\x1b[2J end"));
    for (size_t len = 1; len <= strlen(full) + 1; len++) {
        memset(buf, 'Z', sizeof buf);
        cli_err_line(buf, len, SIPC_ECLOSED, detail);
        assert_true(strlen(buf) < len);
        if (!whole_utf8(buf))
            fail_msg("cut inside a character at len %zu: '%s'", len, buf);
        assert_int_equal(strncmp(buf, full, strlen(buf)), 0);
        assert_string_not_equal(buf, "connection closed [SIPC_ECLOSED, io]: ");
    }
}

/* A failed dial's detail names the address the line already names: the
 * error is said once; a source address the dial was bound to is kept. */
static void t_err_line_dial_said_once(void **state)
{
    (void)state;
    char buf[400];
    cli_err_line(buf, sizeof buf, UV_ECONNREFUSED, "cannot connect to 127.1.132.3:23002: connection refused");
    assert_string_equal(buf, "connection refused [ECONNREFUSED, io]");
    cli_err_line(buf, sizeof buf, SIPC_ECLOSED,
                 "no connection to [::1]:23002: peer closed the connection before the hello");
    assert_string_equal(buf, "connection closed [SIPC_ECLOSED, io]: peer closed the connection "
                             "before the hello");
    cli_err_line(buf, sizeof buf, UV_ECONNREFUSED,
                 "cannot connect to 127.1.132.3:23002 from 127.1.132.4: connection refused");
    assert_string_equal(buf, "connection refused [ECONNREFUSED, io]: cannot connect to "
                             "127.1.132.3:23002 from 127.1.132.4: connection refused");
}

/* A name the hello gave longer than the library keeps: its start would
 * never match, so it is not suggested. */
static void t_a_cut_name_is_not_suggested(void **state)
{
    (void)state;
    sipc_config cfg;
    load(&cfg, "[cluster]\nname = mine\n");
    char start[64], fix[900];
    memset(start, 'n', 63);
    start[63] = '\0';
    sipc_cli_cluster_fix(&cfg, start, 1, fix, sizeof fix);
    assert_non_null(strstr(fix, "; the node's cluster name is longer than 63 bytes ('nnn"));
    assert_non_null(strstr(fix, "...'), too long to suggest: no home can name it"));
    assert_null(strstr(fix, "`name"));
    /* 63 bytes that were all of it: suggested */
    sipc_cli_cluster_fix(&cfg, start, 0, fix, sizeof fix);
    reads_back(fix, start);
}

int main(void)
{
    snprintf(home, sizeof home, "%s/sipc-hint.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(home))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_names_the_line_and_the_value),
        cmocka_unit_test(t_without_a_name_line_says_add),
        cmocka_unit_test(t_without_the_section_or_the_file),
        cmocka_unit_test(t_a_name_no_line_holds),
        cmocka_unit_test(t_inih_semicolon_after_equals),
        cmocka_unit_test(t_the_name_is_shown_escaped),
        cmocka_unit_test(t_bytes_are_shown_escaped),
        cmocka_unit_test(t_a_cut_name_is_not_suggested),
        cmocka_unit_test(t_nothing_to_show),
        cmocka_unit_test(t_err_line_cut_between_characters),
        cmocka_unit_test(t_err_line_dial_said_once),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    unlink(path);
    rmdir(home);
    return r;
}
