/* test_log.c - the operator log format (ipc/log.c):
 *   YYYY-MM-DDTHH:MM:SS.mmm+HH:MM Category LEVEL msg (local time, to the
 *   millisecond, and its offset)
 * in DIR/<name>_<YYYYMMDD>.log, with min-level filtering and stderr echo;
 * and a context's log_level, below which nothing reaches its sink.
 * Linked with --wrap=realloc: fail_realloc makes the library's buffers
 * (ipc/node/log.c's held lines) fail to grow. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/log_line.h"
#include "ipc/internal.h"
#include "ipc/node/log_internal.h"
#include "sipc/node.h"
#include "sipc/sipc.h"

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
static int fail_realloc, realloc_failed;
void *__wrap_realloc(void *p, size_t n)
{
    if (!fail_realloc)
        return __real_realloc(p, n);
    realloc_failed++;
    return NULL;
}

/* Linked with --wrap=lseek: when other_appender names a file, the next
 * lseek (the logger's, taking where its write starts) is followed by a line
 * another process appends to that file, as an operator's echo >> would. */
static atomic_int lseek_hold, in_lseek, crash_began;
off_t __real_lseek(int fd, off_t off, int whence);
off_t __wrap_lseek(int fd, off_t off, int whence);
static const char *other_appender;
/* ... then, the lseek after, the file other_appender_next names */
static const char *other_appender_next;
/* ... and when truncate_under names one, the file is emptied there, as
 * logrotate's copytruncate would. */
static const char *truncate_under;
off_t __wrap_lseek(int fd, off_t off, int whence)
{
    off_t r = __real_lseek(fd, off, whence);
    if (truncate_under) {
        if (truncate(truncate_under, 0) != 0)
            abort();
        truncate_under = NULL;
    }
    if (other_appender) {
        int o = open(other_appender, O_WRONLY | O_APPEND);
        if (o >= 0) {
            if (write(o, "another appender's line\n", 24) != 24)
                abort();
            close(o);
        }
        other_appender = other_appender_next;
        other_appender_next = NULL;
    }
    if (atomic_load(&lseek_hold)) { /* test_crash_during_close */
        atomic_store(&lseek_hold, 0);
        atomic_store(&in_lseek, 1);
        while (!atomic_load(&crash_began))
            usleep(1000);
        usleep(20 * 1000); /* the crash handler waits for the logger */
    }
    return r;
}

/* Linked with --wrap=sipc__log_now: while fake_now_set, the loggers' clock
 * reads fake_now (a midnight crossed without waiting for one). */
void __real_sipc__log_now(struct timespec *now);
void __wrap_sipc__log_now(struct timespec *now);
static struct timespec fake_now;
static int fake_now_set;
void __wrap_sipc__log_now(struct timespec *now)
{
    if (fake_now_set)
        *now = fake_now;
    else
        __real_sipc__log_now(now);
}

#define LINE_RE                                                                                    \
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}[+-][0-9]{2}:[0-9]{2} "         \
    "[A-Za-z.]+ (DEBUG|INFO|WARN|ERROR) .*$"

static char *make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/sipc-log-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void rm_dir(char *dir)
{
    char cmd[700];
    assert_non_null(strstr(dir, "/sipc-log-"));
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static void today(char out[9])
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(out, 9, "%Y%m%d", &tm);
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)n, fp);
    buf[got] = '\0';
    fclose(fp);
    return buf;
}

/* The log of name in dir for the day(s) the test ran on (midnight-proof). */
static char *read_log(const char *dir, const char *name, const char *day1, const char *day2)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s_%s.log", dir, name, day1);
    char *a = slurp(path);
    if (strcmp(day1, day2) == 0)
        return a;
    snprintf(path, sizeof path, "%s/%s_%s.log", dir, name, day2);
    char *b = slurp(path);
    size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
    char *all = malloc(la + lb + 1);
    assert_non_null(all);
    memcpy(all, a ? a : "", la);
    memcpy(all + la, b ? b : "", lb + 1);
    free(a);
    free(b);
    return all;
}

/* Checks every line against the format; returns the number of lines. */
static int check_lines(const char *text)
{
    regex_t re;
    assert_int_equal(regcomp(&re, LINE_RE, REG_EXTENDED | REG_NOSUB), 0);
    int n = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl); /* every line ends with a newline */
        char line[2048];
        size_t len = (size_t)(nl - p);
        assert_true(len < sizeof line);
        memcpy(line, p, len);
        line[len] = '\0';
        if (regexec(&re, line, 0, NULL, 0) != 0)
            fail_msg("line does not match the operator format: '%s'", line);
        n++;
        p = nl + 1;
    }
    regfree(&re);
    return n;
}

static void test_format_and_file_name(void **state)
{
    (void)state;
    char *base = make_dir();
    char dir[700];
    snprintf(dir, sizeof dir, "%s/logs", base); /* created by the logger */
    char d1[9], d2[9];
    today(d1);
    sipc_logger *lg = NULL;
    assert_int_equal(sipc_logger_open(&lg, dir, "DataService", 0, SIPC_LOG_INFO), 0);
    assert_non_null(lg);
    sipc_logf(lg, SIPC_LOG_INFO, "Service.Start", "Starting %s", "Data Service");
    sipc_logf(lg, SIPC_LOG_INFO, "Service.Start", "TLS Port: %d", 23000);
    sipc_logf(lg, SIPC_LOG_INFO, "Service.Start", "Data Service Started");
    sipc_logf(lg, SIPC_LOG_WARN, "Transport.Conn", "Connection from %s closed", "10.0.0.2:5000");
    sipc_logger_sink(lg, SIPC_LOG_ERROR, "Transport.TLS", "handshake failed");
    sipc_logf(lg, SIPC_LOG_DEBUG, "Transport.Conn", "not shown");
    sipc_logger_close(lg);
    today(d2);

    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));

    char *text = read_log(dir, "DataService", d1, d2);
    assert_non_null(text);
    assert_int_equal(check_lines(text), 5);
    /* exact shapes after the timestamp */
    assert_non_null(strstr(text, " Service.Start INFO Starting Data Service\n"));
    assert_non_null(strstr(text, " Service.Start INFO TLS Port: 23000\n"));
    assert_non_null(strstr(text, " Service.Start INFO Data Service Started\n"));
    assert_non_null(strstr(text, " Transport.Conn WARN Connection from 10.0.0.2:5000 closed\n"));
    assert_non_null(strstr(text, " Transport.TLS ERROR handshake failed\n"));
    assert_null(strstr(text, "not shown"));
    /* the date in the lines is the date in the file name */
    char want[16];
    snprintf(want, sizeof want, "%.4s-%.2s-%.2sT", d1, d1 + 4, d1 + 6);
    assert_true(strncmp(text, want, strlen(want)) == 0 || strcmp(d1, d2) != 0);
    free(text);
    rm_dir(base);
}

static void test_min_level(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d1[9], d2[9];
    today(d1);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "Filter", 0, SIPC_LOG_WARN), 0);
    sipc_logf(lg, SIPC_LOG_DEBUG, "A.B", "debug");
    sipc_logf(lg, SIPC_LOG_INFO, "A.B", "info");
    sipc_logf(lg, SIPC_LOG_WARN, "A.B", "warn");
    sipc_logf(lg, SIPC_LOG_ERROR, "A.B", "error");
    sipc_logger_close(lg);
    assert_int_equal(sipc_logger_open(&lg, dir, "Debug", 0, SIPC_LOG_DEBUG), 0);
    sipc_logf(lg, SIPC_LOG_DEBUG, "A.B", "debug");
    sipc_logger_close(lg);
    today(d2);

    char *text = read_log(dir, "Filter", d1, d2);
    assert_int_equal(check_lines(text), 2);
    assert_null(strstr(text, " A.B DEBUG "));
    assert_null(strstr(text, " A.B INFO "));
    assert_non_null(strstr(text, " A.B WARN warn\n"));
    assert_non_null(strstr(text, " A.B ERROR error\n"));
    free(text);
    text = read_log(dir, "Debug", d1, d2);
    assert_int_equal(check_lines(text), 1);
    assert_non_null(strstr(text, " A.B DEBUG debug\n"));
    free(text);
    rm_dir(dir);
}

/* Reopening appends: a restart keeps the day's earlier lines. */
static void test_append(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d1[9], d2[9];
    today(d1);
    for (int i = 0; i < 3; i++) {
        sipc_logger *lg;
        assert_int_equal(sipc_logger_open(&lg, dir, "Svc", 0, SIPC_LOG_INFO), 0);
        sipc_logf(lg, SIPC_LOG_INFO, "Service.Start", "run %d", i);
        sipc_logger_close(lg);
    }
    today(d2);
    char *text = read_log(dir, "Svc", d1, d2);
    assert_int_equal(check_lines(text), 3);
    assert_non_null(strstr(text, "run 0\n"));
    assert_non_null(strstr(text, "run 2\n"));
    free(text);
    rm_dir(dir);
}

