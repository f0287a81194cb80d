/* load_ledger.c - the ledger: appending its lines, seq lists, and the replay
 * that turns the lines back into per-record states and counters. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load.h"

/* ---------------------------------------------------------------- bitmaps */

/* Grows the byte array *p of *n bytes to hold at least need, doubling, the
 * new bytes set to fill. */
static int grow(uint8_t **p, uint64_t *n, uint64_t need, int fill)
{
    if (need <= *n)
        return 0;
    uint64_t cap = *n ? *n : 1024;
    while (cap < need)
        cap *= 2;
    uint8_t *b = realloc(*p, cap);
    if (!b)
        return SIPC_ENOMEM;
    memset(b + *n, fill, cap - *n);
    *p = b;
    *n = cap;
    return 0;
}

int load_bits_set(load_bits *s, uint64_t seq)
{
    if (seq >= LOAD_MAX_SEQ)
        return SIPC_EINVAL;
    int e = grow(&s->b, &s->nbytes, seq / 8 + 1, 0);
    if (e == 0)
        s->b[seq / 8] |= (uint8_t)(1u << (seq % 8));
    return e;
}

int load_bits_get(const load_bits *s, uint64_t seq)
{
    return seq / 8 < s->nbytes && (s->b[seq / 8] >> (seq % 8)) & 1;
}

uint64_t load_bits_count(const load_bits *s)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < s->nbytes; i++)
        n += (uint64_t)__builtin_popcount(s->b[i]);
    return n;
}

void load_bits_free(load_bits *s)
{
    free(s->b);
    s->b = NULL;
    s->nbytes = 0;
}

/* ---------------------------------------------------------------- appending */

int load_ledger_open(load_ledger *lg, const char *path, char *err, size_t errlen)
{
    lg->failed = 0;
    lg->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (lg->fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SIPC_ECONFIG;
    }
    return 0;
}

void load_ledger_close(load_ledger *lg)
{
    if (lg->fd >= 0)
        close(lg->fd);
    lg->fd = -1;
}

/* 0, or the write's error as a negative errno code (a full disk: -ENOSPC) */
static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno ? -errno : -EIO;
        if (w == 0)
            return -EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Formats one line (with its newline, after a leading one when lead) and
 * writes it with one write(2): O_APPEND keeps it whole beside other
 * writers. */
static int vline(load_ledger *lg, int lead, const char *fmt, va_list ap)
{
    char buf[4096];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(buf + lead, sizeof buf - 1 - (size_t)lead, fmt, ap);
    int e;
    if (n < 0) {
        e = SIPC_EINVAL;
    } else if ((size_t)n + (size_t)lead < sizeof buf - 1) {
        buf[0] = lead ? '\n' : buf[0];
        buf[lead + n] = '\n';
        e = write_all(lg->fd, buf, (size_t)n + (size_t)lead + 1);
    } else {
        char *big = malloc((size_t)n + 3);
        if (!big) {
            e = SIPC_ENOMEM;
        } else {
            big[0] = '\n';
            vsnprintf(big + lead, (size_t)n + 1, fmt, again);
            big[lead + n] = '\n';
            e = write_all(lg->fd, big, (size_t)n + (size_t)lead + 1);
            free(big);
        }
    }
    va_end(again);
    return e;
}

int load_ledger_line(load_ledger *lg, const char *fmt, ...)
{
    if (!lg || lg->fd < 0)
        return 0;
    if (lg->failed)
        return lg->failed;
    va_list ap;
    va_start(ap, fmt);
    int e = vline(lg, 0, fmt, ap);
    va_end(ap);
    if (e != 0)
        lg->failed = e;
    return e;
}

int load_ledger_last_line(load_ledger *lg, const char *fmt, ...)
{
    if (!lg || lg->fd < 0)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    int e = vline(lg, lg->failed != 0, fmt, ap);
    va_end(ap);
    if (e != 0 && !lg->failed)
        lg->failed = e;
    return e;
}

/* ---------------------------------------------------------------- seq lists */

