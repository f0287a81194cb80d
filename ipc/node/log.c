/* log.c - the node's log files: the operator format (base/log_line.h), one
 * file per service per day under $SIPC_HOME/logs.
 *
 * A line is written at once (one write(2) per destination, file and stderr)
 * unless the logger wrote less than SIPC__LOG_FLUSH_MS ago: then it waits in
 * a buffer with the lines that follow, and they are written together, so a
 * flood of log lines does not become a flood of system calls on the event
 * loop's thread while a quiet node's lines appear as they happen. Held lines
 * are written when the buffer holds SIPC__LOG_FLUSH_BYTES, right after a WARN
 * or ERROR line (what an operator needs first is never held back), by a
 * background thread about SIPC__LOG_FLUSH_MS after the first was held, when
 * the logger is closed, at exit() and, best effort, when the process crashes. Lines keep their order: they are appended and written under the
 * logger's lock. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log_line.h"
#include "ipc/node/log_internal.h"
#include "sipc/node.h"

struct sipc_logger {
    char *dir;  /* NULL: stderr only */
    char *name;
    int echo_stderr;
    sipc_log_level min_level;
    int fd;      /* the day's file, -1 when none */
    char day[9]; /* YYYYMMDD of fd */
    sipc_buf pending; /* lines not written yet */
    /* the same lines for stderr, each after the logger's name, when stderr
     * copies a file of its own: the copy (a journal) mixes every service */
    sipc_buf pending_err;
    uint64_t writes;  /* write(2) calls made, for tests */
    uint64_t last_flush; /* uv_hrtime() of the last write */
    uv_mutex_t lock;  /* loggers may be shared by threads */
    sipc_logger *next; /* in the registry of open loggers */
};

/* ------------------------------------------------ writing */

static void write_all(sipc_logger *lg, int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        lg->writes++;
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* a full disk or a closed stderr: nothing better to do */
        p += w;
        n -= (size_t)w;
    }
}

/* What stderr gets: the named copy when the logger also writes a file. */
static const sipc_buf *err_lines(const sipc_logger *lg)
{
    return lg->dir ? &lg->pending_err : &lg->pending;
}

/* With lg->lock held. */
static void flush_locked(sipc_logger *lg)
{
    if (lg->pending.len == 0)
        return;
    lg->last_flush = uv_hrtime();
    if (lg->fd >= 0)
        write_all(lg, lg->fd, lg->pending.data, lg->pending.len);
    if (lg->echo_stderr)
        write_all(lg, STDERR_FILENO, err_lines(lg)->data, err_lines(lg)->len);
    lg->pending.len = lg->pending_err.len = 0;
    if (lg->pending.cap > 4 * SIPC__LOG_FLUSH_BYTES) {
        sipc_buf_free(&lg->pending); /* a burst does not keep its memory */
        sipc_buf_free(&lg->pending_err);
    }
}

/* ------------------------------------------------ the flusher thread */

static uv_once_t reg_once = UV_ONCE_INIT;
static uv_mutex_t reg_lock;
static uv_cond_t reg_cond;
static sipc_logger *reg_head;
static uv_thread_t reg_thread;
static int reg_running, reg_stop;
static int reg_wanted; /* a logger holds a line the flusher has not seen */

static void flush_all_registered(void)
{
    for (sipc_logger *lg = reg_head; lg; lg = lg->next) {
        uv_mutex_lock(&lg->lock);
        flush_locked(lg);
        uv_mutex_unlock(&lg->lock);
    }
}

/* Lock order: reg_lock, then a logger's lock; the sink takes only the
 * latter. */
static void flusher(void *arg)
{
    (void)arg;
    uv_mutex_lock(&reg_lock);
    while (!reg_stop) {
        /* asleep until a logger holds a line: an idle node does not wake */
        while (!reg_wanted && !reg_stop)
            uv_cond_wait(&reg_cond, &reg_lock);
        if (reg_stop)
            break;
        reg_wanted = 0;
        uv_mutex_unlock(&reg_lock);
        uv_sleep(SIPC__LOG_FLUSH_MS); /* let the burst gather */
        uv_mutex_lock(&reg_lock);
        flush_all_registered();
    }
    uv_mutex_unlock(&reg_lock);
}

