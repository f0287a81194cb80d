/* cmd_data.c - `sipcctl put|get|list`: records of the data service. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data.pb-c.h"
#include "rfc3339.h"
#include "search_time.h"
#include "services/common/exit_codes.h"
#include "services/common/shown_text.h"
#include "services/common/json_text.h"
#include "sipcctl.h"

/* Reads all of fp (at most max bytes) into a malloc'd buffer. */
static int read_all(FILE *fp, uint8_t **out, size_t *len, size_t max)
{
    size_t cap = 65536, n = 0;
    uint8_t *b = malloc(cap);
    if (!b)
        return SIPC_ENOMEM;
    size_t got;
    while ((got = fread(b + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n > max) {
            free(b);
            return SIPC_ETOOBIG;
        }
        if (n == cap) {
            uint8_t *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                return SIPC_ENOMEM;
            }
            b = nb;
            cap *= 2;
        }
    }
    if (ferror(fp)) {
        free(b);
        return SIPC_EINVAL;
    }
    *out = b;
    *len = n;
    return 0;
}

/* data.METHOD with m, packed here, on cl: ctl_call's result (an id of any
 * length goes: the node names its limit). */
static int call_msg(ctl_client *cl, const char *method, const ProtobufCMessage *m,
                    ctl_reply *rep)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        memset(rep, 0, sizeof *rep);
        rep->err = SIPC_ENOMEM;
        snprintf(rep->message, sizeof rep->message, "out of memory");
        return rep->err;
    }
    protobuf_c_message_pack(m, buf);
    int e = ctl_call(cl, "data", method, buf, len, rep);
    free(buf);
    return e;
}

/* A failed data call: the service's status name and message. */
static int data_failure(ctl_client *cl, const char *method, const ctl_reply *rep)
{
    if (rep->err == SIPC_EREMOTE) {
        char shown[2100]; /* the service's words */
        cli_shown(rep->message, shown, sizeof shown);
        /* a record lives on the node that stored it: one get misses the others */
        char where[400] = "";
        if (rep->status == SIPC__DATA__STATUS__NOT_FOUND && !strcmp(method, "get")) {
            char node[260];
            cli_shown(cl->link.peer_node, node, sizeof node);
            snprintf(where, sizeof where,
                     " (get asks node %s only; `sipcctl search` asks every node)", node);
        }
        return ctl_fail(1, "data.%s to %s: %s: %s%s", method, cl->target,
                        rep->status == SIPC__DATA__STATUS__NOT_FOUND ? "not found"
                        : rep->status == SIPC__DATA__STATUS__INVALID ? "invalid"
                        : rep->status == SIPC__DATA__STATUS__TOO_LARGE ? "too large"
                        : rep->status == SIPC__DATA__STATUS__BUSY ? "busy, retry later"
                                                                   : "refused",
                        shown, where);
    }
    return ctl_report_failure(cl, "data", method, rep);
}

