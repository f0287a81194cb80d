/* cmd_status.c - `sipcctl status [--cluster] [--json]` and `sipcctl
 * metrics`: the management channel. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certs/x509_info.h"
#include "services/common/shown_text.h"
#include "services/common/client_home.h"
#include "services/common/exit_codes.h"
#include "services/common/json_text.h"
#include "services/common/staged_words.h"
#include "services/data/data_validate.h"
#include "services/management/mgmt_health.h"
#include "services/sipcd/peers.h"
#include "sipcctl.h"

/* a link whose PING has waited this long is shown as suspect */
#define SUSPECT_PING_MS 2000

static const char *s_of(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static long long i_of(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* Every string of j (its keys aside) as cli_shown shows it, for the text
 * forms: the answer's names, addresses and errors are the node's words, and
 * its peers'. jansson bounds the depth of what it parsed. */
static void shown_strings(json_t *j)
{
    const char *key;
    json_t *v;
    size_t i;
    if (json_is_object(j)) {
        json_object_foreach(j, key, v)
            shown_strings(v);
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v)
            shown_strings(v);
    } else if (json_is_string(j)) {
        size_t n = json_string_length(j);
        char *out = malloc(4 * n + 6);
        if (out && cli_shown_n(json_string_value(j), n, out, 4 * n + 6))
            json_string_set(j, out);
        free(out);
    }
}

/* The guard's plaintext peers, at most three, in the words of the node's
 * own messages (host_peers_text): "127.0.0.3 (node n3) 45 s ago on the data
 * service". */
static void print_guard_peers(json_t *peers)
{
    host_peer list[3];
    int n = 0;
    size_t i;
    json_t *p;
    json_array_foreach(peers, i, p)
    {
        if (n == 3)
            break;
        host_peer *h = &list[n++];
        snprintf(h->address, sizeof h->address, "%s", s_of(p, "address"));
        snprintf(h->node, sizeof h->node, "%s", s_of(p, "node"));
        snprintf(h->service, sizeof h->service, "%s", s_of(p, "service"));
        h->tls = 0;
        h->last_seen = -(int64_t)i_of(p, "seconds_ago"); /* "now" is 0 below */
    }
    char text[1024];
    host_peers_text(list, n, (int)json_array_size(peers), 0, text, sizeof text);
    fputs(text, stdout);
}

/* The TLS line: the running mode and, when it is not what sipc.conf asks
 * for or going strict would be refused, why (the strict guard). */
static void print_tls(json_t *tls, json_t *guard)
{
    if (!json_is_true(json_object_get(tls, "enabled"))) {
        printf("  TLS: disabled\n");
        return;
    }
    /* what peers' certificates must carry, as tlstool status says it for
     * sipc.conf; this is the running node's, which a reload may change */
    char subj[300] = "";
    if (s_of(tls, "required_subject")[0])
        snprintf(subj, sizeof subj, ", required subject %s", s_of(tls, "required_subject"));
    json_t *peers = json_object_get(guard, "plaintext_peers");
    size_t n = json_array_size(peers);
    if (json_is_true(json_object_get(guard, "held_back")) && !n) {
        /* the peers that held it back have since gone to TLS or out of the
         * window: nothing is cut off any more */
        printf("  TLS: enabled, mode %s%s (configured: strict; held back by the strict guard at "
               "start, but no plaintext peer is seen any more: a plain reload now goes strict)\n",
               s_of(tls, "mode"), subj);
        return;
    }
    if (json_is_true(json_object_get(guard, "held_back"))) {
        printf("  TLS: enabled, mode %s%s (configured: strict; held back by the strict guard: %zu "
               "plaintext peer%s seen: ",
               s_of(tls, "mode"), subj, n, n == 1 ? "" : "s");
        print_guard_peers(peers);
        printf("; reload --force overrides and cuts %s off)\n", n == 1 ? "it" : "them");
        return;
    }
    printf("  TLS: enabled, mode %s%s\n", s_of(tls, "mode"), subj);
    if (n && !strcmp(s_of(tls, "mode"), "permissive")) {
        printf("  strict guard: going strict is refused while plaintext peers are seen within "
               "%lld s: ",
               i_of(guard, "window_s"));
        print_guard_peers(peers);
        printf("\n");
    }
}

/* The peers a forced strict cut off and acknowledged (they hold nothing up
 * until they connect again): whom the operator chose to lose. */
static void print_cut_off(json_t *guard)
{
    json_t *peers = json_object_get(guard, "cut_off_peers");
    size_t n = json_array_size(peers);
    if (!n)
        return;
    printf("  strict guard: %zu peer%s cut off by a forced strict (acknowledged: not counted "
           "until %s again): ",
           n, n == 1 ? "" : "s", n == 1 ? "it connects" : "they connect");
    print_guard_peers(peers);
    printf("\n");
}

/* One health of the storage's shape ("failing", "since", "failures",
 * "last_failure", "last_error") as a line when it fails: 1, else 0. */
static int print_failing(const char *label, json_t *h)
{
    if (!json_is_true(json_object_get(h, "failing")))
        return 0;
    printf("  %s FAIL since %s (%lld write%s failed, the latest at %s): %s\n", label,
           s_of(h, "since"), i_of(h, "failures"), i_of(h, "failures") == 1 ? "" : "s",
           s_of(h, "last_failure"), s_of(h, "last_error"));
    return 1;
}

/* Whether the node can write its log files (an older node says nothing). */
static void print_logs(json_t *logs)
{
    if (!json_is_object(logs))
        return;
    if (print_failing("logs:", logs))
        printf("  logs: their lines go to the node's stderr only (sipcd.out, the journal) and "
               "are held to be written once writes work again; %lld line%s lost so far\n",
               i_of(logs, "lines_lost_total"), i_of(logs, "lines_lost_total") == 1 ? "" : "s");
    else if (i_of(logs, "lines_lost_total"))
        printf("  logs: ok (%lld line%s never reached the files while they failed earlier)\n",
               i_of(logs, "lines_lost_total"), i_of(logs, "lines_lost_total") == 1 ? "" : "s");
    else
        printf("  logs: ok\n");
    long long dropped = i_of(logs, "lines_dropped_total"), cap = i_of(logs, "file_cap_bytes");
    /* the cap is [logs] max_file_size: in the largest unit it is whole in */
    char cap_text[48];
    if (cap >= (1 << 20) && cap % (1 << 20) == 0)
        snprintf(cap_text, sizeof cap_text, "%lld MiB", cap >> 20);
    else if (cap >= 1024 && cap % 1024 == 0)
        snprintf(cap_text, sizeof cap_text, "%lld KiB", cap >> 10);
    else
        snprintf(cap_text, sizeof cap_text, "%lld bytes", cap);
    if (dropped) /* a flood of lines: the disk holds the data too */
        printf("  logs: %lld line%s below ERROR dropped: a day's file reached its cap of %s ([logs] "
               "max_file_size)%s\n",
               dropped, dropped == 1 ? "" : "s", cap_text,
               json_is_true(json_object_get(logs, "capped")) ? " (one of today's is at it)" : "");
}

/* A refused reload and the changes that wait for a restart. */
static void print_reload(json_t *r)
{
    json_t *refused = json_object_get(r, "refused"), *pending = json_object_get(r, "pending");
    const char *guard =
        mgmt_reload_guard_name(s_of(json_is_object(refused) ? refused : pending, "cause"));
    if (json_is_object(refused) && guard)
        printf("  reload: REFUSED at %s (asked by %s) by the %s: %s; the node runs the "
               "configuration it had until a reload goes through\n",
               s_of(refused, "at"), s_of(refused, "by"), guard, s_of(refused, "reason"));
    else if (json_is_object(refused))
        printf("  reload: REFUSED at %s (asked by %s): %s; the node runs the configuration it "
               "had and would not start with the files as they are now: correct them and "
               "reload\n",
               s_of(refused, "at"), s_of(refused, "by"), s_of(refused, "reason"));
    /* worded by what let the refusal go: for the guard the files always loaded */
    if (json_is_object(pending) && json_is_true(json_object_get(pending, "override")))
        printf("  reload pending: the override of `tlstool mode strict --force` lets the reload "
               "refused at %s through (since %s): the next reload or start goes strict and cuts "
               "off the peers still speaking plaintext\n",
               s_of(pending, "refused_at"), s_of(pending, "since"));
    else if (json_is_object(pending) && guard)
        printf("  reload pending: the %s no longer holds back the reload refused at %s "
               "(since %s), but it is not applied until a reload\n",
               guard, s_of(pending, "refused_at"), s_of(pending, "since"));
    else if (json_is_object(pending))
        printf("  reload pending: the files load again (since %s) but are not applied until a "
               "reload\n",
               s_of(pending, "since"));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(r, "restart_needed"), i, c)
        printf("  restart needed (since %s), not applied: %s\n", s_of(r, "restart_needed_since"),
               json_string_value(c) ? json_string_value(c) : "");
}

