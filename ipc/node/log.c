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
 * the logger is closed, at exit() and, best effort, when the process
 * crashes. Lines keep their order: they are appended and written under the
 * logger's lock.
 *
 * A file write that fails (a full disk, EIO, EFBIG, a file that cannot be opened) leaves no part
 * of a line in the file: the file is cut back to its last whole line, and the lines not written
 * are held (LOG_HOLD_MAX per logger, later ones counted as lost) and that file is tried again once
 * a second (by the next line, or by the background thread), at close and exit whatever the second,
 * and at a crash. Each line goes to the file of the day its stamp names, a line held past midnight
 * too; each day's file is tried on its own, so an earlier day's file that keeps failing holds back
 * none of today's lines: they are written at once when today's file works, and when they need the
 * room held, an earlier day's held lines are given up for them (as they are once its file has
 * failed for sipc__log_old_day_ms), counted lost, with one stderr line naming the file. The
 * loggers of one directory share one health record (sipc_logger_health), which tells of each
 * logger's current day's file: stderr gets one line when its files stop being written and one when
 * they work again. A day's file takes at most file_cap bytes (sipc_logger_set_file_cap): past it,
 * lines below ERROR are dropped and counted, after one line saying so, so that a flood of lines
 * cannot fill the disk that also holds the data. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log_line.h"
#include "ipc/node/log_health.h"
#include "ipc/node/log_internal.h"
#include "sipc/node.h"

/* What a logger knows of one day's file while it matters: while it fails
 * (its lines held, tried once a second) or ends in a part line. */
#define LOG_DAYS 8
typedef struct log_day {
    char day[9];       /* YYYYMMDD; "" a free slot */
    int failing;       /* its last write failed */
    int cut;           /* it ends in a part line: its next write starts a line */
    int err;           /* the errno of the first failure in a row */
    uint64_t since;    /* uv_hrtime() of the first failure in a row */
    uint64_t last_try; /* uv_hrtime() of its latest failed write */
} log_day;

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
    /* file lines a failed write left unwritten, tried again first */
    sipc_buf held;
    /* its current day's file failed last time: counted in its dir's health */
    int failing;
    log_day days[LOG_DAYS];
    int told; /* the flusher knows it holds lines: it tries them every second */
    uint64_t day_bytes; /* the day's file: its size when the day began, and lines since */
    _Atomic uint64_t file_cap; /* the most a day's file takes (sipc_logger_set_file_cap) */
    int capped;         /* the day's file reached file_cap */
    int health;    /* its slot in health_tab, -1 for none */
    char path[1024]; /* the day's file */
    char err_path[1024]; /* the file of the last write that failed */
    uint64_t writes;  /* write(2) calls made, for tests */
    uint64_t last_flush; /* uv_hrtime() of the last write */
    int last_chance;     /* close or exit: the file is tried whatever last_try */
    uv_mutex_t lock;  /* loggers may be shared by threads */
    /* 1 while a thread holds lock (lg_lock), or once the crash handler has
     * taken the logger: the handler never reads buffers another thread is
     * changing, and no thread changes them after it has taken them */
    atomic_int busy;
    sipc_logger *next; /* in the registry of open loggers */
};

/* what a logger holds for its file while writes fail; more is lost */
#define LOG_HOLD_MAX (64 * 1024)

static uv_once_t reg_once = UV_ONCE_INIT;
static void reg_init(void);

int sipc_logger_health(sipc_logger *lg, sipc_log_health *out)
{
    if (!lg || !out)
        return SIPC_EINVAL;
    return sipc__log_health_get(lg->health, atomic_load(&lg->file_cap), out);
}

int sipc_logger_set_file_cap(sipc_logger *lg, uint64_t bytes)
{
    if (!lg || !bytes)
        return SIPC_EINVAL;
    atomic_store(&lg->file_cap, bytes);
    return 0;
}

/* ------------------------------------------------ writing */

static void lg_lock(sipc_logger *lg)
{
    uv_mutex_lock(&lg->lock);
    int idle = 0;
    /* only the crash handler takes a logger without its lock: the process
     * is about to end, and this thread must not touch what it writes */
    while (!atomic_compare_exchange_strong(&lg->busy, &idle, 1)) {
        idle = 0;
        uv_sleep(1000);
    }
}

static void lg_unlock(sipc_logger *lg)
{
    atomic_store(&lg->busy, 0);
    uv_mutex_unlock(&lg->lock);
}

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

