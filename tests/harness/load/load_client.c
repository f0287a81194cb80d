/* load_client.c - what both engines stand on: the files under DIR/load/, the
 * log, a client context with the cluster's client security, and the
 * deterministic content of a record. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "load.h"
#include "rfc3339.h"
#include "sipc/node.h"

int load_dir_resolve(const load_opts *o, char dir[512])
{
    struct stat st;
    if (!realpath(o->dir, dir) || stat(dir, &st) != 0)
        return load_fail(SIPC_EXIT_CONFIG, "%s: %s", o->dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return load_fail(SIPC_EXIT_CONFIG, "%s: not a folder (--dir is the cluster's folder)",
                         o->dir);
    return 0;
}

int load_paths_make(load_paths *p, const char *dir, int create, char *err, size_t errlen)
{
    if (strlen(dir) + 16 > sizeof p->dir) {
        snprintf(err, errlen, "--dir is too long");
        return SIPC_EINVAL;
    }
    snprintf(p->dir, sizeof p->dir, "%s/load", dir);
    snprintf(p->ledger, sizeof p->ledger, "%s/ledger", p->dir);
    snprintf(p->pid, sizeof p->pid, "%s/pid", p->dir);
    snprintf(p->log, sizeof p->log, "%s/load.log", p->dir);
    snprintf(p->report, sizeof p->report, "%s/report.json", p->dir);
    if (create && mkdir(p->dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", p->dir, strerror(errno));
        return SIPC_ECONFIG;
    }
    return 0;
}

/* ------------------------------------------------------------------- log */

static FILE *log_file;

void load_log_open(const char *path)
{
    FILE *f = path ? fopen(path, "ae") : NULL;
    if (f) {
        setvbuf(f, NULL, _IOLBF, 0);
        log_file = f;
    }
}

int64_t load_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void load_log(const char *level, const char *fmt, ...)
{
    FILE *f = log_file ? log_file : stderr;
    char when[40];
    sipc_rfc3339_format(load_now_ms(), 1, when, sizeof when);
    fprintf(f, "%s %s ", when, level);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
}

void load_log_sink(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    (void)arg;
    if (level >= SIPC_LOG_WARN)
        load_log(sipc_log_level_name(level), "%s %s", category, msg);
}

/* ---------------------------------------------------------------- client */

/* The files a change of the home's security touches: tlstool enable,
 * disable, mode and rotate stage|commit|finish write some of them (a
 * rotation also adds and removes subdirectories of security/, which changes
 * the directory's own stamp). */
static const char *const home_files[LOAD_HOME_FILES] = {
    "sipc.conf",          "security",          "security/node.crt", "security/node.p12",
    "security/trust",     "security/crl",      "security/rotation",
};

void load_home_stamp_read(const load_cluster *c, load_home_stamp *st)
{
    memset(st, 0, sizeof *st);
    for (int i = 0; i < LOAD_HOME_FILES; i++) {
        char path[700];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", c->client_home, home_files[i]);
        if (stat(path, &sb) != 0)
            continue; /* missing: all zero */
        st->f[i][0] = (uint64_t)sb.st_ino;
        st->f[i][1] = (uint64_t)sb.st_size;
        st->f[i][2] = (uint64_t)sb.st_mtim.tv_sec;
        st->f[i][3] = (uint64_t)sb.st_mtim.tv_nsec;
    }
}