/* exit() without closing the loggers (a fatal start-up error, say) still
 * writes what they hold. */
static void flush_at_exit(void)
{
    uv_mutex_lock(&reg_lock);
    flush_all_registered();
    uv_mutex_unlock(&reg_lock);
}

/* A crash (abort, a failed assert, a bad pointer) writes what the loggers
 * hold before the process dies: at most the last few milliseconds of INFO
 * lines, but the ones that say what led up to it. Best effort: no locks are
 * taken in a signal handler, only write(2), which is async-signal-safe. */
static void flush_on_crash(int sig)
{
    for (sipc_logger *lg = reg_head; lg; lg = lg->next) {
        if (lg->pending.len == 0)
            continue;
        if (lg->fd >= 0 && write(lg->fd, lg->pending.data, lg->pending.len) < 0)
            continue;
        if (lg->echo_stderr &&
            write(STDERR_FILENO, err_lines(lg)->data, err_lines(lg)->len) < 0)
            continue;
    }
    /* SA_RESETHAND made the action the default again: the signal raised
       once more ends the process as it would have ended (a signal sent with
       kill(2) would otherwise be swallowed, and a fault faults again) */
    raise(sig);
}

static void reg_init(void)
{
    uv_mutex_init(&reg_lock);
    uv_cond_init(&reg_cond);
    atexit(flush_at_exit);
    /* only where nobody else (the application, a sanitizer) handles them */
    static const int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
            (old.sa_flags & SA_SIGINFO))
            continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = flush_on_crash;
        sa.sa_flags = SA_RESETHAND | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        (void)sigaction(sigs[i], &sa, NULL);
    }
}

static int reg_add(sipc_logger *lg)
{
    uv_once(&reg_once, reg_init);
    uv_mutex_lock(&reg_lock);
    int r = 0;
    if (!reg_running) {
        reg_stop = 0;
        r = uv_thread_create(&reg_thread, flusher, NULL);
        reg_running = r == 0;
    }
    if (r == 0) {
        lg->next = reg_head;
        reg_head = lg;
    }
    uv_mutex_unlock(&reg_lock);
    return r;
}

static void reg_remove(sipc_logger *lg)
{
    uv_mutex_lock(&reg_lock);
    for (sipc_logger **p = &reg_head; *p; p = &(*p)->next) {
        if (*p == lg) {
            *p = lg->next;
            break;
        }
    }
    int join = reg_running && !reg_head;
    if (join) {
        reg_stop = 1;
        reg_running = 0;
        uv_cond_signal(&reg_cond);
    }
    uv_mutex_unlock(&reg_lock);
    if (join)
        uv_thread_join(&reg_thread);
}

/* ------------------------------------------------ the logger */

int sipc_logger_open(sipc_logger **out, const char *dir, const char *name, int echo_stderr,
                     sipc_log_level min_level)
{
    if (!out)
        return SIPC_EINVAL;
    sipc_logger *lg = calloc(1, sizeof *lg);
    if (!lg)
        return SIPC_ENOMEM;
    lg->fd = -1;
    lg->name = strdup(name ? name : "sipc");
    lg->dir = dir ? strdup(dir) : NULL;
    if (!lg->name || (dir && !lg->dir)) {
        free(lg->name);
        free(lg->dir);
        free(lg);
        return SIPC_ENOMEM;
    }
    if (lg->dir && mkdir(lg->dir, 0750) != 0 && errno != EEXIST) {
        int e = -errno;
        free(lg->name);
        free(lg->dir);
        free(lg);
        return e;
    }
    lg->echo_stderr = echo_stderr;
    lg->min_level = min_level;
    uv_mutex_init(&lg->lock);
    int r = reg_add(lg);
    if (r != 0) {
        uv_mutex_destroy(&lg->lock);
        free(lg->name);
        free(lg->dir);
        free(lg);
        return r;
    }
    *out = lg;
    return 0;
}

void sipc_logger_close(sipc_logger *lg)
{
    if (!lg)
        return;
    reg_remove(lg);
    uv_mutex_lock(&lg->lock);
    flush_locked(lg);
    uv_mutex_unlock(&lg->lock);
    if (lg->fd >= 0)
        close(lg->fd);
    sipc_buf_free(&lg->pending);
    sipc_buf_free(&lg->pending_err);
    uv_mutex_destroy(&lg->lock);
    free(lg->dir);
    free(lg->name);
    free(lg);
}

