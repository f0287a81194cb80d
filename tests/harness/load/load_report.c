/* load_report.c - the report: counters from a replayed ledger, printed as
 * "name: N" lines or one JSON object, kept in DIR/load/report.json. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "load.h"

/* acknowledged and not found: what verification wrote as N lines, or (when
 * verification was cut short) every acknowledged seq without an F line */
static uint64_t count_lost(const load_state *st)
{
    uint64_t n = 0;
    for (uint64_t s = 0; s < st->nseq; s++)
        n += load_bits_get(&st->acked, s) && !load_bits_get(&st->found, s);
    return n;
}

/* The longest run of whole seconds of the sending time in which fewer
 * records were first acknowledged than half the rate asked (0 when the
 * ledger does not say the rate). longest_stall_ms starts again at each
 * acknowledgement, so an outage through which a few trickle in (one node
 * of three cut off, the others' records held with its own) shows there as
 * a fraction of its length, and here whole. */
static uint64_t longest_slow_ms(const load_state *st)
{
    if (st->rate <= 0 || !st->start_ms || st->first_sent_ms < st->start_ms ||
        st->last_sent_ms <= st->first_sent_ms)
        return 0;
    uint64_t from = ((uint64_t)(st->first_sent_ms - st->start_ms) + 999) / 1000;
    uint64_t to = (uint64_t)(st->last_sent_ms - st->start_ms) / 1000;
    uint64_t have = st->nacks / sizeof(uint32_t), run = 0, best = 0;
    for (uint64_t s = from; s < to; s++) {
        uint32_t n = s < have ? ((const uint32_t *)st->acks)[s] : 0;
        run = 2 * (uint64_t)n < (uint64_t)st->rate ? run + 1 : 0;
        if (run > best)
            best = run;
    }
    return best * 1000;
}

void load_report_from_state(load_report *r, const load_state *st, int running)
{
    memset(r, 0, sizeof *r);
    snprintf(r->run, sizeof r->run, "%s", st->run);
    r->sent = load_bits_count(&st->sent);
    r->acknowledged = load_bits_count(&st->acked);
    r->found = load_bits_count(&st->found);
    /* not found splits in two: records only a node that could not be asked
     * may hold (unverified: not proven stored, nor proven lost), and the
     * rest, proven lost; lost says only the latter, so that "lost: N" never
     * reads as data loss when a node was merely down */
    uint64_t missing = st->verified ? count_lost(st) : 0;
    r->unverified = st->unverified < missing ? st->unverified : missing;
    r->lost = missing - r->unverified;
    /* a ledger that misses events never reads as verified: its "lost: 0"
     * would speak of only part of the run */
    int incomplete = load_state_incomplete(st, running, r->incomplete, sizeof r->incomplete);
    snprintf(r->state, sizeof r->state, "%s",
             running          ? "running"
             : incomplete     ? "incomplete"
             : !st->verified  ? "stopped"
             : r->unverified  ? "verified-partial"
                              : "verified");
    r->duplicated = load_bits_count(&st->dup);
    /* a seq that failed once and was acknowledged later is no error */
    for (uint64_t s = 0; s < st->nseq; s++) {
        int error = load_bits_get(&st->errored, s) && !load_bits_get(&st->acked, s);
        r->errors += error;
        r->errors_stored += error && load_bits_get(&st->stored_errors, s);
    }
    r->longest_stall_ms = st->longest_stall_ms;
    r->longest_slow_ms = longest_slow_ms(st);
    r->retries = st->retries;
    r->pending = r->sent >= r->acknowledged + r->errors ? r->sent - r->acknowledged - r->errors : 0;
    r->max_latency_ms = st->max_latency_ms;
    r->searches = st->searches;
    r->searches_partial = st->searches_partial;
    snprintf(r->partial_nodes, sizeof r->partial_nodes, "%s", st->partial_nodes);
    snprintf(r->unverified_nodes, sizeof r->unverified_nodes, "%s", st->unverified_nodes);
    if (st->first_sent_ms && st->last_sent_ms > st->first_sent_ms)
        r->seconds = (double)(st->last_sent_ms - st->first_sent_ms) / 1000.0;
    r->rate = r->seconds > 0 ? (double)r->acknowledged / r->seconds : 0;
    r->rate_asked = st->rate;
}

#define U(x) ((unsigned long long)(x))

