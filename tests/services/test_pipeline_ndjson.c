/* test_pipeline_ndjson.c - sipcctl ingest's input: NDJSON lines to data
 * Records (fields, attribute order, RFC 3339 timestamps, every kind of bad
 * line with its reason) and the bounded line reader (line numbers, CRLF,
 * over-long lines skipped, lines across read blocks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline_ndjson.h"
#include "sipc/errno.h"

static Sipc__Data__Record *parse_ok(const char *line)
{
    char err[300] = "";
    Sipc__Data__Record *r = NULL;
    int rc = sipc_ndjson_record(line, strlen(line), &r, err, sizeof err);
    if (rc != 0)
        fail_msg("'%s': %s", line, err);
    assert_non_null(r);
    return r;
}

static void parse_bad(const char *line, const char *needle)
{
    char err[300] = "";
    Sipc__Data__Record *r = NULL;
    int rc = sipc_ndjson_record(line, strlen(line), &r, err, sizeof err);
    if (rc != SIPC_EINVAL || r || !strstr(err, needle))
        fail_msg("'%s': expected an error with '%s', got %d '%s'", line, needle, rc, err);
}

static void expect_bytes(const ProtobufCBinaryData *b, const char *s, size_t n)
{
    assert_int_equal(b->len, n);
    assert_memory_equal(b->data, s, n);
}

static void t_record(void **state)
{
    (void)state;
    Sipc__Data__Record *r = parse_ok(
        "{\"id\": \"s-1\", \"timestamp\": \"2026-11-23T10:00:00Z\", "
        "\"attributes\": {\"user\": \"u1\", \"browser\": \"firefox\", \"a\": \"\"}, "
        "\"body\": \"<p>caf\\u00e9</p>\"}");
    expect_bytes(&r->id, "s-1", 3);
    assert_int_equal(r->timestamp_ms, 1795428000000LL);
    assert_int_equal(r->n_attributes, 3);
    /* in the order written */
    expect_bytes(&r->attributes[0]->key, "user", 4);
    expect_bytes(&r->attributes[0]->value, "u1", 2);
    expect_bytes(&r->attributes[1]->key, "browser", 7);
    expect_bytes(&r->attributes[2]->key, "a", 1);
    expect_bytes(&r->attributes[2]->value, "", 0);
    expect_bytes(&r->body, "<p>caf\xc3\xa9</p>", 12);
    sipc_ndjson_record_free(r);

    /* members in any order; attributes as pairs, keys repeating; a NUL in the body */
    r = parse_ok("{\"body\": \"a\\u0000b\", \"attributes\": [[\"k\", \"1\"], [\"k\", \"2\"]], "
                 "\"timestamp_ms\": 42, \"id\": \"x\"}");
    assert_int_equal(r->timestamp_ms, 42);
    assert_int_equal(r->n_attributes, 2);
    expect_bytes(&r->attributes[1]->value, "2", 1);
    expect_bytes(&r->body, "a\0b", 3);
    sipc_ndjson_record_free(r);

    /* only the required members */
    r = parse_ok("  {\"id\":\"only\",\"timestamp\":\"1970-01-01T00:00:00Z\"}\r");
    assert_int_equal(r->timestamp_ms, 0);
    assert_int_equal(r->n_attributes, 0);
    assert_int_equal(r->body.len, 0);
    sipc_ndjson_record_free(r);

    /* blank lines are no records and no errors */
    char err[100];
    assert_int_equal(sipc_ndjson_record(" \t\r", 3, &r, err, sizeof err), 0);
    assert_null(r);
    assert_int_equal(sipc_ndjson_record("", 0, &r, err, sizeof err), 0);
    assert_null(r);
}