/* The files are written by lines of one day at a time, each to the file of
 * the day its stamp names: lines held while the file failed and still held
 * at midnight go to their own day's file, not the next one's. The helpers
 * below up to file_flush are async-signal-safe (the crash handler uses
 * them): memory and string functions, open, write, lseek, fstat,
 * ftruncate and close only. */

/* The day (YYYYMMDD) of the line at p[0..n) from its stamp, which is the
 * local time of the clock reading its file was chosen by; the logger's
 * current day for a line that has no stamp. */
static void line_day(const sipc_logger *lg, const uint8_t *p, size_t n, char out[9])
{
    static const int at[8] = {0, 1, 2, 3, 5, 6, 8, 9};
    if (n >= 11 && p[4] == '-' && p[7] == '-' && p[10] == 'T') {
        int i = 0;
        for (; i < 8 && p[at[i]] >= '0' && p[at[i]] <= '9'; i++)
            out[i] = (char)p[at[i]];
        if (i == 8) {
            out[8] = '\0';
            return;
        }
    }
    memcpy(out, lg->day, sizeof lg->day);
}

/* The length of the lines at the start of p[0..n) logged on one day, the
 * first line's (day). */
static size_t day_run(const sipc_logger *lg, const uint8_t *p, size_t n, char day[9])
{
    line_day(lg, p, n, day);
    size_t len = 0;
    while (len < n) {
        if (len > 0) {
            char d[9];
            line_day(lg, p + len, n - len, d);
            if (memcmp(d, day, sizeof d) != 0)
                break;
        }
        const uint8_t *nl = memchr(p + len, '\n', n - len);
        len = nl ? (size_t)(nl - p) + 1 : n;
    }
    return len;
}

/* DIR/NAME_DAY.log into out[0..cap) without snprintf; 0 if it is longer. */
static int day_path(const sipc_logger *lg, const char day[9], char *out, size_t cap)
{
    size_t a = strlen(lg->dir), b = strlen(lg->name);
    if (a + b + 15 > cap)
        return 0;
    memcpy(out, lg->dir, a);
    out[a] = '/';
    memcpy(out + a + 1, lg->name, b);
    out[a + 1 + b] = '_';
    memcpy(out + a + b + 2, day, 8);
    memcpy(out + a + b + 10, ".log", 5);
    return 1;
}

static void set_err_path(sipc_logger *lg, const char *path)
{
    size_t n = strlen(path);
    if (n >= sizeof lg->err_path)
        n = sizeof lg->err_path - 1;
    memcpy(lg->err_path, path, n);
    lg->err_path[n] = '\0';
}

/* The slot of day, NULL when it has none. */
static log_day *day_find(sipc_logger *lg, const char day[9])
{
    for (int i = 0; i < LOG_DAYS; i++)
        if (lg->days[i].day[0] && memcmp(lg->days[i].day, day, 9) == 0)
            return &lg->days[i];
    return NULL;
}

/* The slot of day, a new one when it has none: a free one, else one that
 * tells nothing (neither failing nor cut), else (LOG_DAYS days' files at
 * once failing or ending in a part line) the earliest day's. */
static log_day *day_get(sipc_logger *lg, const char day[9])
{
    log_day *s = day_find(lg, day), *idle = NULL, *oldest = NULL;
    if (s)
        return s;
    for (int i = 0; i < LOG_DAYS; i++) {
        log_day *d = &lg->days[i];
        if (!d->day[0] || (!d->failing && !d->cut)) {
            idle = d;
            break;
        }
        if (!oldest || memcmp(d->day, oldest->day, 9) < 0)
            oldest = d;
    }
    s = idle ? idle : oldest;
    memset(s, 0, sizeof *s);
    memcpy(s->day, day, 9);
    return s;
}

/* Writes p[0..n), lines of day, to fd, that day's file; 0 or the errno of
 * a failure. *done: the bytes written, whole lines only: a part line a
 * failed write left is cut off again (when that cannot be done, the next
 * write to that file starts with a newline, so no line runs into another). */