/* The counters, in the order printed: the first seven are the agreed lines. */
static const struct {
    const char *name;
    size_t off;
} COUNTERS[] = {
    {"sent", offsetof(load_report, sent)},
    {"acknowledged", offsetof(load_report, acknowledged)},
    {"found", offsetof(load_report, found)},
    {"lost", offsetof(load_report, lost)},
    {"duplicated", offsetof(load_report, duplicated)},
    {"errors", offsetof(load_report, errors)},
    {"longest_stall_ms", offsetof(load_report, longest_stall_ms)},
    {"longest_slow_ms", offsetof(load_report, longest_slow_ms)},
    {"retries", offsetof(load_report, retries)},
    {"pending", offsetof(load_report, pending)},
    {"unverified", offsetof(load_report, unverified)},
    {"errors_stored", offsetof(load_report, errors_stored)},
    {"max_latency_ms", offsetof(load_report, max_latency_ms)},
    {"searches", offsetof(load_report, searches)},
    {"searches_partial", offsetof(load_report, searches_partial)},
};
#define NCOUNTERS (sizeof COUNTERS / sizeof COUNTERS[0])

static uint64_t *counter_at(load_report *r, size_t i)
{
    return (uint64_t *)((char *)r + COUNTERS[i].off);
}

static uint64_t counter(const load_report *r, size_t i)
{
    uint64_t v;
    memcpy(&v, (const char *)r + COUNTERS[i].off, sizeof v);
    return v;
}

/* x >= 0 to the nearest 1/per */
static double rounded(double x, double per)
{
    return (double)(uint64_t)(x * per + 0.5) / per;
}

/* "n2,n3" as ["n2", "n3"] */
static json_t *names_array(const char *list)
{
    json_t *a = json_array();
    for (const char *p = list; a && *p;) {
        size_t n = strcspn(p, ",");
        if (n)
            json_array_append_new(a, json_stringn(p, n));
        p += n + (p[n] == ',');
    }
    return a;
}

/* A JSON array of names (or, in a report.json written before, a string of
 * them comma separated) into a comma separated string. */
static void names_get(json_t *o, const char *k, char *out, size_t cap)
{
    json_t *v = json_object_get(o, k);
    out[0] = '\0';
    if (json_is_string(v)) {
        snprintf(out, cap, "%s", json_string_value(v));
        return;
    }
    size_t i, have = 0;
    json_t *x;
    json_array_foreach(v, i, x) {
        if (json_is_string(x) && have < cap)
            have += (size_t)snprintf(out + have, cap - have, "%s%s", have ? "," : "",
                                     json_string_value(x));
    }
}

void load_report_print(FILE *out, const load_report *r, int json)
{
    if (json) {
        json_t *o = json_object();
        for (size_t i = 0; o && i < NCOUNTERS; i++)
            json_object_set_new(o, COUNTERS[i].name, json_integer((json_int_t)counter(r, i)));
        if (o) {
            json_object_set_new(o, "partial_nodes", names_array(r->partial_nodes));
            json_object_set_new(o, "unverified_nodes", names_array(r->unverified_nodes));
            /* a tenth of a record per second, milliseconds: the digits a
             * double adds beyond them say nothing */
            json_object_set_new(o, "rate", json_real(rounded(r->rate, 10)));
            json_object_set_new(o, "rate_asked", json_integer(r->rate_asked));
            json_object_set_new(o, "seconds", json_real(rounded(r->seconds, 1000)));
            json_object_set_new(o, "state", json_string(r->state));
            json_object_set_new(o, "incomplete",
                                r->incomplete[0] ? json_string(r->incomplete) : json_null());
            json_object_set_new(o, "run", json_string(r->run));
        }
        char *text = o ? json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_REAL_PRECISION(12))
                       : NULL;
        if (text)
            fprintf(out, "%s\n", text);
        free(text);
        json_decref(o);
        return;
    }
    for (size_t i = 0; i < NCOUNTERS; i++)
        fprintf(out, "%s: %llu\n", COUNTERS[i].name, U(counter(r, i)));
    fprintf(out, "partial_nodes: %s\n", r->partial_nodes[0] ? r->partial_nodes : "-");
    fprintf(out, "unverified_nodes: %s\n", r->unverified_nodes[0] ? r->unverified_nodes : "-");
    /* what was asked beside what was acknowledged: a drop shows in one line */
    if (r->rate_asked > 0)
        fprintf(out, "rate: %.0f/s (asked %d/s)\n", r->rate, r->rate_asked);
    else
        fprintf(out, "rate: %.0f/s\n", r->rate);
    fprintf(out, "seconds: %.1f\n", r->seconds);
    fprintf(out, "state: %s\n", r->state);
    fprintf(out, "incomplete: %s\n", r->incomplete[0] ? r->incomplete : "-");
    fprintf(out, "run: %s\n", r->run);
}