static void t_bad_lines(void **state)
{
    (void)state;
    parse_bad("{\"id\": \"x\", \"timestamp\": ", "column");
    parse_bad("not json", "expected");
    /* the column of the first character of what is wrong, counted in
     * characters, not the end of the token jansson stopped at */
    parse_bad("not json", "column 1: ");
    parse_bad("{\"a\": nope}", "column 7: ");
    parse_bad("{\"id\": \"x\", \"id\": \"y\"}", "column 13: duplicate object key");
    parse_bad("{\"b\": \"\xc3\xa9\", x}", "column 12: ");
    parse_bad("{\"id\": \"x\", \"timestamp\": ", "column 26: "); /* past the end */
    /* a line that stops inside a value: the line ended, not a file */
    parse_bad("{\"id\": \"x\", \"timestamp\": ",
              "column 26: the line ends in the middle of a JSON value (a record must be on one "
              "line)");
    parse_bad("{\"id\": \"x\"", "column 11: the line ends in the middle of a JSON value ('}' "
                              "expected; a record must be on one line)");
    parse_bad("[1, 2]", "one JSON object");
    parse_bad("{\"timestamp\": \"2026-11-23T10:00:00Z\"}", "id is missing");
    parse_bad("{\"id\": \"\", \"timestamp_ms\": 1}", "id is empty");
    parse_bad("{\"id\": 7, \"timestamp_ms\": 1}", "id must be a string");
    parse_bad("{\"id\": \"x\"}", "timestamp is missing");
    parse_bad("{\"id\": \"x\", \"timestamp_ms\": 1, \"boby\": \"y\"}", "unknown member 'boby'");
    parse_bad("{\"id\": \"x\", \"id\": \"y\", \"timestamp_ms\": 1}", "duplicate");
    parse_bad("{\"id\": \"x\", \"timestamp_ms\": 1, \"timestamp\": \"1970-01-01T00:00:00Z\"}",
              "not both");
    parse_bad("{\"id\": \"x\", \"timestamp_ms\": -1}", "timestamp_ms must be an integer");
    parse_bad("{\"id\": \"x\", \"timestamp_ms\": 1.5}", "timestamp_ms must be an integer");
    parse_bad("{\"id\": \"x\", \"timestamp\": 17}", "timestamp must be an RFC 3339 string");
    parse_bad("{\"id\": \"x\", \"timestamp\": \"2026-13-01T00:00:00Z\"}", "month 13");
    parse_bad("{\"id\": \"x\", \"timestamp_ms\": 1, \"attributes\": {\"n\": 5}}",
              "the value of 'n' must be a string");
    parse_bad("{\"id\": \"x\", \"timestamp_ms\": 1, \"attributes\": {\"\": \"v\"}}", "key is empty");
    parse_bad("{\"id\": \"x\", \"timestamp_ms\": 1, \"attributes\": [[\"k\"]]}",
              "attributes[0] must be a [key, value] pair");
    parse_bad("{\"id\": \"x\", \"timestamp_ms\": 1, \"attributes\": \"u1\"}",
              "attributes must be an object");
    parse_bad("{\"id\": \"x\", \"timestamp_ms\": 1, \"body\": 3}", "body must be a string");
}

static int64_t ts(const char *s)
{
    int64_t ms = -1;
    char err[200] = "";
    if (sipc_rfc3339_ms(s, &ms, err, sizeof err) != 0)
        fail_msg("%s: %s", s, err);
    return ms;
}

static void ts_bad(const char *s, const char *needle)
{
    int64_t ms = -1;
    char err[200] = "";
    if (sipc_rfc3339_ms(s, &ms, err, sizeof err) != SIPC_EINVAL || !strstr(err, needle))
        fail_msg("%s: expected '%s', got '%s'", s, needle, err);
}

