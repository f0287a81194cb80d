/* records_mark.c - see records_mark.h. */
#include "records_mark.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file_replace.h"
#include "data_service.h"
#include "host.h"
#include "json_text.h"
#include "management_service.h"
#include "peers.h"
#include "rfc3339.h"

#define MARK_NAME "records-mark"
#define DAMAGED_NAME "records-damaged"
#define LOST_NAME "records-lost"
/* findings of lost records kept in state/records-lost: the latest ones */
#define LOST_KEEP 8

/* Writes HOME/state/name whole (host_state_put); 0, or a WARN once per
 * distinct problem. */
static int state_write(host *h, const char *name, const char *text, const char *what)
{
    char err[800];
    int r = host_state_put(h, name, text, err, sizeof err);
    if (r == 0) {
        h->mark.last_error[0] = '\0';
    } else if (strcmp(err, h->mark.last_error)) {
        snprintf(h->mark.last_error, sizeof h->mark.last_error, "%s", err);
        sipc_logf(h->svc[HOST_DATA].log, SIPC_LOG_WARN, "Data.Storage", "Cannot save %s: %s",
                  what, err);
    }
    return r;
}

/* HOME/state/name whole (at most len - 1 bytes) into buf: 1, or 0 when
 * it is not there or empty, or -errno when it is there but cannot be read
 * (a link, which is not followed, a directory, no permission). */
static int state_file_read(const char *home, const char *name, char *buf, size_t len)
{
    char path[800];
    buf[0] = '\0';
    snprintf(path, sizeof path, "%s/state/%s", home, name);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    size_t n = 0;
    ssize_t r = 0;
    while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0)
        n += (size_t)r;
    int e = r < 0 ? errno : 0;
    close(fd);
    buf[n] = '\0';
    return e ? -e : n > 0;
}

/* HOME/state/name's first line into buf; 0 when there is none. */
static int state_read(const host *h, const char *name, char *buf, size_t len)
{
    if (state_file_read(h->cfg.home, name, buf, len) <= 0)
        return 0;
    buf[strcspn(buf, "\n")] = '\0';
    return 1;
}

static void save_mark(host *h, const sipc_data_mark *m)
{
    if (m->instance == 0 || (m->instance == h->mark.saved.instance &&
                             m->created == h->mark.saved.created &&
                             m->writes == h->mark.saved.writes))
        return;
    char when[32], line[200];
    sipc_rfc3339_format(sipc_rfc3339_now_ms(), 0, when, sizeof when);
    snprintf(line, sizeof line, "instance %lld created %lld writes %lld at %s\n",
             (long long)m->instance, (long long)m->created, (long long)m->writes, when);
    if (state_write(h, MARK_NAME, line,
                    "the trace of committed records (a lost records.db-wal could go unnoticed)") ==
        0)
        h->mark.saved = *m;
}

static int lost_note(host *h, const char *same);

static int damaged_write(host *h)
{
    return state_write(h, DAMAGED_NAME, h->mark.damaged_line,
                       "the verdict that records.db is damaged (a restart would take writes into "
                       "it again when its start-up check does not reach the damage)");
}

void records_mark_save(host *h)
{
    sipc_data_open_state os;
    if (!h->data)
        return;
    if (h->mark.damaged_pending && damaged_write(h) == 0)
        h->mark.damaged_pending = 0;
    sipc_data_open_state_get(h->data, &os);
    if (!os.open)
        return; /* nothing counted yet: records_mark_start runs once it opens */
    if (h->mark.lost_pending) {
        if (lost_note(h, h->mark.lost_line) != 0)
            return;
        h->mark.lost_pending = 0;
    }
    sipc_data_mark m;
    sipc_data_mark_get(h->data, &m);
    save_mark(h, &m);
}