int load_report_write(const load_report *r, const char *path, char *err, size_t errlen)
{
    char tmp[700];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "we");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
        return SIPC_ECONFIG;
    }
    load_report_print(f, r, 1);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        return SIPC_ECONFIG;
    }
    return 0;
}

static void get_s(json_t *o, const char *k, char *out, size_t cap)
{
    const char *s = json_string_value(json_object_get(o, k));
    snprintf(out, cap, "%s", s ? s : "");
}

int load_report_read(load_report *r, const char *path, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je);
    if (!json_is_object(o)) {
        snprintf(err, errlen, "%s: %s", path, o ? "not an object" : je.text);
        json_decref(o);
        return SIPC_EFORMAT;
    }
    for (size_t i = 0; i < NCOUNTERS; i++) {
        json_t *v = json_object_get(o, COUNTERS[i].name);
        json_int_t x = json_is_integer(v) ? json_integer_value(v) : 0;
        *counter_at(r, i) = x > 0 ? (uint64_t)x : 0;
    }
    r->seconds = json_number_value(json_object_get(o, "seconds"));
    r->rate = json_number_value(json_object_get(o, "rate"));
    r->rate_asked = (int)json_integer_value(json_object_get(o, "rate_asked"));
    names_get(o, "partial_nodes", r->partial_nodes, sizeof r->partial_nodes);
    names_get(o, "unverified_nodes", r->unverified_nodes, sizeof r->unverified_nodes);
    get_s(o, "state", r->state, sizeof r->state);
    get_s(o, "incomplete", r->incomplete, sizeof r->incomplete);
    get_s(o, "run", r->run, sizeof r->run);
    json_decref(o);
    if (!strcmp(r->state, "verified") && r->unverified) {
        /* written before lost left the unverified out: said as now */
        uint64_t u = r->unverified < r->lost ? r->unverified : r->lost;
        r->unverified = u;
        r->lost -= u;
        snprintf(r->state, sizeof r->state, "verified-partial");
    }
    return 0;
}

int load_report_check(const load_report *r, FILE *why)
{
    if (r->incomplete[0]) {
        fprintf(why, "sipc-load: check failed: the ledger is incomplete (%s): its counts cover "
                     "only part of the run, so %llu lost proves nothing\n",
                r->incomplete, U(r->lost));
        return LOAD_EXIT_CHECK;
    }
    if (strcmp(r->state, "verified") != 0 && strcmp(r->state, "verified-partial") != 0) {
        fprintf(why, "sipc-load: check failed: the run is %s, not verified (sipc-load stop "
                     "verifies it)\n", r->state);
        return LOAD_EXIT_CHECK;
    }
    if (!r->lost && !r->errors && !r->unverified && !r->pending)
        return 0;
    /* errors a node stored all the same (their acknowledgement lost), and
     * records the generator still held when it ended */
    char errs[200], tail[200] = "";
    snprintf(errs, sizeof errs, "%llu error(s)", U(r->errors));
    if (r->errors_stored)
        snprintf(errs + strlen(errs), sizeof errs - strlen(errs), " (%llu found stored after all)",
                 U(r->errors_stored));
    if (r->pending)
        snprintf(tail, sizeof tail, ", %llu pending (sent, neither acknowledged nor failed: the "
                 "generator ended before its drain)", U(r->pending));
    /* a record only a node that could not be asked may hold is not proven
     * stored, nor proven lost: it fails the check too, said apart */
    uint64_t unverified = r->unverified, proven = r->lost;
    if (unverified) {
        /* "n2,n3" -> "n2, n3 could not be asked" */
        char whynot[400] = "verification ran out of time, or a call failed: see load.log";
        if (r->unverified_nodes[0]) {
            size_t k = 0;
            for (const char *p = r->unverified_nodes; *p && k + 3 < sizeof whynot; p++) {
                whynot[k++] = *p;
                if (*p == ',')
                    whynot[k++] = ' ';
            }
            snprintf(whynot + k, sizeof whynot - k, " could not be asked");
        }
        fprintf(why, "sipc-load: check failed: %llu acknowledged record(s) unverified (%s), "
                     "%llu proven lost, %s%s\n",
                U(unverified), whynot, U(proven), errs, tail);
    } else {
        fprintf(why, "sipc-load: check failed: %llu acknowledged record(s) proven lost, %s%s\n",
                U(proven), errs, tail);
    }
    return LOAD_EXIT_CHECK;
}