int cmd_put(void *arg)
{
    ctl *o = arg;
    int from_stdin = o->nargs == 2 && !strcmp(o->args[1], "-");
    /* a missing ID or a stray word is named as for every command; only
     * "-" may follow the ID */
    int rc = ctl_check_args(o, 1, from_stdin ? 2 : 1);
    if (rc != 0)
        return rc;
    int sources = !!o->body + !!o->body_file + from_stdin;
    if (sources != 1) {
        return ctl_fail(SIPC_EXIT_USAGE, "put ID needs exactly one of --body TEXT, --body-file F or - "
                                  "(standard input) (see sipcctl put --help)");
    }
    int64_t ts = 0;
    char terr[200];
    if (o->timestamp && search_time_parse(o->timestamp, &ts, terr, sizeof terr) != 0) {
        return ctl_fail(SIPC_EXIT_USAGE, "--timestamp: %s", terr);
    }
    if (!o->timestamp)
        ts = sipc_rfc3339_now_ms();
    Sipc__Data__Attribute attrs[CLI_LIST_MAX], *aptr[CLI_LIST_MAX];
    char keys[CLI_LIST_MAX][256];
    for (int i = 0; i < o->attrs.n; i++) {
        const char *v;
        if (ctl_attr_split(o->attrs.items[i], keys[i], sizeof keys[i], &v) != 0) {
            return ctl_fail(SIPC_EXIT_USAGE, "--attr '%s' is not KEY=VALUE", o->attrs.items[i]);
        }
        sipc__data__attribute__init(&attrs[i]);
        attrs[i].key = (ProtobufCBinaryData){strlen(keys[i]), (uint8_t *)keys[i]};
        attrs[i].value = (ProtobufCBinaryData){strlen(v), (uint8_t *)v};
        aptr[i] = &attrs[i];
    }
    uint8_t *body = NULL;
    size_t blen = 0;
    if (o->body) {
        blen = strlen(o->body);
    } else {
        FILE *fp = ctl_open_input(from_stdin ? "-" : o->body_file);
        if (!fp)
            return SIPC_EXIT_NOINPUT;
        int r = read_all(fp, &body, &blen, 64u << 20);
        if (fp != stdin)
            fclose(fp);
        if (r != 0) {
            return ctl_fail(SIPC_EXIT_NOINPUT, "cannot read the body: %s", sipc_strerror(r));
        }
    }
    Sipc__Data__Record rec = SIPC__DATA__RECORD__INIT;
    rec.id = (ProtobufCBinaryData){strlen(o->args[0]), (uint8_t *)o->args[0]};
    rec.timestamp_ms = ts;
    rec.n_attributes = (size_t)o->attrs.n;
    rec.attributes = aptr;
    rec.body = (ProtobufCBinaryData){blen, body ? body : (uint8_t *)o->body};
    Sipc__Data__PutRequest req = SIPC__DATA__PUT_REQUEST__INIT;
    req.record = &rec;
    size_t len = sipc__data__put_request__get_packed_size(&req);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        free(body);
        return SIPC_EXIT_SOFTWARE;
    }
    sipc__data__put_request__pack(&req, buf);
    free(body);
    ctl_client cl;
    rc = ctl_connect(o, NULL, "data", &cl);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    ctl_reply rep;
    if (ctl_call(&cl, "data", "put", buf, len, &rep) != 0) {
        rc = data_failure(&cl, "put", &rep);
    } else {
        Sipc__Data__PutResponse *res = sipc__data__put_response__unpack(NULL, rep.len, rep.data);
        const char *what = !res                                           ? "stored"
                           : res->result == SIPC__DATA__PUT_RESULT__CREATED ? "stored"
                           : res->result == SIPC__DATA__PUT_RESULT__UNCHANGED
                               ? "already stored, unchanged"
                               : "stored, replacing the previous record";
        if (o->json) {
            /* "stored": the answer did not say which */
            const char *result = !res ? "stored"
                                 : res->result == SIPC__DATA__PUT_RESULT__CREATED   ? "created"
                                 : res->result == SIPC__DATA__PUT_RESULT__UNCHANGED ? "unchanged"
                                                                                    : "replaced";
            json_t *j = json_pack("{s:o, s:s, s:o}", "id", sipc_json_text(o->args[0]), "result",
                                  result, "node", sipc_json_text(cl.link.peer_node));
            ctl_print_json(j, JSON_INDENT(2));
            json_decref(j);
        } else {
            printf("%s: %s on node %s\n", o->args[0], what, cl.link.peer_node);
        }
        sipc__data__put_response__free_unpacked(res, NULL);
    }
    ctl_reply_free(&rep);
    free(buf);
    ctl_disconnect(&cl);
    return rc;
}