static void t_rfc3339(void **state)
{
    (void)state;
    assert_int_equal(ts("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(ts("1970-01-01T01:00:00+01:00"), 0);
    assert_int_equal(ts("1970-01-01t00:00:00.001z"), 1);
    assert_int_equal(ts("2000-02-29T12:00:00.5Z"), 951825600500LL);
    assert_int_equal(ts("2026-11-23T10:00:00.123456789+02:00"), 1795420800123LL);
    assert_int_equal(ts("2026-11-23 10:00:00Z"), 1795428000000LL);
    assert_int_equal(ts("2026-11-23T05:30:00-04:30"), 1795428000000LL);
    assert_int_equal(ts("9999-12-31T23:59:59.999Z"), 253402300799999LL);
    ts_bad("2026-11-23", "is not an RFC 3339 date-time");
    ts_bad("2026-11-23T10:00Z", "is not an RFC 3339 date-time");
    ts_bad("2026-11-23T10:00:00", "no time zone");
    ts_bad("2026-11-23T10:00:00+0200", "offset");
    ts_bad("2026-11-23T10:00:00.Z", "followed by digits");
    ts_bad("2026-11-23T10:00:00Zjunk", "extra characters");
    ts_bad("2026-00-10T10:00:00Z", "month 0");
    ts_bad("2026-02-29T10:00:00Z", "day 29 does not exist");
    ts_bad("2100-02-29T10:00:00Z", "day 29 does not exist");
    ts_bad("2026-04-31T10:00:00Z", "day 31");
    ts_bad("2026-11-23T24:00:00Z", "time of day");
    ts_bad("2016-12-31T23:59:60Z", "leap second");
    ts_bad("1969-12-31T23:59:59.999Z", "outside 1970");
    ts_bad("1970-01-01T00:30:00+01:00", "outside 1970");
}

static void t_reader(void **state)
{
    (void)state;
    /* a long line that crosses read blocks, one too long, CRLF, an empty
     * line, a last line without its newline */
    size_t big = 100000, huge = 200000;
    size_t cap = big + huge + 100;
    char *text = malloc(cap);
    size_t n = 0;
    n += (size_t)sprintf(text + n, "first\r\n");
    memset(text + n, 'a', big);
    n += big;
    text[n++] = '\n';
    memset(text + n, 'b', huge);
    n += huge;
    n += (size_t)sprintf(text + n, "\n\nlast");
    FILE *f = fmemopen(text, n, "r");
    assert_non_null(f);
    sipc_ndjson_reader rd;
    sipc_ndjson_reader_init(&rd, f, 150000);
    const char *line;
    size_t len;
    assert_int_equal(sipc_ndjson_next(&rd, &line, &len), 1);
    assert_int_equal(rd.line, 1);
    assert_int_equal(len, 5);
    assert_memory_equal(line, "first", 5);
    assert_int_equal(sipc_ndjson_next(&rd, &line, &len), 1);
    assert_int_equal(rd.line, 2);
    assert_int_equal(len, big);
    assert_true(line[0] == 'a' && line[big - 1] == 'a');
    assert_int_equal(sipc_ndjson_next(&rd, &line, &len), SIPC_ETOOBIG);
    assert_int_equal(rd.line, 3);
    assert_int_equal(sipc_ndjson_next(&rd, &line, &len), 1);
    assert_int_equal(rd.line, 4);
    assert_int_equal(len, 0);
    assert_int_equal(sipc_ndjson_next(&rd, &line, &len), 1);
    assert_int_equal(rd.line, 5);
    assert_int_equal(len, 4);
    assert_memory_equal(line, "last", 4);
    assert_int_equal(sipc_ndjson_next(&rd, &line, &len), 0);
    assert_int_equal(sipc_ndjson_next(&rd, &line, &len), 0);
    sipc_ndjson_reader_free(&rd);
    fclose(f);
    free(text);

    /* an empty input, and one ending with its newline, have no extra line */
    f = fmemopen((void *)"x\n", 2, "r");
    sipc_ndjson_reader_init(&rd, f, 10);
    assert_int_equal(sipc_ndjson_next(&rd, &line, &len), 1);
    assert_int_equal(sipc_ndjson_next(&rd, &line, &len), 0);
    assert_int_equal(rd.line, 1);
    sipc_ndjson_reader_free(&rd);
    fclose(f);

    /* the limit is on the line without its "\r\n": a line of exactly max
     * bytes is taken with either ending, one byte more is not (found by
     * fuzz_time) */
    f = fmemopen((void *)"12345\r\n12345\n123456\r\n1234567\n", 29, "r");
    sipc_ndjson_reader_init(&rd, f, 5);
    assert_int_equal(sipc_ndjson_next(&rd, &line, &len), 1);
    assert_int_equal(len, 5);
    assert_int_equal(sipc_ndjson_next(&rd, &line, &len), 1);
    assert_int_equal(len, 5);
    assert_int_equal(sipc_ndjson_next(&rd, &line, &len), SIPC_ETOOBIG);
    assert_int_equal(sipc_ndjson_next(&rd, &line, &len), SIPC_ETOOBIG);
    assert_int_equal(sipc_ndjson_next(&rd, &line, &len), 0);
    sipc_ndjson_reader_free(&rd);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_record),
        cmocka_unit_test(t_bad_lines),
        cmocka_unit_test(t_rfc3339),
        cmocka_unit_test(t_reader),
    };
    return cmocka_run_group_tests_name("NDJSON records", tests, NULL, NULL);
}