/* The database's health: one line, and what fails while it does. tls_off:
 * the node runs with TLS off, so that management.ack, which takes only a
 * caller that passed mutual TLS, cannot acknowledge its findings. */
static void print_storage(json_t *storage, const char *addr, int tls_off)
{
    if (!json_is_object(storage))
        return;
    static const char *const ops[] = {"writes", "reads"};
    int failing = print_failing("storage: state/ writes", json_object_get(storage, "state"));
    /* not open: one line with why, instead of writes and reads FAIL */
    json_t *no = json_object_get(storage, "not_open");
    if (json_is_object(no)) {
        failing = 1;
        printf("  storage: NOT OPEN since %s (%lld attempt%s, the latest at %s): %s\n",
               s_of(no, "since"), i_of(no, "attempts"), i_of(no, "attempts") == 1 ? "" : "s",
               s_of(no, "last_attempt"), s_of(no, "reason"));
    }
    for (int k = 0; k < 2 && !json_is_object(no); k++) {
        json_t *h = json_object_get(storage, ops[k]);
        if (!json_is_true(json_object_get(h, "failing")))
            continue;
        failing = 1;
        if (i_of(h, "failures") == 0) /* found at start, before any request */
            printf("  storage: %s FAIL since %s: %s\n", ops[k], s_of(h, "since"),
                   s_of(h, "last_error"));
        else
            printf("  storage: %s FAIL since %s (%lld request%s failed, the latest at %s): %s\n",
                   ops[k], s_of(h, "since"), i_of(h, "failures"),
                   i_of(h, "failures") == 1 ? "" : "s", s_of(h, "last_failure"),
                   s_of(h, "last_error"));
    }
    /* writes held up: nothing fails yet (or ever, on a hung disk), yet
     * they are not ok */
    char slow[900];
    if (mgmt_writes_slow_text(json_object_get(storage, "writes"), slow, sizeof slow)) {
        failing = 1;
        printf("  storage: writes SLOW: %s\n", slow);
    }
    /* committed records found gone at a start: said until the operator
     * acknowledges them (sipcctl ack records-lost, or state/records-lost
     * removed) */
    size_t i, nlost = json_array_size(json_object_get(storage, "records_lost"));
    json_t *l;
    json_array_foreach(json_object_get(storage, "records_lost"), i, l)
    {
        if (s_of(l, "detected")[0])
            printf("  storage: RECORDS LOST (found at the start at %s): %s\n", s_of(l, "detected"),
                   s_of(l, "message"));
        else
            printf("  storage: RECORDS LOST: %s\n", s_of(l, "message"));
    }
    if (nlost && tls_off)
        printf("  storage: once dealt with, acknowledge %s: remove state/records-lost in the "
               "node's home (its TLS is off, and sipcctl ack is taken over TLS only): %s until "
               "then\n",
               nlost == 1 ? "it" : "them", nlost == 1 ? "this stays" : "these stay");
    else if (nlost)
        printf("  storage: once dealt with, acknowledge %s: sipcctl ack records-lost --node %s "
               "(over TLS; or remove state/records-lost in the node's home): %s until then\n",
               nlost == 1 ? "it" : "them", addr, nlost == 1 ? "this stays" : "these stay");
    if (!failing && !nlost)
        printf("  storage: ok\n");
}