void records_damaged_save(const char *reason, void *arg)
{
    host *h = arg;
    sipc_data_mark m;
    sipc_data_mark_get(h->data, &m);
    char when[32];
    sipc_rfc3339_format(sipc_rfc3339_now_ms(), 0, when, sizeof when);
    snprintf(h->mark.damaged_line, sizeof h->mark.damaged_line,
             "instance %lld file %llu at %s: %.500s\n", (long long)m.instance,
             (unsigned long long)m.file, when, reason);
    /* the peers timer tries it again until it is kept */
    h->mark.damaged_pending = damaged_write(h) != 0;
}

/* A verdict of damage on this very file (its instance) keeps writes
 * refused; one on another file (the repair's, a new database) is gone.
 * A verdict without an instance (the file had none) goes with the file
 * itself: records.db replaced by another file (its inode) drops it. */
static void check_damaged(host *h, const sipc_data_mark *m)
{
    char buf[700], when[64];
    long long inst;
    unsigned long long file = 0;
    int off = 0;
    if (!state_read(h, DAMAGED_NAME, buf, sizeof buf))
        return;
    if (sscanf(buf, "instance %lld file %llu at %63s %n", &inst, &file, when, &off) != 3 ||
        !off) {
        file = 0;
        off = 0;
        if (sscanf(buf, "instance %lld at %63s %n", &inst, when, &off) != 2 || !off) {
            inst = 0;
            snprintf(when, sizeof when, "an earlier run");
        }
    }
    size_t wl = strlen(when);
    if (wl && when[wl - 1] == ':')
        when[wl - 1] = '\0';
    const char *reason = off ? buf + off : "unreadable state/" DAMAGED_NAME;
    if ((m->instance != 0 && inst != 0 && m->instance != inst) ||
        (inst == 0 && file != 0 && m->file != 0 && m->file != file)) {
        if (host_state_remove(h->cfg.home, DAMAGED_NAME, NULL, 0) != 0)
            sipc_logf(h->svc[HOST_DATA].log, SIPC_LOG_INFO, "Data.Storage",
                      "records.db is another database than the one found damaged at %s "
                      "(repaired or new): writes are taken (state/%s removed)",
                      when, DAMAGED_NAME);
        return;
    }
    sipc_logf(h->svc[HOST_DATA].log, SIPC_LOG_WARN, "Data.Storage",
              "records.db is the database found damaged at %s (%s; state/%s): writes stay "
              "refused although the start-up check may not reach the damage. Repair it "
              "(docs/services.md, \"A full or damaged database\"): a rebuilt file clears this%s. "
              "If it is sound (a good copy put back, an error judged passing), remove state/%s "
              "and restart the node",
              when, reason, DAMAGED_NAME,
              inst != 0 ? ""
              : file != 0
                  ? " (the verdict names no instance, the file had none: any other file put "
                    "in its place)"
                  : " (not this verdict, which names no instance nor file: remove it after "
                    "the repair)",
              DAMAGED_NAME);
    char why[600], mark[200], committed[160] = "";
    long long mi, mc, mw;
    if (state_read(h, MARK_NAME, mark, sizeof mark) &&
        sscanf(mark, "instance %lld created %lld writes %lld", &mi, &mc, &mw) == 3 &&
        mi == m->instance && m->instance != 0)
        snprintf(committed, sizeof committed,
                 "; %lld records were committed (created, deleted ones included; "
                 "state/%s): compare the repair's count with it",
                 mc > m->created ? mc : (long long)m->created, MARK_NAME);
    snprintf(why, sizeof why,
             "records.db was found damaged at %s before a restart (%.60s): writes refused: "
             "repair it (docs/services.md, \"A full or damaged database\") or, if sound, "
             "remove state/%s%s",
             when, reason, DAMAGED_NAME, committed);
    sipc_data_refuse_writes(h->data, why);
}

/* state/records-lost is at most this long: sipcd writes LOST_KEEP lines of
 * under 900 bytes (a set-aside -wal's path cut to 700). A larger file (a hand edit, another version) is not
 * shown finding by finding, nor rewritten: what it holds beyond could be
 * dropped unseen. */
