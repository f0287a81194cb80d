/* test_fd_budget.c - the servers of a process share its open-file limit.
 * A child process, its RLIMIT_NOFILE lowered to 1024, runs four plaintext
 * contexts with a server each, as sipcd runs its services; the last one is
 * reserved (sipcd's management). Connections that complete the hello, from
 * four source addresses (127.1.172.10-13), flood the other three, 400 each:
 * under each server's own limits (768 per server, 192 per host), more than
 * the process's descriptors together. The child's descriptors must stay
 * under the limit less part of the reserve, the refusals be logged naming
 * the open-file limit, the reserved server answer a call, and a handler
 * there open and write files as a storage would. Before the shared limit,
 * the flood took every descriptor: the reserved server's connections were
 * reset and the files could not be opened. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#define LISTEN "127.1.172.1"
#define OPERATOR_FROM "127.1.172.20"
#define NODE_NOFILE 1024
#define NSERVERS 4 /* the last one reserved */
#define FLOOD_SOURCES 4
#define FLOOD_PER_SOURCE 100 /* per flooded server */
#define FILES_WRITTEN 24     /* a database, its journal, state files */

static char *dir;
static int child_log = -1;
static pid_t child = -1;

static void child_sink(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    (void)arg;
    if (level >= SIPC_LOG_WARN)
        dprintf(child_log, "%s %s\n", category, msg);
}

static void test_options(sipc_options *o, const char *node, sipc_log_fn log, void *arg,
                         sipc_log_level level)
{
    sipc_options_init(o);
    o->node_id = node;
    o->cluster = "test";
    o->log = log;
    o->log_arg = arg;
    o->log_level = level;
}

/* Opens FILES_WRITTEN files at once in dir and writes each: what the data
 * service's storage and state/ writes need while connections are open. */
static void h_write(sipc_request *req, void *arg)
{
    (void)arg;
    int fds[FILES_WRITTEN], n = 0, err = 0;
    char path[600], answer[200] = "ok";
    for (; n < FILES_WRITTEN; n++) {
        snprintf(path, sizeof path, "%s/file%d", dir, n);
        fds[n] = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fds[n] < 0 || write(fds[n], "x", 1) != 1) {
            err = errno;
            break;
        }
    }
    if (err)
        snprintf(answer, sizeof answer, "file %d: %s", n, strerror(err));
    for (int i = 0; i < n + (err && fds[n] >= 0); i++)
        close(fds[i]);
    assert_int_equal(sipc_respond(req, answer, strlen(answer)), 0);
}

static void h_echo(sipc_request *req, void *arg)
{
    (void)arg;
    assert_int_equal(sipc_respond(req, "up", 2), 0);
}

/* The node: four contexts on one loop, their ports written to out. */
static void child_run(int out)
{
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL); /* not left behind by a failed test */
    struct rlimit rl = {NODE_NOFILE, NODE_NOFILE};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        _exit(2);
    uv_loop_t loop;
    uv_loop_init(&loop);
    sipc_security *sec = tu_security(SIPC_TLS_OFF, NULL);
    sipc_router *router;
    sipc_router_new(&router);
    sipc_router_add(router, "test", "echo", h_echo, NULL);
    sipc_router_add(router, "test", "write", h_write, NULL);
    int ports[NSERVERS];
    for (int i = 0; i < NSERVERS; i++) {
        sipc_options o;
        test_options(&o, "n1", child_sink, NULL, SIPC_LOG_WARN);
        sipc_ctx *ctx;
        sipc_server *srv;
        char name[32];
        snprintf(name, sizeof name, "Service %d", i);
        if (sipc_ctx_new(&ctx, &loop, &o, sec) != 0 ||
            sipc_server_listen(&srv, ctx, name, LISTEN, 0, router) != 0)
            _exit(3);
        if (i == NSERVERS - 1)
            (void)sipc_server_set_reserved(srv, 1);
        ports[i] = sipc_server_port(srv);
    }
    if (write(out, ports, sizeof ports) != (ssize_t)sizeof ports)
        _exit(4);
    close(out);
    uv_run(&loop, UV_RUN_DEFAULT); /* until the test kills it */
    _exit(0);
}

