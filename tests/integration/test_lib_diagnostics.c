/* test_lib_diagnostics.c - what a library user and an operator are told:
 * a refused certificate's fix worded for how the refusing side's security
 * was made (a program's PEM files, or a node's imported pair); a call that
 * waited for a link refused until its deadline names the link's failure; a
 * permissive dialer's fall back to plaintext is a warning.
 * Real sockets and TLS on loopback 127.2.2.0/24, ports the kernel picks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "certs/keypair.h"
#include "certs/trust.h"
#include "certs/trust_impl.h"
#include "ipc/internal.h"
#include "ipc/security.h"
#include "sipc/sipc.h"
#include "testutil.h"

#define ADDR "127.2.2.1"

/* Two contexts on one loop, each with its log captured: a server and a
 * client. */
typedef struct pair {
    uv_loop_t loop;
    sipc_ctx *sctx, *cctx;
    sipc_server *srv;
    tu_log slog, clog;
    int closed;
} pair;

static void h_echo(sipc_request *req, void *arg)
{
    (void)arg;
    assert_int_equal(sipc_respond(req, "ok", 2), 0);
}

static sipc_ctx *ctx_of(pair *p, sipc_security *sec, const char *node, tu_log *log)
{
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = node;
    o.log = tu_log_sink;
    o.log_arg = log;
    sipc_ctx *ctx = NULL;
    assert_int_equal(sipc_ctx_new(&ctx, &p->loop, &o, sec), 0);
    sipc_security_release(sec); /* the context keeps its own */
    return ctx;
}

static void pair_open(pair *p, sipc_security *ssec, sipc_security *csec)
{
    memset(p, 0, sizeof *p);
    assert_int_equal(uv_loop_init(&p->loop), 0);
    p->sctx = ctx_of(p, ssec, "srv", &p->slog);
    p->cctx = ctx_of(p, csec, "cli", &p->clog);
    sipc_router *r;
    assert_int_equal(sipc_router_new(&r), 0);
    assert_int_equal(sipc_router_add(r, "t", "echo", h_echo, NULL), 0);
    assert_int_equal(sipc_server_listen(&p->srv, p->sctx, "diag", ADDR, 0, r), 0);
    sipc_router_free(r);
}

static void on_closed(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    ((pair *)arg)->closed++;
}

static void pair_close(pair *p)
{
    sipc_ctx_close(p->cctx, on_closed, p);
    sipc_ctx_close(p->sctx, on_closed, p);
    for (int i = 0; i < 100 && p->closed < 2; i++)
        (void)tu_run_until(&p->loop, &p->closed, 100);
    assert_int_equal(p->closed, 2);
    assert_true(tu_drain(&p->loop, 5000));
    assert_int_equal(uv_loop_close(&p->loop), 0);
    tu_log_free(&p->slog);
    tu_log_free(&p->clog);
}

typedef struct outcome {
    int done, err;
    char message[2048];
} outcome;

static void on_reply(int err, const sipc_reply *rep, void *arg)
{
    outcome *o = arg;
    o->done = 1;
    o->err = err;
    snprintf(o->message, sizeof o->message, "%s", rep->message ? rep->message : "");
}

/* One call from the client to the server (fail-fast unless it waits for
 * the link until its deadline of ms), run to its end. */
static void call_within(pair *p, sipc_channel **chp, outcome *o, int fail_fast, uint32_t ms)
{
    sipc_channel *ch = NULL;
    assert_int_equal(sipc_channel_open(&ch, p->cctx, ADDR, sipc_server_port(p->srv), NULL), 0);
    sipc_channel_set_fail_fast(ch, fail_fast);
    memset(o, 0, sizeof *o);
    assert_int_equal(sipc_call(ch, "t", "echo", "x", 1, ms, on_reply, o), 0);
    assert_true(tu_run_until(&p->loop, &o->done, 8000));
    if (chp)
        *chp = ch;
    else
        sipc_channel_close(ch, NULL, NULL);
}

static void call_once(pair *p, sipc_channel **chp, outcome *o)
{
    call_within(p, chp, o, 1, 5000);
}

/* ------------------------------------------- fixes for how it was made */

/* A security made as a node's loader makes it from an imported pair (not
 * sipc_security_from_pem): the pair in pem, trusted as the home's own. */
static sipc_security *node_security(const char *pem)
{
    sipc_keypair kp;
    sipc_trust *t = NULL;
    sipc_security *sec = NULL;
    char err[1024] = "";
    memset(&kp, 0, sizeof kp);
    assert_int_equal(sipc_keypair_load_pem(&kp, pem, NULL, err, sizeof err), 0);
    assert_int_equal(sipc_trust_new(&t, NULL), 0);
    assert_int_equal(sipc_trust_set_own(t, &kp, err, sizeof err), 0);
    assert_int_equal(sipc__security_new_tls(&sec, SIPC_TLS_STRICT, &kp, t, err, sizeof err), 0);
    return sec;
}

/* The client's refusal of the server's certificate: its fix. */
static void refusal_fix(sipc_security *ssec, sipc_security *csec, char *fix, size_t len)
{
    pair p;
    pair_open(&p, ssec, csec);
    outcome o;
    call_once(&p, NULL, &o);
    assert_int_equal(o.err, SIPC_EPEERAUTH);
    const char *f = strstr(o.message, "; fix: ");
    if (!f)
        fail_msg("no fix in '%s'", o.message);
    snprintf(fix, len, "%s", f + strlen("; fix: "));
    pair_close(&p);
}