#define LOST_MAX 65536
/* a line longer than this is shown cut there (sipcd's are under 900 bytes) */
#define LOST_LINE_SHOWN 1000

/* HOME/state/records-lost whole, the one reader of it: the status, an
 * acknowledgement and a new finding see the same lines. Opened at dfd
 * (AT_FDCWD for a path), not followed. *out (malloc'd, NUL-terminated,
 * *n bytes before the NUL, which may hold NULs of their own): 1, or 0 when
 * it is not there or empty (*out NULL), or a negative code with err saying
 * why it cannot be shown line by line: not a regular file, larger than
 * LOST_MAX, more lines than management.ack can name, unreadable. */
static int lost_load(int dfd, const char *name, char **out, size_t *n, char *err,
                     size_t errlen)
{
    *out = NULL;
    *n = 0;
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT)
        return 0;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        snprintf(err, errlen, "it cannot be read (%s)", strerror(e));
        if (fd >= 0)
            close(fd);
        return -e;
    }
    int r = 0;
    char *buf = NULL;
    size_t got = 0;
    if (!S_ISREG(st.st_mode)) {
        r = SIPC_ECONFIG;
        snprintf(err, errlen, "it is not a regular file");
    } else if (st.st_size > LOST_MAX) {
        r = SIPC_ECONFIG;
        snprintf(err, errlen,
                 "it is %lld bytes, larger than sipcd writes it (%d at most): not shown "
                 "finding by finding",
                 (long long)st.st_size, LOST_MAX);
    } else if (!(buf = malloc((size_t)st.st_size + 1))) {
        r = SIPC_ENOMEM;
        snprintf(err, errlen, "out of memory");
    } else {
        ssize_t k = 0;
        while (got < (size_t)st.st_size &&
               (k = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
            got += (size_t)k;
        if (k < 0) {
            r = -errno;
            snprintf(err, errlen, "it cannot be read (%s)", strerror(errno));
        }
    }
    close(fd);
    size_t lines = 0;
    for (size_t i = 0; r == 0 && i < got; i++)
        lines += buf[i] != '\n' && (i + 1 == got || buf[i + 1] == '\n');
    if (r == 0 && lines > SIPC_MGMT_ACK_LINES_MAX) {
        r = SIPC_ECONFIG;
        snprintf(err, errlen,
                 "it holds %zu lines, more than sipcd writes (%d at most): not shown finding "
                 "by finding",
                 lines, SIPC_MGMT_ACK_LINES_MAX);
    }
    if (r != 0 || got == 0) {
        free(buf);
        return r;
    }
    buf[got] = '\0';
    *out = buf;
    *n = got;
    return 1;
}

/* One line of state/records-lost (len bytes at s) as the status shows it
 * and an acknowledgement names it: every byte outside printable ASCII
 * (sipcd writes ASCII; NUL included) as '?', and a line longer than
 * LOST_LINE_SHOWN cut there, its length said ("...[cut: N bytes]"), so
 * that it can be named whole. out: SIPC_MGMT_ACK_LINE_MAX bytes or more.
 * Returns whether it was cut. */
static int lost_line_shown(const char *s, size_t len, char *out, size_t outlen)
{
    size_t k = len > LOST_LINE_SHOWN ? LOST_LINE_SHOWN : len;
    for (size_t i = 0; i < k && i < outlen - 1; i++)
        out[i] = s[i] < 0x20 || s[i] > 0x7e ? '?' : s[i];
    out[k < outlen - 1 ? k : outlen - 1] = '\0';
    if (k == len)
        return 0;
    size_t o = strlen(out);
    snprintf(out + o, outlen - o, "...[cut: %zu bytes]", len);
    return 1;
}

/* A start found committed changes gone: the finding is kept in
 * state/records-lost, one line each, after the ones not yet acknowledged
 * (the latest LOST_KEEP), so that the status shows it until the operator
 * removes the file. The mark is saved with the database's lower counts
 * right after (the next start compares with the database as it is now),
 * which ended the warning with that one log line before. */
static int lost_note(host *h, const char *line)
{
    char now[32], err[300], path[800];
    char *old = NULL;
    size_t n = 0;
    int lines = 0;
    /* as the file's lines are kept and compared (below): a set-aside path
     * with other bytes (a HOME with UTF-8 in it) would never be found
     * again, and a retry would add the finding twice */
    char *same = strdup(line);
    if (!same)
        return SIPC_ENOMEM;
    for (char *p = same; *p; p++)
        if (*p != '\n' && (*p < 0x20 || *p > 0x7e))
            *p = '?';
    snprintf(path, sizeof path, "%s/state/%s", h->cfg.home, LOST_NAME);
    int rr = lost_load(AT_FDCWD, path, &old, &n, err, sizeof err);
    if (rr < 0) {
        /* replacing it would erase findings not yet acknowledged; said once,
         * the retries (records_mark_save) are quiet */
        if (!h->mark.lost_pending)
            sipc_logf(h->svc[HOST_DATA].log, SIPC_LOG_WARN, "Data.Storage",
                      "Cannot read state/%s finding by finding (%s): the finding is not added to "
                      "it, and the records' mark is not saved (so that the next start finds the loss "
                      "again) until it can be read or is removed",
                      LOST_NAME, err);
        free(same);
        return rr;
    }
    /* kept as the status shows it (a hand edit's other bytes as '?') */
    for (size_t i = 0; i < n; i++)
        if (old[i] != '\n' && (old[i] < 0x20 || old[i] > 0x7e))
            old[i] = '?';
    const char *keep = old ? old : "";
    for (const char *p = keep; *p; p++)
        lines += *p == '\n';
    if (keep[0] && keep[strlen(keep) - 1] != '\n')
        lines++;
    for (; lines >= LOST_KEEP && *keep; lines--) {
        const char *nl = strchr(keep, '\n');
        keep = nl ? nl + 1 : keep + strlen(keep);
    }
    /* a start that died before it saved the lower counts finds the same
     * loss again: one finding */
    if (old && strstr(old, same)) {
        free(old);
        free(same);
        return 0;
    }
    sipc_rfc3339_format(sipc_rfc3339_now_ms(), 0, now, sizeof now);
    size_t kl = strlen(keep), tl = kl + strlen(same) + 64;
    char *text = malloc(tl);
    int r = SIPC_ENOMEM;
    if (text) {
        snprintf(text, tl, "%s%sdetected %s%s", keep, kl && keep[kl - 1] != '\n' ? "\n" : "",
                 now, same);
        r = state_write(h, LOST_NAME, text,
                        "the finding that committed records are gone (sipcctl status would not "
                        "show it)");
    }
    free(text);
    free(old);
    free(same);
    return r;
}

/* One finding's words, as the start's WARN and the status say it. */
static void lost_text(char *out, size_t len, long long found, long long created,
                      long long found_writes, long long writes, const char *when)
{
    if (found < created)
        snprintf(out, len,
                 "records.db holds fewer records than were committed: it counts %lld records "
                 "created, but %lld were by %s (state/%s): up to %lld acknowledged records are "
                 "gone. records.db-wal was missing or damaged after a crash, or an older copy "
                 "of records.db was put in place: send them again if their producer still has "
                 "them (docs/services.md, \"Durability and threads\")",
                 found, created, when, MARK_NAME, created - found);
    else
        snprintf(out, len,
                 "records.db is behind what was committed: its last %lld committed writes by %s "
                 "(state/%s; replacements or deletions, no new record) are gone. "
                 "records.db-wal was missing or damaged after a crash, or an older copy of "
                 "records.db was put in place (docs/services.md, \"Durability and threads\")",
                 writes - found_writes, when, MARK_NAME);
}

/* The words of a finding that records.db was missing at a start. */
static void missing_text(char *out, size_t len, long long inst, long long prev,
                         long long created, long long writes, const char *when,
                         const char *wal)
{
    char had[300], walsaid[1300] = "";
    if (prev != 0)
        snprintf(had, sizeof had,
                 "the previous database (instance %lld) had %lld records created and %lld "
                 "committed writes by %s (state/%s): none of them is in the new one",
                 prev, created, writes, when, MARK_NAME);
    else
        snprintf(had, sizeof had, "no trace of the previous database's counts was kept");
    if (wal[0])
        snprintf(walsaid, sizeof walsaid,
                 "; the records.db-wal left there (committed records not yet in the missing "
                 "file) was set aside as %.1100s, not replayed",
                 wal);
    snprintf(out, len,
             "records.db was missing (or empty) at the start: a new, empty database was made "
             "(instance %lld); %s%s. If the old records.db was moved or removed by mistake, or "
             "the node made a copy (records.db.saved-* beside it, when records.db went while "
             "it ran): stop the node, put it back as records.db (removing the new one and its "
             "-wal/-shm) and start it. If starting over was meant, acknowledge this",
             inst, had, walsaid);
}

/* One line of state/records-lost as the status shows it (lost_line_shown:
 * cut when it is longer than any sipcd writes). */
static json_t *finding_json(const char *line, int cut)
{
    char text[1800], detected[64], when[64];
    long long inst, found, created, fw, writes, prev;
    int off = 0;
    if (!cut && sscanf(line,
               "detected %63s new instance %lld replacing instance %lld created %lld writes "
               "%lld by %63s%n",
               detected, &inst, &prev, &created, &writes, when, &off) == 6 &&
        off) {
        const char *wal = line + off;
        wal = !strncmp(wal, " wal ", 5) ? wal + 5 : "";
        missing_text(text, sizeof text, inst, prev, created, writes, when, wal);
        json_t *f = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:s}", "detected", detected,
                              "committed_by", when, "records_gone", (json_int_t)created,
                              "writes_gone", (json_int_t)writes, "records_committed",
                              (json_int_t)created, "records_found", (json_int_t)0, "message",
                              text);
        return f ? f : json_pack("{s:s}", "message", text);
    }
    if (cut ||
        sscanf(line, "detected %63s instance %lld created %lld of %lld writes %lld of %lld by %63s",
               detected, &inst, &found, &created, &fw, &writes, when) != 7 ||
        (found >= created && fw >= writes)) {
        /* edited by hand, or by another version: shown, not dropped */
        snprintf(text, sizeof text,
                 "state/%s holds a finding of lost records this sipcd cannot read%s: "
                 "'%.200s'",
                 LOST_NAME, cut ? " (longer than any sipcd writes: shown cut)" : "", line);
        return json_pack("{s:s}", "message", text);
    }
    lost_text(text, sizeof text, found, created, fw, writes, when);
    json_t *f = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:s}", "detected", detected,
                          "committed_by", when, "records_gone",
                          (json_int_t)(found < created ? created - found : 0), "writes_gone",
                          (json_int_t)(fw < writes ? writes - fw : 0), "records_committed",
                          (json_int_t)created, "records_found", (json_int_t)found,
                          "message", text);
    /* never dropped: an entry the status cannot show would read "ok" */
    return f ? f : json_pack("{s:s}", "message", text);
}

