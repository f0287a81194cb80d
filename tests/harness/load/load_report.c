/* load_report.c - the report: counters from a replayed ledger, printed as
 * "name: N" lines or one JSON object, kept in DIR/load/report.json. */
#include <inttypes.h>
#include <stdio.h>
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

void load_report_from_state(load_report *r, const load_state *st, int running)
{
    memset(r, 0, sizeof *r);
    snprintf(r->run, sizeof r->run, "%s", st->run);
    snprintf(r->state, sizeof r->state, "%s",
             running ? "running" : st->verified ? "verified" : "stopped");
    r->sent = load_bits_count(&st->sent);
    r->acknowledged = load_bits_count(&st->acked);
    r->found = load_bits_count(&st->found);
    r->lost = st->verified ? count_lost(st) : 0;
    r->duplicated = load_bits_count(&st->dup);
    /* a seq that failed once and was acknowledged later is no error */
    for (uint64_t s = 0; s < st->nseq; s++)
        r->errors += load_bits_get(&st->errored, s) && !load_bits_get(&st->acked, s);
    r->longest_stall_ms = st->longest_stall_ms;
    r->retries = st->retries;
    r->pending = r->sent >= r->acknowledged + r->errors ? r->sent - r->acknowledged - r->errors : 0;
    r->unverified = st->unverified;
    r->max_latency_ms = st->max_latency_ms;
    r->searches = st->searches;
    r->searches_partial = st->searches_partial;
    snprintf(r->partial_nodes, sizeof r->partial_nodes, "%s", st->partial_nodes);
    if (st->first_sent_ms && st->last_sent_ms > st->first_sent_ms)
        r->seconds = (double)(st->last_sent_ms - st->first_sent_ms) / 1000.0;
    r->rate = r->seconds > 0 ? (double)r->acknowledged / r->seconds : 0;
}

#define U(x) ((unsigned long long)(x))

void load_report_print(FILE *out, const load_report *r, int json)
{
    if (json) {
        json_t *o = json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:s, "
            "s:s, s:s}",
            "sent", (json_int_t)r->sent, "acknowledged", (json_int_t)r->acknowledged, "found",
            (json_int_t)r->found, "lost", (json_int_t)r->lost, "duplicated",
            (json_int_t)r->duplicated, "errors", (json_int_t)r->errors, "longest_stall_ms",
            (json_int_t)r->longest_stall_ms, "retries", (json_int_t)r->retries, "pending",
            (json_int_t)r->pending, "unverified", (json_int_t)r->unverified, "max_latency_ms",
            (json_int_t)r->max_latency_ms, "searches", (json_int_t)r->searches,
            "searches_partial", (json_int_t)r->searches_partial, "seconds", r->seconds, "rate",
            r->rate, "partial_nodes", r->partial_nodes, "state", r->state, "run", r->run);
        char *text = o ? json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;
        if (text)
            fprintf(out, "%s\n", text);
        free(text);
        json_decref(o);
        return;
    }
    fprintf(out, "sent: %llu\n", U(r->sent));
    fprintf(out, "acknowledged: %llu\n", U(r->acknowledged));
    fprintf(out, "found: %llu\n", U(r->found));
    fprintf(out, "lost: %llu\n", U(r->lost));
    fprintf(out, "duplicated: %llu\n", U(r->duplicated));
    fprintf(out, "errors: %llu\n", U(r->errors));
    fprintf(out, "longest_stall_ms: %llu\n", U(r->longest_stall_ms));
    fprintf(out, "retries: %llu\n", U(r->retries));
    fprintf(out, "pending: %llu\n", U(r->pending));
    fprintf(out, "unverified: %llu\n", U(r->unverified));
    fprintf(out, "max_latency_ms: %llu\n", U(r->max_latency_ms));
    fprintf(out, "searches: %llu\n", U(r->searches));
    fprintf(out, "searches_partial: %llu\n", U(r->searches_partial));
    fprintf(out, "partial_nodes: %s\n", r->partial_nodes[0] ? r->partial_nodes : "-");
    fprintf(out, "rate: %.0f/s\n", r->rate);
    fprintf(out, "seconds: %.1f\n", r->seconds);
    fprintf(out, "state: %s\n", r->state);
    fprintf(out, "run: %s\n", r->run);
}

int load_report_write(const load_report *r, const char *path, char *err, size_t errlen)
{
    char tmp[700];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "we");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write", tmp);
        return SIPC_ECONFIG;
    }
    load_report_print(f, r, 1);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write", path);
        remove(tmp);
        return SIPC_ECONFIG;
    }
    return 0;
}

static uint64_t get_u(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
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
    r->sent = get_u(o, "sent");
    r->acknowledged = get_u(o, "acknowledged");
    r->found = get_u(o, "found");
    r->lost = get_u(o, "lost");
    r->duplicated = get_u(o, "duplicated");
    r->errors = get_u(o, "errors");
    r->longest_stall_ms = get_u(o, "longest_stall_ms");
    r->retries = get_u(o, "retries");
    r->pending = get_u(o, "pending");
    r->unverified = get_u(o, "unverified");
    r->max_latency_ms = get_u(o, "max_latency_ms");
    r->searches = get_u(o, "searches");
    r->searches_partial = get_u(o, "searches_partial");
    r->seconds = json_number_value(json_object_get(o, "seconds"));
    r->rate = json_number_value(json_object_get(o, "rate"));
    get_s(o, "partial_nodes", r->partial_nodes, sizeof r->partial_nodes);
    get_s(o, "state", r->state, sizeof r->state);
    get_s(o, "run", r->run, sizeof r->run);
    json_decref(o);
    return 0;
}

int load_report_check(const load_report *r, FILE *why)
{
    if (strcmp(r->state, "verified") != 0) {
        fprintf(why, "sipc-load: check failed: the run is %s, not verified (sipc-load stop "
                     "verifies it)\n", r->state);
        return LOAD_EXIT_CHECK;
    }
    if (r->lost || r->errors) {
        fprintf(why, "sipc-load: check failed: %llu acknowledged record(s) lost, %llu error(s)\n",
                U(r->lost), U(r->errors));
        return LOAD_EXIT_CHECK;
    }
    return 0;
}