static int count_of(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* A day's file takes lines up to its cap, then one line saying so; lines
 * below ERROR past it are dropped and counted, ERROR lines still written;
 * a logger opened again the same day (a restart) finds the file at its cap
 * and says so once again. */
static void test_file_cap(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d1[9], d2[9];
    today(d1);
    sipc_log_health h;
    int dropped = 0;
    for (int run = 0; run < 2; run++) {
        sipc_logger *lg;
        assert_int_equal(sipc_logger_open(&lg, dir, "Svc", 0, SIPC_LOG_INFO), 0);
        assert_int_equal(sipc_logger_health(lg, &h), 0);
        assert_int_equal(h.file_cap_bytes, SIPC_LOG_FILE_CAP_DEFAULT);
        assert_int_equal(sipc_logger_set_file_cap(lg, 0), SIPC_EINVAL);
        assert_int_equal(sipc_logger_set_file_cap(NULL, 4096), SIPC_EINVAL);
        assert_int_equal(sipc_logger_set_file_cap(lg, 4096), 0);
        for (int i = 0; i < 100; i++)
            sipc_logf(lg, SIPC_LOG_INFO, "Transport.Conn", "run %d line %03d of a flood", run, i);
        sipc_logf(lg, SIPC_LOG_ERROR, "Service.Stop", "run %d: an error past the cap", run);
        sipc_logf(lg, SIPC_LOG_WARN, "Transport.Conn", "run %d: a warning past the cap", run);
        assert_int_equal(sipc_logger_health(lg, &h), 0);
        assert_int_equal(h.capped, 1);
        assert_int_equal(h.file_cap_bytes, 4096);
        sipc_logger_close(lg);
        dropped += (int)h.lines_dropped_total; /* the record goes with its last logger */
    }
    today(d2);
    char *text = read_log(dir, "Svc", d1, d2);
    int lines = check_lines(text);
    /* 101 lines below ERROR a run: each either in the file or dropped */
    assert_int_equal(count_of(text, "of a flood\n") + count_of(text, "a warning past") + dropped,
                     202);
    assert_true(count_of(text, "of a flood\n") > 20);
    assert_int_equal(count_of(text, "run 1 line"), 0);
    assert_int_equal(count_of(text, "a warning past"), 0);
    assert_int_equal(count_of(text, "Log WARN this file reached its size cap: lines below ERROR "
                                    "are dropped until the next day's file"),
                     2);
    assert_int_equal(count_of(text, "an error past the cap"), 2);
    assert_true(strlen(text) <= 4096 + 4 * 300);
    assert_int_equal(lines, count_of(text, "\n"));
    free(text);
    rm_dir(dir);
}

/* A link planted under a log file's name is not written through (a node
 * run as root in a home another account controls would append to the file
 * it names): the logger says it cannot open the file and keeps logging to
 * stderr. */
static void test_link_not_followed(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d[9], victim[700], link[700];
    snprintf(victim, sizeof victim, "%s/victim", dir);
    FILE *f = fopen(victim, "w");
    assert_non_null(f);
    fputs("precious\n", f);
    fclose(f);
    today(d);
    snprintf(link, sizeof link, "%s/Svc_%s.log", dir, d);
    assert_int_equal(symlink(victim, link), 0);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "Svc", 0, SIPC_LOG_INFO), 0);
    sipc_logf(lg, SIPC_LOG_INFO, "Service.Start", "must not reach the victim");
    sipc_logger_close(lg);
    char *text = slurp(victim);
    assert_string_equal(text, "precious\n");
    free(text);
    rm_dir(dir);
}

/* Points stderr at the file path until stderr_back(the returned fd). */
static int stderr_to(const char *path)
{
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, 2), 2);
    close(fd);
    return saved;
}

static void stderr_back(int saved)
{
    fflush(stderr);
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
}

/* A file write that fails part-way (here a file size limit: EFBIG, as
 * ENOSPC or EIO would) leaves no half line in the file: the file is cut back
 * to its last whole line, the line is held, the health says since when and
 * why, stderr says once that the files stopped; the next write that works
 * writes the held line first, whole, and stderr says the files work again. */
static void test_write_fails_whole_lines(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d1[9], d2[9], errpath[700];
    today(d1);
    snprintf(errpath, sizeof errpath, "%s/stderr", dir);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "Big", 0, SIPC_LOG_INFO), 0);
    sipc_log_health h;
    assert_int_equal(sipc_logger_health(lg, &h), 0);
    assert_false(h.failing);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "before the limit");
    char path[700];
    snprintf(path, sizeof path, "%s/Big_%s.log", dir, d1);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    off_t before = st.st_size;
    /* room for part of the next line only */
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)before + 40;
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    int saved = stderr_to(errpath);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "held %s", big);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "held too");
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, before); /* cut back: no half line */
    assert_int_equal(sipc_logger_health(lg, &h), 0);
    assert_true(h.failing);
    assert_int_equal(h.first_errno, EFBIG);
    assert_true(h.failures >= 1);
    assert_true(h.since_unix_ms > 0);
    assert_non_null(strstr(h.last_error, path));
    assert_non_null(strstr(h.last_error, strerror(EFBIG)));
    /* while it fails the file is tried once a second: the next try
     * writes the held lines first, whole, in order */
    usleep(1100 * 1000);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "after the limit");
    assert_int_equal(sipc_logger_health(lg, &h), 0);
    assert_false(h.failing);
    assert_true(h.failures_total >= 1);
    assert_int_equal(h.lines_lost_total, 0);
    sipc_logger_close(lg);
    stderr_back(saved);
    signal(SIGXFSZ, oldsig);
    today(d2);
    char *text = read_log(dir, "Big", d1, d2);
    assert_int_equal(check_lines(text), 4);
    char *a = strstr(text, "before the limit\n"), *b = strstr(text, "held xxx"),
         *c = strstr(text, "held too\n"), *e = strstr(text, "after the limit\n");
    assert_true(a && b && c && e && a < b && b < c && c < e);
    free(text);
    char *err = slurp(errpath);
    assert_non_null(err);
    const char *stop = strstr(err, "stopped at");
    assert_non_null(stop);
    assert_null(strstr(stop + 1, "stopped at")); /* once */
    assert_non_null(strstr(err, strerror(EFBIG)));
    assert_non_null(strstr(err, "are written again"));
    free(err);
    rm_dir(dir);
}

/* A write that fails part-way after another appender added to the file
 * (between where the logger took its start and its write) cuts nothing:
 * the other's line stays, and the logger's next line starts on a line of
 * its own. */
static void test_write_fails_other_appender(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d1[9], d2[9], errpath[700];
    today(d1);
    snprintf(errpath, sizeof errpath, "%s/stderr", dir);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "Other", 0, SIPC_LOG_INFO), 0);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "before the limit");
    char path[700];
    snprintf(path, sizeof path, "%s/Other_%s.log", dir, d1);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    off_t before = st.st_size;
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)before + 24 + 40;
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    int saved = stderr_to(errpath);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    other_appender = path;
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "held %s", big);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_null(other_appender); /* the logger's write did take its start */
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size >= before + 24); /* the other's line not cut */
    usleep(1100 * 1000);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "after the limit");
    sipc_logger_close(lg);
    stderr_back(saved);
    signal(SIGXFSZ, oldsig);
    today(d2);
    char *text = read_log(dir, "Other", d1, d2);
    char *a = strstr(text, "before the limit\n"), *o = strstr(text, "\nanother appender's line\n"),
         *e = strstr(text, "after the limit\n");
    assert_true(a && o && e && a < o && o < e);
    /* the held line whole, on a line of its own, after the other's */
    char *held = strstr(text, " Test WARN held xxx");
    assert_non_null(held);
    assert_true(held > o);
    while (held > text && held[-1] != '\n')
        held--;
    assert_true(held[0] == '2' && held[1] == '0');
    free(text);
    rm_dir(dir);
}

/* A write that fails part-way in a file emptied under it (copytruncate,
 * between where the logger took its start and its write) neither cuts nor
 * pads it: no hole of NULs up to where the file used to end; the part
 * line stays, and the logger's next line starts on a line of its own. */
static void test_write_fails_truncated_under(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d1[9], d2[9], errpath[700];
    today(d1);
    snprintf(errpath, sizeof errpath, "%s/stderr", dir);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "Trunc", 0, SIPC_LOG_INFO), 0);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "before the copy");
    char path[700];
    snprintf(path, sizeof path, "%s/Trunc_%s.log", dir, d1);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    off_t before = st.st_size;
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    /* the emptied file gets more of the line than it held before: a cut
     * back to where the logger took its start would shorten the part line
     * here (and pad a file with NULs where it held more) */
    lim.rlim_cur = (rlim_t)before + 40;
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    int saved = stderr_to(errpath);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    truncate_under = path;
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "held %s", big);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_null(truncate_under);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, before + 40); /* the part line, neither cut nor padded */
    usleep(1100 * 1000);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "after the copy");
    sipc_logger_close(lg);
    stderr_back(saved);
    signal(SIGXFSZ, oldsig);
    today(d2);
    if (strcmp(d1, d2) != 0) { /* a midnight split the lines in two files */
        rm_dir(dir);
        skip();
    }
    char *text = slurp(path);
    assert_non_null(text);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(strlen(text), (size_t)st.st_size); /* no NUL in it */
    assert_null(strstr(text, "before the copy"));
    char *rest = strchr(text, '\n'); /* after the part line */
    assert_non_null(rest);
    rest++;
    assert_int_equal(check_lines(rest), 2);
    char *b = strstr(rest, " Test WARN held xxx"), *e = strstr(rest, " Test WARN after the copy\n");
    assert_true(b && e && b < e);
    free(text);
    rm_dir(dir);
}