/* Descriptors the process pid has open. */
static int fds_of(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

typedef struct outcome {
    int done, err;
    char text[200];
} outcome;

static void on_reply(int err, const sipc_reply *rep, void *arg)
{
    outcome *o = arg;
    o->err = err;
    snprintf(o->text, sizeof o->text, "%.*s", err ? 0 : (int)rep->len,
             err ? "" : (const char *)rep->data);
    if (err)
        snprintf(o->text, sizeof o->text, "%s", rep->message);
    o->done = 1;
}

static int ups;
static void on_up(sipc_conn *c, sipc_conn_event ev, int err, void *arg)
{
    (void)c;
    (void)err;
    (void)arg;
    ups += ev == SIPC_CONN_UP;
}

static sipc_ctx *client_ctx(uv_loop_t *loop, sipc_security *sec, const char *from, tu_log *log)
{
    sipc_options o;
    test_options(&o, "flood", tu_log_sink, log, SIPC_LOG_ERROR);
    o.source_address = from;
    /* refused ones come back now and then, not in a tight loop */
    o.reconnect_min_ms = 2000;
    o.reconnect_max_ms = 4000;
    sipc_ctx *ctx;
    assert_int_equal(sipc_ctx_new(&ctx, loop, &o, sec), 0);
    return ctx;
}

static void t_flood_leaves_the_reserve(void **state)
{
    (void)state;
    dir = tu_mkdtemp("fdbudget");
    char logpath[600];
    snprintf(logpath, sizeof logpath, "%s/node.log", dir);
    child_log = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    assert_true(child_log >= 0);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = child = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        child_run(p[1]);
    }
    close(p[1]);
    close(child_log);
    int ports[NSERVERS];
    assert_int_equal(read(p[0], ports, sizeof ports), (ssize_t)sizeof ports);
    close(p[0]);

    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    tu_log log = {0};
    sipc_security *sec = tu_security(SIPC_TLS_OFF, NULL);
    sipc_ctx *flood[FLOOD_SOURCES];
    char from[FLOOD_SOURCES][32];
    for (int k = 0; k < FLOOD_SOURCES; k++) {
        snprintf(from[k], sizeof from[k], "127.1.172.%d", 10 + k);
        flood[k] = client_ctx(&loop, sec, from[k], &log);
        for (int s = 0; s < NSERVERS - 1; s++)
            for (int i = 0; i < FLOOD_PER_SOURCE; i++) {
                sipc_channel *ch;
                assert_int_equal(sipc_channel_open(&ch, flood[k], LISTEN, ports[s], NULL), 0);
                sipc_channel_set_conn_cb(ch, on_up, NULL);
            }
    }
    /* the flood settles: every connection it can get is up */
    int never = 0;
    (void)tu_run_until(&loop, &never, 2500);
    int fds = fds_of(pid);
    /* limit 1024: the reserve is 256, a quarter of it for the reserved
     * server; the node's own descriptors (listeners, loop, log) are few */
    if (fds < 0 || fds >= NODE_NOFILE - 192)
        fail_msg("the node holds %d descriptors of %d (%d connections of the flood up)", fds,
                 NODE_NOFILE, ups);
    assert_true(ups >= 700);

    /* the operator still gets in, and files can still be written */
    sipc_ctx *op = client_ctx(&loop, sec, OPERATOR_FROM, &log);
    sipc_channel *mgmt;
    assert_int_equal(sipc_channel_open(&mgmt, op, LISTEN, ports[NSERVERS - 1], NULL), 0);
    outcome echo = {0}, wrote = {0};
    assert_int_equal(sipc_call(mgmt, "test", "echo", NULL, 0, 5000, on_reply, &echo), 0);
    assert_true(tu_run_until(&loop, &echo.done, 6000));
    if (echo.err)
        fail_msg("the reserved server did not answer: %s (%s)", sipc_strerror(echo.err),
                 echo.text);
    assert_int_equal(sipc_call(mgmt, "test", "write", NULL, 0, 5000, on_reply, &wrote), 0);
    assert_true(tu_run_until(&loop, &wrote.done, 6000));
    assert_int_equal(wrote.err, 0);
    assert_string_equal(wrote.text, "ok");

    kill(pid, SIGKILL);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    child = -1;
    /* the refusals were said, naming the limit and what holds it */
    FILE *f = fopen(logpath, "r");
    assert_non_null(f);
    char line[2000];
    int said = 0;
    while (fgets(line, sizeof line, f))
        said |= strstr(line, "refusing a connection from 127.1.172.1") &&
                strstr(line, "share of its open-file limit (1024, less 256") &&
                strstr(line, "connections open: Service ");
    fclose(f);
    assert_true(said);

    for (int k = 0; k < FLOOD_SOURCES; k++)
        sipc_ctx_close(flood[k], NULL, NULL);
    sipc_ctx_close(op, NULL, NULL);
    assert_true(tu_drain(&loop, 10000));
    assert_int_equal(uv_loop_close(&loop), 0);
    sipc_security_release(sec);
    tu_log_free(&log);
    tu_rmdir(dir);
    free(dir);
}

/* a failed assertion leaves the node running: it goes with the test */
static int kill_child(void **state)
{
    (void)state;
    if (child > 0) {
        kill(child, SIGKILL);
        (void)waitpid(child, NULL, 0);
        child = -1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(t_flood_leaves_the_reserve, kill_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
