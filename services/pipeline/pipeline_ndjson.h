/* pipeline_ndjson.h - the producer's side of the pipeline: records written
 * as newline-delimited JSON, one record a line, turned into data.proto
 * Records. Used by `sipcctl ingest`; kept apart so it can be tested alone.
 *
 * A line is one JSON object (parsed with jansson):
 *   {"id": "s-1", "timestamp": "2026-11-23T10:00:00Z",
 *    "attributes": {"user": "u1"}, "body": "..."}
 *   id          string, required, not empty
 *   timestamp   string, RFC 3339 ("2026-11-23T10:00:00.123Z", "...+02:00"),
 *               converted to Unix milliseconds (UTC; fractions below a
 *               millisecond are dropped); or
 *   timestamp_ms  integer, Unix milliseconds; exactly one of the two
 *   attributes  object of string values (keys in the order written; a key
 *               may not appear twice), or an array of [key, value] string
 *               pairs (keys may repeat); optional
 *   body        string (may contain \u0000); optional
 * Any other member is an error, so a misspelt field is not silently lost.
 * Lines holding only white space are skipped. */
#ifndef SIPC_PIPELINE_NDJSON_H
#define SIPC_PIPELINE_NDJSON_H

#include "rfc3339.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "data.pb-c.h"

/* Parses line (len bytes, no newline needed) into *out (free with
 * sipc_ndjson_record_free). Returns 0 with *out set, 0 with *out NULL for a
 * blank line, or SIPC_EINVAL with the reason in err ("timestamp: month 13
 * is out of range", "column 12: invalid token"), or SIPC_ENOMEM. */
int sipc_ndjson_record(const char *line, size_t len, Sipc__Data__Record **out, char *err,
                       size_t errlen);
void sipc_ndjson_record_free(Sipc__Data__Record *r);

/* Timestamps are read with sipc_rfc3339_ms (rfc3339.h). */

/* Reads lines from a stream without holding more than max bytes of one. */
typedef struct sipc_ndjson_reader {
    FILE *f;
    size_t max;           /* longest line taken, in bytes */
    unsigned long line;   /* number of the line last returned, from 1 */
    char *buf;            /* the current line */
    size_t len, cap;
    char blk[65536];
    size_t bpos, blen;
    int eof;
    int partial;          /* buf holds the start of a line still being read */
    int toolong;          /* ... and that line is already too long */
} sipc_ndjson_reader;

void sipc_ndjson_reader_init(sipc_ndjson_reader *r, FILE *f, size_t max);
/* Returns 1 with the next line in *line and *len (without its "\n" or "\r\n";
 * valid until the next call), 0 at the end, SIPC_ETOOBIG for a line longer
 * than max (skipped; r->line is its number), SIPC_ENOMEM, or a negative
 * libuv code for a read error. UV_EAGAIN: a non-blocking descriptor holds
 * nothing more for now; the start of a line read so far is kept, and the
 * next call, once the descriptor is readable, goes on with it. */
int sipc_ndjson_next(sipc_ndjson_reader *r, const char **line, size_t *len);
/* 1 when the next sipc_ndjson_next starts on bytes already read (or at the
 * end): it reads the stream again only for the rest of a line. A stream with
 * a descriptor is read with one read(2) at a time, so a pipe's reader gets
 * the lines written so far without waiting for more. */
int sipc_ndjson_buffered(const sipc_ndjson_reader *r);
void sipc_ndjson_reader_free(sipc_ndjson_reader *r);

#endif
