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
 * 127.1.184.1). And a flood of connections that never finish opening, on
 * the reserved server's own port at its share of the limit, does not lock
 * an operator out: the oldest of them makes room (that node on
 * 127.1.203.1, its limit 128). And a flood of such connections on one
 * port, at a small limit, leaves the other ports room for their peers:
 * each server holds at most its part of the share in their handshake
 * (that node on 127.1.246.100, its limit 256). */
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
#define OPENING_LISTEN "127.1.203.1"
#define OPENING_FILL 60  /* established, on another server */
#define OPENING_OWN 8    /* established, on the reserved server itself */
#define OPENING_FLOOD 20 /* more than the reserved server's room */
#define PORTS_LISTEN "127.1.246.100"
#define PORTS_FLOOD_FROM "127.1.246.10" /* 1 .. 4: past one host's limit together */
#define PORTS_PEER_FROM "127.1.246.110"
#define PORTS_NOFILE 256 /* 128 for connections, 25 in their handshake per server */
#define PORTS_FLOOD 200
#define NODE_NOFILE 1024
#define SMALL_NOFILE 128 /* 64 for connections, 16 more for the reserved server */
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
static sipc_server *servers[NSERVERS];

/* How a test's node runs: where it listens, its open-file limit, whether
 * it starts out of descriptors, and its pair (NULL: plaintext only). */
typedef struct node_spec {
    const char *listen;
    int nofile;
    int starved;
    const char *pem;
} node_spec;

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
    /* a flood's handshakes last (a quarter of it under pressure) beyond
     * what a test looks at */
    o->handshake_timeout_ms = 20000;
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

/* The reserved server's totals, as "accepted=A refused=R evicted=E". */
static void h_stats(sipc_request *req, void *arg)
{
    (void)arg;
    sipc_server_stats st;
    char answer[200];
    assert_int_equal(sipc_server_stats_get(servers[NSERVERS - 1], &st), 0);
    const sipc_server *srv = servers[NSERVERS - 1];
    /* and its place in the process's count: fds taken, handed over by
     * connections closed to make room, its connections not yet freed */
    int n = snprintf(answer, sizeof answer,
                     "accepted=%llu refused=%llu evicted=%llu fds=%u handed=%u conns=%u",
                     (unsigned long long)st.accepted_total, (unsigned long long)st.refused_total,
                     (unsigned long long)st.evicted_total, srv->fds, srv->fds_handed, srv->nconns);
    assert_int_equal(sipc_respond(req, answer, (size_t)n), 0);
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
    if (c == 'r' && sipc_server_stats_get(servers[0], &st) == 0)
        dprintf(child_log, "refused_total=%llu.\n", (unsigned long long)st.refused_total);
    (void)!write(beat_pipe[1], "b", 1);
}

/* The node: four contexts on one loop listening as spec says, their ports
 * written to out; a pair's node accepts TLS and plaintext. */