static void text_add(load_text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *p = realloc(t->s, cap);
        if (!p)
            abort(); /* a few KiB; nothing sensible to do without them */
        t->s = p;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n + 1);
    t->len += n;
}

static void close_run(load_text *t)
{
    if (!t->open)
        return;
    char b[48];
    if (t->first == t->last)
        snprintf(b, sizeof b, "%s%" PRIu64, t->len ? "," : "", t->first);
    else
        snprintf(b, sizeof b, "%s%" PRIu64 "-%" PRIu64, t->len ? "," : "", t->first, t->last);
    text_add(t, b);
    t->open = 0;
}

void load_seqs_add(load_text *t, uint64_t seq)
{
    if (t->open && seq == t->last + 1) {
        t->last = seq;
        return;
    }
    close_run(t);
    t->first = t->last = seq;
    t->open = 1;
}

const char *load_seqs_end(load_text *t)
{
    close_run(t);
    if (!t->s)
        text_add(t, "");
    return t->s;
}

void load_text_free(load_text *t)
{
    free(t->s);
    memset(t, 0, sizeof *t);
}

static int parse_u64(const char **p, uint64_t *v)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return SIPC_EFORMAT;
    uint64_t x = 0;
    while (*s >= '0' && *s <= '9') {
        x = x * 10 + (uint64_t)(*s - '0');
        if (x >= LOAD_MAX_SEQ)
            return SIPC_EFORMAT;
        s++;
    }
    *v = x;
    *p = s;
    return 0;
}

