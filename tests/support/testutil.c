/* testutil.c - see testutil.h. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "testutil.h"

#include "certs/keypair.h"
#include "certs/trust.h"
#include "ipc/security.h"

extern char **environ;

char *tu_mkdtemp(const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    char *p = malloc(512);
    snprintf(p, 512, "%s/sipc-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
    if (!mkdtemp(p)) {
        free(p);
        return NULL;
    }
    return p;
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tu_rmdir(const char *dir)
{
    if (dir)
        nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static int run_pid(char *const argv[], int quiet, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (quiet) {
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    }
    int r = posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0)
        return -1;
    int st;
    while (waitpid(*pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int tu_run(char *const argv[], int quiet)
{
    pid_t pid;
    return run_pid(argv, quiet, &pid);
}

int tu_run_faked(const char *spec, char *const argv[], int quiet)
{
    char *av[48];
    int n = 0;
    av[n++] = "bash";
    av[n++] = SIPC_TEST_SUPPORT_DIR "/faketime.sh";
    av[n++] = (char *)spec;
    for (int i = 0; argv[i] && n < 47; i++)
        av[n++] = argv[i];
    av[n] = NULL;
    pid_t pid = -1;
    int rc = run_pid(av, quiet, &pid);
    if (pid <= 0)
        return rc;
    /* faketime.sh execs the program, which keeps bash's pid: a pair under
     * it was left by the program (killed, or it exec'd another) and would
     * break the next faketime wrapper given the pid */
    char shm[64], sem[64];
    snprintf(shm, sizeof shm, "/dev/shm/faketime_shm_%ld", (long)pid);
    snprintf(sem, sizeof sem, "/dev/shm/sem.faketime_sem_%ld", (long)pid);
    int left = (unlink(sem) == 0) + (unlink(shm) == 0);
    if (left && rc >= 0) {
        fprintf(stderr, "%s under faketime left %s and %s (removed)\n", argv[0], sem, shm);
        return -1;
    }
    return rc;
}

int tu_cat(const char *out, const char *const parts[], int n)
{
    FILE *o = fopen(out, "w");
    if (!o)
        return -1;
    for (int i = 0; i < n; i++) {
        FILE *in = fopen(parts[i], "r");
        if (!in) {
            fclose(o);
            return -1;
        }
        char buf[4096];
        size_t m;
        while ((m = fread(buf, 1, sizeof buf, in)) > 0)
            fwrite(buf, 1, m, o);
        fclose(in);
    }
    return fclose(o) == 0 ? 0 : -1;
}

int tu_make_pair(const char *dir, const char *name, const char *key, int days,
                 const char *faketime_start, const char *cn)
{
    char crt[512], k[512], pem[512], subj[300], d[16];
    snprintf(crt, sizeof crt, "%s/%s.crt", dir, name);
    snprintf(k, sizeof k, "%s/%s.key", dir, name);
    snprintf(pem, sizeof pem, "%s/%s.pem", dir, name);
    snprintf(subj, sizeof subj, "/CN=%s", cn ? cn : name);
    snprintf(d, sizeof d, "%d", days);
    const char *newkey = strcmp(key, "rsa") == 0 ? "rsa:2048" : "ec";
    char *argv[40];
    int n = 0;
    argv[n++] = "openssl";
    argv[n++] = "req";
    argv[n++] = "-x509";
    argv[n++] = "-newkey";
    argv[n++] = (char *)newkey;
    if (strcmp(key, "rsa") != 0) {
        argv[n++] = "-pkeyopt";
        argv[n++] = "ec_paramgen_curve:P-256";
    }
    argv[n++] = "-nodes";
    argv[n++] = "-keyout";
    argv[n++] = k;
    argv[n++] = "-out";
    argv[n++] = crt;
    argv[n++] = "-days";
    argv[n++] = d;
    argv[n++] = "-subj";
    argv[n++] = subj;
    argv[n++] = "-addext";
    argv[n++] = "basicConstraints=critical,CA:TRUE";
    argv[n++] = "-addext";
    argv[n++] = "keyUsage=critical,digitalSignature,keyCertSign";
    argv[n++] = "-addext";
    argv[n++] = "extendedKeyUsage=serverAuth,clientAuth";
    argv[n++] = "-addext";
    argv[n++] = "subjectAltName=DNS:localhost,IP:127.0.0.1";
    argv[n] = NULL;
    if ((faketime_start ? tu_run_faked(faketime_start, argv, 1) : tu_run(argv, 1)) != 0)
        return -1;
    /* node.crt layout: certificate then key */
    const char *const parts[] = {crt, k};
    if (tu_cat(pem, parts, 2) != 0)
        return -1;
    chmod(pem, 0600);
    chmod(k, 0600);
    return 0;
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
}

