/* sqlite_raw.c - the limit beside the services benchmark: the same records
 * written by ONE process straight into SQLite, with the data service's
 * settings, schema and per-record statements, and nothing else (no network,
 * no TLS, no protobuf, no pipeline, one database instead of three).
 *
 *   sqlite-raw DB NDJSON [BATCH]
 *
 * DB must not exist. NDJSON holds one record a line, as `sipcctl ingest`
 * reads them: {"id", "timestamp" (RFC 3339, UTC "Z" form), "attributes":
 * {...}, "body"}. Every line is parsed into memory first, so JSON parsing is
 * not measured; then the clock runs from the first BEGIN to the last COMMIT.
 *
 * What is copied from services/data/data_store.c (keep in step with it):
 * journal_mode=WAL, synchronous=NORMAL (the service's default sync), journal
 * size limit 64 MiB, busy timeout; the schema with the FTS5 index and the
 * triggers; per record the look-up by id then the INSERT (a put first checks
 * for an existing record); attributes stored as the JSON array
 * [["key","value"],...]; BEGIN IMMEDIATE per transaction and one savepoint
 * per batch, as the data service's write job holds a put_batch. BATCH
 * (default 500, the pipeline's batch_records) records per transaction.
 *
 * Prints one line:
 *   RESULT phase=sqlite_raw records=N batch=B secs=S rate=R cpu_s=C
 * cpu_s is the process's user + system CPU time over the same interval: it
 * compares with the CPU the cluster spends on the same records whatever
 * else the machine is running. Checkpoints run inside the interval, as in
 * the data service (SQLite's automatic checkpoint after a commit).
 * Exit status: 0 ok, 1 failure (message on stderr), 64 bad usage. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

/* The data service's schema, from the same header the store uses. */
#include "data_schema.h"
static const char SCHEMA[] = SIPC_DATA_SCHEMA_SQL;

typedef struct rec {
    char *id, *attrs, *body;
    size_t body_len;
    int64_t ts_ms;
} rec;

static void die(const char *what, sqlite3 *db)
{
    fprintf(stderr, "sqlite-raw: %s: %s\n", what, db ? sqlite3_errmsg(db) : "failed");
    exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        die(sql, db);
}

/* Appends s as the body of a JSON string, escaped as the data service does
 * (quotes, backslashes, control characters). */
static char *json_str(char *p, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c < 0x20) {
            memcpy(p, "\\u00", 4);
            p[4] = hex[c >> 4];
            p[5] = hex[c & 15];
            p += 6;
        } else {
            *p++ = (char)c;
        }
    }
    return p;
}

/* "YYYY-MM-DDTHH:MM:SS[.fff]Z" as Unix milliseconds; -1 if not that form
 * (the generator writes only this form; sipcctl accepts more). */
static int64_t parse_ts(const char *s)
{
    struct tm tm = {0};
    int ms = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6)
        return -1;
    if (s[n] == '.') {
        int k = 0;
        for (n++; s[n] >= '0' && s[n] <= '9' && k < 3; n++, k++)
            ms = ms * 10 + (s[n] - '0');
        for (; k < 3; k++)
            ms *= 10;
        while (s[n] >= '0' && s[n] <= '9')
            n++;
    }
    if (s[n] != 'Z' || s[n + 1])
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static int load(const char *path, rec **out, size_t *n_out)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 1024, n = 0, lcap = 0;
    rec *v = malloc(cap * sizeof *v);
    char *line = NULL;
    ssize_t len;
    unsigned long lineno = 0;
    while (v && (len = getline(&line, &lcap, f)) > 0) {
        lineno++;
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)len, 0, &je);
        json_t *id = json_object_get(o, "id"), *ts = json_object_get(o, "timestamp");
        json_t *at = json_object_get(o, "attributes"), *body = json_object_get(o, "body");
        if (!json_is_string(id) || !json_is_string(ts) || !json_is_object(at) ||
            !json_is_string(body)) {
            fprintf(stderr, "sqlite-raw: %s:%lu: not a record\n", path, lineno);
            json_decref(o);
            free(line);
            fclose(f);
            return -1;
        }
        if (n == cap) {
            cap *= 2;
            rec *w = realloc(v, cap * sizeof *v);
            if (!w)
                break;
            v = w;
        }
        rec *r = &v[n++];
        r->id = strdup(json_string_value(id));
        r->ts_ms = parse_ts(json_string_value(ts));
        r->body_len = json_string_length(body);
        r->body = malloc(r->body_len + 1);
        if (r->body)
            memcpy(r->body, json_string_value(body), r->body_len);
        size_t need = 3;
        const char *k;
        json_t *val;
        json_object_foreach(at, k, val)
        {
            const char *sv = json_string_value(val);
            need += 8 + 6 * (strlen(k) + (sv ? strlen(sv) : 0));
        }
        r->attrs = malloc(need);
        if (!r->id || !r->body || !r->attrs || r->ts_ms < 0) {
            fprintf(stderr, "sqlite-raw: %s:%lu: bad timestamp or out of memory\n", path, lineno);
            json_decref(o);
            free(line);
            fclose(f);
            return -1;
        }
        char *p = r->attrs;
        *p++ = '[';
        int first = 1;
        json_object_foreach(at, k, val)
        {
            if (!first)
                *p++ = ',';
            first = 0;
            memcpy(p, "[\"", 2);
            p = json_str(p + 2, k);
            memcpy(p, "\",\"", 3);
            p = json_str(p + 3, json_string_value(val) ? json_string_value(val) : "");
            memcpy(p, "\"]", 2);
            p += 2;
        }
        *p++ = ']';
        *p = '\0';
        json_decref(o);
    }
    free(line);
    fclose(f);
    if (!v) {
        fprintf(stderr, "sqlite-raw: out of memory\n");
        return -1;
    }
    *out = v;
    *n_out = n;
    return 0;
}