static int fd_write(sipc_logger *lg, int fd, const char day[9], const uint8_t *p, size_t n,
                    size_t *done)
{
    *done = 0;
    log_day *cut = day_find(lg, day);
    if (cut && cut->cut) {
        ssize_t w = write(fd, "\n", 1);
        lg->writes++;
        if (w != 1)
            return w < 0 ? errno : ENOSPC;
        cut->cut = 0;
    }
    off_t start = lseek(fd, 0, SEEK_END);
    int err = 0;
    size_t d = 0;
    while (d < n) {
        ssize_t w = write(fd, p + d, n - d);
        lg->writes++;
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            err = w < 0 ? errno : ENOSPC;
            break;
        }
        d += (size_t)w;
    }
    if (err) {
        size_t keep = d;
        while (keep > 0 && p[keep - 1] != '\n')
            keep--;
        /* cut only a file that ends where this write left it: bytes another
         * appender added meanwhile (an operator's echo >> file), or a file
         * truncated under it (copytruncate), must not be cut or padded */
        struct stat st;
        if (keep < d && (start < 0 || fstat(fd, &st) != 0 ||
                         st.st_size != start + (off_t)d ||
                         ftruncate(fd, start + (off_t)keep) != 0))
            day_get(lg, day)->cut = 1; /* one for each file: two may be left so */
        d = keep;
    }
    *done = d;
    return err;
}

/* Writes p[0..n), lines of day, to the file of day: the logger's own fd
 * for the current day (opened again if it is not open), a file opened for
 * this write for another. 0 or the errno of a failure (the file's name is
 * then in err_path); *done as fd_write's. */
static int file_write(sipc_logger *lg, const char day[9], const uint8_t *p, size_t n,
                      size_t *done)
{
    *done = 0;
    int own = memcmp(day, lg->day, sizeof lg->day) == 0;
    char other[sizeof lg->path];
    const char *path = lg->path;
    int fd = own ? lg->fd : -1;
    if (!own && !day_path(lg, day, other, sizeof other)) {
        set_err_path(lg, lg->dir);
        return ENAMETOOLONG;
    }
    if (!own)
        path = other;
    if (fd < 0) {
        /* never through a link planted under the name: another file it names
         * would be written to by whoever runs the node */
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) {
            int err = errno;
            set_err_path(lg, path);
            return err;
        }
        if (own)
            lg->fd = fd;
    }
    int err = fd_write(lg, fd, day, p, n, done);
    if (!own)
        close(fd);
    if (err) {
        set_err_path(lg, path);
    } else {
        log_day *s = day_find(lg, day);
        if (s)
            s->failing = 0;
    }
    return err;
}

/* The days whose file failed in one flush, or is not tried in it (it
 * failed less than a second ago): their later lines are not tried (a line
 * must not reach a file ahead of an older one of the same file). Past
 * DAYS_FAILED of them, every day counts as failed. */
#define DAYS_FAILED LOG_DAYS
typedef struct days_failed {
    int n;
    int ok_today; /* the current day's file took lines */
    int err[DAYS_FAILED]; /* each failure's errno (0: not tried) */
    char day[DAYS_FAILED][9];
} days_failed;

static int day_failed(const days_failed *f, const char day[9])
{
    if (f->n >= DAYS_FAILED)
        return 1;
    for (int i = 0; i < f->n; i++)
        if (memcmp(f->day[i], day, 9) == 0)
            return 1;
    return 0;
}

/* Tries the lines of one day at the start of p[0..n) (*len of them);
 * returns how many bytes of them were written. */
static size_t write_run(sipc_logger *lg, const uint8_t *p, size_t n, days_failed *f, size_t *len)
{
    char day[9];
    *len = day_run(lg, p, n, day);
    if (day_failed(f, day))
        return 0;
    size_t done;
    int err = file_write(lg, day, p, *len, &done);
    if (err) {
        f->err[f->n] = err;
        memcpy(f->day[f->n++], day, 9);
    } else if (memcmp(day, lg->day, 9) == 0) {
        f->ok_today = 1;
    }
    return done;
}

/* Writes what is held to the files of its days, in order; what a file
 * refuses stays held, in order, with the lines of days not tried. */
static void held_write(sipc_logger *lg, days_failed *f)
{
    uint8_t *h = lg->held.data;
    size_t r = 0, w = 0, len;
    while (r < lg->held.len) {
        size_t done = write_run(lg, h + r, lg->held.len - r, f, &len);
        memmove(h + w, h + r + done, len - done);
        w += len - done;
        r += len;
    }
    lg->held.len = w;
}

/* How long an earlier day's file may fail with its lines held. */
unsigned sipc__log_old_day_ms = 300000;

/* Why held lines are given up (give_up). */
enum { GIVE_CLOSE, GIVE_ROOM, GIVE_EXPIRED };

