/* pipeline_ndjson.c - NDJSON lines to data Records: see pipeline_ndjson.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "pipeline_ndjson.h"
#include "sipc/errno.h"


/* -------------------------------------------------------------- records */

/* The reason into err; the result for a line that is not a record. */
static int bad(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return SIPC_EINVAL;
}

void sipc_ndjson_record_free(Sipc__Data__Record *r)
{
    /* every part is malloc'd, as protobuf-c's own unpacking allocates */
    if (r)
        protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* A copy of a JSON string's bytes (NULs included). */
static int take_bytes(const json_t *v, ProtobufCBinaryData *out)
{
    size_t n = json_string_length(v);
    out->data = malloc(n ? n : 1);
    if (!out->data)
        return SIPC_ENOMEM;
    memcpy(out->data, json_string_value(v), n);
    out->len = n;
    return 0;
}

static int add_attr(Sipc__Data__Record *r, const char *key, size_t klen, const json_t *v,
                    size_t cap, char *err, size_t errlen)
{
    if (!json_is_string(v))
        return bad(err, errlen, "attributes: the value of '%.*s' must be a string",
                   (int)(klen > 64 ? 64 : klen), key);
    if (klen == 0)
        return bad(err, errlen, "attributes: a key is empty");
    if (r->n_attributes == cap)
        return SIPC_ENOMEM; /* cannot happen: cap is the member count */
    Sipc__Data__Attribute *a = malloc(sizeof *a);
    if (!a)
        return SIPC_ENOMEM;
    sipc__data__attribute__init(a);
    r->attributes[r->n_attributes++] = a;
    a->key.data = malloc(klen);
    if (!a->key.data)
        return SIPC_ENOMEM;
    memcpy(a->key.data, key, klen);
    a->key.len = klen;
    return take_bytes(v, &a->value);
}

static int read_attributes(Sipc__Data__Record *r, const json_t *v, char *err, size_t errlen)
{
    size_t n = json_is_object(v) ? json_object_size(v) : json_is_array(v) ? json_array_size(v) : 0;
    if (!json_is_object(v) && !json_is_array(v))
        return bad(err, errlen, "attributes must be an object of strings or an array of [key, value] pairs");
    r->attributes = calloc(n ? n : 1, sizeof *r->attributes);
    if (!r->attributes)
        return SIPC_ENOMEM;
    if (json_is_object(v)) {
        const char *k;
        size_t klen;
        json_t *x;
        void *tmp;
        json_object_keylen_foreach_safe((json_t *)v, tmp, k, klen, x)
        {
            int rc = add_attr(r, k, klen, x, n, err, errlen);
            if (rc)
                return rc;
        }
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *pair = json_array_get(v, i);
        if (!json_is_array(pair) || json_array_size(pair) != 2 ||
            !json_is_string(json_array_get(pair, 0)))
            return bad(err, errlen, "attributes[%zu] must be a [key, value] pair of strings", i);
        json_t *key = json_array_get(pair, 0);
        int rc = add_attr(r, json_string_value(key), json_string_length(key),
                          json_array_get(pair, 1), n, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

static int convert(const json_t *o, Sipc__Data__Record *r, char *err, size_t errlen)
{
    const char *k;
    size_t klen;
    json_t *v;
    int have_ts = 0, have_id = 0;
#define IS(name) (klen == sizeof name - 1 && !memcmp(k, name, klen))
    json_object_keylen_foreach((json_t *)o, k, klen, v)
    {
        int rc = 0;
        if (IS("id")) {
            if (!json_is_string(v))
                return bad(err, errlen, "id must be a string");
            if (json_string_length(v) == 0)
                return bad(err, errlen, "id is empty");
            rc = take_bytes(v, &r->id);
            have_id = 1;
        } else if (IS("timestamp") || IS("timestamp_ms")) {
            if (have_ts)
                return bad(err, errlen, "give either timestamp or timestamp_ms, not both");
            have_ts = 1;
            if (klen > 9) {
                if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                    json_integer_value(v) > 253402300799999LL)
                    return bad(err, errlen,
                               "timestamp_ms must be an integer 0..253402300799999 (Unix milliseconds)");
                r->timestamp_ms = json_integer_value(v);
            } else {
                if (!json_is_string(v))
                    return bad(err, errlen, "timestamp must be an RFC 3339 string such as 2026-11-23T10:00:00Z");
                char why[200];
                if (strlen(json_string_value(v)) != json_string_length(v) ||
                    sipc_rfc3339_ms(json_string_value(v), &r->timestamp_ms, why, sizeof why) != 0)
                    return bad(err, errlen, "timestamp %s",
                               strlen(json_string_value(v)) != json_string_length(v)
                                   ? "contains U+0000"
                                   : why);
            }
        } else if (IS("attributes")) {
            rc = read_attributes(r, v, err, errlen);
        } else if (IS("body")) {
            if (!json_is_string(v))
                return bad(err, errlen, "body must be a string");
            rc = take_bytes(v, &r->body);
        } else {
            return bad(err, errlen,
                       "unknown member '%.64s' (a record has id, timestamp or timestamp_ms, attributes, body)",
                       k);
        }
        if (rc)
            return rc;
    }
#undef IS
    if (!have_id)
        return bad(err, errlen, "id is missing");
    if (!have_ts)
        return bad(err, errlen, "timestamp is missing");
    return 0;
}

/* Characters (not bytes) in line[0..n) plus one: the column of byte n. */
static int column_of(const char *line, size_t n)
{
    int c = 1;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)line[i] & 0xc0) != 0x80;
    return c;
}

/* Where a parse error begins. jansson's column is that of the last
 * character it read, the end of the offending token ("not json" is column
 * 3); its text quotes the token ("near 'not'"), which ends at byte
 * je->position: the token's first character is the column to show. "near end
 * of file" is past the line's last character. */
static int error_column(const char *line, size_t len, const json_error_t *je)
{
    const char *near = strstr(je->text, "near '");
    size_t tl = near ? strlen(near + 6) : 0;
    size_t end = (size_t)je->position;
    if (near && tl > 1 && near[6 + tl - 1] == '\'' && end <= len && tl - 1 <= end &&
        memcmp(line + end - (tl - 1), near + 6, tl - 1) == 0)
        return column_of(line, end - (tl - 1));
    if (strstr(je->text, "near end of file"))
        return column_of(line, len);
    return je->column;
}

int sipc_ndjson_record(const char *line, size_t len, Sipc__Data__Record **out, char *err,
                       size_t errlen)
{
    *out = NULL;
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        i++;
    if (i == len)
        return 0;
    json_error_t je;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!o) {
        /* the input is one line, not a file: jansson's "near end of file"
         * is the line's end (a record spread over lines ends there too) */
        const char *eof = strstr(je.text, " near end of file");
        if (eof && strncmp(je.text, "unexpected token", 16) != 0)
            return bad(err, errlen,
                       "column %d: the line ends in the middle of a JSON value (%.*s; a record "
                       "must be on one line)",
                       error_column(line, len, &je), (int)(eof - je.text), je.text);
        if (eof)
            return bad(err, errlen,
                       "column %d: the line ends in the middle of a JSON value (a record must be "
                       "on one line)",
                       error_column(line, len, &je));
        return bad(err, errlen, "column %d: %s", error_column(line, len, &je), je.text);
    }
    if (!json_is_object(o)) {
        json_decref(o);
        return bad(err, errlen, "a line must hold one JSON object (a record)");
    }
    Sipc__Data__Record *r = calloc(1, sizeof *r);
    if (!r) {
        json_decref(o);
        return SIPC_ENOMEM;
    }
    sipc__data__record__init(r);
    int rc = convert(o, r, err, errlen);
    json_decref(o);
    if (rc != 0) {
        if (rc == SIPC_ENOMEM)
            snprintf(err, errlen, "out of memory");
        sipc_ndjson_record_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* --------------------------------------------------------------- reader */

void sipc_ndjson_reader_init(sipc_ndjson_reader *r, FILE *f, size_t max)
{
    memset(r, 0, sizeof *r);
    r->f = f;
    r->max = max;
}

int sipc_ndjson_buffered(const sipc_ndjson_reader *r)
{
    return r->bpos < r->blen || r->eof;
}

void sipc_ndjson_reader_free(sipc_ndjson_reader *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = r->len = 0;
}

int sipc_ndjson_next(sipc_ndjson_reader *r, const char **line, size_t *len)
{
    int got = 0, toolong = 0;
    if (r->partial) { /* the rest of a line a read stopped in */
        got = 1;
        toolong = r->toolong;
        r->partial = 0;
    } else {
        r->len = 0;
    }
    for (;;) {
        if (r->bpos == r->blen) {
            if (r->eof)
                break;
            /* one read(2) where there is a descriptor: what a pipe holds now,
             * where fread would wait until the whole block is there */
            int fd = fileno(r->f);
            r->bpos = r->blen = 0;
            if (fd >= 0) {
                ssize_t k;
                do
                    k = read(fd, r->blk, sizeof r->blk);
                while (k < 0 && errno == EINTR);
                if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                    r->partial = got;
                    r->toolong = toolong;
                    return UV_EAGAIN;
                }
                if (k < 0)
                    return uv_translate_sys_error(errno);
                r->blen = (size_t)k;
            } else {
                r->blen = fread(r->blk, 1, sizeof r->blk, r->f);
                if (r->blen == 0 && ferror(r->f))
                    return uv_translate_sys_error(errno ? errno : EIO);
            }
            if (r->blen == 0) {
                r->eof = 1;
                break;
            }
        }
        const char *start = r->blk + r->bpos;
        const char *nl = memchr(start, '\n', r->blen - r->bpos);
        size_t take = nl ? (size_t)(nl - start) : r->blen - r->bpos;
        got = 1;
        /* max counts the line without its "\r\n": one byte more may be a '\r' */
        if (!toolong && r->len + take > r->max + 1) {
            toolong = 1;
        } else if (!toolong && take) {
            if (r->len + take + 1 > r->cap) {
                size_t cap = r->cap ? r->cap : 4096;
                while (cap < r->len + take + 1)
                    cap *= 2;
                char *nb = realloc(r->buf, cap);
                if (!nb)
                    return SIPC_ENOMEM;
                r->buf = nb;
                r->cap = cap;
            }
            memcpy(r->buf + r->len, start, take);
            r->len += take;
        }
        r->bpos += take + (nl != NULL);
        if (nl)
            break;
    }
    if (!got)
        return 0;
    r->line++;
    if (r->len && r->buf[r->len - 1] == '\r')
        r->len--;
    if (toolong || r->len > r->max)
        return SIPC_ETOOBIG;
    *line = r->buf ? r->buf : "";
    *len = r->len;
    return 1;
}
