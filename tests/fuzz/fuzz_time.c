/* fuzz_time.c - libFuzzer target: the text sipc reads as times and records
 * from files and command lines: RFC 3339 timestamps (services/common/
 * rfc3339.c), the command line's UTC form (search_time.c, --since/--until)
 * and NDJSON files (pipeline_ndjson.c: the line reader over the whole input,
 * then every line as a record, which uses the first), and each record as the
 * data service takes it (data_validate.c: checked, then packed for the wire
 * and checked again, with the same verdict). What parses must
 * format and parse back to the same instant, in both writers' forms; the
 * reader must give the same lines whatever its limit, skipping only lines
 * longer than it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_validate.h"
#include "pb_budget.h"
#include "pipeline_ndjson.h"
#include "sipc/errno.h"
#include "rfc3339.h"
#include "search.pb-c.h"
#include "search_time.h"

/* --since/--until as sipcctl sends them: in a QueryRequest, over the wire,
 * to the search service, which must read the same bounds. */
static void query_trip(int64_t since, int64_t until, const char *text)
{
    Sipc__Search__QueryRequest q = SIPC__SEARCH__QUERY_REQUEST__INIT;
    q.query.data = (uint8_t *)text;
    q.query.len = strlen(text);
    q.since_ms = since;
    q.until_ms = until;
    q.limit = 100;
    size_t n = sipc__search__query_request__get_packed_size(&q);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return;
    sipc__search__query_request__pack(&q, buf);
    /* decoded as the service does, within its budget (pb_budget.h) */
    ProtobufCMessage *m;
    char err[400];
    if (sipc_pb_unpack(&sipc__search__query_request__descriptor, buf, n, sipc_pb_budget(n, 64), &m,
                       NULL, err, sizeof err) != 0)
        abort();
    Sipc__Search__QueryRequest *back = (Sipc__Search__QueryRequest *)m;
    if (back->since_ms != since || back->until_ms != until)
        abort();
    sipc__search__query_request__free_unpacked(back, NULL);
    free(buf);
}

/* A record as a search hit, the way sipcctl receives and prints it. */
static void hit_trip(const Sipc__Data__Record *r)
{
    Sipc__Search__Hit h = SIPC__SEARCH__HIT__INIT;
    h.id = r->id;
    h.timestamp_ms = r->timestamp_ms;
    h.body = r->body;
    h.body_size = r->body.len;
    size_t n = sipc__search__hit__get_packed_size(&h);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return;
    sipc__search__hit__pack(&h, buf);
    Sipc__Search__Hit *back = sipc__search__hit__unpack(NULL, n, buf);
    if (!back || back->timestamp_ms != r->timestamp_ms)
        abort();
    if (back->timestamp_ms >= 0 && back->timestamp_ms <= DATA_MAX_TIMESTAMP_MS) {
        char ts[40];
        int64_t again;
        char err[200];
        search_time_format(back->timestamp_ms, ts, sizeof ts);
        if (search_time_parse(ts, &again, err, sizeof err) != 0 || again != back->timestamp_ms)
            abort(); /* sipcctl prints a time it could not read back */
    }
    sipc__search__hit__free_unpacked(back, NULL);
    free(buf);
}

/* What the node does with a record: validate it, and after the trip over
 * the wire (pack, unpack within the decoding budget of its limits) it must
 * get the same verdict; a record within the limits always fits the budget,
 * one beyond them may be refused by it. */