/* The keepalive, only when part of it is off: a peer that goes silent may
 * then hold its connection (and a link stay "up") far longer. */
static void print_keepalive(json_t *ka)
{
    if (!json_is_object(ka))
        return; /* a node of an earlier version */
    long long k = i_of(ka, "keepalive_ms"), t = i_of(ka, "keepalive_timeout_ms"),
              i = i_of(ka, "idle_timeout_ms");
    if (k && t && i)
        return;
    char ping[120], idle[80];
    if (!k)
        snprintf(ping, sizeof ping, "off (keepalive_ms = 0): PINGs only while reading is held back");
    else if (!t)
        snprintf(ping, sizeof ping,
                 "PING after %lld ms of silence, no answer awaited (keepalive_timeout_ms = 0)", k);
    else
        snprintf(ping, sizeof ping, "PING after %lld ms of silence, answer within %lld ms", k, t);
    if (i)
        snprintf(idle, sizeof idle, "idle close after %lld ms", i);
    else
        snprintf(idle, sizeof idle, "idle close off (idle_timeout_ms = 0)");
    printf("  keepalive: %s; %s\n", ping, idle);
}

/* How long the pipeline has found its destination addr silent (its
 * "pipeline" section's "unresponsive"), -1 when it has not. */
static long long unresponsive_ms(json_t *st, const char *addr)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(json_object_get(st, "pipeline"), "unresponsive"), i, u)
        if (!strcmp(s_of(u, "address"), addr))
            return i_of(u, "silent_ms");
    return -1;
}