int load_home_stamp_equal(const load_home_stamp *a, const load_home_stamp *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

int load_client_security(sipc_security **sec, sipc_config *cfg, const load_cluster *c, char *err,
                         size_t errlen)
{
    char why[1024] = "";
    if (sipc_config_load(cfg, c->client_home, why, sizeof why) != 0 ||
        sipc_security_load_client(sec, cfg, why, sizeof why) != 0) {
        snprintf(err, errlen, "client home %s: %s", c->client_home, why);
        return SIPC_EXIT_CONFIG;
    }
    return 0;
}

int load_client_ctx(sipc_ctx **ctx, uv_loop_t *loop, const load_cluster *c, char *err,
                    size_t errlen)
{
    static sipc_config cfg; /* must outlive sipc_ctx_new; one client per process */
    sipc_security *sec;
    int rc = load_client_security(&sec, &cfg, c, err, errlen);
    if (rc != 0)
        return rc;
    sipc_options opts;
    sipc_options_from_config(&opts, &cfg);
    opts.node_id = "sipc-load";
    /* a node that restarts is found again within a second, not after the
     * default backoff of up to 30 s */
    opts.reconnect_min_ms = 50;
    opts.reconnect_max_ms = 1000;
    opts.log = load_log_sink;
    opts.log_arg = NULL;
    int e = sipc_ctx_new(ctx, loop, &opts, sec);
    sipc_security_release(sec);
    if (e != 0) {
        snprintf(err, errlen, "client context: %s", sipc_strerror(e));
        return SIPC_EXIT_SOFTWARE;
    }
    return 0;
}

void load_client_close(sipc_ctx *ctx, uv_loop_t *loop)
{
    if (!ctx)
        return;
    sipc_ctx_close(ctx, NULL, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
}

/* ---------------------------------------------------------------- records */

size_t load_record_id(const char *run, uint64_t seq, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s-%" PRIu64, run, seq);
    return n < 0 ? 0 : (size_t)n;
}

size_t load_record_body(const char *run, uint64_t seq, char *out, size_t cap)
{
    /* words a search can find, and a few bytes that differ per record */
    int n = snprintf(out, cap,
                     "sipc-load run %s record %" PRIu64 " checksum %016" PRIx64
                     " the quick brown fox jumps over the lazy dog",
                     run, seq, (uint64_t)((seq + 1) * 0x9e3779b97f4a7c15ull));
    return n < 0 ? 0 : (size_t)n;
}

int load_record_seq(const char *run, const uint8_t *id, size_t len, uint64_t *seq)
{
    size_t rl = strlen(run);
    if (len < rl + 2 || memcmp(id, run, rl) != 0 || id[rl] != '-')
        return -1;
    uint64_t v = 0;
    for (size_t i = rl + 1; i < len; i++) {
        if (id[i] < '0' || id[i] > '9' || v >= LOAD_MAX_SEQ)
            return -1;
        v = v * 10 + (uint64_t)(id[i] - '0');
    }
    if (v >= LOAD_MAX_SEQ)
        return -1;
    *seq = v;
    return 0;
}

/* ---------------------------------------------------------------- runs */

long load_running_pid(const load_paths *p)
{
    FILE *f = fopen(p->pid, "re");
    if (!f)
        return 0;
    long pid = 0;
    int ok = fscanf(f, "%ld", &pid) == 1 && pid > 1;
    fclose(f);
    if (!ok || kill((pid_t)pid, 0) != 0)
        return 0;
    char path[64], cmd[512] = "";
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    f = fopen(path, "re");
    if (!f)
        return 0;
    size_t n = fread(cmd, 1, sizeof cmd - 1, f);
    fclose(f);
    cmd[n] = '\0'; /* argv[0] */
    const char *base = strrchr(cmd, '/');
    base = base ? base + 1 : cmd;
    return !strcmp(base, "sipc-load") ? pid : 0;
}

void load_paths_rotate(const load_paths *p)
{
    /* the log too: a grep of it after a new run must not find the last one's errors */
    const char *const files[] = {p->ledger, p->report, p->log};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char prev[700];
        snprintf(prev, sizeof prev, "%s.prev", files[i]);
        rename(files[i], prev);
    }
}

void load_run_id(char *out, size_t cap)
{
    snprintf(out, cap, "l%" PRIx64 "%04x", (uint64_t)load_now_ms(), (unsigned)getpid() & 0xffffu);
}

int load_prepare(const load_opts *o, load_setup *su)
{
    memset(su, 0, sizeof *su);
    char err[1200], dir[512];
    if (load_dir_resolve(o, dir) != 0)
        return SIPC_EXIT_CONFIG;
    if (load_cluster_read(&su->c, dir, err, sizeof err) != 0)
        return load_fail(SIPC_EXIT_CONFIG, "%s", err);
    if (load_cluster_select(&su->c, o->nodes, su->nodes, &su->nnodes, err, sizeof err) != 0)
        return load_fail(SIPC_EXIT_USAGE, "%s", err);
    if (load_paths_make(&su->paths, dir, 1, err, sizeof err) != 0)
        return load_fail(SIPC_EXIT_CONFIG, "%s", err);
    long pid = load_running_pid(&su->paths);
    if (pid)
        return load_fail(SIPC_EXIT_TEMPFAIL,
                         "a generator already runs in %s (pid %ld): sipc-load stop first",
                         su->paths.dir, pid);
    load_paths_rotate(&su->paths);
    load_run_id(su->run, sizeof su->run);
    return 0;
}

int load_begin(const load_opts *o, load_setup *su, load_ledger *lg)
{
    char err[800];
    if (load_ledger_open(lg, su->paths.ledger, err, sizeof err) != 0) {
        load_log("ERROR", "%s", err);
        return SIPC_EXIT_CONFIG;
    }
    char names[LOAD_MAX_NODES * 65] = "";
    for (int i = 0; i < su->nnodes; i++) {
        size_t have = strlen(names);
        snprintf(names + have, sizeof names - have, "%s%s", i ? "," : "",
                 su->c.node[su->nodes[i]].name);
    }
    int e = load_ledger_line(lg, "run %s %" PRId64 " %d %ld %s %d", su->run, load_now_ms(), o->rate,
                             (long)getpid(), names, LOAD_LEDGER_VERSION);
    if (e != 0) {
        load_log("ERROR", "%s: cannot write: %s", su->paths.ledger, sipc_strerror(e));
        load_ledger_close(lg);
        return SIPC_EXIT_CANTCREAT;
    }
    load_log("INFO", "run %s: %d records/s through %s, deadline %d s, batches of at most %d",
             su->run, o->rate, names, o->deadline, o->batch);
    return 0;
}