static void child_run(const node_spec *spec, int out)
{
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL); /* not left behind by a failed test */
    struct rlimit rl = {(rlim_t)spec->nofile, (rlim_t)spec->nofile};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        _exit(2);
    uv_loop_t loop;
    uv_loop_init(&loop);
    sipc_security *sec = spec->pem ? tu_security(SIPC_TLS_PERMISSIVE, spec->pem)
                                   : tu_security(SIPC_TLS_OFF, NULL);
    sipc_router *router;
    sipc_router_new(&router);
    sipc_router_add(router, "test", "echo", h_echo, NULL);
    sipc_router_add(router, "test", "write", h_write, NULL);
    sipc_router_add(router, "test", "stats", h_stats, NULL);
    int ports[NSERVERS];
    for (int i = 0; i < NSERVERS; i++) {
        sipc_options o;
        test_options(&o, "n1", child_sink, NULL, SIPC_LOG_WARN);
        sipc_ctx *ctx;
        sipc_server *srv;
        char name[32];
        snprintf(name, sizeof name, "Service %d", i);
        if (sipc_ctx_new(&ctx, &loop, &o, sec) != 0 ||
            sipc_server_listen(&srv, ctx, name, spec->listen, 0, router) != 0)
            _exit(3);
        if (i == NSERVERS - 1)
            (void)sipc_server_set_reserved(srv, 1);
        ports[i] = sipc_server_port(srv);
        servers[i] = srv;
    }
    if (write(out, ports, sizeof ports) != (ssize_t)sizeof ports)
        _exit(4);
    close(out);
    uv_timer_t beat;
    uv_timer_init(&loop, &beat);
    if (spec->starved) {
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

/* Starts the node (child_run) logging to logpath; its pid. dir is made
 * first when the test has not made it. */
static pid_t node_start(char *logpath, size_t len, const node_spec *spec, int ports[NSERVERS])
{
    if (!dir)
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
        child_run(spec, p[1]);
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
    dir = NULL;
}

static void t_flood_leaves_the_reserve(void **state)
{
    (void)state;
    char logpath[600];
    int ports[NSERVERS];
    const node_spec spec = {LISTEN, NODE_NOFILE, 0, NULL};
    pid_t pid = node_start(logpath, sizeof logpath, &spec, ports);

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
    const node_spec spec = {STARVED_LISTEN, NODE_NOFILE, 1, NULL};
    pid_t pid = node_start(logpath, sizeof logpath, &spec, ports);
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

/* A link's ups and downs. */
typedef struct link_events {
    int ups, downs;
} link_events;

static void on_link(sipc_conn *c, sipc_conn_event ev, int err, void *arg)
{
    (void)c;
    (void)err;
    link_events *e = arg;
    e->ups += ev == SIPC_CONN_UP;
    e->downs += ev == SIPC_CONN_DOWN;
}

/* The reserved server's totals, asked over ch: "accepted=A refused=R
 * evicted=E" into text, A and R into the numbers. */
static void reserved_stats(uv_loop_t *loop, sipc_channel *ch, char *text, size_t len,
                           unsigned long long *accepted, unsigned long long *refused)
{
    outcome o = {0};
    assert_int_equal(sipc_call(ch, "test", "stats", NULL, 0, 2000, on_reply, &o), 0);
    assert_true(tu_run_until(loop, &o.done, 2500));
    if (o.err)
        fail_msg("stats: %s (%s)", sipc_strerror(o.err), o.text);
    snprintf(text, len, "%s", o.text);
    assert_int_equal(sscanf(o.text, "accepted=%llu refused=%llu", accepted, refused), 2);
}

/* Whether the node closed the raw connection fd (EOF or reset). */
static int closed_by_node(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN | POLLRDHUP};
    return poll(&pfd, 1, 0) == 1;
}

/* A node whose connections are at their share of a small open-file limit
 * (128: 64 for connections, 16 more for the reserved server): 60 established
 * on another server and 9 on the reserved server, which a flood of 20
 * connections that never finish opening (silent, or a ClientHello cut
 * short) then fills (11 places left, fewer than the 12 the server may hold
 * in their handshake: the share is reached first). An operator's TLS call to the reserved server is
 * answered promptly all the same: the oldest connection still opening made
 * room, each counted and logged, while the rest of the flood stays and the
 * established link is never closed. Before, the share's refusal closed the
 * newcomer, and the flood held the operator out until its handshakes timed
 * out (10 s), for good when it reopened them. */
static void t_opening_flood_at_the_share(void **state)
{
    (void)state;
    dir = tu_mkdtemp("fdbudget");
    char pem[600], logpath[600];
    assert_int_equal(tu_make_pair(dir, "node", "ec", 30, NULL, "sipc fd budget cluster"), 0);
    snprintf(pem, sizeof pem, "%s/node.pem", dir);
    int ports[NSERVERS];
    const node_spec spec = {OPENING_LISTEN, SMALL_NOFILE, 0, pem};
    pid_t pid = node_start(logpath, sizeof logpath, &spec, ports);
    int reserved = ports[NSERVERS - 1];

    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    tu_log log = {0};
    sipc_security *plain = tu_security(SIPC_TLS_OFF, NULL), *tls = tu_security(SIPC_TLS_STRICT, pem);
    sipc_ctx *fill = client_ctx(&loop, plain, "127.1.203.10", &log);
    link_events filled_ups = {0}, kept = {0};
    int never = 0;
    /* a few at a time: a server holds 12 in their handshake at this limit */
    for (int i = 0; i < OPENING_FILL + OPENING_OWN; i++) {
        sipc_channel *ch;
        assert_int_equal(sipc_channel_open(&ch, fill, OPENING_LISTEN,
                                           i < OPENING_FILL ? ports[0] : reserved, NULL),
                         0);
        sipc_channel_set_conn_cb(ch, on_link, &filled_ups);
        for (int t = 0; t < 300 && i % 8 == 7 && filled_ups.ups <= i; t++)
            (void)tu_run_until(&loop, &never, 10);
    }
    for (int t = 0; t < 300 && filled_ups.ups < OPENING_FILL + OPENING_OWN; t++)
        (void)tu_run_until(&loop, &never, 10);
    assert_int_equal(filled_ups.ups, OPENING_FILL + OPENING_OWN);
    /* an operator's link made before the flood */
    sipc_ctx *early = client_ctx(&loop, tls, "127.1.203.11", &log);
    sipc_channel *link;
    assert_int_equal(sipc_channel_open(&link, early, OPENING_LISTEN, reserved, NULL), 0);
    sipc_channel_set_conn_cb(link, on_link, &kept);
    char text[200];
    unsigned long long accepted, refused;
    reserved_stats(&loop, link, text, sizeof text, &accepted, &refused);

    /* the flood, from one host: half say nothing, half begin a ClientHello */
    static const char hello_start[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
    int flood[OPENING_FLOOD];
    for (int i = 0; i < OPENING_FLOOD; i++) {
        flood[i] = tu_tcp_connect("127.1.203.20", OPENING_LISTEN, reserved);
        assert_true(flood[i] >= 0);
        if (i % 2)
            assert_int_equal(send(flood[i], hello_start, sizeof hello_start - 1, 0),
                             (ssize_t)sizeof hello_start - 1);
    }
    /* every one of them taken on or refused by the node */
    for (int t = 0; t < 100 && accepted + refused < 1 + OPENING_OWN + OPENING_FLOOD; t++) {
        (void)tu_run_until(&loop, &never, 20);
        reserved_stats(&loop, link, text, sizeof text, &accepted, &refused);
    }
    assert_int_equal(accepted + refused, 1 + OPENING_OWN + OPENING_FLOOD);

    /* the operator gets in */
    sipc_ctx *op = client_ctx(&loop, tls, "127.1.203.12", &log);
    sipc_channel *mgmt;
    assert_int_equal(sipc_channel_open(&mgmt, op, OPENING_LISTEN, reserved, NULL), 0);
    outcome echo = {0};
    uint64_t t0 = uv_hrtime();
    assert_int_equal(sipc_call(mgmt, "test", "echo", NULL, 0, 3000, on_reply, &echo), 0);
    assert_true(tu_run_until(&loop, &echo.done, 3500));
    reserved_stats(&loop, link, text, sizeof text, &accepted, &refused);
    if (echo.err)
        fail_msg("the operator was refused during the flood: %s (%s); the reserved server: %s",
                 sipc_strerror(echo.err), echo.text, text);
    assert_true((uv_hrtime() - t0) / 1000000 < 1000);

    /* the oldest of the flood made room, each counted as evicted and none
     * refused; the newest stay open, as does the link made before them */
    int closed = 0;
    for (int i = 0; i < OPENING_FLOOD; i++)
        closed += closed_by_node(flood[i]);
    char want[200];
    snprintf(want, sizeof want, "refused=0 evicted=%d", closed);
    if (!strstr(text, want) || closed < 1 || !closed_by_node(flood[0]) ||
        closed_by_node(flood[OPENING_FLOOD - 1]) || closed > OPENING_FLOOD / 2)
        fail_msg("%d of the flood's %d connections closed (the first %s, the last %s); the "
                 "reserved server: %s",
                 closed, OPENING_FLOOD, closed_by_node(flood[0]) ? "closed" : "open",
                 closed_by_node(flood[OPENING_FLOOD - 1]) ? "closed" : "open", text);
    assert_int_equal(kept.ups, 1);
    assert_int_equal(kept.downs, 0);
    assert_int_equal(filled_ups.downs, 0);
    assert_true(logged(logpath, "Service 3: the process's connections hold their share of its "
                                "open-file limit (128, less 64 kept for its files, logs and "
                                "listeners, of which this server may use a quarter)",
                       "closing the oldest of its "));

    /* every connection holds one place in the process's count, its own or
     * one handed over by a connection closed to make room; once the flood
     * is gone, the links left hold one each, none handed over */
    unsigned fds = 0, handed = 0, conns = 0;
    const char *at = strstr(text, "fds=");
    assert_non_null(at);
    assert_int_equal(sscanf(at, "fds=%u handed=%u conns=%u", &fds, &handed, &conns), 3);
    assert_int_equal(fds + handed, conns);
    for (int i = 0; i < OPENING_FLOOD; i++)
        close(flood[i]);
    for (int t = 0; t < 100 && conns != 2 + OPENING_OWN; t++) {
        (void)tu_run_until(&loop, &never, 20);
        reserved_stats(&loop, link, text, sizeof text, &accepted, &refused);
        at = strstr(text, "fds=");
        assert_int_equal(sscanf(at, "fds=%u handed=%u conns=%u", &fds, &handed, &conns), 3);
    }
    print_message("the reserved server once the flood closed: %s\n", text);
    assert_int_equal(conns, 2 + OPENING_OWN);
    assert_int_equal(handed, 0);
    assert_int_equal(fds, 2 + OPENING_OWN);
    node_stop(pid);
    sipc_ctx_close(fill, NULL, NULL);
    sipc_ctx_close(early, NULL, NULL);
    sipc_ctx_close(op, NULL, NULL);
    assert_true(tu_drain(&loop, 10000));
    assert_int_equal(uv_loop_close(&loop), 0);
    sipc_security_release(plain);
    sipc_security_release(tls);
    tu_log_free(&log);
}

/* A node of four servers whose open-file limit is 256 (128 for its
 * connections): 200 connections that never finish opening on the first
 * server's port, from four hosts (each under its limit per host, 64), and
 * a peer of the second server gets in and is answered at once. The first holds at most 25 of them (128 in 5 parts: one per
 * server, one for the established), closing its oldest to make room, and
 * says so naming that limit. Before, [limits] max_opening (4096) let the
 * flood fill the share: every other port, with none of its own opening to
 * close, refused its peers until the flood's handshakes timed out. */
static void t_opening_flood_leaves_other_ports(void **state)
{
    (void)state;
    char logpath[600];
    int ports[NSERVERS];
    const node_spec spec = {PORTS_LISTEN, PORTS_NOFILE, 0, NULL};
    pid_t pid = node_start(logpath, sizeof logpath, &spec, ports);
    static int flood[PORTS_FLOOD];
    for (int i = 0; i < PORTS_FLOOD; i++) {
        char from[32];
        snprintf(from, sizeof from, PORTS_FLOOD_FROM "%d", 1 + i % 4);
        flood[i] = tu_tcp_connect(from, PORTS_LISTEN, ports[0]);
        assert_true(flood[i] >= 0);
    }
    /* the node takes them on, closing what it will */
    int before = -1, now = fds_of(pid);
    for (int t = 0; t < 40 && now != before; t++) {
        tu_sleep_ms(50);
        before = now;
        now = fds_of(pid);
    }

    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    tu_log log = {0};
    sipc_security *sec = tu_security(SIPC_TLS_OFF, NULL);
    sipc_ctx *peer = client_ctx(&loop, sec, PORTS_PEER_FROM, &log);
    sipc_channel *ch;
    assert_int_equal(sipc_channel_open(&ch, peer, PORTS_LISTEN, ports[1], NULL), 0);
    outcome echo = {0};
    assert_int_equal(sipc_call(ch, "test", "echo", NULL, 0, 1500, on_reply, &echo), 0);
    assert_true(tu_run_until(&loop, &echo.done, 2000));
    int held = 0;
    for (int i = 0; i < PORTS_FLOOD; i++)
        held += !closed_by_node(flood[i]);
    if (echo.err)
        fail_msg("a peer of another port was refused: %s (%s); the flooded port holds %d of "
                 "the flood's %d connections, the node %d descriptors",
                 sipc_strerror(echo.err), echo.text, held, PORTS_FLOOD, fds_of(pid));
    assert_string_equal(echo.text, "up");
    assert_true(held >= 1 && held <= (PORTS_NOFILE / 2) / (NSERVERS + 1));
    assert_true(logged(logpath, "Service 0: ",
                       " connections are in their handshake (limit 25: the process's open-file "
                       "limit 256, less 128 kept for its files, logs and listeners, in 5 parts, "
                       "one for each of its 4 servers and one for established connections; "
                       "[limits] max_opening 4096): closing the oldest, from " PORTS_FLOOD_FROM));
    assert_false(logged(logpath, "Service 1: refusing a connection", ""));
    for (int i = 0; i < PORTS_FLOOD; i++)
        close(flood[i]);
    node_stop(pid);
    sipc_ctx_close(peer, NULL, NULL);
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
    if (dir) {
        tu_rmdir(dir);
        free(dir);
        dir = NULL;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(t_flood_leaves_the_reserve, kill_child),
        cmocka_unit_test_teardown(t_accept_out_of_descriptors, kill_child),
        cmocka_unit_test_teardown(t_opening_flood_at_the_share, kill_child),
        cmocka_unit_test_teardown(t_opening_flood_leaves_other_ports, kill_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
