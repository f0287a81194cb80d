/* off_guard.c - the guard of going off of a reload: a reload that takes
 * TLS off while other nodes run strict (they refuse this node's plaintext
 * links, and its TLS links there fail) is refused as a whole, unless
 * forced; the other nodes are asked the mode they run
 * (sipc_mgmt_peer_modes) before it is judged. */
#include <stdio.h>
#include <string.h>

#include "host.h"
#include "json_text.h"
#include "off_guard.h"
#include "reload_job.h"
#include "rfc3339.h"

int reload_goes_off(const reload_job *j, const host *h)
{
    return sipc_security_mode(h->svc[HOST_DATA].sec) != SIPC_TLS_OFF &&
           sipc_security_mode(j->sec[HOST_DATA]) == SIPC_TLS_OFF;
}

/* The way back without a gap, which the refusal names (as `tlstool
 * disable` does). */
#define OFF_SAFE_ORDER                                                                         \
    "run `tlstool mode permissive --reload` on every node first, then `tlstool disable "       \
    "--reload` on every node (docs/operator-guide.md, 1.7)"

/* Keeps what a node's answer says for the next judgement: one that answers
 * strict is remembered (with when), one that answers another mode
 * forgotten; one that could not be asked leaves it as it was. */
static void remember_mode(host *h, const char *addr, const char *node, const char *mode)
{
    if (!addr || !mode)
        return;
    if (strcmp(mode, "strict")) {
        json_object_del(h->off_strict, addr);
        return;
    }
    char at[32];
    sipc_rfc3339_format(sipc_rfc3339_now_ms(), 0, at, sizeof at);
    if (!h->off_strict)
        h->off_strict = json_object();
    json_object_set_new(h->off_strict, addr,
                        json_pack("{s:o?, s:s}", "node", node ? sipc_json_text(node) : NULL,
                                  "at", at));
}

/* Appends "[, ]TEXT" to list (cap bytes) and counts it. */
static void list_add(char *list, size_t cap, int *count, const char *text)
{
    size_t at = strlen(list);
    snprintf(list + at, cap - at, "%s%s", at ? ", " : "", text);
    ++*count;
}

/* The guard of going off, the strict guard's mirror (off_guard.h). */
int reload_off_guard(reload_job *j, host *h, char *msg, size_t len, char *unknown,
                     size_t unknown_len)
{
    unknown[0] = '\0';
    j->self_note[0] = '\0';
    if (!j->modes)
        return 0;
    char strict[1500] = "", self[1000] = "";
    int nstrict = 0, nunknown = 0, nself = 0;
    size_t i;
    json_t *n;
    json_decref(j->cut_off_strict);
    j->cut_off_strict = NULL;
    json_array_foreach(j->modes, i, n)
    {
        const char *mode = json_string_value(json_object_get(n, "mode"));
        const char *addr = json_string_value(json_object_get(n, "address"));
        const char *node = json_string_value(json_object_get(n, "node"));
        const char *why = json_string_value(json_object_get(n, "error"));
        char one[900];
        snprintf(one, sizeof one, "%s%s%s%s", addr ? addr : "?", node ? " (node " : "",
                 node ? node : "", node ? ")" : "");
        if (node && !strcmp(node, h->cfg.node_id)) {
            list_add(self, sizeof self, &nself, one);
            continue;
        }
        remember_mode(h, addr, node, mode);
        if (mode && strcmp(mode, "strict"))
            continue; /* permissive and off accept plaintext */
        json_t *last = mode || !addr ? NULL : json_object_get(h->off_strict, addr);
        if (last) {
            /* named by the id of the answer remembered: no answer came now */
            const char *was = json_string_value(json_object_get(last, "node"));
            /* no expiry: a node gone longer than any limit may still come
             * back strict, so the refusal says what releases it instead */
            snprintf(one, sizeof one,
                     "%s (%s%s%sit ran strict at its last answer, at %s, and could not be asked "
                     "now: %s; it counts as strict until it answers with another mode, or a "
                     "reload with --force goes off anyway)",
                     addr, was ? "node " : "", was ? was : "", was ? ", " : "",
                     json_string_value(json_object_get(last, "at")), why ? why : "no answer");
        } else if (!mode) {
            size_t at = strlen(one);
            snprintf(one + at, sizeof one - at, " (%s)", why ? why : "no answer");
        }
        list_add(mode || last ? strict : unknown, mode || last ? sizeof strict : unknown_len,
                 mode || last ? &nstrict : &nunknown, one);
        if ((mode || last) && j->force) {
            if (!j->cut_off_strict)
                j->cut_off_strict = json_array();
            json_array_append_new(j->cut_off_strict, sipc_json_text(one));
        }
    }
    if (nself)
        snprintf(j->self_note, sizeof j->self_note,
                 "not counted as %s: %s, which answer%s with this node's own [node] id: this "
                 "node listed in [cluster] nodes under another address than its [node] address, "
                 "or another node with the same id (give it an id of its own)",
                 nself == 1 ? "a peer" : "peers", self, nself == 1 ? "s" : "");
    if (nunknown) {
        char names[1500];
        snprintf(names, sizeof names, "%s", unknown);
        snprintf(unknown, unknown_len,
                 "%s could not be asked the mode %s: a node that runs strict refuses this "
                 "node's plaintext links, and its TLS links here fail, once TLS is off here",
                 names, nunknown == 1 ? "it runs" : "they run");
    }
    if (!nstrict)
        return 0;
    if (j->force) {
        reload_log_each(h, SIPC_LOG_WARN,
                        "Reload forced (--force): going off cuts this node off from the nodes that "
                        "run strict: %s%s",
                        strict, "");
        return 0;
    }
    snprintf(msg, len,
             "reload refused: going off would cut this node off from %s that run%s strict: %s; "
             "%s refuse%s its plaintext links, and %s TLS links here fail; to roll back without "
             "a gap, " OFF_SAFE_ORDER ", or reload with --force, which turns TLS off anyway and "
             "cuts this node off from them%s%s%s%s",
             nstrict == 1 ? "a peer" : "peers", nstrict == 1 ? "s" : "", strict,
             nstrict == 1 ? "it" : "they", nstrict == 1 ? "s" : "", nstrict == 1 ? "its" : "their",
             unknown[0] ? "; also " : "", unknown, j->self_note[0] ? "; " : "", j->self_note);
    return 1;
}