/* One node's status as an operator reads it. */
static void print_node(json_t *st)
{
    json_t *node = json_object_get(st, "node"), *tls = json_object_get(st, "tls");
    json_t *cert = json_object_get(tls, "certificate");
    printf("node %s (%s), cluster %s, up %llds\n", s_of(node, "id"), s_of(node, "address"),
           s_of(node, "cluster"), i_of(node, "uptime_seconds"));
    printf("  %s\n", s_of(node, "version"));
    if (!s_of(node, "build")[0]) /* its version line has no build either */
        printf("  build: not reported (a sipcd older than build identities)\n");
    json_t *last = json_object_get(st, "last_stop");
    if (json_is_false(json_object_get(last, "clean")))
        printf("  last stop: UNCLEAN: the previous run (pid %lld, started %s) was killed or "
               "crashed; its logs' last lines say what it was doing\n",
               i_of(last, "pid"), s_of(last, "started"));
    print_tls(tls, json_object_get(st, "guard"));
    print_cut_off(json_object_get(st, "guard"));
    /* validity first: before its start its days left say nothing; an older
     * node's answer has no validity, and its days left say it all */
    const char *validity = json_is_object(cert) ? s_of(cert, "validity") : "";
    if (json_is_object(cert) && !strcmp(validity, "not_yet_valid"))
        printf("  certificate: %s, sha256 %.16s..., NOT VALID YET: valid from %s (check this "
               "node's clock)\n",
               s_of(cert, "subject"), s_of(cert, "fingerprint_sha256"), s_of(cert, "not_before"));
    else if (json_is_object(cert) &&
             (!strcmp(validity, "expired") || (!validity[0] && i_of(cert, "days_left") < 0)))
        printf("  certificate: %s, sha256 %.16s..., EXPIRED on %s\n", s_of(cert, "subject"),
               s_of(cert, "fingerprint_sha256"), s_of(cert, "not_after"));
    else if (json_is_object(cert))
        printf("  certificate: %s, sha256 %.16s..., expires %s (%lld days left)\n",
               s_of(cert, "subject"), s_of(cert, "fingerprint_sha256"), s_of(cert, "not_after"),
               i_of(cert, "days_left"));
    /* a CRL whose next update is near: under hard its passing refuses
     * every certificate it covers, which no other line says ahead */
    json_t *crl;
    size_t ci;
    json_array_foreach(json_object_get(tls, "crls"), ci, crl)
    {
        if (!json_is_true(json_object_get(crl, "due_soon")) ||
            !json_is_true(json_object_get(crl, "hard")))
            continue;
        char due[1200];
        sipc_crl_due_text(s_of(crl, "issuer"), s_of(crl, "name"),
                          (time_t)i_of(crl, "next_update_unix"), time(NULL), due, sizeof due);
        printf("  WARN: %s\n", due);
    }
    /* a key pair rotation the node has loaded: the other pair it accepts */
    json_t *rot = json_object_get(tls, "rotation");
    const char *rpair = s_of(rot, "pair");
    if (json_is_object(rot))
        printf("  key pair rotation: %s, it also accepts the %s pair (sha256 %.16s...)\n",
               !strcmp(rpair, "staged")        ? "staged (it presents the old pair)"
               : !strcmp(rpair, "rolled_back") ? "rolled back (it presents the old pair again)"
                                               : "committed (it presents the new pair)",
               !strcmp(rpair, "previous") ? "previous" : "staged",
               s_of(rot, "fingerprint_sha256"));
    /* its staged pair as its commit would judge it, in rotate status's words */
    if (json_is_false(json_object_get(rot, "verifies"))) {
        char text[1400], step[1400];
        snprintf(text, sizeof text, SIPC_STAGED_NOT_VERIFIED, s_of(rot, "reason"));
        sipc_staged_step(step, sizeof step, json_is_true(json_object_get(rot, "completable")),
                         s_of(rot, "fix"));
        cli_say_line(stdout, "    NOT VERIFIED", "%s; next: %s", text, step);
    }
    printf("  %-11s %6s  %-10s  %5s  %9s  %7s  %s\n", "SERVICE", "PORT", "LISTENER", "TLS",
           "PLAINTEXT", "OPENING", "PLAINTEXT PEERS");
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(st, "services"), i, s)
    {
        json_t *c = json_object_get(s, "connections");
        char peers[300] = "";
        size_t k;
        json_t *p;
        json_array_foreach(json_object_get(s, "plaintext_peers"), k, p)
        {
            size_t n = strlen(peers);
            snprintf(peers + n, sizeof peers - n, "%s%s%s%s%s", n ? ", " : "", s_of(p, "address"),
                     s_of(p, "node")[0] ? " (" : "", s_of(p, "node"), s_of(p, "node")[0] ? ")" : "");
        }
        const char *mode = s_of(s, "tls");
        printf("  %-11s %6lld  %-10s  %5lld  %9lld  %7lld  %s\n", s_of(s, "name"), i_of(s, "port"),
               !strcmp(mode, "off") ? "plaintext" : !strcmp(mode, "strict") ? "TLS" : "TLS+plain",
               i_of(c, "tls"), i_of(c, "plaintext"), i_of(c, "opening"), peers[0] ? peers : "-");
    }
    /* where the acknowledgement goes: the node's [node] address, unless a
     * wildcard (then the operator knows better how to reach it) */
    const char *addr = s_of(json_object_get(st, "node"), "address");
    if (!addr[0] || !strcmp(addr, "0.0.0.0") || !strcmp(addr, "::") || strchr(addr, ' '))
        addr = "ADDR";
    print_storage(json_object_get(st, "storage"), addr,
                  json_is_false(json_object_get(json_object_get(st, "tls"), "enabled")));
    print_logs(json_object_get(st, "logs"));
    print_reload(json_object_get(st, "reload"));
    print_keepalive(json_object_get(st, "keepalive"));
    json_t *links = json_object_get(st, "links");
    if (json_array_size(links)) {
        printf("  links:\n");
        json_array_foreach(links, i, s)
        {
            int up = json_is_true(json_object_get(s, "up"));
            printf("    %-10s -> %-22s %s%s%s%s%s\n", s_of(s, "service"), s_of(s, "address"),
                   up ? "up" : "DOWN",
                   up ? (json_is_true(json_object_get(s, "tls")) ? ", TLS" : ", plaintext") : "",
                   s_of(s, "since")[0] ? " since " : "", s_of(s, "since"),
                   !up && s_of(s, "last_error")[0] ? "" : "");
            if (up && s_of(s, "tls_refused")[0])
                printf("      TLS refused, not offered again until a reload here or there: %s\n",
                       s_of(s, "tls_refused"));
            if (!up && s_of(s, "last_error")[0]) {
                char age[100];
                mgmt_link_age_text(s, age, sizeof age);
                printf("      last error: %s%s%s%s\n", s_of(s, "last_error"), age[0] ? " (" : "",
                       age, age[0] ? ")" : "");
            }
            /* a live peer answers a PING within milliseconds; the PING
             * went after keepalive_ms of silence, so the peer has been
             * quiet longer than that: both are said, each for what it is */
            if (up && i_of(s, "ping_wait_ms") >= SUSPECT_PING_MS) {
                char quiet[64] = "";
                if (json_is_integer(json_object_get(s, "silent_ms")))
                    snprintf(quiet, sizeof quiet, "nothing received for %lld ms, ",
                             i_of(s, "silent_ms"));
                printf("      SUSPECT: %sno answer to PING for %lld ms (the link goes down when "
                       "that reaches keepalive_timeout_ms)\n",
                       quiet, i_of(s, "ping_wait_ms"));
            }
            long long silent = !strcmp(s_of(s, "service"), "pipeline")
                                   ? unresponsive_ms(st, s_of(s, "address"))
                                   : -1;
            if (silent >= 0)
                printf("      UNRESPONSIVE: nothing received for %lld ms while records waited; "
                       "they are answered UNAVAILABLE at once until it answers again\n",
                       silent);
        }
    }
}