#define CLOCK_FIRST SIPC__CLOCK_FIRST

static void t_refusal_fix_by_source(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("diag-pairs");
    assert_int_equal(tu_make_pair(dir, "a", "ec", 30, NULL, NULL), 0);
    assert_int_equal(tu_make_pair(dir, "b", "ec", 30, NULL, NULL), 0);
    assert_int_equal(tu_make_pair(dir, "old", "ec", 30, "2020-01-01 00:00:00", NULL), 0);
    char a[512], b[512], old[512], fix[2048];
    snprintf(a, sizeof a, "%s/a.pem", dir);
    snprintf(b, sizeof b, "%s/b.pem", dir);
    snprintf(old, sizeof old, "%s/old.pem", dir);

    /* another pair: PEM files, then a node's imported pair */
    refusal_fix(tu_security(SIPC_TLS_STRICT, a), tu_security(SIPC_TLS_STRICT, b), fix, sizeof fix);
    assert_string_equal(fix, "both ends need the same key pair: give this program and its peer "
                             "the same certificate and key files (docs/quickstart.md section 3)");
    refusal_fix(node_security(a), node_security(b), fix, sizeof fix);
    assert_non_null(strstr(fix, "both ends need the same key pair: import the same PFX file on "
                                "every node (tlstool import)"));

    /* an expired pair (the same on both ends) */
    refusal_fix(tu_security(SIPC_TLS_STRICT, old), tu_security(SIPC_TLS_STRICT, old), fix,
                sizeof fix);
    assert_string_equal(fix, CLOCK_FIRST "make a new pair (as docs/quickstart.md section 3 makes "
                                         "one: `openssl req -x509 -newkey ec -pkeyopt "
                                         "ec_paramgen_curve:P-256 ...`) and give it to every "
                                         "program that uses this pair");
    refusal_fix(node_security(old), node_security(old), fix, sizeof fix);
    assert_string_equal(fix, CLOCK_FIRST "create or obtain a new pair, import it on every node "
                                         "and reload or restart each (tlstool create, tlstool "
                                         "import)");
    tu_rmdir(dir);
    free(dir);
}

/* ------------------------------------------ a call that waited for a link */

/* A call without fail-fast waits for the link, which the server's
 * certificate keeps down: it ends with SIPC_ETIMEDOUT at its deadline, its
 * detail naming the link's failure (code, class and the verifier's words). */
static void t_wait_timeout_names_cause(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("diag-wait");
    assert_int_equal(tu_make_pair(dir, "a", "ec", 30, NULL, NULL), 0);
    assert_int_equal(tu_make_pair(dir, "b", "ec", 30, NULL, NULL), 0);
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/a.pem", dir);
    snprintf(b, sizeof b, "%s/b.pem", dir);
    pair p;
    pair_open(&p, tu_security(SIPC_TLS_STRICT, a), tu_security(SIPC_TLS_STRICT, b));
    outcome o;
    call_within(&p, NULL, &o, 0, 1500);
    assert_int_equal(o.err, SIPC_ETIMEDOUT);
    char want[200];
    snprintf(want, sizeof want,
             "deadline passed while the link to %s:%d was down: its last attempt failed with "
             "SIPC_EPEERAUTH (auth class): ",
             ADDR, sipc_server_port(p.srv));
    if (strncmp(o.message, want, strlen(want)) != 0 ||
        !strstr(o.message, "is not this cluster's key pair"))
        fail_msg("a waiting call's timeout: '%s'", o.message);
    pair_close(&p);
    tu_rmdir(dir);
    free(dir);
}

/* ------------------------------------------------ a permissive downgrade */

/* A permissive client meets a plaintext server: the call works, over
 * plaintext, and the client warns (once) that the link is neither
 * encrypted nor authenticated and that anyone on the path can force it. */
static void t_permissive_fallback_warns(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("diag-fallback");
    assert_int_equal(tu_make_pair(dir, "a", "ec", 30, NULL, NULL), 0);
    char a[512];
    snprintf(a, sizeof a, "%s/a.pem", dir);
    pair p;
    pair_open(&p, tu_security(SIPC_TLS_OFF, NULL), tu_security(SIPC_TLS_PERMISSIVE, a));
    outcome o;
    sipc_channel *ch = NULL;
    call_within(&p, &ch, &o, 1, 5000);
    assert_int_equal(o.err, 0);
    sipc_link_info li;
    assert_int_equal(sipc_channel_info(ch, &li), 0);
    assert_int_equal(li.tls, 0);
    char want[600];
    snprintf(want, sizeof want,
             "Transport.Conn WARN %s:%d answers in plaintext; this side offers TLS first and "
             "accepts plaintext (permissive): retrying in plaintext, so this link will be neither "
             "encrypted nor authenticated. Anyone on the path can force this; once every node "
             "runs TLS, `mode = strict` refuses it",
             ADDR, sipc_server_port(p.srv));
    if (!tu_log_has(&p.clog, want))
        fail_msg("no fallback warning in:\n%s", p.clog.buf ? p.clog.buf : "");
    sipc_channel_close(ch, NULL, NULL);
    pair_close(&p);
    tu_rmdir(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_refusal_fix_by_source),
        cmocka_unit_test(t_wait_timeout_names_cause),
        cmocka_unit_test(t_permissive_fallback_warns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
