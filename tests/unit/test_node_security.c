/* test_node_security.c - which security a node's services and its clients
 * get from a home (ipc/node/security_load.c): the [tls] mode for services,
 * the pipeline's own switch, the client rule (TLS whenever a pair is
 * imported; plaintext fallback only when this home is not enabled), and the
 * refusal of a private key others can read; the key loaded without /proc
 * (open of /proc/self/fd/N failed through --wrap). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "testutil.h"

/* set: /proc is not there */
static int no_proc;
int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    if (no_proc && !strncmp(path, "/proc/", 6)) {
        errno = ENOENT;
        return -1;
    }
    return __real_open(path, flags, mode);
}

typedef struct fixture {
    char *home;
    char sec[600];
} fixture;

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->home = tu_mkdtemp("nodesec");
    snprintf(f->sec, sizeof f->sec, "%s/security", f->home);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tu_rmdir(f->home);
    free(f->home);
    free(f);
    return 0;
}

static void import_pair(fixture *f)
{
    assert_int_equal(mkdir(f->sec, 0700), 0);
    assert_int_equal(tu_make_pair(f->sec, "pair", "ec", 30, NULL, "sipc node security test"), 0);
    char from[700], to[700];
    snprintf(from, sizeof from, "%s/pair.pem", f->sec);
    snprintf(to, sizeof to, "%s/node.crt", f->sec);
    assert_int_equal(rename(from, to), 0);
    assert_int_equal(chmod(to, 0600), 0);
}

/* The mode a loader gives for conf, or -1 when it fails. */
static int mode_of(fixture *f, const char *conf, const char *which)
{
    char path[700];
    snprintf(path, sizeof path, "%s/sipc.conf", f->home);
    write_file(path, conf);
    sipc_config cfg;
    char err[1024] = "";
    assert_int_equal(sipc_config_load(&cfg, f->home, err, sizeof err), 0);
    sipc_security *sec = NULL;
    int r = !strcmp(which, "client") ? sipc_security_load_client(&sec, &cfg, err, sizeof err)
                                     : sipc_security_load_service(&sec, &cfg, which, err, sizeof err);
    if (r != 0)
        return -1;
    int mode = (int)sipc_security_mode(sec);
    sipc_security_release(sec);
    return mode;
}

static void services_follow_tls(void **state)
{
    fixture *f = *state;
    import_pair(f);
    assert_int_equal(mode_of(f, "", "data"), SIPC_TLS_OFF);
    assert_int_equal(mode_of(f, "[tls]\nenable = 1\n", "data"), SIPC_TLS_STRICT);
    assert_int_equal(mode_of(f, "[tls]\nenable = 1\nmode = permissive\n", "search"),
                     SIPC_TLS_PERMISSIVE);
    /* the pipeline has its own switch, on the same imported pair */
    assert_int_equal(mode_of(f, "[pipeline]\ntls = 1\n", "pipeline"), SIPC_TLS_STRICT);
    assert_int_equal(mode_of(f, "[pipeline]\ntls = 1\n", "data"), SIPC_TLS_OFF);
    assert_int_equal(mode_of(f, "[tls]\nenable = 1\n[pipeline]\ntls = 0\n", "pipeline"), SIPC_TLS_OFF);
    assert_int_equal(mode_of(f, "[tls]\nenable = 1\n", "pipeline"), SIPC_TLS_STRICT);
}

static void pipeline_tls_without_pair(void **state)
{
    fixture *f = *state;
    char path[700];
    snprintf(path, sizeof path, "%s/sipc.conf", f->home);
    write_file(path, "[pipeline]\ntls = 1\n");
    sipc_config cfg;
    char err[1024] = "";
    assert_int_equal(sipc_config_load(&cfg, f->home, err, sizeof err), 0);
    sipc_security *sec = NULL;
    assert_int_not_equal(sipc_security_load_service(&sec, &cfg, "pipeline", err, sizeof err), 0);
    assert_non_null(strstr(err, "node.crt"));
    assert_non_null(strstr(err, "[pipeline] tls = 1"));
    /* the way out is the line, not `tlstool disable` (TLS is off already) */
    assert_non_null(strstr(err, "or remove `[pipeline] tls = 1` from sipc.conf"));
    assert_null(strstr(err, "tlstool disable"));
}

static void client_rule(void **state)
{
    fixture *f = *state;
    /* no pair: plaintext */
    assert_int_equal(mode_of(f, "", "client"), SIPC_TLS_OFF);
    import_pair(f);
    /* a pair, never enabled (a client-only machine): TLS, plaintext allowed */
    assert_int_equal(mode_of(f, "", "client"), SIPC_TLS_PERMISSIVE);
    /* enabled here: TLS only, whatever the mode */
    assert_int_equal(mode_of(f, "[tls]\nenable = 1\nmode = permissive\n", "client"), SIPC_TLS_STRICT);
}

static void key_open_to_others(void **state)
{
    fixture *f = *state;
    import_pair(f);
    char crt[700];
    snprintf(crt, sizeof crt, "%s/node.crt", f->sec);
    assert_int_equal(chmod(crt, 0640), 0);
    assert_int_equal(mode_of(f, "[tls]\nenable = 1\n", "data"), -1);
    assert_int_equal(chmod(crt, 0600), 0);
    assert_int_equal(chmod(f->sec, 0750), 0);
    assert_int_equal(mode_of(f, "[tls]\nenable = 1\n", "data"), -1);
    assert_int_equal(chmod(f->sec, 0700), 0);
    assert_int_equal(mode_of(f, "[tls]\nenable = 1\n", "data"), SIPC_TLS_STRICT);
}

static void key_without_proc(void **state)
{
    fixture *f = *state;
    import_pair(f);
    no_proc = 1;
    int mode = mode_of(f, "[tls]\nenable = 1\n", "data");
    no_proc = 0;
    assert_int_equal(mode, SIPC_TLS_STRICT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(services_follow_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(pipeline_tls_without_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(client_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(key_open_to_others, setup, teardown),
        cmocka_unit_test_setup_teardown(key_without_proc, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