int tu_tcp_connect(const char *from, const char *to, int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct sockaddr_in me = {.sin_family = AF_INET};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (inet_pton(AF_INET, to, &sa.sin_addr) != 1 || inet_pton(AF_INET, from, &me.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&me, sizeof me) != 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void tu_sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int tu_run_until(uv_loop_t *loop, const int *flag, unsigned ms)
{
    uint64_t end = uv_now(loop) + ms;
    uv_timer_t tick;
    uv_timer_init(loop, &tick);
    /* a short repeating timer keeps uv_run(ONCE) from blocking forever */
    uv_timer_start(&tick, on_tick, 10, 10);
    while (!*flag && uv_now(loop) < end)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return *flag != 0;
}

int tu_drain(uv_loop_t *loop, unsigned ms)
{
    uint64_t end = uv_now(loop) + ms;
    while (uv_now(loop) < end) {
        if (uv_run(loop, UV_RUN_ONCE) == 0)
            return 1;
    }
    return uv_loop_alive(loop) == 0;
}

void tu_log_sink(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    tu_log *l = arg;
    char line[1400];
    int n = snprintf(line, sizeof line, "%s %s %s\n", category, sipc_log_level_name(level), msg);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = sizeof line - 1;
    if (l->len + (size_t)n + 1 > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8192;
        while (cap < l->len + (size_t)n + 1)
            cap *= 2;
        l->buf = realloc(l->buf, cap);
        l->cap = cap;
    }
    memcpy(l->buf + l->len, line, (size_t)n);
    l->len += (size_t)n;
    l->buf[l->len] = '\0';
    if (l->echo || getenv("SIPC_TEST_VERBOSE"))
        fputs(line, stderr);
}

int tu_log_has(const tu_log *l, const char *needle)
{
    return l->buf && strstr(l->buf, needle) != NULL;
}

void tu_log_free(tu_log *l)
{
    free(l->buf);
    l->buf = NULL;
    l->len = l->cap = 0;
}

sipc_security *tu_security(sipc_tls_mode mode, const char *pem)
{
    sipc_security *sec = NULL;
    char err[1024] = "";
    int r = mode == SIPC_TLS_OFF ? sipc_security_plain(&sec)
                                 : sipc_security_from_pem(&sec, mode, pem, NULL, err, sizeof err);
    if (r != 0) {
        fprintf(stderr, "test security: %s: %s\n", sipc_strerror(r), err);
        abort();
    }
    return sec;
}

sipc_security *tu_security_trusting(const char *pem, const char *other)
{
    sipc_keypair kp, ok;
    sipc_trust *t = NULL;
    sipc_security *sec = NULL;
    char err[1024] = "";
    memset(&kp, 0, sizeof kp);
    memset(&ok, 0, sizeof ok);
    int r = sipc_keypair_load_pem(&kp, pem, NULL, err, sizeof err);
    if (r == 0)
        r = sipc_keypair_load_pem(&ok, other, NULL, err, sizeof err);
    if (r == 0)
        r = sipc_trust_new(&t, NULL);
    if (r == 0)
        r = sipc_trust_set_own(t, &kp, err, sizeof err);
    if (r == 0)
        r = sipc_trust_add_rotation(t, &ok, "staged pair", err, sizeof err);
    sipc_keypair_free(&ok);
    if (r == 0)
        r = sipc__security_new_tls(&sec, SIPC_TLS_STRICT, &kp, t, err, sizeof err);
    if (r != 0) {
        fprintf(stderr, "test security trusting %s: %s: %s\n", other, sipc_strerror(r), err);
        abort();
    }
    return sec;
}

int tu_unhex(const char *hex, uint8_t *out, size_t n)
{
    if (strlen(hex) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

int tu_cpu_has(const char *const flags[])
{
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, "vgpreload"))
        return -1;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return -1;
    char line[8192];
    int has = -1;
    while (fgets(line, sizeof line - 1, f)) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        line[strcspn(line, "\n")] = ' '; /* every flag between spaces */
        has = 1;
        for (int i = 0; flags[i]; i++) {
            char want[64];
            snprintf(want, sizeof want, " %s ", flags[i]);
            if (!strstr(line, want))
                has = 0;
        }
        break;
    }
    fclose(f);
    return has;
}

int tu_run_on_stack(void *(*fn)(void *), void *arg, size_t len, uint8_t **stack)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *map = mmap(NULL, len + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                        -1, 0);
    *stack = NULL;
    if (map == MAP_FAILED)
        return -1;
    pthread_attr_t at;
    pthread_t t;
    int ok = mprotect(map, page, PROT_NONE) == 0 && /* an overrun faults */
             pthread_attr_init(&at) == 0;
    if (ok) {
        ok = pthread_attr_setstack(&at, map + page, len) == 0 &&
             pthread_create(&t, &at, fn, arg) == 0 && pthread_join(t, NULL) == 0;
        pthread_attr_destroy(&at);
    }
    if (!ok) {
        munmap(map, len + page);
        return -1;
    }
    *stack = map + page;
    return 0;
}

void tu_stack_free(uint8_t *stack, size_t len)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (stack)
        munmap(stack - page, len + page);
}

int tu_count_in(const uint8_t *p, size_t n, const uint8_t *needle, size_t len)
{
    int c = 0;
    const uint8_t *end = p + n;
    while ((p = memmem(p, (size_t)(end - p), needle, len)) != NULL) {
        c++;
        p++;
    }
    return c;
}