static json_t *record_json(const Sipc__Data__Record *r)
{
    char ts[40];
    search_time_format(r->timestamp_ms, ts, sizeof ts);
    json_t *attrs = json_object();
    for (size_t i = 0; i < r->n_attributes; i++) {
        char *k = strndup((const char *)r->attributes[i]->key.data, r->attributes[i]->key.len);
        json_object_set_new(attrs, k ? k : "",
                            json_stringn((const char *)r->attributes[i]->value.data,
                                         r->attributes[i]->value.len));
        free(k);
    }
    json_t *o = json_pack("{s:s%, s:s, s:o}", "id", (const char *)r->id.data, r->id.len,
                          "timestamp", ts, "attributes", attrs);
    if (r->body.len || r->body.data) {
        json_t *b = json_stringn((const char *)r->body.data, r->body.len);
        /* a body that is not UTF-8 cannot be a JSON string */
        json_object_set_new(o, "body", b ? b : json_string("(binary body, use sipcctl get)"));
    }
    return o;
}

int cmd_get(void *arg)
{
    ctl *o = arg;
    int rc = ctl_check_args(o, 1, 1);
    if (rc != 0)
        return rc;
    Sipc__Data__GetRequest req = SIPC__DATA__GET_REQUEST__INIT;
    req.id = (ProtobufCBinaryData){strlen(o->args[0]), (uint8_t *)o->args[0]};
    ctl_client cl;
    rc = ctl_connect(o, NULL, "data", &cl);
    if (rc != 0)
        return rc;
    ctl_reply rep;
    if (call_msg(&cl, "get", &req.base, &rep) != 0) {
        rc = data_failure(&cl, "get", &rep);
    } else {
        Sipc__Data__GetResponse *res = sipc__data__get_response__unpack(NULL, rep.len, rep.data);
        if (!res || !res->record) {
            rc = ctl_fail(SIPC_EXIT_PROTOCOL, "data.get: the answer is not a GetResponse");
        } else if (o->json) {
            json_t *j = record_json(res->record);
            ctl_print_json(j, JSON_INDENT(2));
            json_decref(j);
        } else {
            const ProtobufCBinaryData *b = &res->record->body;
            /* a pipe or a file gets the body byte for byte; a terminal gets
             * it as cli_shown shows it (a stored escape sequence must not act
             * on it), and the prompt must not follow the body on its line */
            int tty = isatty(STDOUT_FILENO);
            if (tty)
                cli_shown_lines(stdout, b->data, b->len);
            else
                fwrite(b->data, 1, b->len, stdout);
            if (b->len && b->data[b->len - 1] != '\n' && tty)
                putchar('\n');
        }
        sipc__data__get_response__free_unpacked(res, NULL);
    }
    ctl_reply_free(&rep);
    ctl_disconnect(&cl);
    return rc;
}

/* Deletes on one node: a record lives where it was stored, so an id
 * stored twice (its owner changed with [cluster] nodes) needs a delete on
 * each node that holds it. Not there is no failure: the record is gone. */
int cmd_delete(void *arg)
{
    ctl *o = arg;
    int rc = ctl_check_args(o, 1, 1);
    if (rc != 0)
        return rc;
    Sipc__Data__DeleteRequest req = SIPC__DATA__DELETE_REQUEST__INIT;
    req.id = (ProtobufCBinaryData){strlen(o->args[0]), (uint8_t *)o->args[0]};
    ctl_client cl;
    rc = ctl_connect(o, NULL, "data", &cl);
    if (rc != 0)
        return rc;
    ctl_reply rep;
    if (call_msg(&cl, "delete", &req.base, &rep) != 0) {
        rc = data_failure(&cl, "delete", &rep);
    } else {
        Sipc__Data__DeleteResponse *res =
            sipc__data__delete_response__unpack(NULL, rep.len, rep.data);
        if (!res) {
            rc = ctl_fail(SIPC_EXIT_PROTOCOL, "data.delete: the answer is not a DeleteResponse");
        } else if (o->json) {
            json_t *j = json_pack("{s:o, s:b, s:o}", "id", sipc_json_text(o->args[0]), "deleted",
                                  res->deleted, "node", sipc_json_text(cl.link.peer_node));
            ctl_print_json(j, JSON_INDENT(2));
            json_decref(j);
        } else {
            char id[1100], node[260];
            cli_shown(o->args[0], id, sizeof id);
            cli_shown(cl.link.peer_node, node, sizeof node);
            printf("%s: %s node %s\n", id, res->deleted ? "deleted from" : "not stored on",
                   node);
        }
        sipc__data__delete_response__free_unpacked(res, NULL);
    }
    ctl_reply_free(&rep);
    ctl_disconnect(&cl);
    return rc;
}