static void take_record(const Sipc__Data__Record *r)
{
    static sipc_data_options o;
    static int init;
    if (!init) {
        sipc_data_options_init(&o);
        o.max_body = 256; /* small limits, so inputs reach them */
        o.max_id = 16;
        init = 1;
    }
    char err[300];
    int rc = data_validate_record(r, &o, err, sizeof err);
    (void)data_validate_status(rc);
    (void)data_validate_id(&r->id, &o, err, sizeof err);
    size_t n = sipc__data__record__get_packed_size(r);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return;
    sipc__data__record__pack(r, buf);
    ProtobufCMessage *m;
    char uerr[400];
    int urc = sipc_pb_unpack(&sipc__data__record__descriptor, buf, n,
                             sipc_pb_budget(n, 1 + o.max_attributes), &m, NULL, uerr, sizeof uerr);
    if (urc == SIPC_ETOOBIG && rc != 0) {
        free(buf);
        hit_trip(r);
        return;
    }
    Sipc__Data__Record *back = (Sipc__Data__Record *)m;
    if (urc != 0 || data_validate_record(back, &o, err, sizeof err) != rc)
        abort(); /* the wire changed the record's verdict */
    sipc__data__record__free_unpacked(back, NULL);
    free(buf);
    hit_trip(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)data_utf8_valid(data, size);
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char err[300], out[40];
    int64_t ms = -1, again = -1;
    if (sipc_rfc3339_ms(s, &ms, err, sizeof err) == 0) {
        if (ms < 0 || ms > 253402300799999LL)
            abort();
        sipc_rfc3339_format(ms, 1, out, sizeof out);
        if (sipc_rfc3339_ms(out, &again, err, sizeof err) != 0 || again != ms)
            abort(); /* what it writes it must read back as the same instant */
    }
    int64_t cli = -1;
    if (search_time_parse(s, &cli, err, sizeof err) == 0) {
        if (sipc_rfc3339_ms(s, &ms, err, sizeof err) != 0 || ms != cli)
            abort(); /* the command line's form is a subset with the same meaning */
        search_time_format(cli, out, sizeof out);
        if (search_time_parse(out, &again, err, sizeof err) != 0 || again != cli)
            abort();
        sipc_rfc3339_format(cli, 0, out, sizeof out); /* whole seconds: reads back truncated */
        if (sipc_rfc3339_ms(out, &again, err, sizeof err) != 0 || again != cli - cli % 1000)
            abort();
    }
    /* --since/--until: a pair of times split at the first space, as sipcctl
       takes them, must be in order when both parse */
    char *sp = strchr(s, ' ');
    if (sp) {
        *sp = '\0';
        int64_t a, b;
        if (search_time_parse(s, &a, err, sizeof err) == 0 &&
            search_time_parse(sp + 1, &b, err, sizeof err) == 0 && a < b)
            query_trip(a, b, sp + 1);
        *sp = ' ';
    }
    Sipc__Data__Record *r = NULL;
    if (sipc_ndjson_record(s, size, &r, err, sizeof err) == 0 && r) {
        take_record(r);
        sipc_ndjson_record_free(r);
    }
    free(s);

    /* The input as an NDJSON file: read with a roomy and a tight line limit;
       every line the tight reader returns, the roomy one returns too, in
       order, and each is parsed as a record. */
    FILE *f1 = fmemopen((void *)data, size ? size : 1, "rb");
    FILE *f2 = fmemopen((void *)data, size ? size : 1, "rb");
    if (f1 && f2 && size) {
        sipc_ndjson_reader big, small;
        sipc_ndjson_reader_init(&big, f1, 1u << 20);
        sipc_ndjson_reader_init(&small, f2, 64);
        const char *line, *l2;
        size_t len, len2;
        int n = 0, rb;
        while (n++ < 1000 && (rb = sipc_ndjson_next(&big, &line, &len)) == 1) {
            Sipc__Data__Record *rec = NULL;
            if (sipc_ndjson_record(line, len, &rec, err, sizeof err) == 0 && rec) {
                take_record(rec);
                sipc_ndjson_record_free(rec);
            }
            if (len <= 64) {
                int rs;
                while ((rs = sipc_ndjson_next(&small, &l2, &len2)) == SIPC_ETOOBIG)
                    ;
                if (rs != 1 || len2 != len || memcmp(l2, line, len) != 0)
                    abort(); /* the limit changed a line it did not skip */
            }
        }
        sipc_ndjson_reader_free(&big);
        sipc_ndjson_reader_free(&small);
    }
    if (f1)
        fclose(f1);
    if (f2)
        fclose(f2);
    return 0;
}