void sipc_logger_flush(sipc_logger *lg)
{
    if (!lg)
        return;
    uv_mutex_lock(&lg->lock);
    flush_locked(lg);
    uv_mutex_unlock(&lg->lock);
}

uint64_t sipc__logger_writes(sipc_logger *lg)
{
    uv_mutex_lock(&lg->lock);
    uint64_t n = lg->writes;
    uv_mutex_unlock(&lg->lock);
    return n;
}

/* Reopens the file when the day changes (what the old day holds is written
 * to its own file first); on failure keeps logging to stderr. */
static void logger_rotate(sipc_logger *lg, const struct tm *tm)
{
    char day[9];
    strftime(day, sizeof day, "%Y%m%d", tm);
    if (lg->fd >= 0 && strcmp(day, lg->day) == 0)
        return;
    flush_locked(lg);
    if (lg->fd >= 0)
        close(lg->fd);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s_%s.log", lg->dir, lg->name, day);
    /* never through a link planted under the name: another file it names
     * would be written to by whoever runs the node */
    lg->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (lg->fd >= 0) {
        memcpy(lg->day, day, sizeof day);
    } else if (!lg->echo_stderr) {
        fprintf(stderr, "sipc: cannot open log file %s: %s\n", path, strerror(errno));
    }
}

void sipc_logger_sink(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    sipc_logger *lg = arg;
    if (!lg) {
        sipc_log_stderr(NULL, level, category, msg);
        return;
    }
    if (level < lg->min_level)
        return;
    struct timespec now;
    sipc__log_now(&now);
    char line[SIPC__LOG_LINE_MAX];
    size_t n = sipc__log_format(line, &now, category, sipc_log_level_name(level), msg);
    int wake = 0;
    uv_mutex_lock(&lg->lock);
    if (lg->dir) {
        struct tm tm;
        localtime_r(&now.tv_sec, &tm);
        logger_rotate(lg, &tm);
    }
    int named = lg->echo_stderr && lg->dir;
    size_t had_err = lg->pending_err.len;
    int r = sipc_buf_append(&lg->pending, line, n);
    if (r == 0 && named &&
        (sipc_buf_append(&lg->pending_err, lg->name, strlen(lg->name)) != 0 ||
         sipc_buf_append(&lg->pending_err, ": ", 2) != 0 ||
         sipc_buf_append(&lg->pending_err, line, n) != 0)) {
        lg->pending.len -= n; /* written below, with the others' */
        lg->pending_err.len = had_err;
        r = SIPC_ENOMEM;
    }
    if (r != 0) {
        flush_locked(lg); /* no memory for the buffers: write what there is, then this */
        if (lg->fd >= 0)
            write_all(lg, lg->fd, (const uint8_t *)line, n);
        if (named) {
            char both[SIPC__LOG_LINE_MAX + 80];
            int k = snprintf(both, 80, "%.60s: ", lg->name);
            memcpy(both + k, line, n);
            write_all(lg, STDERR_FILENO, (const uint8_t *)both, (size_t)k + n);
        } else if (lg->echo_stderr) {
            write_all(lg, STDERR_FILENO, (const uint8_t *)line, n);
        }
    } else if (level >= SIPC_LOG_WARN || lg->pending.len >= SIPC__LOG_FLUSH_BYTES ||
               uv_hrtime() - lg->last_flush >= (uint64_t)SIPC__LOG_FLUSH_MS * 1000000) {
        flush_locked(lg);
    } else if (lg->pending.len == n) {
        wake = 1; /* the first line held: the flusher writes it soon */
    }
    uv_mutex_unlock(&lg->lock);
    if (wake) { /* under reg_lock, taken after lg->lock is released (lock order) */
        uv_mutex_lock(&reg_lock);
        reg_wanted = 1;
        uv_cond_signal(&reg_cond);
        uv_mutex_unlock(&reg_lock);
    }
}

void sipc_logf(sipc_logger *lg, sipc_log_level level, const char *category, const char *fmt, ...)
{
    char msg[SIPC__LOG_LINE_MAX]; /* as long as a log line may be: cut once, by the sink */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sipc_logger_sink(lg, level, category, msg);
}
