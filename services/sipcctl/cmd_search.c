/* cmd_search.c - `sipcctl search QUERY [--attr K=V]... [--since T] [--until T]
 * [--limit N] [--order newest|rank] [--json]`: search.query on one node,
 * which searches every node of the cluster; prints the hits as a table (or
 * JSON) and says which nodes answered. A partial answer (a node missing) is
 * printed and ends with exit code 3, so scripts see it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8_text.h"
#include "search.pb-c.h"
#include "search_time.h"
#include "services/common/exit_codes.h"
#include "services/common/shown_text.h"
#include "sipcctl.h"

/* The exit code of an answer with nodes missing. */
enum { EXIT_PARTIAL = 3 };

/* Shown columns of a body's first line. */
enum { BODY_COLUMNS = 60, ID_COLUMNS = 40 };

static ProtobufCBinaryData bytes_of(const char *s)
{
    ProtobufCBinaryData b = {strlen(s), (uint8_t *)s};
    return b;
}

/* The request from the command line; 0 or SIPC_EXIT_USAGE (reason printed). */
static int build_request(const ctl *o, Sipc__Search__QueryRequest *m,
                         Sipc__Search__Attribute *av, Sipc__Search__Attribute **ap)
{
    char err[300];
    m->query = bytes_of(o->args[0]);
    for (int i = 0; i < o->attrs.n; i++) {
        const char *kv = o->attrs.items[i], *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            return ctl_fail(SIPC_EXIT_USAGE, "--attr '%s' must be KEY=VALUE with a non-empty KEY", kv);
        }
        /* the value is everything after the first '=' (it may hold more) */
        sipc__search__attribute__init(&av[i]);
        av[i].key.data = (uint8_t *)kv;
        av[i].key.len = (size_t)(eq - kv);
        av[i].value = bytes_of(eq + 1);
        ap[i] = &av[i];
    }
    m->filters = ap;
    m->n_filters = (size_t)o->attrs.n;
    const char *times[2] = {o->since, o->until};
    int64_t *dst[2] = {&m->since_ms, &m->until_ms};
    for (int i = 0; i < 2; i++) {
        if (times[i] && search_time_parse(times[i], dst[i], err, sizeof err) != 0) {
            return ctl_fail(SIPC_EXIT_USAGE, "--%s: %s", i ? "until" : "since", err);
        }
    }
    if (o->until && m->until_ms <= m->since_ms) {
        return ctl_fail(SIPC_EXIT_USAGE, "--until must be after --since");
    }
    m->limit = o->limit > 0 ? (uint32_t)o->limit : 100;
    if (!o->order || !strcmp(o->order, "newest")) {
        m->order = SIPC__SEARCH__ORDER__NEWEST;
    } else if (!strcmp(o->order, "rank")) {
        m->order = SIPC__SEARCH__ORDER__RANK;
    } else {
        return ctl_fail(SIPC_EXIT_USAGE, "--order must be newest or rank, not '%s'", o->order);
    }
    return 0;
}

/* ------------------------------------------------------------------ JSON */

/* The body as a JSON string when it is UTF-8 (a body cut by the server may
 * end inside a character: that tail is dropped), else NULL. */
static json_t *utf8_body(const Sipc__Search__Hit *h)
{
    int cut = h->body_size > h->body.len;
    for (size_t drop = 0; drop <= (cut ? 3u : 0u) && drop <= h->body.len; drop++) {
        json_t *j = json_stringn(h->body.len ? (const char *)h->body.data : "",
                                 h->body.len - drop);
        if (j)
            return j;
    }
    return NULL;
}

static json_t *str_json(const ProtobufCBinaryData *b)
{
    json_t *j = json_stringn(b->len ? (const char *)b->data : "", b->len);
    return j ? j : json_string("");
}