int load_seqs_parse(const char *s, int (*fn)(uint64_t seq, void *arg), void *arg)
{
    const char *p = s;
    while (*p) {
        uint64_t a, b;
        if (parse_u64(&p, &a) != 0)
            return SIPC_EFORMAT;
        b = a;
        if (*p == '-') {
            p++;
            if (parse_u64(&p, &b) != 0 || b < a)
                return SIPC_EFORMAT;
        }
        if (*p == ',')
            p++;
        else if (*p)
            return SIPC_EFORMAT;
        for (uint64_t x = a; x <= b; x++) {
            int e = fn(x, arg);
            if (e != 0)
                return e;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- replay */

void load_state_init(load_state *st)
{
    memset(st, 0, sizeof *st);
}

void load_state_free(load_state *st)
{
    load_bits *all[] = {&st->sent, &st->acked, &st->errored, &st->found,
                        &st->lost, &st->dup,   &st->searched, &st->stored_errors};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        load_bits_free(all[i]);
    free(st->dest);
    free(st->acks);
    free(st->sends);
    memset(st, 0, sizeof *st);
}

typedef struct apply {
    load_state *st;
    load_bits *bits;
    int dest;       /* A: node index or -1 */
    uint32_t fresh; /* A: seqs not acknowledged before */
    int64_t ts;     /* S: the records' timestamp */
} apply;

/* seq was first sent with timestamp ts: the S lines' runs, one entry per
 * run of consecutive seqs sent with one timestamp (a batch) */
static int note_sent(load_state *st, uint64_t seq, int64_t ts)
{
    load_sent_run *last = st->nsends ? &st->sends[st->nsends - 1] : NULL;
    if (last && seq == last->last + 1 && ts == last->ts) {
        last->last = seq;
        return 0;
    }
    if (st->nsends == st->capsends) {
        size_t cap = st->capsends ? st->capsends * 2 : 256;
        load_sent_run *p = realloc(st->sends, cap * sizeof *p);
        if (!p)
            return SIPC_ENOMEM;
        st->sends = p;
        st->capsends = cap;
    }
    st->sends[st->nsends++] = (load_sent_run){seq, seq, ts};
    return 0;
}

int load_state_sent_ts(const load_state *st, uint64_t seq, int64_t *ts)
{
    if (st->version < 2)
        return -1;
    /* the generator numbers and sends in order, so the runs are sorted */
    size_t lo = 0, hi = st->nsends;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->sends[mid].last < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == st->nsends || st->sends[lo].first > seq)
        return -1;
    *ts = st->sends[lo].ts;
    return 0;
}

static int set_dest(load_state *st, uint64_t seq, int dest)
{
    int e = grow(&st->dest, &st->ndest, seq + 1, 0xff); /* 0xff: unknown */
    if (e == 0)
        st->dest[seq] = (uint8_t)dest;
    return e;
}

static int apply_seq(uint64_t seq, void *arg)
{
    apply *a = arg;
    if (a->bits == &a->st->acked && !load_bits_get(a->bits, seq))
        a->fresh++;
    int e = load_bits_set(a->bits, seq);
    if (e == 0 && a->bits == &a->st->sent && seq + 1 > a->st->nseq)
        a->st->nseq = seq + 1;
    if (e == 0 && a->bits == &a->st->sent)
        e = note_sent(a->st, seq, a->ts);
    if (e == 0 && a->bits == &a->st->acked && a->dest >= 0)
        e = set_dest(a->st, seq, a->dest);
    return e;
}

static int count_seq(uint64_t seq, void *arg)
{
    (void)seq;
    (*(uint64_t *)arg)++;
    return 0;
}

/* n records first acknowledged at t, in their second since the run began
 * (longest_slow_ms of the report). */
static int count_acks(load_state *st, int64_t t, uint32_t n)
{
    if (!st->start_ms || t < st->start_ms)
        return 0;
    uint64_t sec = (uint64_t)(t - st->start_ms) / 1000;
    if (sec >= LOAD_MAX_SEQ)
        return SIPC_EINVAL;
    int e = grow(&st->acks, &st->nacks, (sec + 1) * sizeof(uint32_t), 0);
    if (e == 0)
        ((uint32_t *)st->acks)[sec] += n; /* malloc'd: aligned for it */
    return e;
}

static void note_partial(load_state *st, const char *missing)
{
    /* missing: "n2,n3" or "-"; keep each name once */
    if (!strcmp(missing, "-"))
        return;
    char buf[256];
    size_t len = strnlen(missing, sizeof buf - 1);
    memcpy(buf, missing, len);
    buf[len] = '\0';
    for (char *save = NULL, *name = strtok_r(buf, ",", &save); name;
         name = strtok_r(NULL, ",", &save)) {
        size_t n = strlen(name), have = strlen(st->partial_nodes);
        int seen = 0;
        for (const char *p = st->partial_nodes; (p = strstr(p, name)) != NULL; p += n)
            if ((p == st->partial_nodes || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
                seen = 1;
        if (!seen && have + n + 2 < sizeof st->partial_nodes)
            snprintf(st->partial_nodes + have, sizeof st->partial_nodes - have, "%s%s",
                     have ? "," : "", name);
    }
}

/* Splits s in place into at most max fields at single spaces; the last one
 * keeps the rest of the line (a reason has spaces). Returns the count. */
static int split(char *s, char **f, int max)
{
    int n = 0;
    while (*s && n < max) {
        f[n++] = s;
        if (n == max)
            break;
        char *sp = strchr(s, ' ');
        if (!sp)
            break;
        *sp = '\0';
        s = sp + 1;
    }
    return n;
}

static int to_u64(const char *s, unsigned long long *v)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    *v = strtoull(s, &end, 10);
    return *end ? -1 : 0;
}

/* One line, split into f[0..n-1]; 1 when malformed. */
static int apply_line(load_state *st, char **f, int n, const load_cluster *c)
{
    if (!strcmp(f[0], "run")) {
        unsigned long long start, rate, pid, version = 1;
        if (n < 5 || strlen(f[1]) >= sizeof st->run || to_u64(f[2], &start) ||
            to_u64(f[3], &rate) || to_u64(f[4], &pid) || (n > 6 && to_u64(f[6], &version)))
            return 1;
        snprintf(st->run, sizeof st->run, "%s", f[1]);
        st->start_ms = (int64_t)start;
        st->rate = (int)rate;
        st->pid = (long)pid;
        st->version = (int)version;
        return 0;
    }
    unsigned long long t;
    if (n < 2 || strlen(f[0]) != 1 || to_u64(f[1], &t))
        return 1;
    if ((int64_t)t > st->last_ms)
        st->last_ms = (int64_t)t;
    char kind = f[0][0];
    if ((kind == 'F' || kind == 'N' || kind == 'G') && st->verified) {
        /* a later verification: it alone says what is found now */
        load_bits_free(&st->found);
        load_bits_free(&st->lost);
        load_bits_free(&st->stored_errors);
        st->verified = 0;
    }
    apply ap = {st, NULL, -1, 0, (int64_t)t};
    switch (kind) {
    case 'S': /* S T NODE SEQS */
    case 'R': /* R T NODE SEQS REASON */
    case 'A': /* A T DEST SEQS */
    case 'F': /* F T NODE SEQS */
    case 'G': /* G T NODE SEQS */
        if (n < 4)
            return 1;
        if (kind == 'R')
            return load_seqs_parse(f[3], count_seq, &st->retries) != 0;
        if (kind == 'S') {
            ap.bits = &st->sent;
            if (!st->first_sent_ms || (int64_t)t < st->first_sent_ms)
                st->first_sent_ms = (int64_t)t;
            if ((int64_t)t > st->last_sent_ms)
                st->last_sent_ms = (int64_t)t;
        } else if (kind == 'A') {
            ap.bits = &st->acked;
            ap.dest = c ? load_cluster_find(c, f[2]) : -1;
        } else {
            ap.bits = kind == 'F' ? &st->found : &st->stored_errors;
        }
        if (load_seqs_parse(f[3], apply_seq, &ap) != 0)
            return 1;
        return kind == 'A' && ap.fresh ? count_acks(st, (int64_t)t, ap.fresh) != 0 : 0;
    case 'E': /* E T SEQS REASON */
    case 'N': /* N T SEQS REASON */
    case 'D': /* D T SEQS */
    case 'H': /* H T SEQS */
        if (n < 3)
            return 1;
        ap.bits = kind == 'E' ? &st->errored
                  : kind == 'N' ? &st->lost
                  : kind == 'D' ? &st->dup
                                : &st->searched;
        return load_seqs_parse(f[2], apply_seq, &ap) != 0;
    case 'P': { /* P T SENT ACKED ERRORS OUTSTANDING LONGEST_STALL MAX_LATENCY RETRIES */
        unsigned long long stall, latency;
        if (n < 9 || to_u64(f[6], &stall) || to_u64(f[7], &latency))
            return 1;
        if (stall > st->longest_stall_ms)
            st->longest_stall_ms = stall;
        if (latency > st->max_latency_ms)
            st->max_latency_ms = latency;
        return 0;
    }
    case 'Q': { /* Q T NODE HITS PARTIAL MISSING */
        unsigned long long hits, partial;
        if (n < 6 || to_u64(f[3], &hits) || to_u64(f[4], &partial))
            return 1;
        st->searches++;
        if (partial) {
            st->searches_partial++;
            note_partial(st, f[5]);
        }
        return 0;
    }
    case 'X': { /* X T OUTSTANDING [SENT ACKED ERRORS] WHY */
        unsigned long long v[3];
        st->ended = 1;
        st->x_counts = n > 6 && !to_u64(f[3], &v[0]) && !to_u64(f[4], &v[1]) && !to_u64(f[5], &v[2]);
        if (st->x_counts) {
            st->x_sent = v[0];
            st->x_acked = v[1];
            st->x_errors = v[2];
        }
        /* WHY: the rest of the line, its words split apart above */
        st->x_why[0] = '\0';
        for (int i = st->x_counts ? 6 : 3; i < n; i++) {
            size_t have = strlen(st->x_why);
            snprintf(st->x_why + have, sizeof st->x_why - have, "%s%s", have ? " " : "", f[i]);
        }
        return 0;
    }
    case 'V': { /* V T FOUND LOST DUPLICATED UNVERIFIED [NODES] */
        unsigned long long unverified;
        if (n < 6 || to_u64(f[5], &unverified))
            return 1;
        st->verified = 1;
        st->unverified = unverified;
        /* a later verification's list replaces an earlier one's; older
         * ledgers have no NODES field */
        snprintf(st->unverified_nodes, sizeof st->unverified_nodes, "%s",
                 n > 6 && strcmp(f[6], "-") ? f[6] : "");
        return 0;
    }
    }
    return 1;
}

void load_state_line(load_state *st, const char *line, const load_cluster *c)
{
    char *copy = strdup(line);
    char *f[12];
    if (!copy) {
        st->bad_lines++;
        return;
    }
    int n = split(copy, f, 12);
    st->bad_lines += n == 0 || apply_line(st, f, n, c) ? 1 : 0;
    free(copy);
}

int load_state_read(load_state *st, const char *path, const load_cluster *c, char *err,
                    size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? SIPC_ENOTCONN : SIPC_ECONFIG;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] != '\n')
            break; /* torn by a crash mid-write: not an event */
        line[n - 1] = '\0';
        if (n > 1)
            load_state_line(st, line, c);
    }
    free(line);
    fclose(f);
    if (!st->run[0]) {
        snprintf(err, errlen, "%s: no run line", path);
        return SIPC_EFORMAT;
    }
    return 0;
}