json_t *records_lost_json(const char *home)
{
    json_t *list = json_array();
    char path[800], err[300], text[900], shown[SIPC_MGMT_ACK_LINE_MAX];
    char *buf = NULL;
    size_t n = 0;
    snprintf(path, sizeof path, "%s/state/%s", home, LOST_NAME);
    int rr = list ? lost_load(AT_FDCWD, path, &buf, &n, err, sizeof err) : 0;
    /* not opened for want of a descriptor says nothing of what the file
     * holds (most often there is none): no alarm of lost records for it;
     * the next status reads it again, and failing writes name the cause */
    if (rr == -EMFILE || rr == -ENFILE)
        rr = 0;
    if (rr < 0) {
        /* no "line": not one finding that can be named */
        snprintf(text, sizeof text,
                 "state/%s cannot be shown finding by finding: %s. It may hold findings of "
                 "lost records, which sipcctl ack cannot acknowledge while so: look at it in "
                 "the node's home, and remove it once dealt with",
                 LOST_NAME, err);
        json_array_append_new(list, json_pack("{s:o}", "message", sipc_json_text(text)));
    }
    for (size_t at = 0; rr > 0 && at < n;) {
        const char *nl = memchr(buf + at, '\n', n - at);
        size_t len = nl ? (size_t)(nl - (buf + at)) : n - at;
        if (len > 0) {
            int cut = lost_line_shown(buf + at, len, shown, sizeof shown);
            json_t *f = finding_json(shown, cut);
            /* the line as shown: what an acknowledgement names (records_lost_ack) */
            if (f)
                json_object_set_new(f, "line", json_string(shown));
            if (f && cut)
                json_object_set_new(f, "cut", json_true());
            json_array_append_new(list, f);
        }
        at += len + 1;
    }
    free(buf);
    return list;
}

