/* test_node_security.c - which security a node's services and its clients
 * get from a home (ipc/node/security_load.c): the [tls] mode for services,
 * the pipeline's own switch, the client rule (TLS whenever a pair is
 * imported; plaintext fallback only when this home is not enabled), and the
 * refusal of a private key others can read, the words a TLS-only pipeline
 * on a TLS-off node refuses a plaintext client with, and the words a home
 * with a pair but TLS off, loaded by the node rule, is told by a node that
 * requires TLS; the key loaded without /proc
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* conf written as f's sipc.conf, and loaded into cfg. */
static void load_conf(fixture *f, const char *conf, sipc_config *cfg)
{
    char path[700], err[1024] = "";
    snprintf(path, sizeof path, "%s/sipc.conf", f->home);
    write_file(path, conf);
    assert_int_equal(sipc_config_load(cfg, f->home, err, sizeof err), 0);
}

/* The mode a loader gives for conf, or -1 when it fails. */
static int mode_of(fixture *f, const char *conf, const char *which)
{
    sipc_config cfg;
    load_conf(f, conf, &cfg);
    char err[1024] = "";
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
    sipc_config cfg;
    load_conf(f, "[pipeline]\ntls = 1\n", &cfg);
    char err[1024] = "";
    sipc_security *sec = NULL;
    assert_int_not_equal(sipc_security_load_service(&sec, &cfg, "pipeline", err, sizeof err), 0);
    assert_non_null(strstr(err, "node.crt"));
    assert_non_null(strstr(err, "[pipeline] tls = 1"));
    /* the way out is the line, not `tlstool disable` (TLS is off already) */
    assert_non_null(strstr(err, "or remove `[pipeline] tls = 1` from sipc.conf"));
    assert_null(strstr(err, "tlstool disable"));
}

/* Runs a loop until the log holds needle, at most 5 s. */
static int log_waits_for(uv_loop_t *loop, const tu_log *log, const char *needle)
{
    for (int i = 0; i < 500 && !tu_log_has(log, needle); i++) {
        uv_run(loop, UV_RUN_NOWAIT);
        tu_sleep_ms(10);
    }
    return tu_log_has(log, needle);
}

/* What a listener of the security conf gives the service logs when a
 * plaintext sipc client connects to it, into log. */
static void plaintext_refused(fixture *f, const char *conf, const char *service, tu_log *log)
{
    sipc_config cfg;
    load_conf(f, conf, &cfg);
    char err[1024] = "";
    sipc_security *sec = NULL;
    assert_int_equal(sipc_security_load_service(&sec, &cfg, service, err, sizeof err), 0);
    uv_loop_t loop;
    uv_loop_init(&loop);
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "n1";
    o.log = tu_log_sink;
    o.log_arg = log;
    sipc_ctx *ctx = NULL;
    sipc_router *rt = NULL;
    sipc_server *srv = NULL;
    assert_int_equal(sipc_ctx_new(&ctx, &loop, &o, sec), 0);
    assert_int_equal(sipc_router_new(&rt), 0);
    assert_int_equal(sipc_server_listen(&srv, ctx, "Pipeline Service", "127.1.175.1", 0, rt), 0);
    /* the first bytes of a plaintext hello's frame */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)sipc_server_port(srv))};
    inet_pton(AF_INET, "127.1.175.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(send(fd, "\x00\x00\x00\x02hi", 6, 0), 6);
    assert_true(log_waits_for(&loop, log, "SIPC_EPLAINTEXT"));
    close(fd);
    sipc_router_free(rt);
    sipc_ctx_close(ctx, NULL, NULL);
    tu_drain(&loop, 5000);
    uv_loop_close(&loop);
    sipc_security_release(sec);
}

/* A node with TLS off whose pipeline alone requires TLS: a plaintext
 * client there lacks the pair; the node's TLS is off by design, so the line
 * does not ask for TLS on every node */