int cmd_list(void *arg)
{
    ctl *o = arg;
    int rc = ctl_check_args(o, 0, 0);
    if (rc != 0)
        return rc;
    int64_t from = 0, to = 0;
    char terr[200];
    if ((o->since && search_time_parse(o->since, &from, terr, sizeof terr) != 0) ||
        (o->until && search_time_parse(o->until, &to, terr, sizeof terr) != 0)) {
        return ctl_fail(SIPC_EXIT_USAGE, "--since/--until: %s", terr);
    }
    ctl_client cl;
    rc = ctl_connect(o, NULL, "data", &cl);
    if (rc != 0)
        return rc;
    json_t *all = o->json ? json_array() : NULL;
    int shown = 0, limit = o->limit > 0 ? o->limit : 1000;
    Sipc__Data__ListCursor after = SIPC__DATA__LIST_CURSOR__INIT;
    uint8_t *after_id = NULL;
    int have_after = 0;
    if (!o->json)
        printf("%-24s  %-32s  %s\n", "TIME", "ID", "ATTRIBUTES");
    while (rc == 0 && shown < limit) {
        Sipc__Data__ListRequest req = SIPC__DATA__LIST_REQUEST__INIT;
        req.from_ms = from;
        req.to_ms = to;
        req.limit = (uint32_t)(limit - shown < 500 ? limit - shown : 500);
        req.after = have_after ? &after : NULL;
        ctl_reply rep;
        if (call_msg(&cl, "list", &req.base, &rep) != 0) {
            rc = data_failure(&cl, "list", &rep);
            ctl_reply_free(&rep);
            break;
        }
        Sipc__Data__ListResponse *res = sipc__data__list_response__unpack(NULL, rep.len, rep.data);
        ctl_reply_free(&rep);
        if (!res) {
            rc = ctl_fail(SIPC_EXIT_PROTOCOL, "data.list: the answer is not a ListResponse");
            break;
        }
        for (size_t i = 0; i < res->n_records && shown < limit; i++, shown++) {
            Sipc__Data__Record *r = res->records[i];
            if (all) {
                json_array_append_new(all, record_json(r));
                continue;
            }
            /* a stored record's bytes, as cli_shown_n shows them */
            char ts[40], attrs[1024] = "", id[300], key[200], val[400];
            search_time_format(r->timestamp_ms, ts, sizeof ts);
            for (size_t k = 0; k < r->n_attributes; k++) {
                size_t n = strlen(attrs);
                cli_shown_n(r->attributes[k]->key.data, r->attributes[k]->key.len, key, sizeof key);
                cli_shown_n(r->attributes[k]->value.data, r->attributes[k]->value.len, val,
                            sizeof val);
                snprintf(attrs + n, sizeof attrs - n, "%s%s=%s", k ? " " : "", key, val);
            }
            cli_shown_n(r->id.data, r->id.len, id, sizeof id);
            printf("%-24s  %-32s  %s\n", ts, id, attrs);
        }
        int more = res->more && res->next;
        if (more) {
            free(after_id);
            after_id = malloc(res->next->id.len ? res->next->id.len : 1);
            if (after_id)
                memcpy(after_id, res->next->id.data, res->next->id.len);
            after.timestamp_ms = res->next->timestamp_ms;
            after.id = (ProtobufCBinaryData){res->next->id.len, after_id};
            have_after = 1;
        }
        sipc__data__list_response__free_unpacked(res, NULL);
        if (!more)
            break;
    }
    free(after_id);
    if (all && rc == 0) {
        ctl_print_json(all, JSON_INDENT(2));
    } else if (rc == 0) {
        printf("%d record%s\n", shown, shown == 1 ? "" : "s");
    }
    json_decref(all);
    ctl_disconnect(&cl);
    return rc;
}