/* Close tries the file once more whatever the once-a-second limit: the
 * lines held, and the last ones, reach it once it has room; what the file
 * still refuses at close is counted lost (the directory's health, here
 * kept by a second logger on it) and stderr says so. */
static void test_close_last_try(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d1[9], d2[9], errpath[700];
    today(d1);
    snprintf(errpath, sizeof errpath, "%s/stderr", dir);
    sipc_logger *lg, *keep;
    assert_int_equal(sipc_logger_open(&keep, dir, "Keep", 0, SIPC_LOG_INFO), 0);
    assert_int_equal(sipc_logger_open(&lg, dir, "Last", 0, SIPC_LOG_INFO), 0);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "before the limit");
    char path[700];
    snprintf(path, sizeof path, "%s/Last_%s.log", dir, d1);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)st.st_size + 40;
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    int saved = stderr_to(errpath);
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "held %s", big);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    /* room again, within the second: this line is held, not tried */
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "the last line");
    sipc_log_health h;
    assert_int_equal(sipc_logger_health(keep, &h), 0);
    assert_true(h.failing);
    sipc_logger_close(lg);
    assert_int_equal(sipc_logger_health(keep, &h), 0);
    assert_false(h.failing);
    assert_int_equal(h.lines_lost_total, 0);
    today(d2);
    char *text = read_log(dir, "Last", d1, d2);
    char *a = strstr(text, "before the limit\n"), *b = strstr(text, "held xxx"),
         *c = strstr(text, "the last line\n");
    assert_true(a && b && c && a < b && b < c);
    free(text);

    stderr_back(saved);

    /* the file still full at close: the held lines are counted lost, and
     * stderr (a pipe here: the file size limit is not its) says so */
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    assert_int_equal(fcntl(pfd[0], F_SETFL, O_NONBLOCK), 0);
    fflush(stderr);
    saved = dup(STDERR_FILENO);
    assert_true(dup2(pfd[1], STDERR_FILENO) >= 0);
    assert_int_equal(sipc_logger_open(&lg, dir, "Lost", 0, SIPC_LOG_INFO), 0);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "before the limit");
    snprintf(path, sizeof path, "%s/Lost_%s.log", dir, d1);
    assert_int_equal(stat(path, &st), 0);
    lim.rlim_cur = (rlim_t)st.st_size + 40;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "lost %s", big);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "lost too");
    sipc_logger_close(lg);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    close(pfd[1]);
    signal(SIGXFSZ, oldsig);
    assert_int_equal(sipc_logger_health(keep, &h), 0);
    assert_int_equal(h.lines_lost_total, 2);
    char err[8192];
    ssize_t n = read(pfd[0], err, sizeof err - 1);
    close(pfd[0]);
    assert_true(n > 0);
    err[n] = '\0';
    assert_non_null(strstr(err, "2 log lines of Lost not written to"));
    sipc_logger_close(keep);
    rm_dir(dir);
}

/* The loggers' clock real again after a test that set it, failed or not. */
static int real_clock(void **state)
{
    (void)state;
    fake_now_set = 0;
    return 0;
}

/* The file size limit and SIGXFSZ's handling as the process started
 * (main), for the tests that lower the limit: one that fails before its
 * own restore would leave every later test writing under its limit. */
static struct rlimit start_fsize;
static struct sigaction start_xfsz;

static int fsize_back(void **state)
{
    (void)state;
    int r = setrlimit(RLIMIT_FSIZE, &start_fsize);
    return sigaction(SIGXFSZ, &start_xfsz, NULL) == 0 && r == 0 ? 0 : -1;
}

static int clock_and_fsize_back(void **state)
{
    real_clock(state);
    return fsize_back(state);
}

/* Sets the loggers' clock to 23:59:59.500 of today (local time); a and b
 * get that day and the next; returns the second. */
static time_t before_midnight(char a[9], char b[9])
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_hour = 23;
    tm.tm_min = 59;
    tm.tm_sec = 59;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    localtime_r(&t, &tm);
    strftime(a, 9, "%Y%m%d", &tm);
    time_t u = t + 1;
    localtime_r(&u, &tm);
    strftime(b, 9, "%Y%m%d", &tm);
    fake_now.tv_sec = t;
    fake_now.tv_nsec = 500000000;
    fake_now_set = 1;
    return t;
}

/* A logger name whose file fails at 23:59:59.5 (a file size limit) and
 * that logs one line at 00:00:00.5: the failed line is held (its file is
 * tried once a second), the next day's first one goes to its own file at
 * once (each day's file is tried on its own). pa, pb: the two days'
 * files. */
static sipc_logger *held_at_midnight(const char *dir, const char *name, char pa[700],
                                     char pb[700])
{
    char a[9], b[9];
    time_t t = before_midnight(a, b);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, name, 0, SIPC_LOG_INFO), 0);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "day one written");
    snprintf(pa, 700, "%s/%s_%s.log", dir, name, a);
    snprintf(pb, 700, "%s/%s_%s.log", dir, name, b);
    struct stat st;
    assert_int_equal(stat(pa, &st), 0);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)st.st_size + 40;
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "day one held %s", big);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, oldsig);
    fake_now.tv_sec = t + 1;
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "day two first");
    assert_int_equal(stat(pa, &st), 0);
    char *tb = slurp(pb); /* not held behind the day before's */
    assert_non_null(tb);
    assert_non_null(strstr(tb, "day two first\n"));
    free(tb);
    return lg;
}

/* Lines still held at midnight (the file failing) go to the file of their
 * own day once the files can be written again, not to the next day's. */
static void test_held_across_midnight(void **state)
{
    (void)state;
    char *dir = make_dir();
    char errpath[700], pa[700], pb[700];
    snprintf(errpath, sizeof errpath, "%s/stderr", dir);
    int saved = stderr_to(errpath);
    sipc_logger *keep;
    assert_int_equal(sipc_logger_open(&keep, dir, "Keep", 0, SIPC_LOG_INFO), 0);
    sipc_logger *lg = held_at_midnight(dir, "Night", pa, pb);
    usleep(1100 * 1000);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "day two second");
    sipc_log_health h;
    assert_int_equal(sipc_logger_health(keep, &h), 0);
    assert_false(h.failing);
    sipc_logger_close(lg);
    sipc_logger_close(keep);
    fake_now_set = 0;
    stderr_back(saved);
    char *ta = slurp(pa), *tb = slurp(pb);
    assert_non_null(ta);
    assert_non_null(tb);
    assert_int_equal(check_lines(ta), 2);
    char *w = strstr(ta, "day one written\n"), *x = strstr(ta, "day one held xxx");
    assert_true(w && x && w < x);
    assert_int_equal(check_lines(tb), 2);
    char *f = strstr(tb, "day two first\n"), *s = strstr(tb, "day two second\n");
    assert_true(f && s && f < s);
    free(ta);
    free(tb);
    rm_dir(dir);
}

/* When the held lines' own day's file cannot be written (here a link
 * planted under its name), they stay held without holding back the next
 * day's lines, the health tells of the current day's file (which works),
 * and what is still held at close is counted lost and named on stderr with
 * that file. */
static void test_held_day_file_fails(void **state)
{
    (void)state;
    char *dir = make_dir();
    char errpath[700], pa[700], pb[700], moved[720];
    snprintf(errpath, sizeof errpath, "%s/stderr", dir);
    int saved = stderr_to(errpath);
    sipc_logger *keep;
    assert_int_equal(sipc_logger_open(&keep, dir, "Keep", 0, SIPC_LOG_INFO), 0);
    sipc_logger *lg = held_at_midnight(dir, "Night", pa, pb);
    snprintf(moved, sizeof moved, "%s.moved", pa);
    assert_int_equal(rename(pa, moved), 0);
    assert_int_equal(symlink(moved, pa), 0);
    usleep(1100 * 1000);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "day two second");
    sipc_log_health h;
    assert_int_equal(sipc_logger_health(keep, &h), 0);
    assert_false(h.failing);
    assert_true(h.failures_total >= 2); /* the day before's, tried again */
    sipc_logger_close(lg);
    assert_int_equal(sipc_logger_health(keep, &h), 0);
    assert_int_equal(h.lines_lost_total, 1);
    sipc_logger_close(keep);
    fake_now_set = 0;
    stderr_back(saved);
    char *ta = slurp(moved), *tb = slurp(pb);
    assert_non_null(ta);
    assert_non_null(tb);
    assert_int_equal(check_lines(ta), 1);
    assert_null(strstr(ta, "day one held"));
    assert_int_equal(check_lines(tb), 2);
    char *f = strstr(tb, "day two first\n"), *s = strstr(tb, "day two second\n");
    assert_true(f && s && f < s);
    assert_null(strstr(tb, "day one held"));
    char *err = slurp(errpath);
    assert_non_null(err);
    char want[800];
    snprintf(want, sizeof want, "1 log line of Night not written to %s:", pa);
    if (!strstr(err, want))
        fail_msg("stderr does not say '%s':\n%s", want, err);
    free(err);
    free(ta);
    free(tb);
    rm_dir(dir);
}