/* Gives up held lines, counted lost with one stderr line for each file:
 * all of them (GIVE_CLOSE: the last try at close or exit failed), those of
 * earlier days (GIVE_ROOM: today's lines need the room), or those of an
 * earlier day whose file has failed for sipc__log_old_day_ms
 * (GIVE_EXPIRED). */
static void give_up(sipc_logger *lg, int why, uint64_t now)
{
    struct {
        char day[9];
        uint64_t lines;
    } gone[LOG_DAYS];
    int ngone = 0;
    uint8_t *h = lg->held.data;
    size_t r = 0, w = 0;
    while (r < lg->held.len) {
        char day[9];
        size_t len = day_run(lg, h + r, lg->held.len - r, day);
        log_day *s = day_find(lg, day);
        int drop = why == GIVE_CLOSE;
        if (memcmp(day, lg->day, 9) != 0 && why == GIVE_ROOM)
            drop = 1;
        if (memcmp(day, lg->day, 9) != 0 && why == GIVE_EXPIRED && s && s->failing &&
            now - s->since >= (uint64_t)sipc__log_old_day_ms * 1000000)
            drop = 1;
        if (!drop) {
            memmove(h + w, h + r, len);
            w += len;
            r += len;
            continue;
        }
        uint64_t lines = 0;
        for (size_t i = r; i < r + len; i++)
            lines += h[i] == '\n';
        if (h[r + len - 1] != '\n')
            lines++;
        int g = 0;
        while (g < ngone && memcmp(gone[g].day, day, 9) != 0)
            g++;
        if (g == ngone) {
            if (ngone == LOG_DAYS)
                g = ngone - 1; /* told with the last one's */
            else {
                memcpy(gone[ngone].day, day, 9);
                gone[ngone++].lines = 0;
            }
        }
        gone[g].lines += lines;
        r += len;
    }
    lg->held.len = w;
    for (int g = 0; g < ngone; g++) {
        char path[sizeof lg->path];
        log_day *s = day_find(lg, gone[g].day);
        int err = s ? s->err : 0;
        if (!day_path(lg, gone[g].day, path, sizeof path))
            snprintf(path, sizeof path, "%s", lg->dir);
        if (s && why != GIVE_CLOSE)
            s->failing = 0; /* nothing of it held: a line of that day is tried at once */
        sipc__log_health_tally(lg->health, 0, gone[g].lines);
        char reason[300];
        if (why == GIVE_CLOSE)
            snprintf(reason, sizeof reason, "the file still cannot be written at close");
        else
            snprintf(reason, sizeof reason,
                     "its day is over and the file still cannot be written (%s); given up %s",
                     err ? strerror(err) : "not tried",
                     why == GIVE_ROOM ? "to make room for today's lines"
                                      : "after its failures went on for the longest they are "
                                        "held");
        sipc__log_notice("sipc: %llu log line%s of %s not written to %s: %s%s",
               (unsigned long long)gone[g].lines, gone[g].lines == 1 ? "" : "s", lg->name, path,
               reason, lg->echo_stderr ? " (they went to stderr)" : "");
    }
}

/* Keeps p[0..n) (whole lines) to be written later, as far as there is
 * room; returns how many lines found none. Today's lines come first: when
 * one finds no room, the earlier days' held lines are given up for it. */
static uint64_t hold(sipc_logger *lg, const uint8_t *p, size_t n)
{
    uint64_t lost = 0;
    while (n > 0) {
        const uint8_t *nl = memchr(p, '\n', n);
        size_t len = nl ? (size_t)(nl - p) + 1 : n;
        if (lg->held.len + len > LOG_HOLD_MAX) {
            char day[9];
            line_day(lg, p, len, day);
            if (memcmp(day, lg->day, 9) == 0)
                give_up(lg, GIVE_ROOM, 0);
        }
        if (lg->held.len + len > LOG_HOLD_MAX || sipc_buf_append(&lg->held, p, len) != 0)
            lost++;
        p += len;
        n -= len;
    }
    return lost;
}

/* Frees the slots that tell nothing any more: neither failing nor cut, or
 * an earlier day's failing file none of whose lines is held (given up, or
 * lost for want of room): nothing is left to try it for. */
