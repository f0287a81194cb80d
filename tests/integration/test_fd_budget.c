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
 * reset and the files could not be opened. And a node out of descriptors
 * all the same says so when an accept fails, and its loop does not spin,
 * however many connections come before one is freed (that node on
 * 127.1.184.1). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
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

#include "ipc/internal.h"
#include "testutil.h"

#define LISTEN "127.1.172.1"
#define STARVED_LISTEN "127.1.184.1"
#define STARVED_FROM "127.1.184.10"
#define OPERATOR_FROM "127.1.172.20"
#define NODE_NOFILE 1024
#define NSERVERS 4 /* the last one reserved */
#define FLOOD_SOURCES 4
#define FLOOD_PER_SOURCE 100 /* per flooded server */
#define FILES_WRITTEN 24     /* a database, its journal, state files */

static char *dir;
static int child_log = -1;
static pid_t child = -1;
/* a starved node: its timer's beats to the test, and the test's word to
 * free some of the descriptors it filled */
static int beat_pipe[2] = {-1, -1}, free_pipe[2] = {-1, -1};
static int filled[NODE_NOFILE], nfilled;
static sipc_server *first_server;

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

/* Takes libuv's spare descriptor away and fills every slot: the state in
 * which libuv's own way out of EMFILE failed (another thread, the pool's,
 * took the descriptor it freed), so that it calls back with EMFILE. */
static void starve(uv_loop_t *loop)
{
    if (loop->emfile_fd >= 0)
        close(loop->emfile_fd);
    loop->emfile_fd = -1;
    for (int fd; nfilled < NODE_NOFILE && (fd = dup(2)) >= 0;)
        filled[nfilled++] = fd;
}

/* Every 50 ms while starved: a beat (the loop runs), and on the test's word
 * 32 of the filled descriptors closed ('f'), a file opened if one can be,
 * as by a handler or another thread ('o'), the spare descriptor given up
 * as for a failed accept, with nothing refused to take it back ('l'), or the
 * first server's refused_total written to the log ('r'). */
static void on_beat(uv_timer_t *t)
{
    (void)t;
    char c = 0;
    if (read(free_pipe[0], &c, 1) != 1)
        c = 0;
    if (c == 'f')
        for (int i = 0; i < 32 && nfilled; i++)
            close(filled[--nfilled]);
    else if (c == 'l')
        sipc__fd_budget_free_spare();
    else if (c == 'o' && nfilled < NODE_NOFILE && (filled[nfilled] = dup(2)) >= 0)
        nfilled++;
    sipc_server_stats st;
    if (c == 'r' && sipc_server_stats_get(first_server, &st) == 0)
        dprintf(child_log, "refused_total=%llu.\n", (unsigned long long)st.refused_total);
    (void)!write(beat_pipe[1], "b", 1);
}

/* The node: four contexts on one loop listening on listen, their ports
 * written to out; with starved, out of descriptors from then on. */
static void child_run(const char *listen, int out, int starved)
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
            sipc_server_listen(&srv, ctx, name, listen, 0, router) != 0)
            _exit(3);
        if (i == NSERVERS - 1)
            (void)sipc_server_set_reserved(srv, 1);
        ports[i] = sipc_server_port(srv);
        if (i == 0)
            first_server = srv;
    }
    if (write(out, ports, sizeof ports) != (ssize_t)sizeof ports)
        _exit(4);
    close(out);
    uv_timer_t beat;
    uv_timer_init(&loop, &beat);
    if (starved) {
        uv_timer_start(&beat, on_beat, 50, 50);
        starve(&loop);
    }
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
    if (err)
        snprintf(o->text, sizeof o->text, "%s", rep->message);
    else
        snprintf(o->text, sizeof o->text, "%.*s", (int)rep->len, (const char *)rep->data);
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

/* Starts the node (child_run) logging to logpath; its pid. */
static pid_t node_start(char *logpath, size_t len, const char *listen, int starved,
                        int ports[NSERVERS])
{
    dir = tu_mkdtemp("fdbudget");
    snprintf(logpath, len, "%s/node.log", dir);
    child_log = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    assert_true(child_log >= 0);
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(pipe2(beat_pipe, O_NONBLOCK | O_CLOEXEC), 0);
    assert_int_equal(pipe2(free_pipe, O_NONBLOCK | O_CLOEXEC), 0);
    pid_t pid = child = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        child_run(listen, p[1], starved);
    }
    close(beat_pipe[1]);
    close(free_pipe[0]);
    close(p[1]);
    close(child_log);
    assert_int_equal(read(p[0], ports, NSERVERS * sizeof *ports),
                     (ssize_t)(NSERVERS * sizeof *ports));
    close(p[0]);
    return pid;
}

/* Whether the node's log at path has a line holding both a and b. */
static int logged(const char *path, const char *a, const char *b)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[2000];
    int said = 0;
    while (fgets(line, sizeof line, f))
        said |= strstr(line, a) && strstr(line, b);
    fclose(f);
    return said;
}

static void close_pipes(void)
{
    if (beat_pipe[0] >= 0)
        close(beat_pipe[0]);
    if (free_pipe[1] >= 0)
        close(free_pipe[1]);
    beat_pipe[0] = free_pipe[1] = -1;
}

static void node_stop(pid_t pid)
{
    kill(pid, SIGKILL);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    child = -1;
    close_pipes();
    tu_rmdir(dir);
    free(dir);
}