/* Whether the notes have one of kind. */
static int has_note(json_t *notes, const char *kind)
{
    size_t i;
    json_t *n;
    json_array_foreach(notes, i, n)
        if (!strcmp(s_of(n, "kind"), kind))
            return 1;
    return 0;
}

/* The exit code of a cluster answer: 0 ok, 2 migrating, 1 problems (an
 * older node's answer has no "health": graded here by the node's rule). */
static int cluster_exit(json_t *st)
{
    const char *health = s_of(st, "health");
    if (!health[0])
        health = sipc_mgmt_health(json_object_get(st, "problems"));
    return !strcmp(health, "ok") ? 0 : !strcmp(health, "migrating") ? 2 : 1;
}

/* --expect-mode: the nodes that do not run TLS in mode, ", "-joined with
 * what they run instead, and each as {"node", "address", "runs"} in list;
 * 0 when every node does. */
static int off_mode(json_t *st, const char *mode, char *out, size_t len, json_t *list)
{
    int n = 0;
    size_t i, w = 0;
    json_t *node;
    out[0] = '\0';
    json_array_foreach(json_object_get(st, "nodes"), i, node)
    {
        json_t *tls = json_object_get(node, "tls");
        const char *id = s_of(json_object_get(node, "node"), "id");
        const char *runs = !json_is_true(json_object_get(node, "reachable")) ? "unreachable"
                           : !json_is_true(json_object_get(tls, "enabled")) ? "TLS off"
                                                                             : s_of(tls, "mode");
        if (!strcmp(runs, strcmp(mode, "off") ? mode : "TLS off"))
            continue;
        n++;
        /* an unreachable node has no id: named by its address, as problems[] name it */
        const char *name = id[0] ? id : s_of(node, "address");
        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "node", name, "address",
                                              s_of(node, "address"), "runs", runs));
        if (w < len)
            w += (size_t)snprintf(out + w, len - w, "%s%s (%s)", w ? ", " : "", name, runs);
    }
    return n;
}