/* why += "; " + text, bounded */
static void say(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t cap, const char *fmt, ...)
{
    size_t have = strlen(why);
    if (have && have + 2 < cap) {
        memcpy(why + have, "; ", 3);
        have += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why + have, cap - have, fmt, ap);
    va_end(ap);
}

int load_state_incomplete(const load_state *st, int running, char *why, size_t cap)
{
    why[0] = '\0';
    if (st->ended && !strncmp(st->x_why, LOAD_X_LEDGER_FAILED, strlen(LOAD_X_LEDGER_FAILED)))
        say(why, cap, "the generator stopped: %s", st->x_why);
    else if (!st->ended && !running)
        say(why, cap, "the generator ended without its last line (X): it was killed, or it could "
                      "not write the ledger");
    uint64_t sent = load_bits_count(&st->sent), acked = load_bits_count(&st->acked);
    uint64_t errored = load_bits_count(&st->errored);
    if (st->x_counts && (st->x_sent > sent || st->x_acked > acked || st->x_errors > errored))
        say(why, cap, "the generator counted %" PRIu64 " sent, %" PRIu64 " acknowledged, %" PRIu64
                      " error(s); the ledger holds %" PRIu64 ", %" PRIu64 ", %" PRIu64,
            st->x_sent, st->x_acked, st->x_errors, sent, acked, errored);
    /* acknowledged (or failed) without a first send: their S lines are missing */
    uint64_t unsent = 0;
    for (uint64_t i = 0; i < st->acked.nbytes || i < st->errored.nbytes; i++) {
        uint8_t a = i < st->acked.nbytes ? st->acked.b[i] : 0;
        uint8_t e = i < st->errored.nbytes ? st->errored.b[i] : 0;
        uint8_t s = i < st->sent.nbytes ? st->sent.b[i] : 0;
        unsent += (uint64_t)__builtin_popcount((unsigned)((a | e) & (uint8_t)~s));
    }
    if (unsent)
        say(why, cap, "%" PRIu64 " record(s) acknowledged or failed that it never recorded as sent",
            unsent);
    if (st->bad_lines)
        say(why, cap, "%" PRIu64 " line(s) that cannot be read (a write cut short)", st->bad_lines);
    return why[0] != '\0';
}

int load_ledger_outstanding(const char *path, uint64_t *outstanding)
{
    /* the last P line, in the file's tail: a P line comes every second */
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char buf[16384];
    long at = 0;
    if (fseek(f, 0, SEEK_END) == 0 && (at = ftell(f)) > (long)sizeof buf - 1)
        fseek(f, at - (long)sizeof buf + 1, SEEK_SET);
    else
        fseek(f, 0, SEEK_SET);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    int found = -1;
    for (char *line = buf, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (!next)
            break; /* torn, or cut by the tail's start */
        *next++ = '\0';
        unsigned long long v[5];
        if (line[0] == 'P' && sscanf(line, "P %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                                     &v[4]) == 5) {
            *outstanding = v[4];
            found = 0;
        }
    }
    return found;
}