static void pipeline_tls_refusal_says_why(void **state)
{
    fixture *f = *state;
    import_pair(f);
    tu_log log = {0};
    plaintext_refused(f, "[pipeline]\ntls = 1\n", "pipeline", &log);
    assert_true(tu_log_has(&log, "plaintext arrived on a TLS port: [pipeline] tls = 1 makes the "
                                 "pipeline TLS-only on this node, whose TLS is off: the client "
                                 "needs the cluster's key pair (`tlstool import FILE` in its home)"));
    assert_false(tu_log_has(&log, "is TLS enabled on every node?"));
    tu_log_free(&log);
    /* with TLS on, the pipeline requires TLS as every listener does */
    memset(&log, 0, sizeof log);
    plaintext_refused(f, "[tls]\nenable = 1\n[pipeline]\ntls = 1\n", "pipeline", &log);
    assert_true(tu_log_has(&log, "plaintext arrived on a TLS port: is TLS enabled on every node?"));
    assert_false(tu_log_has(&log, "[pipeline] tls = 1 makes"));
    tu_log_free(&log);
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

typedef struct told {
    int done, err;
    char why[1200];
} told;

static void on_told(int err, const sipc_reply *reply, void *arg)
{
    told *t = arg;
    t->err = err;
    snprintf(t->why, sizeof t->why, "%s", reply->message);
    t->done = 1;
}

/* A home with the pair imported and TLS not enabled, loaded by the node
 * rule, dials a node that requires TLS: it is told that TLS is not enabled
 * in a home holding a pair (and the client rule), not to import the pair
 * it has. */
static void node_rule_dialer_told_why(void **state)
{
    fixture *f = *state;
    import_pair(f);
    sipc_config cfg;
    char err[1024] = "";
    sipc_security *strict = NULL, *plain = NULL;
    load_conf(f, "[tls]\nenable = 1\n", &cfg);
    assert_int_equal(sipc_security_load(&strict, &cfg, err, sizeof err), 0);
    load_conf(f, "", &cfg);
    assert_int_equal(sipc_security_load(&plain, &cfg, err, sizeof err), 0);
    assert_int_equal(sipc_security_mode(plain), SIPC_TLS_OFF);
    uv_loop_t loop;
    uv_loop_init(&loop);
    sipc_options o;
    sipc_options_init(&o);
    o.log_level = SIPC_LOG_ERROR;
    sipc_ctx *sctx = NULL, *cctx = NULL;
    sipc_router *rt = NULL;
    sipc_server *srv = NULL;
    sipc_channel *ch = NULL;
    assert_int_equal(sipc_ctx_new(&sctx, &loop, &o, strict), 0);
    assert_int_equal(sipc_ctx_new(&cctx, &loop, &o, plain), 0);
    assert_int_equal(sipc_router_new(&rt), 0);
    assert_int_equal(sipc_server_listen(&srv, sctx, "Data Service", "127.1.234.31", 0, rt), 0);
    assert_int_equal(sipc_channel_open(&ch, cctx, "127.1.234.31", sipc_server_port(srv), NULL), 0);
    sipc_channel_set_fail_fast(ch, 1);
    told t = {0};
    assert_int_equal(sipc_call(ch, "x", "y", "", 0, 3000, on_told, &t), 0);
    assert_true(tu_run_until(&loop, &t.done, 5000));
    assert_int_equal(t.err, SIPC_ETLSONPLAIN);
    if (!strstr(t.why, "TLS is not enabled in this side's home, which holds an imported key "
                       "pair") ||
        !strstr(t.why, "sipc_security_load_client()") || strstr(t.why, "import the cluster"))
        fail_msg("the dialer's reason: %s", t.why);
    sipc_router_free(rt);
    sipc_ctx_close(cctx, NULL, NULL);
    sipc_ctx_close(sctx, NULL, NULL);
    tu_drain(&loop, 5000);
    uv_loop_close(&loop);
    sipc_security_release(strict);
    sipc_security_release(plain);
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
        cmocka_unit_test_setup_teardown(pipeline_tls_refusal_says_why, setup, teardown),
        cmocka_unit_test_setup_teardown(client_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(node_rule_dialer_told_why, setup, teardown),
        cmocka_unit_test_setup_teardown(key_open_to_others, setup, teardown),
        cmocka_unit_test_setup_teardown(key_without_proc, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