/* status --cluster when this home's own node refused the connection (its
 * sipcd is down): the cluster as the other nodes of [cluster] nodes see it,
 * the first that answers, so that the operator on the dead node's machine
 * still gets the cluster's view (this node in it as unreachable). 0 with
 * rep filled and asked naming the node asked, or -1 when none answered (each
 * said on stderr). */
static int cluster_elsewhere(const ctl *o, const sipc_config *cfg, ctl_reply *rep, char *asked,
                             size_t alen)
{
    /* a client-only home has no entry of its own, whatever its default
     * [node] address says */
    int client = sipc_cli_home_client_only(cfg);
    for (int i = 0; i < cfg->nnodes; i++) {
        char host[160], target[200];
        int port;
        if ((!client && sipc_config_node_is_self(cfg, i)) ||
            sipc_config_node_service(cfg, i, "management", host, sizeof host, &port) != 0)
            continue;
        snprintf(target, sizeof target, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
        ctl_client cl;
        if (ctl_connect(o, target, "management", &cl) != 0)
            continue;
        if (ctl_call(&cl, "management", "cluster", NULL, 0, rep) == 0) {
            snprintf(asked, alen, "%s", cl.target);
            ctl_disconnect(&cl);
            return 0;
        }
        char fix[900], line[1400];
        ctl_failure_text(&cl, rep, line, sizeof line, fix, sizeof fix);
        fprintf(stderr, "sipcctl: management.cluster to %s failed too: %s%s\n", cl.target, line,
                fix);
        ctl_reply_free(rep);
        ctl_disconnect(&cl);
    }
    return -1;
}

int cmd_status(void *arg)
{
    ctl *o = arg;
    int rc = ctl_check_args(o, 0, 0);
    if (rc != 0)
        return rc;
    if (o->expect_mode && !o->cluster)
        return ctl_fail(SIPC_EXIT_USAGE, "--expect-mode goes with --cluster (see sipcctl status --help)");
    if (o->expect_mode && strcmp(o->expect_mode, "off") && strcmp(o->expect_mode, "permissive") &&
        strcmp(o->expect_mode, "strict"))
        return ctl_fail(SIPC_EXIT_USAGE, "--expect-mode must be off, permissive or strict, not '%s'",
                        o->expect_mode);
    ctl_client cl;
    const char *method = o->cluster ? "cluster" : "status";
    ctl_reply rep;
    char asked[200] = "", home_down[1600] = "";
    sipc_config cfg;
    /* a client-only home has no node of its own: the cluster as its
     * [cluster] nodes see it, the first that answers */
    if (o->cluster && !(o->node && *o->node) &&
        sipc_config_load_or_defaults(&cfg, o->home, NULL, 0) == 0 && sipc_cli_home_client_only(&cfg)) {
        memset(&cl, 0, sizeof cl);
        if (cluster_elsewhere(o, &cfg, &rep, asked, sizeof asked) == 0) {
            snprintf(cl.target, sizeof cl.target, "%s", asked);
            goto answered;
        }
        return ctl_fail(SIPC_EXIT_UNAVAILABLE, "management.cluster: no node of [cluster] nodes in "
                                        "%s/sipc.conf answered",
                        cfg.home);
    }
    rc = ctl_connect(o, NULL, "management", &cl);
    if (rc != 0)
        return rc;
    if (ctl_call(&cl, "management", method, NULL, 0, &rep) != 0) {
        int refused = rep.err == UV_ECONNREFUSED && cl.home_node && o->cluster;
        if (refused && cl.cfg.nnodes > 1) {
            /* this home's node is down: the others know the cluster */
            ctl_home_node_down(&cl, home_down, sizeof home_down);
            fprintf(stderr,
                    "sipcctl: management.cluster to %s failed: connection refused: %s; asking "
                    "the other nodes of [cluster] nodes instead\n",
                    cl.target, home_down);
            ctl_reply_free(&rep);
            if (cluster_elsewhere(o, &cl.cfg, &rep, asked, sizeof asked) == 0) {
                fprintf(stderr, "sipcctl: the cluster as %s sees it (this home's node, %s, is "
                                "down):\n",
                        asked, cl.target);
                goto answered;
            }
            ctl_reply_free(&rep);
            rc = ctl_fail(SIPC_EXIT_UNAVAILABLE, "management.cluster: neither this home's node (%s) nor "
                                          "any other node of [cluster] nodes answered",
                          cl.target);
            ctl_disconnect(&cl);
            return rc;
        }
        rc = ctl_report_failure(&cl, "management", method, &rep);
        ctl_reply_free(&rep);
        ctl_disconnect(&cl);
        return rc;
    }
answered:;
    json_error_t je;
    json_t *st = json_loadb((const char *)rep.data, rep.len, 0, &je);
    ctl_reply_free(&rep);
    ctl_disconnect(&cl);
    if (!json_is_object(st)) {
        json_decref(st);
        return ctl_fail(SIPC_EXIT_PROTOCOL, "management.%s from %s is not JSON: %s", method, cl.target,
                        je.text);
    }
    rc = o->cluster ? cluster_exit(st) : 0;
    /* answered by another node for this home's, which is down */
    if (asked[0]) {
        json_object_set_new(st, "answered_by", sipc_json_text(asked));
        if (home_down[0]) /* none for a client-only home */
            json_object_set_new(st, "home_node_down", sipc_json_text(home_down));
    }
    /* an older coordinator's answer has no "notes": made here by the
     * node's rule */
    if (o->cluster && !json_is_array(json_object_get(st, "notes")))
        json_object_set_new(st, "notes", sipc_mgmt_notes(json_object_get(st, "nodes")));
    if (!o->json)
        shown_strings(st);
    char others[600] = "";
    json_t *not_in = json_array();
    int nothers = o->expect_mode ? off_mode(st, o->expect_mode, others, sizeof others, not_in) : 0;
    if (o->expect_mode) {
        /* the findings the expected mode brings (permissive) are no failure */
        /* no node at all is no cluster in any mode */
        rc = nothers || !json_array_size(json_object_get(st, "nodes")) || rc == 1 ||
                     (rc == 2 && strcmp(o->expect_mode, "permissive"))
                 ? 1
                 : 0;
        /* "ok" and "health" keep grading the cluster; these say what the
         * exit code says */
        json_object_set_new(st, "expect_mode", json_string(o->expect_mode));
        json_object_set_new(st, "expect_met", json_boolean(rc == 0));
        json_object_set(st, "not_in_mode", not_in);
    }
    json_decref(not_in);
    if (o->json) {
        ctl_print_json(st, JSON_INDENT(2));
    } else if (!o->cluster) {
        print_node(st);
    } else {
        size_t i;
        json_t *n;
        json_t *nodes = json_object_get(st, "nodes");
        json_array_foreach(nodes, i, n)
        {
            if (json_is_true(json_object_get(n, "reachable")))
                print_node(n);
            else
                printf("node %s%sat %s: UNREACHABLE: %s\n", s_of(n, "heard_as"),
                       s_of(n, "heard_as")[0] ? " " : "", s_of(n, "address"), s_of(n, "error"));
            /* a node the answering node's [cluster] nodes lacks */
            if (s_of(n, "listed_by")[0])
                printf("  asked as %s lists it: not in the [cluster] nodes of the node asked\n",
                       s_of(n, "listed_by"));
        }
        json_t *problems = json_object_get(st, "problems"), *notes = json_object_get(st, "notes");
        size_t np = json_array_size(problems), nn = json_array_size(nodes);
        size_t nnotes = json_array_size(notes);
        int health = cluster_exit(st);
        /* waiting for permissive, a node's finding that it is permissive is
         * the mode asked for, not what holds the wait up: left out of the
         * count and the list when the wait is not over (listed, as that
         * mode's findings, when it is) */
        int skip_mode = o->expect_mode && !strcmp(o->expect_mode, "permissive") && nn && rc != 0;
        size_t nmode = 0, noff = 0;
        json_array_foreach(problems, i, n)
        {
            nmode += skip_mode && !strcmp(s_of(n, "kind"), "permissive");
            noff += !strcmp(s_of(n, "kind"), "tls_off");
        }
        size_t nleft = np - nmode;
        /* the mode as a node runs it: "permissive", "with TLS off" */
        const char *in = !o->expect_mode ? "" : strcmp(o->expect_mode, "off") ? o->expect_mode
                                                                              : "with TLS off";
        /* with --expect-mode the verdict is whether the cluster is in that
         * mode: the headline says what the exit code says */
        if (o->expect_mode && rc == 0)
            printf("cluster IN MODE %s: %zu node%s, every one %s, nothing else flagged%s\n",
                   o->expect_mode, nn, nn == 1 ? "" : "s", in,
                   np ? " (the findings of that mode below)" : "");
        else if (o->expect_mode && nn == 0)
            printf("cluster NOT IN MODE %s: the answer lists no node; %zu finding%s%s\n",
                   o->expect_mode, np, np == 1 ? "" : "s", np ? ":" : "");
        else if (o->expect_mode && !nothers)
            printf("cluster NOT IN MODE %s: %s%zu node%s run%s %s, but %zu finding%s %s left%s\n",
                   o->expect_mode, nn == 1 ? "" : "all ", nn, nn == 1 ? "" : "s",
                   nn == 1 ? "s" : "", in, nleft, nleft == 1 ? "" : "s",
                   nleft == 1 ? "is" : "are", nleft ? ":" : "");
        else if (o->expect_mode)
            printf("cluster NOT IN MODE %s: %d node%s in another mode%s; %zu finding%s%s\n",
                   o->expect_mode, nothers, nothers == 1 ? "" : "s", nothers ? " (named below)" : "",
                   nleft, nleft == 1 ? "" : "s", nleft ? ":" : "");
        else if (np == 0)
            printf("cluster OK: %zu node%s, %s\n", nn, nn == 1 ? "" : "s",
                   has_note(notes, "rotation")
                       ? "no problem; a key pair rotation is in progress (its steps and the next "
                         "command in the note below)"
                   : nnotes ? "no problem (notes below)"
                            : "nothing to report");
        else if (health == 2 && noff)
            printf("cluster MIGRATING: TLS is off on %zu of %zu nodes, permissive on the others: "
                   "no node refuses another; a roll-out goes on with `tlstool enable --mode "
                   "permissive --reload` on the nodes with TLS off, a roll-back with `tlstool "
                   "disable --reload` on the permissive ones (docs/operator-guide.md 1.5, 1.7)\n",
                   noff, nn);
        else if (health == 2)
            printf("cluster MIGRATING: TLS is on everywhere and no plaintext peer is left; %zu of "
                   "%zu node%s still accept%s plaintext (mode permissive): going strict cuts no "
                   "one off (tlstool mode strict --reload, node by node)\n",
                   np, nn, nn == 1 ? "" : "s", np == 1 ? "s" : "");
        else
            printf("PROBLEMS (%zu):\n", np);
        json_array_foreach(problems, i, n)
            if (!skip_mode || strcmp(s_of(n, "kind"), "permissive") != 0)
                printf("  - %s\n", s_of(n, "message"));
        if (nmode)
            printf("(%zu node%s still accept%s plaintext, mode permissive: the mode asked for, not "
                   "listed)\n",
                   nmode, nmode == 1 ? "" : "s", nmode == 1 ? "s" : "");
        if (nothers)
            printf("NOT IN MODE %s: %s\n", o->expect_mode, others);
        /* differences that are no problem (a rolling upgrade's two builds) */
        json_array_foreach(notes, i, n)
            printf("note: %s\n", s_of(n, "message"));
    }
    json_decref(st);
    return rc;
}

int cmd_metrics(void *arg)
{
    ctl *o = arg;
    int rc = ctl_check_args(o, 0, 0);
    if (rc != 0)
        return rc;
    ctl_client cl;
    rc = ctl_connect(o, NULL, "management", &cl);
    if (rc != 0)
        return rc;
    ctl_reply rep;
    json_t *text;
    if (ctl_call(&cl, "management", "metrics", NULL, 0, &rep) != 0) {
        rc = ctl_report_failure(&cl, "management", "metrics", &rep);
    } else if (!o->json) {
        /* the node's text: its labels may name peers */
        cli_shown_lines(stdout, rep.data, rep.len);
    } else if ((text = json_stringn(rep.len ? (const char *)rep.data : "", rep.len))) {
        /* the Prometheus text as it came, for a script that reads only JSON */
        json_t *j = json_pack("{s:o}", "metrics", text);
        ctl_print_json(j, JSON_INDENT(2));
        json_decref(j);
    } else {
        rc = ctl_fail(SIPC_EXIT_PROTOCOL, "management.metrics from %s is not text", cl.target);
    }
    ctl_reply_free(&rep);
    ctl_disconnect(&cl);
    return rc;
}
