/* data_store_search.c - the store's full-text search (data_store_search,
 * data_store.h): one query over FTS5 and the records' attributes, its hits
 * built in one block each, and the function SQLite asks whether to stop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "data_store.h"
#include "data_store_impl.h"

void data_hits_free(data_hits *h)
{
    /* a hit's id starts the one block that holds its strings and body */
    for (size_t i = 0; i < h->n; i++)
        free(h->blocks[i]);
    free(h->blocks);
    free(h->hits);
    h->hits = NULL;
    h->blocks = NULL;
    h->n = 0;
}

/* The attributes of the record rid, as (key, value) rows of s->attrs; the
 * caller resets the statement. */
static int hit_attr_rows(data_store *s, int64_t rid)
{
    sqlite3_bind_int64(s->attrs, 1, rid);
    return sqlite3_step(s->attrs);
}

/* Builds hit n of out from the current row of st (rid, id, ts, rank,
 * body-part-or-NULL, length(body)): one block holding the attribute array,
 * the id, the keys and values, and the body part. *bytes: what the hit
 * holds, for the caller's budget. */
static int row_hit(data_store *s, sqlite3_stmt *st, int content, data_hits *out, size_t *bytes,
                   char *err, size_t errlen)
{
    size_t idlen = (size_t)sqlite3_column_bytes(st, 1);
    size_t blen = content ? (size_t)sqlite3_column_bytes(st, 4) : 0;
    size_t need = idlen + 1 + blen, nattrs = 0;
    int rc = SQLITE_DONE;
    if (content) {
        /* first pass: count and size the attributes */
        for (rc = hit_attr_rows(s, sqlite3_column_int64(st, 0)); rc == SQLITE_ROW;
             rc = sqlite3_step(s->attrs)) {
            nattrs++;
            need += (size_t)sqlite3_column_bytes(s->attrs, 0) +
                    (size_t)sqlite3_column_bytes(s->attrs, 1) + 2;
        }
        sqlite3_reset(s->attrs);
        if (rc != SQLITE_DONE) {
            data_store__done(s->attrs);
            return data_store__fail(s, rc, "read attributes", err, errlen);
        }
    }
    size_t head = nattrs * sizeof(sipc_data_attr);
    char *block = malloc(head + need);
    if (!block) {
        data_store__done(s->attrs);
        snprintf(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    sipc_data_hit *h = &out->hits[out->n];
    memset(h, 0, sizeof *h);
    sipc_data_attr *attrs = (sipc_data_attr *)block;
    char *p = block + head;
    memcpy(p, sqlite3_column_text(st, 1), idlen);
    p[idlen] = '\0';
    h->id = p;
    p += idlen + 1;
    h->timestamp_ms = sqlite3_column_int64(st, 2);
    h->rank = sqlite3_column_double(st, 3);
    size_t i = 0;
    if (content && nattrs) {
        /* second pass: copy; the same snapshot (one statement of one read
         * transaction), so the same rows */
        for (rc = sqlite3_step(s->attrs); rc == SQLITE_ROW && i < nattrs;
             rc = sqlite3_step(s->attrs), i++) {
            for (int c = 0; c < 2; c++) {
                size_t l = (size_t)sqlite3_column_bytes(s->attrs, c);
                memcpy(p, sqlite3_column_text(s->attrs, c), l);
                p[l] = '\0';
                if (c == 0)
                    attrs[i].key = p;
                else
                    attrs[i].value = p;
                p += l + 1;
            }
        }
    }
    data_store__done(s->attrs);
    if (i != nattrs) {
        free(block);
        snprintf(err, errlen, "%s: read attributes: changed while read", s->path);
        return UV_EIO;
    }
    if (content) {
        h->attrs = nattrs ? attrs : NULL;
        h->nattrs = nattrs;
        h->body = (const uint8_t *)p;
        h->body_len = blen;
        if (blen)
            memcpy(p, sqlite3_column_blob(st, 4), blen);
        h->body_size = (size_t)sqlite3_column_int64(st, 5);
    }
    out->blocks[out->n++] = block;
    *bytes = need + nattrs * 8 + 32;
    return 0;
}

/* The filters lo..hi-1 into sql at n (returns the new n), each an IN, which
 * lets SQLite start from the (key, value) index: a rare attribute costs its
 * few rows, not a walk over every record. They are joined by AND as a
 * balanced tree, whose depth is log2 of their number: a chain of them is
 * as deep as they are many, and SQLite refuses an expression deeper than
 * 1000 ("Expression tree is too large"), which a data service whose
 * max_attributes is raised would reach. SQLite splits nested ANDs into
 * the same terms, so the plan is the same. */
static size_t attr_terms(char *sql, size_t cap, size_t n, const char *t, size_t lo, size_t hi)
{
    if (hi - lo == 1)
        return n + (size_t)snprintf(sql + n, cap - n,
                                    "%s.rid IN (SELECT rid FROM record_attrs WHERE key = ?%zu AND "
                                    "value = ?%zu)",
                                    t, 7 + 2 * lo, 8 + 2 * lo);
    size_t mid = lo + (hi - lo) / 2;
    n += (size_t)snprintf(sql + n, cap - n, "(");
    n = attr_terms(sql, cap, n, t, lo, mid);
    n += (size_t)snprintf(sql + n, cap - n, " AND ");
    n = attr_terms(sql, cap, n, t, mid, hi);
    return n + (size_t)snprintf(sql + n, cap - n, ")");
}

int data_store_search(data_store *s, const sipc_data_query *q, data_hits *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    int match = q->match && *q->match;
    int content = q->content != 0;
    /* ?1 match, ?2 from, ?3 to, ?4 limit, ?5 content, ?6 body_max, then
     * two per attribute */
    size_t cap = 1024 + q->nattrs * 128;
    char *sql = malloc(cap);
    out->hits = calloc(q->limit, sizeof *out->hits);
    out->blocks = calloc(q->limit, sizeof *out->blocks);
    if (!sql || !out->hits || !out->blocks) {
        free(sql);
        data_hits_free(out);
        snprintf(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    /* Newest first with a match: pick the rows by time first and touch
     * bodies only for those, without bm25() for every match (which made a
     * common word cost every matching row's rank and body: ~5x slower).
     * The rank is only computed where it orders the hits. */
    int by_rank = match && q->order == SIPC_DATA_ORDER_RANK;
    int pick_first = match && !by_rank;
    const char *t = pick_first ? "r2" : "r";
    size_t n;
    if (pick_first)
        n = (size_t)snprintf(sql, cap,
                             "SELECT r.rid, r.id, r.ts, 0.0, CASE WHEN ?5 THEN substr(r.body, 1, "
                             "?6) END, length(r.body) FROM records AS r WHERE r.rid IN (SELECT "
                             "r2.rid FROM records_fts JOIN records AS r2 ON r2.rid = "
                             "records_fts.rowid WHERE records_fts MATCH ?1 AND r2.ts >= ?2 AND "
                             "r2.ts < ?3");
    else
        /* The CASE keeps SQLite from reading bodies the caller does not want. */
        n = (size_t)snprintf(
            sql, cap, "SELECT r.rid, r.id, r.ts, %s, CASE WHEN ?5 THEN substr(r.body, 1, ?6) END,"
                      " length(r.body) FROM %s",
            match ? "bm25(records_fts)" : "0.0",
            match ? "records_fts JOIN records AS r ON r.rid = records_fts.rowid"
                    " WHERE records_fts MATCH ?1 AND r.ts >= ?2 AND r.ts < ?3"
                  : "records AS r WHERE r.ts >= ?2 AND r.ts < ?3");
    if (q->nattrs) {
        n += (size_t)snprintf(sql + n, cap - n, " AND ");
        n = attr_terms(sql, cap, n, t, 0, q->nattrs);
    }
    if (pick_first)
        snprintf(sql + n, cap - n,
                 " ORDER BY r2.ts DESC, r2.id LIMIT ?4) ORDER BY r.ts DESC, r.id");
    else
        snprintf(sql + n, cap - n, "%s LIMIT ?4",
                 by_rank ? " ORDER BY 4, r.ts DESC, r.id" : " ORDER BY r.ts DESC, r.id");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    free(sql);
    if (rc != SQLITE_OK) {
        rc = data_store__fail(s, rc, "prepare search", err, errlen);
        data_hits_free(out);
        return rc;
    }
    if (match)
        sqlite3_bind_text(st, 1, q->match, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, q->from_ms);
    sqlite3_bind_int64(st, 3, q->to_ms > 0 ? q->to_ms : INT64_MAX);
    sqlite3_bind_int64(st, 4, (int64_t)q->limit + 1);
    sqlite3_bind_int(st, 5, content);
    /* "whole body" as INT32_MAX: substr() overflows on lengths near INT64_MAX
     * and returns nothing; a blob is never longer (SQLITE_MAX_LENGTH) */
    sqlite3_bind_int64(st, 6,
                       q->body_max && q->body_max < INT32_MAX ? (int64_t)q->body_max : INT32_MAX);
    for (size_t i = 0; i < q->nattrs; i++) {
        sqlite3_bind_text(st, (int)(7 + 2 * i), q->attrs[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, (int)(8 + 2 * i), q->attrs[i].value, -1, SQLITE_STATIC);
    }
    int r = 0;
    size_t bytes = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == q->limit) {
            out->more = 1;
            break;
        }
        size_t size = 0;
        if ((r = row_hit(s, st, content, out, &size, err, errlen)) != 0)
            break;
        /* the budget: at least one hit, then only what fits */
        if (content && q->max_bytes && out->n > 1 && bytes + size > q->max_bytes) {
            out->n--;
            free(out->blocks[out->n]);
            out->more = 1;
            break;
        }
        bytes += size;
    }
    if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        /* Our SQL is fixed and tested, so a plain SQLITE_ERROR here is the
         * caller's FTS5 expression ("fts5: syntax error near ..."). */
        if (rc == SQLITE_INTERRUPT) {
            snprintf(err, errlen, "search stopped");
            r = SIPC_ECANCELED; /* data_store_set_stop's function said so */
        } else if ((rc & 0xff) == SQLITE_ERROR) {
            /* SQLite's words alone can be empty-tailed ("unknown special
             * query: " for "*"): say what a query may be */
            const char *m = sqlite3_errmsg(s->db);
            size_t mlen = strlen(m);
            while (mlen && (m[mlen - 1] == ' ' || m[mlen - 1] == ':'))
                mlen--;
            snprintf(err, errlen,
                     "bad query: %.*s (a query is FTS5 syntax: words, \"a phrase\", prefix*, AND, "
                     "OR, NOT, body:WORD, attributes:WORD; an empty query matches every record)",
                     (int)mlen, m);
            r = SIPC_EINVAL;
        } else {
            r = data_store__fail(s, rc, "search", err, errlen);
        }
    }
    sqlite3_finalize(st);
    if (r != 0)
        data_hits_free(out);
    return r;
}

void data_store_set_stop(data_store *s, int (*stop)(void *), void *arg)
{
    sqlite3_progress_handler(s->db, stop ? DATA_STORE_STOP_STEPS : 0, stop, arg);
}