/* An earlier day's file that fails for good (a file size limit it has
 * reached: EFBIG at every try) with the hold full of its lines holds back
 * none of the next day's: they go to their own file at once, every one,
 * the health tells of that file (it works), and a burst of them does not
 * wake the background thread for each line. Once the earlier day's
 * file has failed for sipc__log_old_day_ms, its held lines are given up,
 * counted lost, and stderr names the file. */
static void test_old_day_fails_for_good(void **state)
{
    (void)state;
    char *dir = make_dir();
    char a[9], b[9], errpath[700], pa[700], pb[700];
    snprintf(errpath, sizeof errpath, "%s/stderr", dir);
    int saved = stderr_to(errpath);
    time_t t = before_midnight(a, b);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "Dead", 0, SIPC_LOG_INFO), 0);
    char big[100];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < 200; i++) /* the day's file large: the next day's stays under the limit */
        sipc_logf(lg, SIPC_LOG_INFO, "Test", "day one %d %s", i, big);
    sipc_logger_flush(lg);
    snprintf(pa, sizeof pa, "%s/Dead_%s.log", dir, a);
    snprintf(pb, sizeof pb, "%s/Dead_%s.log", dir, b);
    struct stat st;
    assert_int_equal(stat(pa, &st), 0);
    off_t full = st.st_size;
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)full + 10;
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    /* the hold filled with the day's lines its file refuses */
    for (int i = 0; i < 1000; i++)
        sipc_logf(lg, SIPC_LOG_INFO, "Test", "day one held %d %s", i, big);
    sipc_logger_flush(lg);
    sipc_log_health h;
    assert_int_equal(sipc_logger_health(lg, &h), 0);
    assert_true(h.failing);
    uint64_t lost_before = h.lines_lost_total;
    assert_true(lost_before > 0); /* the hold was full */
    /* the next day, a line every 10 ms, within the second its file is
     * not tried again */
    fake_now.tv_sec = t + 1;
    for (int i = 0; i < 30; i++) {
        sipc_logf(lg, i % 10 == 9 ? SIPC_LOG_WARN : SIPC_LOG_INFO, "Test", "day two %d", i);
        usleep(10 * 1000);
    }
    sipc_logger_flush(lg);
    assert_int_equal(sipc_logger_health(lg, &h), 0);
    assert_false(h.failing);
    assert_int_equal(h.lines_lost_total, lost_before); /* none of the next day's */
    /* a burst of lines wakes the background thread once or so, not once
     * a line because the day before's lines are held */
    uint64_t wakes = sipc__log_wakes();
    for (int i = 0; i < 200; i++)
        sipc_logf(lg, SIPC_LOG_INFO, "Test", "day two burst %d", i);
    wakes = sipc__log_wakes() - wakes;
    if (wakes > 20)
        fail_msg("200 lines woke the background thread %llu times", (unsigned long long)wakes);
    sipc_logger_flush(lg);
    assert_int_equal(sipc_logger_health(lg, &h), 0);
    assert_int_equal(h.lines_lost_total, lost_before);
    char *tb = slurp(pb);
    assert_non_null(tb);
    assert_int_equal(check_lines(tb), 230);
    free(tb);
    /* the day's file keeps failing: its lines are given up */
    unsigned bound = sipc__log_old_day_ms;
    sipc__log_old_day_ms = 1;
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "day two last");
    sipc__log_old_day_ms = bound;
    assert_int_equal(sipc_logger_health(lg, &h), 0);
    assert_false(h.failing);
    uint64_t given_up = h.lines_lost_total - lost_before;
    assert_true(given_up > 300); /* about 64 KiB of ~160-byte lines */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, oldsig);
    sipc_logger_close(lg);
    fake_now_set = 0;
    stderr_back(saved);
    char *ta = slurp(pa);
    assert_non_null(ta);
    assert_null(strstr(ta, "day one held"));
    free(ta);
    tb = slurp(pb);
    assert_int_equal(check_lines(tb), 231);
    free(tb);
    char *err = slurp(errpath);
    assert_non_null(err);
    char want[800];
    snprintf(want, sizeof want, "%llu log lines of Dead not written to %s: its day is over",
             (unsigned long long)given_up, pa);
    if (!strstr(err, want))
        fail_msg("stderr does not say '%s':\n%s", want, err);
    assert_non_null(strstr(err, "are written again"));
    free(err);
    rm_dir(dir);
}

/* The line of text at p's line in text starts with a stamp, the line's
 * own: no part line left by a failed write runs into it. */
static void assert_own_line(const char *text, const char *p)
{
    assert_non_null(p);
    const char *start = p;
    while (start > text && start[-1] != '\n')
        start--;
    /* "YYYY-MM-DDTHH:MM:SS.mmm+HH:MM" */
    assert_int_equal(p - start, 29);
}

/* One flush that leaves a part line it cannot cut (another appender wrote
 * to the file meanwhile) in two days' files: each file's next line starts
 * on a line of its own. */
static void test_part_lines_two_files(void **state)
{
    (void)state;
    char *dir = make_dir();
    char a[9], b[9], pa[700], pb[700];
    time_t t = before_midnight(a, b);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "Part", 0, SIPC_LOG_INFO), 0);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "day one written");
    snprintf(pa, sizeof pa, "%s/Part_%s.log", dir, a);
    snprintf(pb, sizeof pb, "%s/Part_%s.log", dir, b);
    struct stat st;
    assert_int_equal(stat(pa, &st), 0);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)st.st_size + 40;
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    /* a line held for each day, each file cut back */
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "day one held %.300s", big);
    fake_now.tv_sec = t + 1;
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "day two held %s", big);
    assert_int_equal(stat(pb, &st), 0);
    assert_int_equal(st.st_size, 0);
    /* both tried again in one flush (the background thread's, a second
     * later), each after another appender's line */
    lim.rlim_cur += 24;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    other_appender = pa;
    other_appender_next = pb;
    usleep(1500 * 1000);
    assert_null(other_appender);
    assert_null(other_appender_next);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, oldsig);
    sipc_logger_close(lg);
    fake_now_set = 0;
    char *ta = slurp(pa), *tb = slurp(pb);
    assert_non_null(ta);
    assert_non_null(tb);
    assert_non_null(strstr(ta, "\nanother appender's line\n"));
    assert_own_line(ta, strstr(ta, " Test WARN day one held x"));
    assert_true(strncmp(tb, "another appender's line\n", 24) == 0);
    assert_own_line(tb, strstr(tb, " Test WARN day two held x"));
    free(ta);
    free(tb);
    rm_dir(dir);
}

/* echo_stderr writes the same line to stderr, after the logger's name when
 * it writes a file too; dir NULL means stderr only. */
static void test_stderr(void **state)
{
    (void)state;
    char *dir = make_dir();
    char cap[700];
    snprintf(cap, sizeof cap, "%s/stderr.txt", dir);
    int saved = stderr_to(cap);

    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, NULL, "Nowhere", 1, SIPC_LOG_INFO), 0);
    sipc_logf(lg, SIPC_LOG_INFO, "Service.Start", "only stderr");
    sipc_logf(lg, SIPC_LOG_DEBUG, "Service.Start", "filtered");
    sipc_logger_close(lg);
    assert_int_equal(sipc_logger_open(&lg, dir, "Both", 1, SIPC_LOG_INFO), 0);
    sipc_logf(lg, SIPC_LOG_WARN, "Service.Stop", "file and stderr");
    sipc_logger_close(lg);
    assert_int_equal(sipc_logger_open(&lg, dir, "Quiet", 0, SIPC_LOG_INFO), 0);
    sipc_logf(lg, SIPC_LOG_WARN, "Service.Stop", "file only");
    sipc_logger_close(lg);

    stderr_back(saved);

    char *err = slurp(cap);
    assert_non_null(err);
    /* a logger that also writes a file puts its name before stderr's copy
     * (sipcd's services share one stderr, a journal); the file has none */
    const char *named = strstr(err, "Both: ");
    assert_non_null(named);
    assert_true(named == err || named[-1] == '\n');
    memmove((char *)named, named + 6, strlen(named + 6) + 1);
    assert_int_equal(check_lines(err), 2);
    assert_non_null(strstr(err, " Service.Start INFO only stderr\n"));
    assert_non_null(strstr(err, " Service.Stop WARN file and stderr\n"));
    assert_null(strstr(err, "Nowhere: "));
    assert_null(strstr(err, "filtered"));
    assert_null(strstr(err, "file only"));
    free(err);
    char fcmd[800];
    snprintf(fcmd, sizeof fcmd, "grep -q '^Both: ' '%s'/Both_*.log", dir);
    assert_int_not_equal(system(fcmd), 0);
    snprintf(fcmd, sizeof fcmd, "grep -q 'Service.Stop WARN file and stderr$' '%s'/Both_*.log", dir);
    assert_int_equal(system(fcmd), 0);
    /* no file was made for the stderr-only logger */
    char cmd[800];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q '^Nowhere_'", dir);
    assert_int_not_equal(system(cmd), 0);
    rm_dir(dir);
}