static void forget_days(sipc_logger *lg)
{
    int old = 0;
    for (int i = 0; i < LOG_DAYS; i++) {
        log_day *s = &lg->days[i];
        if (s->day[0] && s->failing && memcmp(s->day, lg->day, 9) != 0)
            old |= 1 << i;
    }
    for (size_t r = 0, len; old && r < lg->held.len; r += len) {
        char day[9];
        len = day_run(lg, lg->held.data + r, lg->held.len - r, day);
        log_day *s = day_find(lg, day);
        if (s)
            old &= ~(1 << (int)(s - lg->days));
    }
    for (int i = 0; i < LOG_DAYS; i++) {
        log_day *s = &lg->days[i];
        if (old & (1 << i))
            s->failing = 0;
        if (!s->failing && !s->cut)
            s->day[0] = '\0';
    }
}

/* The files' part of a flush: what is held first, then p[0..n). */
static void file_flush(sipc_logger *lg, const uint8_t *p, size_t n)
{
    if (!lg->dir || !lg->path[0])
        return;
    uint64_t now = uv_hrtime();
    days_failed f = {0};
    /* while a file fails, a try a second: a busy logger's every line would
     * otherwise be a failed write, and each a count; each day's file on its
     * own, so one that keeps failing does not hold back another's lines */
    for (int i = 0; i < LOG_DAYS && !lg->last_chance; i++) {
        log_day *s = &lg->days[i];
        if (s->day[0] && s->failing && now - s->last_try < 1000000000u)
            memcpy(f.day[f.n++], s->day, 9);
    }
    int skipped = f.n;
    held_write(lg, &f);
    if (lg->held.len == 0 && lg->held.cap > 2 * LOG_HOLD_MAX)
        sipc_buf_free(&lg->held);
    uint64_t lost = 0;
    size_t r = 0, len;
    while (r < n) {
        size_t done = write_run(lg, p + r, n - r, &f, &len);
        lost += hold(lg, p + r + done, len - done);
        r += len;
    }
    int today_err = 0;
    uint64_t old_failed = 0;
    for (int i = skipped; i < f.n; i++) {
        log_day *s = day_get(lg, f.day[i]);
        if (!s->failing) {
            s->failing = 1;
            s->since = now;
            s->err = f.err[i];
        }
        s->last_try = now;
        if (memcmp(f.day[i], lg->day, 9) == 0)
            today_err = f.err[i];
        else
            old_failed++;
    }
    if (!lg->last_chance)
        give_up(lg, GIVE_EXPIRED, now);
    forget_days(lg);
    /* the health tells of the current day's file: an earlier day's that
     * fails is in the totals, and stderr names it when its lines are given
     * up */
    sipc__log_health_tally(lg->health, old_failed, 0);
    if (today_err) {
        set_err_path(lg, lg->path);
        sipc__log_health_fail(lg->health, &lg->failing, today_err, lost,
                              lg->err_path[0] ? lg->err_path : lg->path, lg->echo_stderr);
        return;
    }
    sipc__log_health_tally(lg->health, 0, lost);
    if (f.ok_today)
        sipc__log_health_ok(lg->health, &lg->failing, 0);
}

/* What stderr gets: the named copy when the logger also writes a file. */
static const sipc_buf *err_lines(const sipc_logger *lg)
{
    return lg->dir ? &lg->pending_err : &lg->pending;
}

/* With lg->lock held. */
static void flush_locked(sipc_logger *lg)
{
    if (lg->pending.len == 0 && lg->held.len == 0)
        return;
    lg->last_flush = uv_hrtime();
    file_flush(lg, lg->pending.data, lg->pending.len);
    if (lg->echo_stderr && err_lines(lg)->len)
        write_all(lg, STDERR_FILENO, err_lines(lg)->data, err_lines(lg)->len);
    lg->pending.len = lg->pending_err.len = 0;
    if (lg->pending.cap > 4 * SIPC__LOG_FLUSH_BYTES) {
        sipc_buf_free(&lg->pending); /* a burst does not keep its memory */
        sipc_buf_free(&lg->pending_err);
    }
}

/* With lg->lock held, at close or exit: a last try of the file, whatever
 * the once-a-second limit; the lines it still refuses are counted lost and
 * stderr says so once (they go nowhere else). */
static void flush_last(sipc_logger *lg)
{
    lg->last_chance = 1;
    flush_locked(lg);
    lg->last_chance = 0;
    if (lg->held.len > 0)
        give_up(lg, GIVE_CLOSE, 0);
}

/* ------------------------------------------------ the flusher thread */

