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

int load_bits_set(load_bits *s, uint64_t seq)
{
    if (seq >= LOAD_MAX_SEQ)
        return SIPC_EINVAL;
    uint64_t need = seq / 8 + 1;
    if (need > s->nbytes) {
        uint64_t n = s->nbytes ? s->nbytes : 1024;
        while (n < need)
            n *= 2;
        uint8_t *b = realloc(s->b, n);
        if (!b)
            return SIPC_ENOMEM;
        memset(b + s->nbytes, 0, n - s->nbytes);
        s->b = b;
        s->nbytes = n;
    }
    s->b[seq / 8] |= (uint8_t)(1u << (seq % 8));
    return 0;
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

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return SIPC_ECLOSED;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int load_ledger_line(load_ledger *lg, const char *fmt, ...)
{
    if (!lg || lg->fd < 0)
        return 0;
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SIPC_EINVAL;
    if ((size_t)n < sizeof buf - 1) {
        buf[n] = '\n';
        return write_all(lg->fd, buf, (size_t)n + 1);
    }
    char *big = malloc((size_t)n + 2);
    if (!big)
        return SIPC_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    big[n] = '\n';
    int e = write_all(lg->fd, big, (size_t)n + 1); /* one write: O_APPEND keeps it whole */
    free(big);
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
    load_bits *all[] = {&st->sent,  &st->acked, &st->errored, &st->found,
                        &st->lost, &st->dup,   &st->searched};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        load_bits_free(all[i]);
    free(st->dest);
    memset(st, 0, sizeof *st);
}

typedef struct apply {
    load_state *st;
    load_bits *bits;
    int dest; /* A: node index or -1 */
} apply;

static int set_dest(load_state *st, uint64_t seq, int dest)
{
    if (seq >= st->ndest) {
        uint64_t n = st->ndest ? st->ndest : 8192;
        while (n <= seq)
            n *= 2;
        uint8_t *d = realloc(st->dest, n);
        if (!d)
            return SIPC_ENOMEM;
        memset(d + st->ndest, 0xff, n - st->ndest);
        st->dest = d;
        st->ndest = n;
    }
    st->dest[seq] = (uint8_t)dest;
    return 0;
}

static int apply_seq(uint64_t seq, void *arg)
{
    apply *a = arg;
    int e = load_bits_set(a->bits, seq);
    if (e == 0 && a->bits == &a->st->sent && seq + 1 > a->st->nseq)
        a->st->nseq = seq + 1;
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

void load_state_line(load_state *st, const char *line, const load_cluster *c)
{
    char kind[8], a[160], b[4096];
    long long t = 0;
    int bad = 0;
    if (!strncmp(line, "run ", 4)) {
        char run[64];
        long long start;
        int rate;
        long pid;
        if (sscanf(line, "run %63s %lld %d %ld", run, &start, &rate, &pid) == 4) {
            snprintf(st->run, sizeof st->run, "%s", run);
            st->start_ms = start;
            st->rate = rate;
            st->pid = pid;
        } else {
            bad = 1;
        }
        st->bad_lines += (uint64_t)bad;
        return;
    }
    if (sscanf(line, "%7s %lld", kind, &t) != 2 || kind[1] != '\0') {
        st->bad_lines++;
        return;
    }
    if (t > st->last_ms)
        st->last_ms = t;
    if ((kind[0] == 'F' || kind[0] == 'N') && st->verified) {
        /* a later verification: it alone says what is found now */
        load_bits_free(&st->found);
        load_bits_free(&st->lost);
        st->verified = 0;
    }
    apply ap = {st, NULL, -1};
    switch (kind[0]) {
    case 'S': /* S T NODE SEQS */
    case 'R': /* R T NODE SEQS REASON */
    case 'A': /* A T DEST SEQS */
    case 'F': /* F T NODE SEQS */
        if (sscanf(line, "%*s %*d %159s %4095s", a, b) != 2) {
            bad = 1;
            break;
        }
        if (kind[0] == 'S') {
            ap.bits = &st->sent;
            if (!st->first_sent_ms || t < st->first_sent_ms)
                st->first_sent_ms = t;
            if (t > st->last_sent_ms)
                st->last_sent_ms = t;
        } else if (kind[0] == 'A') {
            ap.bits = &st->acked;
            ap.dest = c ? load_cluster_find(c, a) : -1;
        } else if (kind[0] == 'F') {
            ap.bits = &st->found;
        } else {
            bad = load_seqs_parse(b, count_seq, &st->retries) != 0;
            break;
        }
        bad = load_seqs_parse(b, apply_seq, &ap) != 0;
        break;
    case 'E': /* E T SEQS REASON */
    case 'N': /* N T SEQS REASON */
    case 'D': /* D T SEQS */
    case 'H': /* H T SEQS */
        if (sscanf(line, "%*s %*d %4095s", b) != 1) {
            bad = 1;
            break;
        }
        ap.bits = kind[0] == 'E' ? &st->errored
                  : kind[0] == 'N' ? &st->lost
                  : kind[0] == 'D' ? &st->dup
                                   : &st->searched;
        bad = load_seqs_parse(b, apply_seq, &ap) != 0;
        break;
    case 'P': { /* P T SENT ACKED ERRORS OUTSTANDING LONGEST_STALL MAX_LATENCY RETRIES */
        unsigned long long v[7];
        if (sscanf(line, "%*s %*d %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6]) != 7) {
            bad = 1;
            break;
        }
        if (v[4] > st->longest_stall_ms)
            st->longest_stall_ms = v[4];
        if (v[5] > st->max_latency_ms)
            st->max_latency_ms = v[5];
        break;
    }
    case 'Q': { /* Q T NODE HITS PARTIAL MISSING */
        unsigned long long hits;
        int partial;
        if (sscanf(line, "%*s %*d %159s %llu %d %4095s", a, &hits, &partial, b) != 4) {
            bad = 1;
            break;
        }
        st->searches++;
        if (partial) {
            st->searches_partial++;
            note_partial(st, b);
        }
        break;
    }
    case 'X':
        st->ended = 1;
        break;
    case 'V': {
        unsigned long long v[4];
        if (sscanf(line, "%*s %*d %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3]) != 4) {
            bad = 1;
            break;
        }
        st->verified = 1;
        st->unverified = v[3];
        break;
    }
    default:
        bad = 1;
    }
    st->bad_lines += (uint64_t)bad;
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