/* With no memory to hold a line, the logger writes it at once, the lines
 * held before it first, and stderr's copy still carries the logger's name. */
static void test_no_memory(void **state)
{
    (void)state;
    char *dir = make_dir();
    char cap[700], d1[9], d2[9];
    snprintf(cap, sizeof cap, "%s/stderr.txt", dir);
    today(d1);
    int saved = stderr_to(cap);

    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "Tight", 1, SIPC_LOG_INFO), 0);
    sipc_logf(lg, SIPC_LOG_INFO, "Service.Start", "held first");
    /* the held buffers have room left; lines go on until one needs more
     * (the flusher thread may empty them meanwhile: a bounded number) */
    char big[900];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    fail_realloc = 1;
    realloc_failed = 0;
    int n = 0;
    while (realloc_failed == 0 && n < 200)
        sipc_logf(lg, SIPC_LOG_INFO, "Service.Start", "%s %d", big, n++);
    sipc_logf(lg, SIPC_LOG_INFO, "Service.Start", "after %d", n++);
    fail_realloc = 0;
    assert_true(realloc_failed > 0);
    sipc_logger_close(lg);

    stderr_back(saved);
    today(d2);

    /* every line, once, in the order logged; the file's without the name */
    char *text = read_log(dir, "Tight", d1, d2);
    assert_int_equal(check_lines(text), 1 + n);
    const char *p = strstr(text, " held first\n");
    assert_non_null(p);
    for (int i = 0; i < n - 1; i++) {
        char want[32];
        snprintf(want, sizeof want, "x %d\n", i);
        const char *q = strstr(p, want);
        assert_non_null(q);
        p = q;
    }
    assert_non_null(strstr(p, " after "));
    assert_null(strstr(text, "Tight: "));
    free(text);

    char *err = slurp(cap);
    assert_non_null(err);
    int named = 0;
    for (const char *q = err; (q = strstr(q, "Tight: ")) != NULL; q++) {
        assert_true(q == err || q[-1] == '\n');
        named++;
    }
    assert_int_equal(named, 1 + n);
    free(err);
    rm_dir(dir);
}

static void test_long_message_and_null(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d1[9], d2[9];
    today(d1);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "Long", 0, SIPC_LOG_INFO), 0);
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    sipc_logf(lg, SIPC_LOG_INFO, "Big.Msg", "%s", big); /* truncated, still one line */
    sipc_logger_close(lg);
    today(d2);
    char *text = read_log(dir, "Long", d1, d2);
    assert_int_equal(check_lines(text), 1);
    free(text);
    /* a NULL logger is a no-op, as is closing NULL */
    sipc_logger_sink(NULL, SIPC_LOG_ERROR, "A.B", "dropped");
    sipc_logger_close(NULL);
    rm_dir(dir);
}

/* A message with a newline (e.g. a peer's error text) stays one line: no
 * forged lines in an operator's log. */
static void test_one_line_per_record(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d1[9], d2[9];
    today(d1);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "Inject", 0, SIPC_LOG_INFO), 0);
    sipc_logger_sink(lg, SIPC_LOG_WARN, "Transport.Conn",
                     "peer says: bye\n2026-11-23T13:35:01 Service.Start INFO TLS Port: 1\rX\tY\x7f");
    sipc_logf(lg, SIPC_LOG_INFO, "Service.Start", "%s", "a\nb");
    sipc_logger_close(lg);
    today(d2);
    char *text = read_log(dir, "Inject", d1, d2);
    assert_int_equal(check_lines(text), 2);
    assert_non_null(strstr(text, " Transport.Conn WARN peer says: bye 2026-11-23T13:35:01 "
                                 "Service.Start INFO TLS Port: 1 X Y \n"));
    assert_non_null(strstr(text, " Service.Start INFO a b\n"));
    free(text);
    rm_dir(dir);
}

/* A peer's text may hold C1 controls (CSI, 0x9b as a byte or U+009B) and
 * broken UTF-8: they reach the log as \xNN, never raw to a terminal that
 * reads it; printable UTF-8 stays as it is. */
static void test_c1_and_broken_utf8(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d1[9], d2[9];
    today(d1);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "C1", 0, SIPC_LOG_INFO), 0);
    sipc_logger_sink(lg, SIPC_LOG_WARN, "Transport.Conn",
                     "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \x9b" "31m \xc2\x9b" "2J \xc2\x85 "
                     "\xff \xc3( \xe6\x97 \xed\xa0\x80 \xc0\xaf end\xe6");
    sipc_logger_close(lg);
    today(d2);
    char *text = read_log(dir, "C1", d1, d2);
    assert_int_equal(check_lines(text), 1);
    assert_non_null(strstr(text, " Transport.Conn WARN caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac "
                                 "\\x9b31m \\xc2\\x9b2J \\xc2\\x85 \\xff \\xc3( "
                                 "\\xe6\\x97 \\xed\\xa0\\x80 \\xc0\\xaf end\\xe6\n"));
    free(text);
    /* a character is kept whole or left out at the cut, never split */
    char line[SIPC__LOG_LINE_MAX], big[SIPC__LOG_LINE_MAX + 8];
    const struct timespec t0 = {0, 0};
    size_t head = sipc__log_format(line, &t0, "A.B", "INFO", "") - 1;
    memset(big, 'x', sizeof big);
    big[SIPC__LOG_LINE_MAX - 2 - head] = '\0';
    strcat(big, "\xc3\xa9\x9b");
    size_t n = sipc__log_format(line, &t0, "A.B", "INFO", big);
    assert_int_equal(n, SIPC__LOG_LINE_MAX - 1);
    assert_memory_equal(line + n - 2, "x\n", 2);
    rm_dir(dir);
}

/* The stamp is local time to the millisecond with its offset from UTC, east
 * and west of it and with minutes (POSIX TZ rules: no time zone database
 * needed); the milliseconds zero-padded, and cut, not rounded: 999.9 ms
 * after a second is still that second. */
static void test_stamp_offset(void **state)
{
    (void)state;
    static const struct {
        const char *tz;
        long nsec;
        const char *want;
    } cases[] = {
        {"UTC0", 0, "1970-01-02T00:00:00.000+00:00 A.B INFO x\n"},
        {"UTC0", 5000000, "1970-01-02T00:00:00.005+00:00 A.B INFO x\n"},
        {"UTC0", 123456789, "1970-01-02T00:00:00.123+00:00 A.B INFO x\n"},
        {"JST-9", 50000000, "1970-01-02T09:00:00.050+09:00 A.B INFO x\n"},
        {"NST3:30", 999999999, "1970-01-01T20:30:00.999-03:30 A.B INFO x\n"},
        {"EST5", 7000000, "1970-01-01T19:00:00.007-05:00 A.B INFO x\n"},
    };
    char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setenv("TZ", cases[i].tz, 1);
        tzset();
        char line[SIPC__LOG_LINE_MAX];
        const struct timespec t = {86400, cases[i].nsec};
        size_t n = sipc__log_format(line, &t, "A.B", "INFO", "x");
        line[n] = '\0';
        assert_string_equal(line, cases[i].want);
    }
    if (old)
        setenv("TZ", old, 1);
    else
        unsetenv("TZ");
    tzset();
    free(old);
}

/* Lines a logger writes within one second are told apart by their
 * milliseconds, each stamp from its own clock reading, in the order the
 * lines were written. */
static void test_stamp_milliseconds(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d1[9], d2[9];
    today(d1);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "Ms", 0, SIPC_LOG_INFO), 0);
    for (int i = 0; i < 3; i++) {
        sipc_logf(lg, SIPC_LOG_INFO, "A.B", "line %d", i);
        struct timespec pause = {0, 20 * 1000000};
        nanosleep(&pause, NULL);
    }
    sipc_logger_close(lg);
    today(d2);
    char *text = read_log(dir, "Ms", d1, d2);
    assert_int_equal(check_lines(text), 3);
    /* the stamps' text orders them: one offset, one width */
    char prev[40] = "", *p = text;
    for (int i = 0; i < 3; i++) {
        char *sp = strchr(p, ' ');
        assert_non_null(sp);
        assert_int_equal(sp - p, 29);
        char stamp[40];
        memcpy(stamp, p, 29);
        stamp[29] = '\0';
        assert_true(strcmp(stamp, prev) > 0); /* 20 ms apart: never the same */
        memcpy(prev, stamp, sizeof stamp);
        p = strchr(p, '\n') + 1;
    }
    free(text);
    rm_dir(dir);
}