static uv_mutex_t reg_lock;
static uv_cond_t reg_cond;
static sipc_logger *reg_head;
static uv_thread_t reg_thread;
static int reg_running, reg_stop;
static int reg_wanted; /* a logger holds a line the flusher has not seen */
static int reg_held;   /* a logger holds lines its file refused */
static uint64_t reg_wakes; /* the loggers' wakes of the flusher, for tests */

/* Whether a logger still holds lines its file refused. */
static int flush_all_registered(void)
{
    int held = 0;
    for (sipc_logger *lg = reg_head; lg; lg = lg->next) {
        lg_lock(lg);
        flush_locked(lg);
        lg->told = lg->held.len > 0;
        held |= lg->told;
        lg_unlock(lg);
    }
    return held;
}

/* Lock order: reg_lock, then a logger's lock; the sink takes only the
 * latter. */
static void flusher(void *arg)
{
    (void)arg;
    uv_mutex_lock(&reg_lock);
    while (!reg_stop) {
        /* asleep until a logger holds a line: an idle node does not wake;
         * while a file refuses lines, they are tried again every second */
        while (!reg_wanted && !reg_stop) {
            if (!reg_held)
                uv_cond_wait(&reg_cond, &reg_lock);
            else if (uv_cond_timedwait(&reg_cond, &reg_lock, 1000000000u) == UV_ETIMEDOUT)
                break;
        }
        if (reg_stop)
            break;
        reg_wanted = 0;
        uv_mutex_unlock(&reg_lock);
        uv_sleep(SIPC__LOG_FLUSH_MS); /* let the burst gather */
        uv_mutex_lock(&reg_lock);
        reg_held = flush_all_registered();
    }
    uv_mutex_unlock(&reg_lock);
}

/* exit() without closing the loggers (a fatal start-up error, say) still
 * writes what they hold. */
static void flush_at_exit(void)
{
    uv_mutex_lock(&reg_lock);
    for (sipc_logger *lg = reg_head; lg; lg = lg->next) {
        lg_lock(lg);
        flush_last(lg);
        lg_unlock(lg);
    }
    uv_mutex_unlock(&reg_lock);
}

/* A crash (abort, a failed assert, a bad pointer) writes what the loggers
 * hold before the process dies: the lines held while a file failed (tried
 * once more: the disk may have room again), then at most the last few
 * milliseconds of INFO lines, but the ones that say what led up to it.
 * Each line whole, each file's in order: a part line a failed write left
 * is ended first, and the lines of a file that still fails are left out
 * rather than written after older ones it refused. Best effort: no locks
 * are taken in a signal handler and nothing is allocated; only
 * async-signal-safe calls. A logger whose lock another thread holds is
 * waited for a little (the flusher, mid-write); one this thread holds
 * (the crash in the logger itself) is left. */
