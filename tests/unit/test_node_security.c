/* test_node_security.c - which security a node's services and its clients
 * get from a home (ipc/node/security_load.c): the [tls] mode for services,
 * the pipeline's own switch, the client rule (TLS whenever a pair is
 * imported; plaintext fallback only when this home is not enabled), and the
 * refusal of a private key others can read, the words a TLS-only pipeline
 * on a TLS-off node refuses a plaintext client with, and the words a home
 * with a pair but TLS off, loaded by the node rule, is told by a node that
 * requires TLS; the key loaded without /proc (open of /proc/self/fd/N
 * failed through --wrap); and when the mode a home's running sipcd wrote
 * in state/tls-running, by which its clients dial it, is taken
 * (ipc/node/home_lock_read.c): never from a file another account could
 * write or forge, nor from a lock holder that is not its writer (a process
 * of another account, one started after the file was written, a lock on
 * another file system's inode of the same number). */
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
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipc/node/home_lock_read.h"
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

/* A process holding dir's lock as a sipcd holds its home's (flock on the
 * directory, opened read-only), running as uid unless that is -1 (root
 * only): its pid, once it holds the lock; -1 when it could not take it. */
static pid_t lock_holder(const char *dir, uid_t uid)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        /* gone with the test, also when an assertion ends its case early */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)
            _exit(1);
        if (uid != (uid_t)-1 && (setgid((gid_t)uid) != 0 || setuid(uid) != 0))
            _exit(1);
        int fd = open(dir, O_RDONLY | O_DIRECTORY);
        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0 || write(p[1], "x", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    close(p[1]);
    char c;
    int held = pid > 0 && read(p[0], &c, 1) == 1;
    close(p[0]);
    if (pid > 0 && !held)
        waitpid(pid, NULL, 0);
    return held ? pid : -1;
}

static void holder_end(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* home's state/sipcd.lock naming pid and state/tls-running "PID MODE", as
 * sipcd writes them (0600 in a 0700 state/); 0 or -1. */
static int running_files(const char *home, pid_t pid, const char *mode)
{
    char path[700], text[64];
    snprintf(path, sizeof path, "%s/state", home);
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return -1;
    const char *names[] = {"sipcd.lock", "tls-running"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/state/%s", home, names[i]);
        snprintf(text, sizeof text, i ? "%ld %s\n" : "%ld\n", (long)pid, mode);
        FILE *fp = fopen(path, "w");
        if (!fp || fputs(text, fp) < 0 || fclose(fp) != 0 || chmod(path, 0600) != 0)
            return -1;
    }
    return 0;
}

static void tls_running_trust(void **state)
{
    fixture *f = *state;
    char dir[700], file[700];
    snprintf(dir, sizeof dir, "%s/state", f->home);
    snprintf(file, sizeof file, "%s/state/tls-running", f->home);
    pid_t h = lock_holder(f->home, (uid_t)-1);
    assert_true(h > 0);
    assert_int_equal(running_files(f->home, h, "permissive"), 0);
    /* the lock's holder wrote it, as the home's owner, since it started */
    assert_int_equal(sipc__home_tls_running(f->home), SIPC_TLS_PERMISSIVE);
    /* another account may write the file, or state/ */
    assert_int_equal(chmod(file, 0620), 0);
    assert_int_equal(sipc__home_tls_running(f->home), -1);
    assert_int_equal(chmod(file, 0600), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(sipc__home_tls_running(f->home), -1);
    assert_int_equal(chmod(dir, 0700), 0);
    /* written before its holder started: a killed run's, its pid taken by
     * another process since */
    struct timespec before[2] = {{.tv_sec = time(NULL) - 60}, {.tv_sec = time(NULL) - 60}};
    assert_int_equal(utimensat(AT_FDCWD, file, before, 0), 0);
    assert_int_equal(sipc__home_tls_running(f->home), -1);
    assert_int_equal(utimensat(AT_FDCWD, file, NULL, 0), 0);
    assert_int_equal(sipc__home_tls_running(f->home), SIPC_TLS_PERMISSIVE);
    holder_end(h);
    /* no holder any more: a file that says nothing */
    assert_int_equal(sipc__home_tls_running(f->home), -1);
}

/* A process of another account (nobody, 65534) takes the lock of a home it
 * can read while no sipcd runs, with the pid the files a killed run left
 * name: not that run. Root only. */
static void tls_running_other_account(void **state)
{
    fixture *f = *state;
    if (geteuid() != 0)
        skip();
    char dir[700], lock[700], file[700];
    snprintf(dir, sizeof dir, "%s/state", f->home);
    snprintf(lock, sizeof lock, "%s/state/sipcd.lock", f->home);
    snprintf(file, sizeof file, "%s/state/tls-running", f->home);
    assert_int_equal(chmod(f->home, 0755), 0);
    pid_t h = lock_holder(f->home, 65534);
    assert_true(h > 0);
    /* root's files (the home's owner's), written after the holder started */
    assert_int_equal(running_files(f->home, h, "off"), 0);
    assert_int_equal(sipc__home_tls_running(f->home), -1);
    /* the home, state/ and the files the holder's: that account's own node */
    const char *mine[] = {f->home, dir, lock, file};
    for (int i = 0; i < 4; i++)
        assert_int_equal(chown(mine[i], 65534, 65534), 0);
    assert_int_equal(sipc__home_tls_running(f->home), SIPC_TLS_OFF);
    /* ... but in a home another account owns */
    assert_int_equal(chown(f->home, 0, 0), 0);
    assert_int_equal(sipc__home_tls_running(f->home), -1);
    holder_end(h);
}

/* In a mount namespace of its own: home and decoy, directories of the same
 * inode number on two tmpfs mounts, a process holding decoy's lock and
 * named by home's files. 0 when the mode is not taken, 77 when this cannot
 * be set up here, else a failure's number. */
static int other_device(const char *top)
{
    char a[700], b[700], home[720], decoy[720];
    snprintf(a, sizeof a, "%s/a", top);
    snprintf(b, sizeof b, "%s/b", top);
    snprintf(home, sizeof home, "%s/home", a);
    snprintf(decoy, sizeof decoy, "%s/home", b);
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mkdir(a, 0700) != 0 || mkdir(b, 0700) != 0 ||
        mount("tmpfs", a, "tmpfs", 0, "mode=0700") != 0 ||
        mount("tmpfs", b, "tmpfs", 0, "mode=0700") != 0)
        return 77;
    struct stat sh, sd;
    if (mkdir(home, 0700) != 0 || mkdir(decoy, 0700) != 0 || stat(home, &sh) != 0 ||
        stat(decoy, &sd) != 0 || sh.st_ino != sd.st_ino || sh.st_dev == sd.st_dev)
        return 77;
    pid_t h = lock_holder(decoy, (uid_t)-1);
    if (h <= 0)
        return 2;
    int r = running_files(home, h, "off") != 0 ? 3 : sipc__home_tls_running(home) != -1 ? 4 : 0;
    holder_end(h);
    return r;
}

static void tls_running_other_device(void **state)
{
    fixture *f = *state;
    if (geteuid() != 0)
        skip();
    pid_t pid = fork();
    if (pid == 0)
        _exit(other_device(f->home));
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) == 77)
        skip();
    assert_int_equal(WEXITSTATUS(st), 0);
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
        cmocka_unit_test_setup_teardown(tls_running_trust, setup, teardown),
        cmocka_unit_test_setup_teardown(tls_running_other_account, setup, teardown),
        cmocka_unit_test_setup_teardown(tls_running_other_device, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