/* Whether shown (a line as the status shows it) is named in lines. */
static int lost_named(const char *shown, const json_t *lines)
{
    size_t k;
    const json_t *v;
    json_array_foreach(lines, k, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), shown))
            return 1;
    }
    return 0;
}

int records_lost_ack(const char *home, const json_t *lines, json_t **out, char *err,
                     size_t errlen)
{
    char dir[700], path[800], why[300], shown[SIPC_MGMT_ACK_LINE_MAX];
    int dfd, r;
    *out = NULL;
    if ((r = host_state_dir(home, dir, sizeof dir, &dfd, NULL, err, errlen)) != 0)
        return r;
    snprintf(path, sizeof path, "%s/%s", dir, LOST_NAME);
    char *buf = NULL, *text = NULL;
    size_t n = 0, tl = 0;
    /* read as the status reads it: the lines named are the lines shown */
    r = lost_load(dfd, LOST_NAME, &buf, &n, why, sizeof why);
    if (r < 0) {
        snprintf(err, errlen, "%s cannot be acknowledged finding by finding: %s; remove it in "
                 "the node's home once dealt with", path, why);
        goto done;
    }
    r = 0;
    text = malloc(n + 2);
    json_t *removed = json_array(), *kept = json_array(), *gone = json_array();
    *out = json_pack("{s:o, s:o, s:o}", "removed", removed, "kept", kept, "gone", gone);
    if (!text || !*out) {
        r = SIPC_ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    /* line by line, each kept as it is unless named: a finding added since
     * the caller was shown the list stays */
    for (size_t at = 0; at < n;) {
        const char *nl = memchr(buf + at, '\n', n - at);
        size_t len = nl ? (size_t)(nl - (buf + at)) : n - at;
        if (len > 0) {
            lost_line_shown(buf + at, len, shown, sizeof shown);
            if (lost_named(shown, lines)) {
                json_array_append_new(removed, json_string(shown));
            } else {
                json_array_append_new(kept, json_string(shown));
                memcpy(text + tl, buf + at, len);
                tl += len;
                text[tl++] = '\n';
            }
        }
        at += len + 1;
    }
    size_t k;
    json_t *v;
    json_array_foreach(lines, k, v)
    {
        int there = 0;
        size_t i;
        json_t *w;
        json_array_foreach(removed, i, w) there |= json_equal(v, w);
        if (!there)
            json_array_append(gone, v);
    }
    if (json_array_size(removed) == 0) {
        r = 0;
    } else if (json_array_size(kept) == 0) {
        if (unlinkat(dfd, LOST_NAME, 0) != 0) {
            r = -errno;
            snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
        } else {
            /* removed: done, whatever the sync says (a finding that comes
             * back after a power loss is only shown again) */
            if (sipc__dir_sync(dfd, path, "removed", err, errlen) != 0)
                json_object_set_new(*out, "warning", sipc_json_text(err));
            err[0] = '\0';
        }
    } else {
        r = sipc__file_replace_at(dfd, path, LOST_NAME, text, tl, 0600, (uid_t)-1, (gid_t)-1,
                                  err, errlen);
    }
done:
    if (r != 0) {
        json_decref(*out);
        *out = NULL;
    }
    close(dfd);
    free(buf);
    free(text);
    return r;
}

void records_mark_start(host *h)
{
    memset(&h->mark.saved, 0, sizeof h->mark.saved);
    sipc_data_mark m;
    sipc_data_mark_get(h->data, &m);
    check_damaged(h, &m);
    char buf[200] = "", when[64] = "";
    long long inst = 0, created = 0, writes = 0;
    if (state_read(h, MARK_NAME, buf, sizeof buf) &&
        sscanf(buf, "instance %lld created %lld writes %lld at %63s", &inst, &created, &writes,
               when) == 4 &&
        inst == m.instance && m.instance != 0 && (m.created < created || m.writes < writes)) {
        char text[900];
        lost_text(text, sizeof text, (long long)m.created, created, (long long)m.writes, writes,
                  when);
        sipc_logf(h->svc[HOST_DATA].log, SIPC_LOG_WARN, "Data.Storage",
                  "%s. sipcctl status shows this until it is acknowledged (`sipcctl ack "
                  "records-lost`, or state/%s removed)",
                  text, LOST_NAME);
        /* the lower counts are saved only once the finding is: else the
         * next start, comparing with them, would not find the loss again */
        snprintf(h->mark.lost_line, sizeof h->mark.lost_line,
                 " instance %lld created %lld of %lld writes %lld of %lld by %s\n",
                 (long long)m.instance, (long long)m.created, created, (long long)m.writes,
                 writes, when);
        if (lost_note(h, h->mark.lost_line) != 0) {
            h->mark.lost_pending = 1;
            return;
        }
    }
    /* no records.db at this start (a new one made): silent only when nothing
     * says an earlier one had records. The mark of the old one is replaced
     * by the new one's right after, so this start is the only one that can
     * tell */
    sipc_data_open_state os;
    sipc_data_open_state_get(h->data, &os);
    int had_mark = buf[0] && sscanf(buf, "instance %lld created %lld writes %lld at %63s", &inst,
                                    &created, &writes, when) == 4;
    if (os.made_new && ((had_mark && inst != m.instance && (created > 0 || writes > 0)) ||
                        os.wal_set_aside[0])) {
        if (!had_mark || inst == m.instance) {
            inst = created = writes = 0;
            snprintf(when, sizeof when, "-");
        }
        char text[1800];
        missing_text(text, sizeof text, (long long)m.instance, inst, created, writes, when,
                     os.wal_set_aside);
        sipc_logf(h->svc[HOST_DATA].log, SIPC_LOG_WARN, "Data.Storage",
                  "%s (`sipcctl ack records-lost`, or state/%s removed): sipcctl status shows "
                  "it until then",
                  text, LOST_NAME);
        snprintf(h->mark.lost_line, sizeof h->mark.lost_line,
                 " new instance %lld replacing instance %lld created %lld writes %lld by %s%s%.700s\n",
                 (long long)m.instance, inst, created, writes, when,
                 os.wal_set_aside[0] ? " wal " : "", os.wal_set_aside);
        if (lost_note(h, h->mark.lost_line) != 0) {
            h->mark.lost_pending = 1;
            return;
        }
    }
    save_mark(h, &m);
}