/* An object when the keys are unique, else an array of [key, value]. */
static json_t *attrs_json(const Sipc__Search__Hit *h)
{
    json_t *obj = json_object();
    for (size_t i = 0; obj && i < h->n_attributes; i++) {
        const Sipc__Search__Attribute *a = h->attributes[i];
        char *k = strndup(a->key.len ? (const char *)a->key.data : "", a->key.len);
        if (!k || json_object_get(obj, k)) {
            free(k);
            json_decref(obj);
            obj = NULL;
            break;
        }
        json_object_set_new(obj, k, str_json(&a->value));
        free(k);
    }
    if (obj)
        return obj;
    json_t *arr = json_array();
    for (size_t i = 0; i < h->n_attributes; i++)
        json_array_append_new(arr, json_pack("[oo]", str_json(&h->attributes[i]->key),
                                             str_json(&h->attributes[i]->value)));
    return arr;
}

static int print_json(const Sipc__Search__QueryResponse *r)
{
    json_t *hits = json_array();
    for (size_t i = 0; i < r->n_hits; i++) {
        const Sipc__Search__Hit *h = r->hits[i];
        char ts[32];
        search_time_format(h->timestamp_ms, ts, sizeof ts);
        json_t *body = utf8_body(h);
        int b64 = body == NULL;
        if (b64) {
            char *enc = ctl_base64(h->body.data, h->body.len);
            body = json_string(enc ? enc : "");
            free(enc);
        }
        json_t *o = json_pack("{s:o, s:s, s:o, s:o, s:o, s:f}", "id", str_json(&h->id),
                              "timestamp", ts, "node", str_json(&h->node), "attributes",
                              attrs_json(h), "body", body, "rank", h->rank);
        if (b64)
            json_object_set_new(o, "body_encoding", json_string("base64"));
        if (h->body_size > h->body.len)
            json_object_set_new(o, "body_size", json_integer((json_int_t)h->body_size));
        json_array_append_new(hits, o);
    }
    json_t *miss = json_array();
    for (size_t i = 0; i < r->n_nodes_missing; i++) {
        const Sipc__Search__MissingNode *m = r->nodes_missing[i];
        json_array_append_new(miss, json_pack("{s:o, s:o, s:o}", "node",
                                              m->node.len ? str_json(&m->node) : json_null(),
                                              "address", str_json(&m->address), "reason",
                                              str_json(&m->reason)));
    }
    json_t *root = json_pack("{s:o, s:b, s:o}", "hits", hits, "partial", r->partial,
                             "nodes_missing", miss);
    if (r->truncated)
        json_object_set_new(root, "truncated", json_true());
    int rc = root ? ctl_print_json(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : 1;
    json_decref(root);
    return rc;
}

/* ----------------------------------------------------------------- table */

/* The body's first line, at most BODY_COLUMNS columns: C0 controls as
 * spaces, every other byte that is not part of a printable character (C1
 * controls such as U+009B CSI, DEL) as \xNN, as cli_shown shows them, four
 * columns each; a body that is not UTF-8 is shown by its size. */
static void first_line(const Sipc__Search__Hit *h, char *out, size_t outlen)
{
    size_t n = 0;
    while (n < h->body.len && h->body.data[n] != '\n' && h->body.data[n] != '\r')
        n++;
    json_t *probe = json_stringn(n ? (const char *)h->body.data : "", n);
    if (!probe && n == h->body.len && h->body_size > h->body.len)
        probe = utf8_body(h); /* cut inside a character by the server */
    if (!probe) {
        snprintf(out, outlen, "[binary, %llu bytes]", (unsigned long long)h->body_size);
        return;
    }
    const char *s = json_string_value(probe);
    size_t len = json_string_length(probe), w = 0, cols = 0, i = 0;
    /* s ends in a NUL (a NUL inside is a C0 control): the check may read
     * up to 4 bytes at i */
    while (i < len && cols < BODY_COLUMNS && w + 5 < outlen) {
        unsigned char c = (unsigned char)s[i];
        size_t cl = sipc__utf8_printable_len((const unsigned char *)s + i);
        if (cl) {
            memcpy(out + w, s + i, cl);
            w += cl;
            cols++;
        } else if (c < 0x20) {
            out[w++] = ' ';
            cols++;
            cl = 1;
        } else {
            w += (size_t)snprintf(out + w, outlen - w, "\\x%02x", c);
            cols += 4;
            cl = 1;
        }
        i += cl;
    }
    if (i < len || (n == h->body.len && h->body_size > h->body.len))
        w += (size_t)snprintf(out + w, outlen - w, "...");
    out[w] = '\0';
    json_decref(probe);
}

/* b as cli_shown_n shows it: a node's name, a record's id, a reason are
 * the nodes' words (or a stored record's). */
static const char *shown_b(const ProtobufCBinaryData *b, char *out, size_t len)
{
    cli_shown_n(b->data, b->len, out, len);
    return out;
}

/* Columns of a shown text: one per character (its escapes are ASCII). */
static int columns_of(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* A shown text in exactly cols columns: padded with spaces, or cut with
 * "..." between characters and never inside a \xNN escape. */
static const char *fit_columns(const char *s, int cols, char *out, size_t outlen)
{
    int have = columns_of(s), keep = have <= cols ? have : cols - 3, n = 0;
    size_t w = 0;
    for (const char *p = s; *p && n < keep;) {
        size_t cl = 1, step = 1;
        while ((p[cl] & 0xc0) == 0x80)
            cl++;
        if (p[0] == '\\' && p[1] == 'x' && p[2] && p[3])
            cl = 4, step = 4;
        if (n + (int)step > keep || w + cl + 4 > outlen)
            break;
        memcpy(out + w, p, cl);
        w += cl, p += cl, n += (int)step;
    }
    if (have > cols)
        w += (size_t)snprintf(out + w, outlen - w, "..."), n += 3;
    while (n < cols && w + 1 < outlen)
        out[w++] = ' ', n++;
    out[w] = '\0';
    return out;
}

static void print_table(const Sipc__Search__QueryResponse *r)
{
    int wn = 4, wi = 2;
    char node[300], id[300], addr[300], why[1200], node_cell[400], id_cell[200];
    for (size_t i = 0; i < r->n_hits; i++) {
        if (columns_of(shown_b(&r->hits[i]->node, node, sizeof node)) > wn)
            wn = columns_of(node);
        if (columns_of(shown_b(&r->hits[i]->id, id, sizeof id)) > wi)
            wi = columns_of(id);
    }
    wi = wi > ID_COLUMNS ? ID_COLUMNS : wi;
    if (r->n_hits)
        printf("%-*s  %-24s  %-*s  %8s  %s\n", wn, "NODE", "TIME", wi, "ID", "RANK", "BODY");
    for (size_t i = 0; i < r->n_hits; i++) {
        const Sipc__Search__Hit *h = r->hits[i];
        char ts[32], line[BODY_COLUMNS * 4 + 8];
        search_time_format(h->timestamp_ms, ts, sizeof ts);
        first_line(h, line, sizeof line);
        /* bm25 gives tiny negatives for common words: no "-0.000"; newest
         * first is not ranked ("-") */
        double rank = h->rank > -0.0005 && h->rank < 0.0005 ? 0.0 : h->rank;
        char rk[16] = "-";
        if (rank != 0.0)
            snprintf(rk, sizeof rk, "%.3f", rank);
        printf("%s  %-24s  %s  %8s  %s\n",
               fit_columns(shown_b(&h->node, node, sizeof node), wn, node_cell, sizeof node_cell),
               ts, fit_columns(shown_b(&h->id, id, sizeof id), wi, id_cell, sizeof id_cell), rk,
               line);
    }
    size_t total = r->n_nodes_answered + r->n_nodes_missing;
    printf("%zu hit%s from %zu of %zu node%s%s\n", r->n_hits, r->n_hits == 1 ? "" : "s",
           r->n_nodes_answered, total, total == 1 ? "" : "s",
           r->truncated ? " (cut to fit the answer's size limit; narrow the query)"
           : r->more    ? " (more matched: raise --limit or narrow the query)"
                        : "");
    for (size_t i = 0; i < r->n_nodes_missing; i++) {
        const Sipc__Search__MissingNode *m = r->nodes_missing[i];
        shown_b(&m->address, addr, sizeof addr);
        shown_b(&m->reason, why, sizeof why);
        if (m->node.len)
            printf("PARTIAL: missing %s (%s): %s\n", shown_b(&m->node, node, sizeof node), addr,
                   why);
        else
            printf("PARTIAL: missing %s: %s\n", addr, why);
    }
    if (r->partial && !r->n_nodes_missing)
        printf("PARTIAL: some nodes did not answer\n");
}

/* A word of the query holding '=' outside a "phrase": FTS5 has no such
 * syntax, and the user most likely meant an attribute. */
static int attr_like(const char *q)
{
    int quoted = 0;
    for (; *q; q++) {
        if (*q == '"')
            quoted = !quoted;
        else if (*q == '=' && !quoted)
            return 1;
    }
    return 0;
}

/* A query refused as FTS5 syntax that looks like KEY=VALUE: its message
 * names --attr, with the query itself as the example when it is one plain
 * word (letters, digits and a few marks a shell takes as they are). The
 * example's query is '' (every record): QUERY is required, and --attr alone
 * is a usage error. */
static void attr_hint(const char *q, ctl_reply *rep)
{
    if (rep->err != SIPC_EREMOTE || rep->status != SIPC__SEARCH__STATUS__BAD_QUERY ||
        !attr_like(q))
        return;
    size_t n = strlen(rep->message);
    int plain = strlen(q) <= 60 && q[0] != '=';
    for (const char *p = q; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                (*p >= '0' && *p <= '9') || strchr("=._:/@+,-", *p);
    if (plain)
        snprintf(rep->message + n, sizeof rep->message - n,
                 "; an attribute is matched with --attr KEY=VALUE, not in the query: `sipcctl "
                 "search '' --attr %s`",
                 q);
    else
        snprintf(rep->message + n, sizeof rep->message - n,
                 "; an attribute is matched with --attr KEY=VALUE, not in the query");
}

int cmd_search(void *arg)
{
    ctl *o = arg;
    int rc = ctl_check_args(o, 1, 1);
    if (rc != 0)
        return rc;
    Sipc__Search__QueryRequest m = SIPC__SEARCH__QUERY_REQUEST__INIT;
    Sipc__Search__Attribute av[CLI_LIST_MAX];
    Sipc__Search__Attribute *ap[CLI_LIST_MAX];
    rc = build_request(o, &m, av, ap);
    if (rc != 0)
        return rc;
    size_t len = sipc__search__query_request__get_packed_size(&m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        return ctl_fail(SIPC_EXIT_OSERR, "out of memory");
    }
    sipc__search__query_request__pack(&m, buf);
    ctl_client cl;
    rc = ctl_connect(o, NULL, "search", &cl);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    ctl_reply rep;
    if (ctl_call(&cl, "search", "query", buf, len, &rep) != 0) {
        attr_hint(o->args[0], &rep);
        rc = ctl_report_failure(&cl, "search", "query", &rep);
    } else {
        Sipc__Search__QueryResponse *r =
            sipc__search__query_response__unpack(NULL, rep.len, rep.data);
        if (!r) {
            rc = ctl_fail(SIPC_EXIT_PROTOCOL, "the answer of %s is not a sipc.search.QueryResponse",
                          cl.target);
        } else {
            rc = o->json ? print_json(r) : (print_table(r), 0);
            if (rc == 0 && r->partial)
                rc = EXIT_PARTIAL;
            sipc__search__query_response__free_unpacked(r, NULL);
        }
    }
    fflush(stdout);
    ctl_reply_free(&rep);
    ctl_disconnect(&cl);
    free(buf);
    return rc;
}