static double cpu_now_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: sqlite-raw DB NDJSON [BATCH]\n");
        return 64;
    }
    long batch = argc == 4 ? strtol(argv[3], NULL, 10) : 500;
    if (batch < 1 || batch > 1000000) {
        fprintf(stderr, "sqlite-raw: BATCH must be 1..1000000\n");
        return 64;
    }
    rec *v;
    size_t n;
    if (load(argv[2], &v, &n) != 0)
        return 1;

    sqlite3 *db = NULL;
    if (sqlite3_open_v2(argv[1], &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK)
        die("open", db);
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    exec(db, "PRAGMA journal_mode=WAL");
    exec(db, "PRAGMA synchronous=NORMAL");
    exec(db, "PRAGMA journal_size_limit=67108864");
    exec(db, "BEGIN IMMEDIATE");
    exec(db, SCHEMA);
    exec(db, "PRAGMA user_version = 1");
    exec(db, "COMMIT");

    sqlite3_stmt *find, *ins;
    if (sqlite3_prepare_v3(db, "SELECT rid, ts, attributes, body FROM records WHERE id = ?1", -1,
                           SQLITE_PREPARE_PERSISTENT, &find, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(db,
                           "INSERT INTO records(id, ts, attributes, body) VALUES (?1, ?2, ?3, ?4)",
                           -1, SQLITE_PREPARE_PERSISTENT, &ins, NULL) != SQLITE_OK)
        die("prepare", db);

    double t0 = now_s(), c0 = cpu_now_s();
    for (size_t i = 0; i < n; i += (size_t)batch) {
        size_t end = i + (size_t)batch < n ? i + (size_t)batch : n;
        exec(db, "BEGIN IMMEDIATE");
        exec(db, "SAVEPOINT grp");
        for (size_t j = i; j < end; j++) {
            rec *r = &v[j];
            sqlite3_bind_text(find, 1, r->id, -1, SQLITE_STATIC);
            int rc = sqlite3_step(find);
            sqlite3_reset(find);
            sqlite3_clear_bindings(find);
            if (rc != SQLITE_DONE) {
                fprintf(stderr, "sqlite-raw: record %s: %s\n", r->id,
                        rc == SQLITE_ROW ? "id repeated in the input" : sqlite3_errmsg(db));
                return 1;
            }
            sqlite3_bind_text(ins, 1, r->id, -1, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 2, r->ts_ms);
            sqlite3_bind_text(ins, 3, r->attrs, -1, SQLITE_STATIC);
            sqlite3_bind_blob(ins, 4, r->body, (int)r->body_len, SQLITE_STATIC);
            rc = sqlite3_step(ins);
            sqlite3_reset(ins);
            sqlite3_clear_bindings(ins);
            if (rc != SQLITE_DONE)
                die("insert", db);
        }
        exec(db, "RELEASE grp");
        exec(db, "COMMIT");
    }
    double secs = now_s() - t0, cpu = cpu_now_s() - c0;

    sqlite3_finalize(find);
    sqlite3_finalize(ins);
    if (sqlite3_close(db) != SQLITE_OK)
        die("close", db);
    printf("RESULT phase=sqlite_raw records=%zu batch=%ld secs=%.3f rate=%.0f cpu_s=%.2f\n", n,
           batch, secs, secs > 0 ? (double)n / secs : 0.0, cpu);
    for (size_t i = 0; i < n; i++) {
        free(v[i].id);
        free(v[i].attrs);
        free(v[i].body);
    }
    free(v);
    return 0;
}