static void crash_flush(sipc_logger *lg)
{
    int idle = 0;
    for (int i = 0; !atomic_compare_exchange_strong(&lg->busy, &idle, 1); i++) {
        if (i == 50)
            return;
        idle = 0;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    if (lg->dir && lg->path[0]) {
        days_failed f = {0};
        held_write(lg, &f);
        size_t r = 0, len;
        while (r < lg->pending.len) {
            (void)write_run(lg, lg->pending.data + r, lg->pending.len - r, &f, &len);
            r += len;
        }
    }
    if (lg->echo_stderr && err_lines(lg)->len &&
        write(STDERR_FILENO, err_lines(lg)->data, err_lines(lg)->len) < 0)
        return;
}

/* Set by the crash handler before it walks the registry: a logger closed
 * then may be in the handler's hands, and is not freed (sipc_logger_close). */
static atomic_int crashing;

static void flush_on_crash(int sig)
{
    int saved = errno;
    atomic_store(&crashing, 1);
    atomic_thread_fence(memory_order_seq_cst);
    for (sipc_logger *lg = reg_head; lg; lg = lg->next)
        crash_flush(lg);
    errno = saved;
    /* SA_RESETHAND made the action the default again: the signal raised
       once more ends the process as it would have ended (a signal sent with
       kill(2) would otherwise be swallowed, and a fault faults again) */
    raise(sig);
}

static void reg_init(void)
{
    uv_mutex_init(&reg_lock);
    sipc__log_health_init();
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
    lg->health = -1;
    lg->file_cap = SIPC_LOG_FILE_CAP_DEFAULT;
    lg->name = strdup(name ? name : "sipc");
    lg->dir = dir ? strdup(dir) : NULL;
    int r = SIPC_ENOMEM;
    if (!lg->name || (dir && !lg->dir))
        goto fail;
    if (lg->dir && mkdir(lg->dir, 0750) != 0 && errno != EEXIST) {
        r = -errno;
        goto fail;
    }
    lg->echo_stderr = echo_stderr;
    lg->min_level = min_level;
    uv_mutex_init(&lg->lock);
    r = reg_add(lg);
    if (r != 0) {
        uv_mutex_destroy(&lg->lock);
        goto fail;
    }
    if (lg->dir)
        lg->health = sipc__log_health_slot(lg->dir);
    *out = lg;
    return 0;
fail:
    free(lg->name);
    free(lg->dir);
    free(lg);
    return r;
}

void sipc_logger_close(sipc_logger *lg)
{
    if (!lg)
        return;
    reg_remove(lg);
    lg_lock(lg);
    flush_last(lg);
    /* busy stays set: a crash handler that took lg from the registry before
     * it was removed finds it taken, waits a little and leaves it. Whether
     * one may have: it sets crashing before it reads the registry, and lg
     * was removed from it before crashing is read here (Dekker's order,
     * both behind a full fence), so when crashing is still clear no handler
     * can reach lg, and when it is set lg is left to the dying process. */
    uv_mutex_unlock(&lg->lock);
    sipc__log_health_cap(lg->health, -lg->capped, 0);
    sipc__log_health_ok(lg->health, &lg->failing, 1);
    if (lg->fd >= 0)
        close(lg->fd);
    lg->fd = -1;
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&crashing))
        return;
    sipc_buf_free(&lg->held);
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
    lg_lock(lg);
    flush_locked(lg);
    lg_unlock(lg);
}

uint64_t sipc__log_wakes(void)
{
    uv_once(&reg_once, reg_init);
    uv_mutex_lock(&reg_lock);
    uint64_t n = reg_wakes;
    uv_mutex_unlock(&reg_lock);
    return n;
}

uint64_t sipc__logger_writes(sipc_logger *lg)
{
    lg_lock(lg);
    uint64_t n = lg->writes;
    lg_unlock(lg);
    return n;
}

/* Reopens the file when the day changes. What the old day holds is written
 * to its own file first; lines still held then (the file failing) go to
 * the file of their own day when it can be written again (file_write). */
static void logger_rotate(sipc_logger *lg, const struct tm *tm)
{
    char day[9];
    strftime(day, sizeof day, "%Y%m%d", tm);
    if (strcmp(day, lg->day) == 0)
        return;
    flush_locked(lg);
    if (lg->fd >= 0)
        close(lg->fd);
    lg->fd = -1;
    memcpy(lg->day, day, sizeof day);
    snprintf(lg->path, sizeof lg->path, "%s/%s_%s.log", lg->dir, lg->name, day);
    struct stat st; /* a restart the same day goes on from what the file holds */
    lg->day_bytes = stat(lg->path, &st) == 0 ? (uint64_t)st.st_size : 0;
    sipc__log_health_cap(lg->health, -lg->capped, 0);
    lg->capped = 0;
    /* opened by the next write, which tells the files' health if it cannot */
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
    lg_lock(lg);
    if (lg->dir) {
        struct tm tm;
        localtime_r(&now.tv_sec, &tm);
        logger_rotate(lg, &tm);
        if (level < SIPC_LOG_ERROR && lg->day_bytes + n > lg->file_cap) {
            sipc__log_health_cap(lg->health, !lg->capped, 1);
            if (lg->capped) {
                lg_unlock(lg);
                return;
            }
            lg->capped = 1; /* this line's place goes to one that says so */
            n = sipc__log_format(line, &now, "Log", "WARN",
                                 "this file reached its size cap: lines below ERROR are dropped "
                                 "until the next day's file, counted in sipcctl status (logs)");
            level = SIPC_LOG_WARN;
        }
        lg->day_bytes += n;
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
        file_flush(lg, (const uint8_t *)line, n);
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
    if (lg->held.len > 0 && !lg->told)
        wake = 1; /* its file refused lines: the flusher tries them again, every
                   * second once it has seen them, without a wake for each line */
    lg_unlock(lg);
    if (wake) { /* under reg_lock, taken after lg->lock is released (lock order) */
        uv_mutex_lock(&reg_lock);
        reg_wanted = 1;
        reg_wakes++;
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