static void test_open_errors(void **state)
{
    (void)state;
    sipc_logger *lg = NULL;
    /* the parent of the log directory does not exist */
    int r = sipc_logger_open(&lg, "/nonexistent-sipc-dir/a/logs", "X", 0, SIPC_LOG_INFO);
    assert_true(r < 0);
    assert_int_equal(sipc_err_classify(r), SIPC_CLASS_IO);
    /* a NULL name falls back to "sipc" */
    char *dir = make_dir();
    char d1[9], d2[9];
    today(d1);
    assert_int_equal(sipc_logger_open(&lg, dir, NULL, 0, SIPC_LOG_INFO), 0);
    sipc_logf(lg, SIPC_LOG_INFO, "A.B", "hello");
    sipc_logger_close(lg);
    today(d2);
    char *text = read_log(dir, "sipc", d1, d2);
    assert_non_null(text);
    assert_int_equal(check_lines(text), 1);
    free(text);
    rm_dir(dir);
}

static void test_level_names(void **state)
{
    (void)state;
    assert_string_equal(sipc_log_level_name(SIPC_LOG_DEBUG), "DEBUG");
    assert_string_equal(sipc_log_level_name(SIPC_LOG_INFO), "INFO");
    assert_string_equal(sipc_log_level_name(SIPC_LOG_WARN), "WARN");
    assert_string_equal(sipc_log_level_name(SIPC_LOG_ERROR), "ERROR");
}

/* Lines are written in batches, not one system call each; nothing is lost
 * and the order holds. */
static void test_buffered_writes(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d1[9], d2[9];
    today(d1);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "Flood", 0, SIPC_LOG_INFO), 0);
    for (int i = 0; i < 2000; i++)
        sipc_logf(lg, SIPC_LOG_INFO, "Transport.Conn", "line %d of a flood", i);
    uint64_t writes = sipc__logger_writes(lg);
    sipc_logger_close(lg);
    today(d2);
    /* about 90 KB in 16 KiB batches (and a few timer flushes), not 2,000 writes */
    assert_true(writes >= 1 && writes <= 40);
    char *text = read_log(dir, "Flood", d1, d2);
    assert_int_equal(check_lines(text), 2000);
    const char *p = text;
    for (int i = 0; i < 2000; i++) {
        char want[64];
        snprintf(want, sizeof want, " Transport.Conn INFO line %d of a flood\n", i);
        const char *at = strstr(p, want);
        assert_non_null(at); /* present, and after the line before it */
        p = at + strlen(want);
    }
    free(text);
    rm_dir(dir);
}

/* What an operator needs first is never held back: WARN and ERROR lines are
 * in the file when the call returns (with the INFO lines before them), and
 * an INFO line alone gets there within the flush interval. */
static void test_warn_at_once_info_soon(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d1[9];
    today(d1);
    char path[700];
    snprintf(path, sizeof path, "%s/Soon_%s.log", dir, d1);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "Soon", 0, SIPC_LOG_INFO), 0);
    sipc_logf(lg, SIPC_LOG_INFO, "Service.Start", "first");
    sipc_logf(lg, SIPC_LOG_WARN, "Transport.Conn", "second");
    char *text = slurp(path);
    assert_non_null(text);
    assert_non_null(strstr(text, "INFO first\n"));
    assert_non_null(strstr(text, "WARN second\n"));
    assert_true(strstr(text, "first") < strstr(text, "second"));
    free(text);
    sipc_logf(lg, SIPC_LOG_INFO, "Service.Start", "third");
    int seen = 0;
    for (int i = 0; i < 100 && !seen; i++) { /* bounded: 1 s; it takes about 10 ms */
        usleep(10000);
        text = slurp(path);
        seen = text && strstr(text, "INFO third\n");
        free(text);
    }
    assert_true(seen);
    sipc_logger_close(lg);
    rm_dir(dir);
}

typedef struct writer {
    sipc_logger *lg;
    int id;
} writer;

static void writer_thread(void *arg)
{
    writer *w = arg;
    for (int i = 0; i < 500; i++)
        sipc_logf(w->lg, i % 50 == 0 ? SIPC_LOG_WARN : SIPC_LOG_INFO, "T.W", "thread %d line %d",
                  w->id, i);
}