static void t_flood_leaves_the_reserve(void **state)
{
    (void)state;
    char logpath[600];
    int ports[NSERVERS];
    pid_t pid = node_start(logpath, sizeof logpath, LISTEN, 0, ports);

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

    /* the refusals were said, naming the limit and what holds it */
    assert_true(logged(logpath, "refusing a connection from 127.1.172.1",
                       "share of its open-file limit (1024, less 256 kept for its files, logs "
                       "and listeners): open-file limit 1024; "));
    node_stop(pid);

    for (int k = 0; k < FLOOD_SOURCES; k++)
        sipc_ctx_close(flood[k], NULL, NULL);
    sipc_ctx_close(op, NULL, NULL);
    assert_true(tu_drain(&loop, 10000));
    assert_int_equal(uv_loop_close(&loop), 0);
    sipc_security_release(sec);
    tu_log_free(&log);
}

/* CPU time the process pid has used, in clock ticks. */
static long cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    long ut = 0, st = 0;
    const char *p = strrchr(buf, ')');
    /* after the name: state, then fields 4 .. 13, then utime and stime */
    assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &ut,
                            &st),
                     2);
    return ut + st;
}

/* A connection to the starved node's port, which it closes at once (EOF or
 * reset), within 3 s; which names it in the failure. */
static void closed_at_once(int port, const char *which)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    assert_int_equal(inet_pton(AF_INET, STARVED_LISTEN, &a.sin_addr), 1);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 3000) != 1)
        fail_msg("%s was not closed by the node within 3 s", which);
    char b;
    assert_true(recv(fd, &b, 1, 0) <= 0);
    close(fd);
}

/* The beats of the node's timer since the last call. */
static int beats(void)
{
    char b[256];
    int n = 0;
    for (ssize_t r; (r = read(beat_pipe[0], b, sizeof b)) > 0;)
        n += (int)r;
    return n;
}

/* A connection to the node of t_accept_out_of_descriptors, closed at once,
 * after which its loop does not spin: within 1.3 s (past the second of
 * closing new connections) it uses little CPU and its timer runs. */
static void closed_and_quiet(pid_t pid, int port, const char *which)
{
    (void)beats();
    long before = cpu_ticks(pid);
    closed_at_once(port, which);
    tu_sleep_ms(1300);
    long spent = cpu_ticks(pid) - before;
    int n = beats(); /* one per 50 ms when the loop runs */
    if (spent > 40 || n < 10)
        fail_msg("within 1.3 s of %s the node used %ld clock ticks of CPU and its timer ran %d "
                 "times",
                 which, spent, n);
}

/* A node already out of descriptors, libuv's own spare gone (libuv calls
 * back with EMFILE and accepts again at once, for as long as no accept
 * succeeds): a connection is closed at once, the failed accept said with the
 * open-file limit, and the loop does not spin; nor when out of descriptors
 * again before any connection is freed: the second and third connections
 * are closed at once too, the node's timer goes on running; once
 * descriptors are free again, it accepts and answers. Before, the first refusal left the spare descriptor given up:
 * the second connection took the descriptor the first freed, and an accept
 * of the third failed with nothing left to give up, which libuv retried at
 * once, without end (the third was never closed, no timer ran). A file
 * opened after a refusal does not take the spare's descriptor; and with the
 * spare lost and one descriptor free, the connection that takes it is
 * refused, so that the next has the spare to give up. */
static void t_accept_out_of_descriptors(void **state)
{
    (void)state;
    char logpath[600];
    int ports[NSERVERS];
    pid_t pid = node_start(logpath, sizeof logpath, STARVED_LISTEN, 1, ports);
    tu_sleep_ms(300); /* it fills its descriptors */
    closed_and_quiet(pid, ports[0], "the first connection");
    closed_and_quiet(pid, ports[0], "the second connection");
    closed_and_quiet(pid, ports[0], "the third connection");

    assert_int_equal(write(free_pipe[1], "o", 1), 1);
    tu_sleep_ms(200);
    closed_and_quiet(pid, ports[0], "a connection after a file was opened");

    assert_int_equal(write(free_pipe[1], "l", 1), 1);
    tu_sleep_ms(200);
    closed_and_quiet(pid, ports[0], "a connection taking the last descriptor");
    closed_and_quiet(pid, ports[0], "the connection after it");
    /* each of the six counted once, and only they */
    assert_int_equal(write(free_pipe[1], "r", 1), 1);
    tu_sleep_ms(200);
    assert_true(logged(logpath, "refused_total=6.", "refused_total"));

    /* descriptors free again: a call is answered */
    assert_int_equal(write(free_pipe[1], "f", 1), 1);
    tu_sleep_ms(200);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    tu_log log = {0};
    sipc_security *sec = tu_security(SIPC_TLS_OFF, NULL);
    sipc_ctx *ctx = client_ctx(&loop, sec, STARVED_FROM, &log);
    sipc_channel *ch;
    assert_int_equal(sipc_channel_open(&ch, ctx, STARVED_LISTEN, ports[0], NULL), 0);
    outcome echo = {0};
    assert_int_equal(sipc_call(ch, "test", "echo", NULL, 0, 3000, on_reply, &echo), 0);
    assert_true(tu_run_until(&loop, &echo.done, 4000));
    if (echo.err)
        fail_msg("the node did not answer once descriptors were free: %s (%s)",
                 sipc_strerror(echo.err), echo.text);
    assert_string_equal(echo.text, "up");
    assert_true(logged(logpath, "Service 0: accept failed: too many open files: the process has "
                                "run out of file descriptors (open-file limit 1024; ",
                       "; new connections are closed at once for a second"));
    node_stop(pid);
    sipc_ctx_close(ctx, NULL, NULL);
    assert_true(tu_drain(&loop, 10000));
    assert_int_equal(uv_loop_close(&loop), 0);
    sipc_security_release(sec);
    tu_log_free(&log);
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
    close_pipes();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(t_flood_leaves_the_reserve, kill_child),
        cmocka_unit_test_teardown(t_accept_out_of_descriptors, kill_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