/* Threads sharing a logger: every line whole, each thread's in its order. */
static void test_threads_lines_whole(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d1[9], d2[9];
    today(d1);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "Threads", 0, SIPC_LOG_INFO), 0);
    uv_thread_t t[4];
    writer w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (writer){lg, i};
        assert_int_equal(uv_thread_create(&t[i], writer_thread, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        uv_thread_join(&t[i]);
    sipc_logger_close(lg);
    today(d2);
    char *text = read_log(dir, "Threads", d1, d2);
    assert_int_equal(check_lines(text), 2000); /* each matches the format: none torn */
    int next[4] = {0, 0, 0, 0};
    for (const char *p = text; (p = strstr(p, " thread ")); p++) {
        int id, n;
        assert_int_equal(sscanf(p, " thread %d line %d", &id, &n), 2);
        assert_true(id >= 0 && id < 4);
        assert_int_equal(n, next[id]);
        next[id]++;
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(next[i], 500);
    free(text);
    rm_dir(dir);
}

/* A process that ends without closing its logger still leaves every line in
 * the file: by exit() (a fatal start-up error), or by abort() (a failed
 * assert), where the last line, logged right after one that was written, is
 * held at that moment. (The logger stays reachable from here, so the leak
 * checker does not count what the child leaves open.) */
static sipc_logger *exit_logger;

static void child_ends(int crash)
{
    char *dir = make_dir();
    char d1[9], d2[9];
    today(d1);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (sipc_logger_open(&exit_logger, dir, "End", 0, SIPC_LOG_INFO) != 0)
            _exit(2);
        free(dir);
        for (int i = 0; i < 10; i++)
            sipc_logf(exit_logger, SIPC_LOG_INFO, "Service.Start", "before the end %d", i);
        if (crash)
            abort();
        exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (crash)
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    else
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    today(d2);
    char *text = read_log(dir, "End", d1, d2);
    assert_int_equal(check_lines(text), 10);
    assert_non_null(strstr(text, "INFO before the end 9\n"));
    free(text);
    rm_dir(dir);
}

static void test_exit_flushes(void **state)
{
    (void)state;
    child_ends(0);
}

static void test_abort_flushes(void **state)
{
    (void)state;
    child_ends(1);
}

/* A crash writes the lines held while the file failed before the last
 * ones, each whole and in order. recovered: the file has room again, and
 * the failed write left a part line there (another appender's line came
 * first, so it could not be cut): the held lines follow it on lines of
 * their own. Otherwise the file still fails: nothing more reaches it, and
 * the last line is not written after the older ones it refused. */
static void child_crashes(int recovered)
{
    char *dir = make_dir();
    char d1[9], d2[9];
    today(d1);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        if (sipc_logger_open(&exit_logger, dir, "Crash", 0, SIPC_LOG_INFO) != 0)
            _exit(2);
        sipc_logf(exit_logger, SIPC_LOG_WARN, "Test", "before the limit");
        char path[700];
        snprintf(path, sizeof path, "%s/Crash_%s.log", dir, d1);
        struct stat st;
        struct rlimit old, lim;
        if (stat(path, &st) != 0 || getrlimit(RLIMIT_FSIZE, &old) != 0)
            _exit(3);
        lim = old;
        lim.rlim_cur = (rlim_t)st.st_size + (recovered ? 24 : 0) + 40;
        if (recovered)
            other_appender = path;
        if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
            _exit(4);
        char big[300];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        sipc_logf(exit_logger, SIPC_LOG_WARN, "Test", "held %s", big);
        if (recovered && setrlimit(RLIMIT_FSIZE, &old) != 0)
            _exit(5);
        sipc_logf(exit_logger, SIPC_LOG_WARN, "Test", "held too");
        sipc_logf(exit_logger, SIPC_LOG_INFO, "Service.Stop", "the last line");
        abort();
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    today(d2);
    char *text = read_log(dir, "Crash", d1, d2);
    assert_non_null(text);
    if (!recovered) {
        assert_int_equal(check_lines(text), 1);
        assert_non_null(strstr(text, " Test WARN before the limit\n"));
    } else {
        char *o = strstr(text, "\nanother appender's line\n");
        assert_non_null(o);
        char *part = o + 25; /* the part line the failed write left */
        char *rest = strchr(part, '\n');
        assert_non_null(rest);
        rest++;
        assert_int_equal(check_lines(rest), 3);
        char *b = strstr(rest, " Test WARN held xxx"), *c = strstr(rest, " Test WARN held too\n"),
             *e = strstr(rest, " Service.Stop INFO the last line\n");
        assert_true(b && c && e && b < c && c < e);
    }
    free(text);
    rm_dir(dir);
}

/* exit() within the second after a failed write (the file has room again)
 * still tries the file: the held lines and the last one reach it, whole and
 * in order. */
static void test_exit_writes_held(void **state)
{
    (void)state;
    char *dir = make_dir();
    char d1[9], d2[9];
    today(d1);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        if (sipc_logger_open(&exit_logger, dir, "Exit", 0, SIPC_LOG_INFO) != 0)
            _exit(2);
        sipc_logf(exit_logger, SIPC_LOG_WARN, "Test", "before the limit");
        char path[700];
        snprintf(path, sizeof path, "%s/Exit_%s.log", dir, d1);
        struct stat st;
        struct rlimit old, lim;
        if (stat(path, &st) != 0 || getrlimit(RLIMIT_FSIZE, &old) != 0)
            _exit(3);
        lim = old;
        lim.rlim_cur = (rlim_t)st.st_size + 40;
        if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
            _exit(4);
        char big[300];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        sipc_logf(exit_logger, SIPC_LOG_WARN, "Test", "held %s", big);
        if (setrlimit(RLIMIT_FSIZE, &old) != 0)
            _exit(5);
        sipc_logf(exit_logger, SIPC_LOG_WARN, "Test", "the last line");
        free(dir); /* LeakSanitizer looks at exit() */
        exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    today(d2);
    char *text = read_log(dir, "Exit", d1, d2);
    assert_non_null(text);
    assert_int_equal(check_lines(text), 3);
    char *a = strstr(text, " Test WARN before the limit\n"), *b = strstr(text, " Test WARN held xxx"),
         *c = strstr(text, " Test WARN the last line\n");
    assert_true(a && b && c && a < b && b < c);
    free(text);
    rm_dir(dir);
}

static void test_crash_writes_held(void **state)
{
    (void)state;
    child_crashes(1);
}

static void test_crash_file_still_fails(void **state)
{
    (void)state;
    child_crashes(0);
}

/* A crash while another thread closes a logger: the handler, which took
 * the logger from the registry before close removed it, waits for it while
 * the other thread holds it; close then leaves it to the dying process
 * rather than free it under the handler. Linked with --wrap=free: a pipe
 * says whether close freed the logger ("F") and whether it returned ("C"). */
static sipc_logger *watched_free;
static int watched_fd = -1;
void __real_free(void *p);
void __wrap_free(void *p);
void __wrap_free(void *p)
{
    if (p && p == (void *)watched_free && write(watched_fd, "F", 1) != 1)
        abort();
    __real_free(p);
}

static void closer_thread(void *arg)
{
    sipc_logger *lg = arg;
    atomic_store(&lseek_hold, 1);
    sipc_logf(lg, SIPC_LOG_WARN, "Test", "written while the crash begins");
    sipc_logger_close(lg);
    if (write(watched_fd, "C", 1) != 1)
        abort();
    for (;;)
        pause();
}

static void test_crash_during_close(void **state)
{
    (void)state;
    char *dir = make_dir();
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        watched_fd = pfd[1];
        if (sipc_logger_open(&exit_logger, dir, "Race", 0, SIPC_LOG_INFO) != 0)
            _exit(2);
        watched_free = exit_logger;
        uv_thread_t th;
        if (uv_thread_create(&th, closer_thread, exit_logger) != 0)
            _exit(3);
        while (!atomic_load(&in_lseek))
            usleep(1000);
        atomic_store(&crash_began, 1);
        abort();
    }
    close(pfd[1]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    char said[16] = {0};
    ssize_t n = read(pfd[0], said, sizeof said - 1);
    close(pfd[0]);
    assert_true(n >= 0);
    if (strchr(said, 'F'))
        fail_msg("the logger was freed while the crash handler could hold it (pipe: '%s')", said);
    /* close returned ("C"), unless the handler took the logger first (then
     * close waits for it, and the process ends) */
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
        fail_msg("the child did not end by SIGABRT (status %#x, pipe: '%s')", status, said);
    rm_dir(dir);
}

/* sipc_options.log_level: a line below it never reaches the sink; at or
 * above it, it does, whole. "Security changed" is an INFO line. */
typedef struct seen {
    int n;
    sipc_log_level level;
    char msg[200];
} seen;

static void count_sink(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    (void)category;
    seen *s = arg;
    s->n++;
    s->level = level;
    snprintf(s->msg, sizeof s->msg, "%s", msg);
}

static void ctx_closed(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    *(int *)arg = 1;
}

static void test_ctx_log_level(void **state)
{
    (void)state;
    static const sipc_log_level levels[] = {SIPC_LOG_DEBUG, SIPC_LOG_INFO, SIPC_LOG_WARN};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        uv_loop_t loop;
        assert_int_equal(uv_loop_init(&loop), 0);
        sipc_security *sec;
        assert_int_equal(sipc_security_plain(&sec), 0);
        seen got = {0};
        sipc_options o;
        sipc_options_init(&o);
        assert_int_equal(o.log_level, SIPC_LOG_DEBUG);
        o.log = count_sink;
        o.log_arg = &got;
        o.log_level = levels[i];
        sipc_ctx *ctx;
        assert_int_equal(sipc_ctx_new(&ctx, &loop, &o, sec), 0);
        assert_int_equal(sipc_ctx_set_security(ctx, sec), 0);
        if (levels[i] <= SIPC_LOG_INFO) {
            assert_int_equal(got.n, 1);
            assert_int_equal(got.level, SIPC_LOG_INFO);
            assert_non_null(strstr(got.msg, "Security changed: TLS off"));
        } else {
            assert_int_equal(got.n, 0);
        }
        int closed = 0;
        sipc_ctx_close(ctx, ctx_closed, &closed);
        uv_run(&loop, UV_RUN_DEFAULT);
        assert_true(closed);
        sipc_security_release(sec);
        assert_int_equal(uv_loop_close(&loop), 0);
    }
    /* a level above ERROR would silence every line: refused */
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_options o;
    sipc_options_init(&o);
    o.log_level = (sipc_log_level)(SIPC_LOG_ERROR + 1);
    sipc_ctx *ctx = NULL;
    assert_int_equal(sipc_ctx_new(&ctx, &loop, &o, NULL), SIPC_EINVAL);
    assert_null(ctx);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* A plaintext context on loop whose lines go to sink(arg); *sec is its
 * security, for the caller to release. */
static sipc_ctx *plain_ctx(uv_loop_t *loop, sipc_log_fn sink, void *arg, sipc_security **sec)
{
    sipc_options o;
    sipc_options_init(&o);
    o.log = sink;
    o.log_arg = arg;
    assert_int_equal(sipc_security_plain(sec), 0);
    sipc_ctx *ctx;
    assert_int_equal(sipc_ctx_new(&ctx, loop, &o, *sec), 0);
    return ctx;
}

/* A context's rate-limited lines: repeats are held back, and with no later
 * line to carry their count, the context says it itself, at the latest
 * when it closes; the count and the span are true, and the report says
 * what the key says, not the first line (whose details it may not share). */
static void test_ctx_held_lines(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    seen got = {0};
    sipc_security *sec;
    sipc_ctx *ctx = plain_ctx(&loop, count_sink, &got, &sec);
    for (int i = 0; i < 5; i++)
        sipc__log_limited(ctx, "frames from 127.0.0.9 too big", SIPC_LOG_WARN, "Transport.Conn",
                          "line %d", i);
    assert_int_equal(got.n, 1);
    assert_string_equal(got.msg, "line 0");
    int closed = 0;
    sipc_ctx_close(ctx, ctx_closed, &closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(closed);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.level, SIPC_LOG_WARN);
    assert_string_equal(got.msg, "4 more like this in the last 1 s: frames from 127.0.0.9 too big");
    sipc_security_release(sec);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* Every line a context wrote, one after another. */
typedef struct all_lines {
    int n;
    char buf[16384];
} all_lines;

static void all_sink(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    (void)level;
    (void)category;
    all_lines *a = arg;
    size_t len = strlen(a->buf);
    snprintf(a->buf + len, sizeof a->buf - len, "%s\n", msg);
    a->n++;
}

/* Lines keyed per node under a key of their host: each node gets its own
 * first line, a node repeating is held under its own key, and a host
 * cycling node ids gets SIPC__LOG_HOST_BURST lines per interval, the rest
 * reported once for the host; no report repeats a line's details. */
static void test_ctx_lines_per_node(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    static all_lines got;
    memset(&got, 0, sizeof got);
    sipc_security *sec;
    sipc_ctx *ctx = plain_ctx(&loop, all_sink, &got, &sec);
    const char *host = "connections from 127.0.0.9 (various nodes) up";
    for (int i = 0; i < 5; i++)
        sipc__log_limited_host(ctx, "connections from 127.0.0.9 (node a) up", host, SIPC_LOG_INFO,
                               "Transport.Conn", "connection from 127.0.0.9:%d (node a) up", 4000 + i);
    sipc__log_limited_host(ctx, "connections from 127.0.0.9 (node b) up", host, SIPC_LOG_INFO,
                           "Transport.Conn", "connection from 127.0.0.9:5000 (node b) up");
    char key[100];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "connections from 127.0.0.9 (node c%d) up", i);
        sipc__log_limited_host(ctx, key, host, SIPC_LOG_INFO, "Transport.Conn",
                               "connection from 127.0.0.9:%d (node c%d) up", 6000 + i, i);
    }
    assert_int_equal(got.n, SIPC__LOG_HOST_BURST);
    assert_non_null(strstr(got.buf, "connection from 127.0.0.9:4000 (node a) up\n"));
    assert_non_null(strstr(got.buf, "connection from 127.0.0.9:5000 (node b) up\n"));
    assert_non_null(strstr(got.buf, "connection from 127.0.0.9:6000 (node c0) up\n"));
    int closed = 0;
    sipc_ctx_close(ctx, ctx_closed, &closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(closed);
    assert_int_equal(got.n, SIPC__LOG_HOST_BURST + 2);
    assert_non_null(strstr(got.buf, "4 more like this in the last 1 s: connections from 127.0.0.9 "
                                    "(node a) up\n"));
    assert_non_null(strstr(got.buf, "999 more like this in the last 1 s: connections from "
                                    "127.0.0.9 (various nodes) up\n"));
    sipc_security_release(sec);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* A host-wide report shows the text of the first line it counts, not of
 * the last line let through before it (whose numbers may differ). */
static void test_ctx_host_report_text(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    static all_lines got;
    memset(&got, 0, sizeof got);
    sipc_security *sec;
    sipc_ctx *ctx = plain_ctx(&loop, all_sink, &got, &sec);
    const char *host = "connections from 127.0.0.9 (various peers) closed: timed out after ###ms";
    char key[100], text[100];
    for (int i = 0; i < SIPC__LOG_HOST_BURST + 4; i++) {
        int ms = 1000 + 111 * i;
        snprintf(key, sizeof key, "connections from 127.0.0.9 (peer %d) closed", i);
        snprintf(text, sizeof text,
                 "connections from 127.0.0.9 (various peers) closed: timed out after %dms", ms);
        sipc__log_limited_text(ctx, key, host, text, NULL, SIPC_LOG_INFO, "Transport.Conn",
                               "connection from 127.0.0.9 (peer %d) closed: timed out after %dms",
                               i, ms);
    }
    assert_int_equal(got.n, SIPC__LOG_HOST_BURST);
    int closed = 0;
    sipc_ctx_close(ctx, ctx_closed, &closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(closed);
    assert_int_equal(got.n, SIPC__LOG_HOST_BURST + 1);
    /* the first held is line SIPC__LOG_HOST_BURST: 1000 + 111 * 3 */
    if (!strstr(got.buf, "4 more like this in the last 1 s: connections from 127.0.0.9 (various "
                         "peers) closed: timed out after 1333ms\n"))
        fail_msg("%s", got.buf);
    sipc_security_release(sec);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* A connection from 127.0.70.2 to a plaintext server listening on address
 * whose first frame is a connection-level ERROR with msg: the server's log
 * file (a node's log, ipc/node/log.c), read back. */
static char *log_of_peer_error(const char *address, const char *msg)
{
    char *dir = make_dir();
    char d1[9], d2[9];
    today(d1);
    sipc_logger *lg;
    assert_int_equal(sipc_logger_open(&lg, dir, "Peer", 0, SIPC_LOG_DEBUG), 0);
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_security *sec;
    sipc_ctx *ctx = plain_ctx(&loop, sipc_logger_sink, lg, &sec);
    sipc_router *router;
    assert_int_equal(sipc_router_new(&router), 0);
    sipc_server *srv;
    assert_int_equal(sipc_server_listen(&srv, ctx, "text", address, 0, router), 0);

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.70.2", &a.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    inet_pton(AF_INET, "127.0.70.1", &a.sin_addr);
    a.sin_port = htons((uint16_t)sipc_server_port(srv));
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    /* version 1, kind ERROR, request id 0, status -1 (zigzag 1), message */
    size_t mlen = strlen(msg);
    assert_true(mlen < 100);
    unsigned char frame[128] = {0, 0, 0, 0, 0x08, 1, 0x10, 5, 0x30, 1, 0x3a, (unsigned char)mlen};
    memcpy(frame + 12, msg, mlen);
    size_t len = 12 + mlen;
    frame[3] = (unsigned char)(len - 4);
    assert_int_equal(send(fd, frame, len, MSG_NOSIGNAL), (ssize_t)len);
    sipc_server_stats st = {0};
    for (int i = 0; i < 3000; i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        assert_int_equal(sipc_server_stats_get(srv, &st), 0);
        if (st.accepted_total == 1 && st.handshake_failures_total == 1)
            break;
        usleep(1000);
    }
    close(fd);
    int closed = 0;
    sipc_ctx_close(ctx, ctx_closed, &closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(closed);
    sipc_router_free(router);
    sipc_security_release(sec);
    assert_int_equal(uv_loop_close(&loop), 0);
    sipc_logger_close(lg);
    today(d2);
    char *text = read_log(dir, "Peer", d1, d2);
    assert_non_null(text);
    check_lines(text);
    rm_dir(dir);
    return text;
}

/* A peer's text that would reorder or hide what a log line shows (U+202E
 * RIGHT-TO-LEFT OVERRIDE, the isolates U+2066 and U+2069, a zero-width
 * space) reaches the node's log file as \xNN, byte by byte; "café" stays. */
static void test_peer_text_in_log_file(void **state)
{
    (void)state;
    char *text = log_of_peer_error("127.0.70.1", "caf\xc3\xa9 \xe2\x80\xae" "gnp.exe "
                                                 "\xe2\x81\xa6x\xe2\x81\xa9 \xe2\x80\x8b" "end");
    if (!strstr(text, "says: caf\xc3\xa9 \\xe2\\x80\\xaegnp.exe \\xe2\\x81\\xa6x\\xe2\\x81\\xa9 "
                      "\\xe2\\x80\\x8bend\n") ||
        strstr(text, "\xe2\x80\xae") || strstr(text, "\xe2\x80\x8b"))
        fail_msg("the peer's text is not escaped in the log:\n%s", text);
    free(text);
}

/* A listener on an IPv6 socket sees an IPv4 peer as ::ffff:a.b.c.d; its
 * lines name it a.b.c.d, as the per-host counts and the peer history do. */
static void test_mapped_peer_named_ipv4(void **state)
{
    (void)state;
    char *text = log_of_peer_error("::ffff:127.0.70.1", "bye");
    if (!strstr(text, " Transport.Conn WARN Connection from 127.0.70.2:") ||
        !strstr(text, ": peer 127.0.70.2:") || strstr(text, "ffff:127.0.70.2"))
        fail_msg("the log does not name the peer 127.0.70.2:\n%s", text);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_file_name),
        cmocka_unit_test(test_min_level),
        cmocka_unit_test(test_append),
        cmocka_unit_test(test_file_cap),
        cmocka_unit_test(test_link_not_followed),
        cmocka_unit_test(test_stderr),
        cmocka_unit_test_teardown(test_write_fails_whole_lines, fsize_back),
        cmocka_unit_test_teardown(test_write_fails_other_appender, fsize_back),
        cmocka_unit_test_teardown(test_write_fails_truncated_under, fsize_back),
        cmocka_unit_test_teardown(test_close_last_try, fsize_back),
        cmocka_unit_test_teardown(test_held_across_midnight, clock_and_fsize_back),
        cmocka_unit_test_teardown(test_held_day_file_fails, clock_and_fsize_back),
        cmocka_unit_test_teardown(test_old_day_fails_for_good, clock_and_fsize_back),
        cmocka_unit_test_teardown(test_part_lines_two_files, clock_and_fsize_back),
        cmocka_unit_test(test_long_message_and_null),
        cmocka_unit_test(test_one_line_per_record),
        cmocka_unit_test(test_c1_and_broken_utf8),
        cmocka_unit_test(test_stamp_offset),
        cmocka_unit_test(test_stamp_milliseconds),
        cmocka_unit_test(test_peer_text_in_log_file),
        cmocka_unit_test(test_mapped_peer_named_ipv4),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_level_names),
        cmocka_unit_test(test_buffered_writes),
        cmocka_unit_test(test_warn_at_once_info_soon),
        cmocka_unit_test(test_threads_lines_whole),
        cmocka_unit_test(test_exit_flushes),
        cmocka_unit_test(test_abort_flushes),
        cmocka_unit_test(test_exit_writes_held),
        cmocka_unit_test(test_crash_writes_held),
        cmocka_unit_test(test_crash_file_still_fails),
        cmocka_unit_test(test_crash_during_close),
        cmocka_unit_test(test_ctx_log_level),
        cmocka_unit_test(test_no_memory),
        cmocka_unit_test(test_ctx_held_lines),
        cmocka_unit_test(test_ctx_lines_per_node),
        cmocka_unit_test(test_ctx_host_report_text),
    };
    if (getrlimit(RLIMIT_FSIZE, &start_fsize) != 0 || sigaction(SIGXFSZ, NULL, &start_xfsz) != 0) {
        perror("the file size limit or SIGXFSZ's handling");
        return 1;
    }
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
