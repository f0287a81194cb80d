/* mgmt_health.c - see mgmt_health.h. */
#include <stdio.h>
#include <string.h>

#include "mgmt_health.h"
#include "services/common/staged_words.h"

const char *sipc_mgmt_health(json_t *problems)
{
    if (json_array_size(problems) == 0)
        return "ok";
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        const char *kind = json_string_value(json_object_get(p, "kind"));
        /* nodes still permissive, and with TLS off beside permissive ones
         * (tls_off): stages of a roll-out or a roll-back */
        if (!kind || (strcmp(kind, "permissive") != 0 && strcmp(kind, "tls_off") != 0))
            return "problems";
    }
    return "migrating";
}

const char *mgmt_str_at(json_t *o, const char *path1, const char *path2)
{
    json_t *v = json_object_get(o, path1);
    if (path2)
        v = json_object_get(v, path2);
    const char *s = json_string_value(v);
    return s ? s : "";
}

const char *mgmt_node_name(json_t *n)
{
    const char *id = mgmt_str_at(n, "node", "id");
    return id[0] ? id : mgmt_str_at(n, "address", NULL);
}

/* n ms as a status text says an age: ms below a second, else seconds */
static void ms_text(json_int_t ms, char *out, size_t len)
{
    if (ms < 1000)
        snprintf(out, len, "%lld ms", (long long)ms);
    else
        snprintf(out, len, "%lld s", (long long)((ms + 500) / 1000));
}

void mgmt_link_age_text(json_t *link, char *out, size_t len)
{
    out[0] = '\0';
    json_t *age = json_object_get(link, "last_error_age_ms");
    if (!json_is_integer(age))
        return; /* an older node's status */
    char ago[32], next[32];
    ms_text(json_integer_value(age), ago, sizeof ago);
    json_t *due = json_object_get(link, "next_attempt_ms");
    if (json_is_true(json_object_get(link, "attempting")))
        snprintf(out, len, "last attempt %s ago, another under way", ago);
    else if (json_is_integer(due)) {
        ms_text(json_integer_value(due), next, sizeof next);
        snprintf(out, len, "last attempt %s ago, next in %s", ago, next);
    } else
        snprintf(out, len, "last attempt %s ago", ago);
    /* its node connected to this one since the link fell: it is up */
    json_t *seen = json_object_get(link, "peer_seen_ms");
    size_t used = strlen(out);
    if (json_is_integer(seen) && used < len) {
        ms_text(json_integer_value(seen), ago, sizeof ago);
        snprintf(out + used, len - used, "; its node connected here %s ago", ago);
    }
}

int mgmt_writes_slow_text(json_t *writes, char *out, size_t len)
{
    out[0] = '\0';
    if (!json_is_true(json_object_get(writes, "slow")))
        return 0;
    char oldest[32], after[32];
    ms_text(json_integer_value(json_object_get(writes, "oldest_wait_ms")), oldest, sizeof oldest);
    /* the threshold as set, not rounded: 2500 is not "3 s" */
    json_int_t slow_ms = json_integer_value(json_object_get(writes, "slow_after_ms"));
    if (slow_ms % 1000)
        snprintf(after, sizeof after, "%lld ms", (long long)slow_ms);
    else
        snprintf(after, sizeof after, "%lld s", (long long)(slow_ms / 1000));
    long long n = json_integer_value(json_object_get(writes, "waiting"));
    /* the causes a write job can wait on, in the order an operator can
     * rule them out; a lock ends in failures after SQLite's busy timeout */
    snprintf(out, len,
             "%lld write%s (%lld bytes) waiting, the oldest for %s (threshold %s, [data] "
             "writes_slow_ms): check for "
             "another process holding records.db's write lock (an sqlite3 shell or a backup "
             "left in a transaction: `fuser -v $SIPC_HOME/data/records.db`; after 5 s of "
             "it the writes fail with \"database is locked\"), a slow or hung disk (`iostat -x 1`, "
             "the kernel's log), or more writes than the disk keeps up with (writes get BUSY "
             "once 64 MiB wait); they are answered once committed",
             n, n == 1 ? "" : "s",
             (long long)json_integer_value(json_object_get(writes, "waiting_bytes")), oldest,
             after);
    return 1;
}

/* A node's build as its status gives it; a node from before build
 * identities gives none. */
static const char *node_build(json_t *n)
{
    const char *b = mgmt_str_at(n, "node", "build");
    return b[0] ? b : "not reported (older)";
}

/* A node's keepalive settings as "15000/10000/60000", or "" when its
 * status has none (a node from before they were reported). */
static void keepalive_text(json_t *n, char *out, size_t len)
{
    json_t *ka = json_object_get(n, "keepalive");
    out[0] = '\0';
    if (json_is_object(ka))
        snprintf(out, len, "%lld/%lld/%lld",
                 (long long)json_integer_value(json_object_get(ka, "keepalive_ms")),
                 (long long)json_integer_value(json_object_get(ka, "keepalive_timeout_ms")),
                 (long long)json_integer_value(json_object_get(ka, "idle_timeout_ms")));
}

/* The distinct values of the reachable nodes, each followed by the nodes
 * that have it: "abc (n1, n3); def (n2)". Returns how many distinct values;
 * nodes for which value() gives "" are left out. */
static int grouped(json_t *nodes, void (*value)(json_t *, char *, size_t), char *out, size_t len)
{
    size_t i, j, w = 0;
    json_t *n, *o;
    int distinct = 0;
    out[0] = '\0';
    json_array_foreach(nodes, i, n)
    {
        char v[128], v2[128];
        if (!json_is_true(json_object_get(n, "reachable")))
            continue;
        value(n, v, sizeof v);
        if (!v[0])
            continue;
        int seen = 0; /* listed with an earlier node */
        for (j = 0; j < i && !seen; j++) {
            o = json_array_get(nodes, j);
            if (!json_is_true(json_object_get(o, "reachable")))
                continue;
            value(o, v2, sizeof v2);
            seen = !strcmp(v, v2);
        }
        if (seen)
            continue;
        distinct++;
        if (w < len)
            w += (size_t)snprintf(out + w, len - w, "%s%s (", w ? "; " : "", v);
        int first = 1;
        json_array_foreach(nodes, j, o)
        {
            if (j < i || !json_is_true(json_object_get(o, "reachable")))
                continue;
            value(o, v2, sizeof v2);
            if (strcmp(v, v2) != 0)
                continue;
            if (w < len)
                w += (size_t)snprintf(out + w, len - w, "%s%s", first ? "" : ", ", mgmt_node_name(o));
            first = 0;
        }
        if (w < len)
            w += (size_t)snprintf(out + w, len - w, ")");
    }
    return distinct;
}

static void build_value(json_t *n, char *out, size_t len)
{
    snprintf(out, len, "%s", node_build(n));
}

static void note(json_t *list, const char *kind, const char *msg)
{
    json_array_append_new(list, json_pack("{s:s, s:s}", "kind", kind, "message", msg));
}

/* Under an organisation's CA ([tls] subject required) every node may hold a
 * certificate of its own: a certificate of node n and one of node o issued
 * by the same CA (issuer: the issuer of o's certificate at hand), each node
 * requiring the same subject, are one cluster's, which pinning fingerprints
 * would call a mismatch. By the issuer's name only (the status carries no
 * more), so a self-signed leaf (its own issuer: two pairs made with one
 * subject are two clusters) never counts. */
static int issued_alike(json_t *n, json_t *o, const char *issuer)
{
    json_t *nt = json_object_get(n, "tls"), *ot = json_object_get(o, "tls");
    const char *ni = mgmt_str_at(nt, "certificate", "issuer");
    json_t *nr = json_object_get(nt, "required_subject");
    return json_is_string(nr) && json_equal(nr, json_object_get(ot, "required_subject")) &&
           ni[0] && strcmp(ni, mgmt_str_at(nt, "certificate", "subject")) != 0 &&
           !strcmp(ni, issuer);
}

/* Whether the certificates n and o present are one CA's (issued_alike). */
static int same_ca(json_t *n, json_t *o)
{
    return issued_alike(n, o, mgmt_str_at(json_object_get(o, "tls"), "certificate", "issuer"));
}

/* The pair a reachable node in a key pair rotation moves to, its leaf's
 * SHA-256 in *fp and issuer in *issuer: the pair it accepts besides its own
 * when staged, the pair it presents once committed. 0 when it rotates to
 * none (no rotation, or no TLS). */
static int rotation_target(json_t *n, const char **fp, const char **issuer)
{
    json_t *tls = json_object_get(n, "tls");
    if (!json_is_true(json_object_get(n, "reachable")) ||
        !json_is_true(json_object_get(tls, "enabled")))
        return 0;
    const char *pair = mgmt_str_at(tls, "rotation", "pair");
    const char *from = !strcmp(pair, "staged") || !strcmp(pair, "rolled_back") ? "rotation"
                       : !strcmp(pair, "previous") ? "certificate"
                                                   : NULL;
    if (!from)
        return 0;
    *fp = mgmt_str_at(tls, from, "fingerprint_sha256");
    *issuer = mgmt_str_at(tls, from, "issuer");
    return (*fp)[0] != '\0';
}

/* Whether n and o rotate to one pair: the same certificate, or with a
 * certificate per node (both requiring the same [tls] subject) ones of the
 * same CA, as issued_alike judges the pairs they present. */
static int same_target(json_t *n, json_t *o)
{
    const char *nfp, *ni, *ofp, *oi;
    if (!rotation_target(n, &nfp, &ni) || !rotation_target(o, &ofp, &oi))
        return 0;
    json_t *nr = json_object_get(json_object_get(n, "tls"), "required_subject");
    return !strcmp(nfp, ofp) ||
           (json_is_string(nr) &&
            json_equal(nr, json_object_get(json_object_get(o, "tls"), "required_subject")) &&
            ni[0] && !strcmp(ni, oi));
}

/* The node whose rotation target the cluster moves to: the one the most
 * reachable nodes share, on a tie the one a committed node presents
 * already; NULL when no node rotates, or two targets tie with nothing to
 * tell them apart (which was meant cannot be told here). */
static json_t *target_node(json_t *nodes)
{
    size_t i, j;
    json_t *n, *o, *best = NULL;
    int best_score = 0, tie = 0;
    const char *fp, *is;
    json_array_foreach(nodes, i, n)
    {
        if (!rotation_target(n, &fp, &is))
            continue;
        /* two points a node, one more for a committed one: a tie of
         * counts goes to the pair that is presented already */
        int score = 0;
        json_array_foreach(nodes, j, o)
            if (same_target(n, o))
                score += 2 + !strcmp(mgmt_str_at(json_object_get(o, "tls"), "rotation", "pair"),
                                     "previous");
        if (best && same_target(best, n))
            continue;
        if (score > best_score) {
            best = n;
            best_score = score;
            tie = 0;
        } else if (score == best_score)
            tie = 1;
    }
    return tie ? NULL : best;
}

/* Whether the reachable node n rotates to another pair than the cluster
 * (target_node), or, when which was meant cannot be told, to a pair not
 * every rotating node shares: committing it would cut the others off. */
static int other_target(json_t *nodes, json_t *n)
{
    const char *fp, *is;
    if (!rotation_target(n, &fp, &is))
        return 0;
    json_t *t = target_node(nodes);
    if (t)
        return !same_target(n, t);
    size_t i;
    json_t *o;
    json_array_foreach(nodes, i, o)
        if (rotation_target(o, &fp, &is) && !same_target(n, o))
            return 1;
    return 0;
}

static void target_value(json_t *n, char *out, size_t len)
{
    const char *fp, *is;
    out[0] = '\0';
    if (rotation_target(n, &fp, &is))
        snprintf(out, len, "sha256 %.16s...", fp);
}

int mgmt_other_target(json_t *nodes, json_t *n, char *out, size_t len)
{
    out[0] = '\0';
    if (!other_target(nodes, n))
        return 0;
    char groups[700];
    grouped(nodes, target_value, groups, sizeof groups);
    json_t *t = target_node(nodes);
    const char *name = mgmt_node_name(n);
    if (!t) {
        /* a tie: no node is the odd one, so one problem names every group,
         * on the first node of them */
        size_t i;
        json_t *o, *first = NULL;
        json_array_foreach(nodes, i, o)
            if (other_target(nodes, o)) {
                first = o;
                break;
            }
        if (first != n)
            return 0;
        snprintf(out, len,
                 "the rotating nodes staged or committed different pairs, as many nodes each, so "
                 "which one is meant cannot be told here (the pair each node staged or "
                 "committed: %s); a node that commits one pair is cut off from the nodes that "
                 "staged another (`tlstool rotate commit` refuses it): stage the same file on "
                 "every node: `tlstool rotate stage FILE --force --reload`, FILE the pair meant, "
                 "on each node that moves to another (where it committed, `tlstool rotate abort "
                 "--reload` first)",
                 groups);
        return 1;
    }
    char which[200];
    snprintf(which, sizeof which, "FILE the pair %s moves to", mgmt_node_name(t));
    snprintf(out, len,
             "%s %s a pair the other rotating nodes did not (the pair each node staged or "
             "committed: %s); a node that commits one pair is cut off from the nodes that "
             "staged another (`tlstool rotate commit` refuses it): stage the same file on every "
             "node: `tlstool rotate stage FILE --force --reload` on %s, %s (where it committed, "
             "`tlstool rotate abort --reload` first)",
             name,
             !strcmp(mgmt_str_at(json_object_get(n, "tls"), "rotation", "pair"), "previous")
                 ? "committed"
                 : "staged",
             groups, name, which);
    return 1;
}

/* Where a reachable node stands in a key pair rotation, from what it
 * presents and the other pair it accepts (its status's tls.rotation):
 * "staged" (presents the old pair, accepts the new: before its commit),
 * "rolled back" (the same after its commit was rolled back: it may go
 * forward again or abandon), "committed" (presents the new pair, accepts
 * the old), "other pair" (staged or committed another pair than the rest:
 * other_target), "not reloaded" (its home holds a step its sipcd does not
 * run: another pair than it presents),
 * "finished" (presents the pair the committed nodes present, or the pair
 * the staged nodes move to, or with a certificate per node one of the same
 * CA, and accepts no other: a finish before the others committed is one
 * too, and staging again there cannot help), "not
 * staged" (anything else); "" without TLS. */
static const char *rotation_step(json_t *nodes, json_t *n)
{
    json_t *tls = json_object_get(n, "tls");
    if (!json_is_true(json_object_get(n, "reachable")) ||
        !json_is_true(json_object_get(tls, "enabled")))
        return "";
    /* a status without the field (an older build) does not say */
    if (!json_object_get(tls, "rotation"))
        return "unknown";
    /* its home holds another pair than it presents (an older build's
     * status does not say): a rotation's step taken without --reload (an
     * import outside a rotation is none) */
    json_t *home = json_object_get(n, "home_pair");
    const char *disk = mgmt_str_at(home, "fingerprint_sha256", NULL),
               *disk_step = mgmt_str_at(home, "rotation", NULL);
    if (disk[0] && strcmp(disk, mgmt_str_at(tls, "certificate", "fingerprint_sha256")) != 0 &&
        (json_is_object(json_object_get(tls, "rotation")) ||
         (disk_step[0] && strcmp(disk_step, "none") != 0)))
        return "not reloaded";
    if (other_target(nodes, n))
        return "other pair";
    const char *pair = mgmt_str_at(tls, "rotation", "pair");
    if (!strcmp(pair, "staged"))
        return "staged";
    if (!strcmp(pair, "rolled_back"))
        return "rolled back";
    if (!strcmp(pair, "previous"))
        return "committed";
    const char *fp = mgmt_str_at(tls, "certificate", "fingerprint_sha256");
    size_t i;
    json_t *o;
    json_array_foreach(nodes, i, o)
    {
        json_t *ot = json_object_get(o, "tls");
        if (!json_is_true(json_object_get(o, "reachable")) || !fp[0])
            continue;
        /* with a certificate per node, the new pair is the new CA's:
         * judged by issuer, as same_ca judges a mismatch */
        if (!strcmp(mgmt_str_at(ot, "rotation", "pair"), "previous") &&
            (!strcmp(mgmt_str_at(ot, "certificate", "fingerprint_sha256"), fp) ||
             same_ca(n, o)))
            return "finished";
        if (strcmp(mgmt_str_at(ot, "rotation", "pair"), "previous") != 0 &&
            (!strcmp(mgmt_str_at(ot, "rotation", "fingerprint_sha256"), fp) ||
             issued_alike(n, o, mgmt_str_at(ot, "rotation", "issuer"))))
            return "finished";
    }
    return "not staged";
}

/* The reachable nodes at step ("n1, n3") in out; how many. */
static int nodes_at_step(json_t *nodes, const char *step, char *out, size_t len)
{
    size_t i, w = 0;
    json_t *n;
    int count = 0;
    out[0] = '\0';
    json_array_foreach(nodes, i, n)
    {
        if (strcmp(rotation_step(nodes, n), step) != 0)
            continue;
        count++;
        if (w < len)
            w += (size_t)snprintf(out + w, len - w, "%s%s", w ? ", " : "", mgmt_node_name(n));
    }
    return count;
}

/* The nodes that could not be asked (the id their peers' links last heard
 * from them, else their address), ", "-joined in out; how many. */
static int unreachable_nodes(json_t *nodes, char *out, size_t len)
{
    size_t i, w = 0;
    json_t *n;
    int count = 0;
    out[0] = '\0';
    json_array_foreach(nodes, i, n)
    {
        if (json_is_true(json_object_get(n, "reachable")))
            continue;
        const char *heard = mgmt_str_at(n, "heard_as", NULL);
        count++;
        if (w < len)
            w += (size_t)snprintf(out + w, len - w, "%s%s", w ? ", " : "",
                                  heard[0] ? heard : mgmt_node_name(n));
    }
    return count;
}

/* The host of "host:port" or "[v6]:port" in out ("" when it has none). */
static void host_of(const char *addr, char *out, size_t len)
{
    const char *end = addr[0] == '[' ? strchr(addr, ']') : strrchr(addr, ':');
    const char *start = addr[0] == '[' ? addr + 1 : addr;
    size_t n = end && end >= start ? (size_t)(end - start) : 0;
    snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), start);
}

/* The node a link leads to, as the note names it: the id of the link's
 * last hello; else the one node of nodes on the link's host (a reachable
 * node by its node.address, one that could not be asked by the address it
 * was asked at and the id its peers heard); else the link's address. */
static const char *link_peer(json_t *nodes, json_t *l)
{
    const char *id = mgmt_str_at(l, "node", NULL), *only = NULL;
    if (id[0])
        return id;
    char want[160], host[160];
    host_of(mgmt_str_at(l, "address", NULL), want, sizeof want);
    size_t i;
    json_t *n;
    int hosts = 0;
    json_array_foreach(nodes, i, n)
    {
        int up = json_is_true(json_object_get(n, "reachable"));
        if (up)
            snprintf(host, sizeof host, "%s", mgmt_str_at(n, "node", "address"));
        else
            host_of(mgmt_str_at(n, "address", NULL), host, sizeof host);
        if (!want[0] || strcmp(host, want) != 0)
            continue;
        hosts++;
        const char *heard = mgmt_str_at(n, "heard_as", NULL);
        only = !up && heard[0] ? heard : mgmt_node_name(n);
    }
    return hosts == 1 ? only : mgmt_str_at(l, "address", NULL);
}

/* The reachable nodes' links that are down, "n1 to n3, n2 to n3" (the
 * peer as link_peer names it), in out; whether any is. A link a node
 * keeps to itself is not between nodes. */
static int links_down_text(json_t *nodes, char *out, size_t len)
{
    size_t i, k, w = 0;
    json_t *n, *l;
    out[0] = '\0';
    json_array_foreach(nodes, i, n)
    {
        char seen[600] = ""; /* the peers named for n already, "|"-joined */
        if (!json_is_true(json_object_get(n, "reachable")))
            continue;
        json_array_foreach(json_object_get(n, "links"), k, l)
        {
            const char *peer = link_peer(nodes, l);
            char key[200];
            snprintf(key, sizeof key, "|%s|", peer);
            if (json_is_true(json_object_get(l, "up")) || !strcmp(peer, mgmt_node_name(n)) ||
                strstr(seen, key))
                continue;
            size_t sl = strlen(seen);
            snprintf(seen + sl, sizeof seen - sl, "%s", key);
            if (w < len)
                w += (size_t)snprintf(out + w, len - w, "%s%s to %s", w ? ", " : "",
                                      mgmt_node_name(n), peer);
        }
    }
    return out[0] != '\0';
}

/* The nodes at step "staged" or "rolled back" (a commit moves either to
 * the staged pair) whose status says their staged pair does not verify as
 * its commit would judge it (tls.rotation.verifies false; each node judges
 * its own): "NOT VERIFIED on n2: the staged pair: REASON; ..."
 * in why and "on n2, complete the staged pair first: FIX" (or, for a
 * defect of the pair's own, the abort that drops it) in fix, "; "-joined,
 * in the words of `tlstool rotate status` there; how many. */
static int staged_unverified(json_t *nodes, char *why, size_t wlen, char *fix, size_t flen)
{
    size_t i, w = 0, f = 0;
    json_t *n;
    int count = 0;
    why[0] = fix[0] = '\0';
    json_array_foreach(nodes, i, n)
    {
        json_t *rot = json_object_get(json_object_get(n, "tls"), "rotation");
        const char *step = rotation_step(nodes, n);
        if ((strcmp(step, "staged") != 0 && strcmp(step, "rolled back") != 0) ||
            !json_is_false(json_object_get(rot, "verifies")))
            continue;
        const char *name = mgmt_node_name(n), *rfix = mgmt_str_at(rot, "fix", NULL);
        char text[1400];
        count++;
        snprintf(text, sizeof text, SIPC_STAGED_NOT_VERIFIED, mgmt_str_at(rot, "reason", NULL));
        if (w < wlen)
            w += (size_t)snprintf(why + w, wlen - w, "%sNOT VERIFIED on %s: %s", w ? "; " : "",
                                  name, text);
        sipc_staged_step(text, sizeof text, json_is_true(json_object_get(rot, "completable")),
                         rfix);
        if (f < flen)
            f += (size_t)snprintf(fix + f, flen - f, "%son %s, %s", f ? "; " : "", name, text);
    }
    return count;
}

/* A key pair rotation in progress: which node is at which step, and the
 * next command, as `tlstool rotate status` and docs/operator-guide.md 1.8
 * give them. "" when no reachable node is rotating. A node that could not
 * be asked, or whose status does not say its step, may be one that missed
 * the rotation: a finish before it commits cuts it off, so no finish is
 * advised without naming it, and no claim is made that the nodes reach
 * each other while one is out of reach or a link between them is down. A
 * staged pair that does not verify is said, with what completes it before
 * its node commits. */
static void rotation_text(json_t *nodes, char *msg, size_t len)
{
    static const char *const steps[] = {"committed", "staged", "finished", "not staged",
                                        "unknown",   "other pair", "rolled back", "not reloaded"};
    static const char *const shown[] = {"committed", "staged", "finished", "not staged",
                                        "does not say its step (an older build)",
                                        "staged or committed a pair the others did not "
                                        "(staged_mismatch)",
                                        "rolled back",
                                        "took a step without a reload: its home holds another "
                                        "pair than its sipcd presents"};
    char names[8][300], where[1700], lost[300], down[600];
    int count[8];
    msg[0] = '\0';
    for (int k = 0; k < 8; k++)
        count[k] = nodes_at_step(nodes, steps[k], names[k], sizeof names[k]);
    if (!count[0] && !count[1] && !count[5] && !count[6] && !count[7])
        return;
    int nlost = unreachable_nodes(nodes, lost, sizeof lost);
    size_t w = 0;
    where[0] = '\0';
    for (int k = 0; k < 8; k++)
        if (count[k] && w < sizeof where)
            w += (size_t)snprintf(where + w, sizeof where - w, "%s%s %s", w ? "; " : "", names[k],
                                  shown[k]);
    if (nlost && w < sizeof where)
        w += (size_t)snprintf(where + w, sizeof where - w, "%s%s could not be asked", w ? "; " : "",
                              lost);
    /* the nodes whose step is not known here, each of which must commit
     * before any node finishes */
    char unknown[700] = "", caution[900] = "";
    snprintf(unknown, sizeof unknown, "%s%s%s", lost, nlost && count[4] ? ", " : "",
             count[4] ? names[4] : "");
    int nunknown = nlost + count[4];
    if (nunknown)
        snprintf(caution, sizeof caution,
                 "%s %s: finish only once %s committed too (`tlstool rotate status` there says "
                 "its step; a finished node refuses a node that has not)",
                 unknown,
                 nlost && !count[4] ? "could not be asked"
                 : !nlost           ? "does not say its step"
                                    : "could not be asked or do not say their step",
                 nunknown == 1 ? "it has" : "they have");
    char bad[3000], fixes[3000], first[3100] = "", next[8000];
    if (staged_unverified(nodes, bad, sizeof bad, fixes, sizeof fixes))
        snprintf(first, sizeof first, "%s; then ", fixes);
    /* a node that commits another pair than the rest cuts them off: the
     * pairs are made one before any commit is advised */
    char same[1200] = "";
    if (count[5])
        snprintf(same, sizeof same,
                 "stage the pair the cluster moves to on %s in place of its own (`tlstool rotate "
                 "stage FILE --force --reload`; where it committed, `tlstool rotate abort "
                 "--reload` first)",
                 names[5]);
    if (count[5] && (count[0] || count[1] || count[6])) {
        size_t at = strlen(same);
        snprintf(same + at, sizeof same - at, "; then %s", first);
        snprintf(first, sizeof first, "%s", same);
    }
    char back[700] = "";
    if (count[0])
        snprintf(back, sizeof back, " on %s first (the nodes that committed)", names[0]);
    if (count[7])
        /* nothing else helps it: every tool sees the step done there */
        snprintf(next, sizeof next,
                 "`sipcctl reload` on %s (from its home, or `systemctl reload sipcd` there): "
                 "until then its sipcd presents the pair it ran before that step; then "
                 "`sipcctl status --cluster` again for the step after",
                 names[7]);
    else if (count[5] && !count[0] && !count[1] && !count[6])
        snprintf(next, sizeof next, "%s", same);
    else if (count[6] && !count[3])
        /* a node that rolled back: the operator goes on or abandons */
        snprintf(next, sizeof next,
                 "to go on with the rotation, %s`tlstool rotate commit --reload` on %s%s%s, one "
                 "node at a time, then `tlstool rotate finish --reload` on each once every node "
                 "has committed; to abandon it, `tlstool rotate abort --reload`%s, then on every "
                 "node%s%s",
                 first, names[6], count[1] ? ", " : "", count[1] ? names[1] : "", back,
                 nunknown ? "; " : "", caution);
    else if (count[3])
        snprintf(next, sizeof next,
                 "stage the new pair on %s (`tlstool rotate stage NEW.pfx --reload`): until it "
                 "has, it refuses the nodes that commit%s%s%s%s",
                 names[3], nunknown ? "; " : "", caution, fixes[0] ? "; " : "", fixes);
    else if (count[1] && count[2])
        /* a node finished early: it accepts the new pair alone, so the
         * staged nodes reach it again only once they present that pair */
        snprintf(next, sizeof next,
                 "%s finished before every node had committed and refuses the pair %s still "
                 "present: %s`tlstool rotate commit --reload` on %s, one node at a time; once "
                 "every node has committed, `tlstool rotate finish --reload` on each%s%s",
                 names[2], names[1], first, names[1], nunknown ? "; " : "", caution);
    else if (count[1])
        snprintf(next, sizeof next,
                 "%s`tlstool rotate commit --reload` on %s, one node at a time; once every node "
                 "has committed, `tlstool rotate finish --reload` on each%s%s",
                 first, names[1], nunknown ? "; " : "", caution);
    else if (nunknown)
        snprintf(next, sizeof next, "%s; then `tlstool rotate finish --reload` on %s", caution,
                 names[0]);
    else
        snprintf(next, sizeof next,
                 "every node has committed: `tlstool rotate finish --reload` on %s", names[0]);
    char how[800];
    if (count[5])
        snprintf(how, sizeof how,
                 "the nodes move to different pairs: a node that commits one is cut off from "
                 "the nodes that staged another");
    else if (count[1] && count[2])
        snprintf(how, sizeof how, "a finished node accepts the new pair alone");
    else if (links_down_text(nodes, down, sizeof down))
        snprintf(how, sizeof how,
                 "each accepts the other pair besides its own, but links between them are "
                 "down: %s",
                 down);
    else if (nunknown)
        snprintf(how, sizeof how, "each accepts the other pair besides its own");
    else
        snprintf(how, sizeof how,
                 "each accepts the other pair besides its own, so the nodes reach each other");
    snprintf(msg, len, "key pair rotation in progress: %s (%s); %s%snext: %s "
                       "(docs/operator-guide.md, section 1.8)",
             where, how, bad, bad[0] ? "; " : "", next);
}

int sipc_mgmt_rotating(json_t *nodes)
{
    char msg[8];
    rotation_text(nodes, msg, sizeof msg);
    return msg[0] != '\0';
}

json_t *sipc_mgmt_notes(json_t *nodes)
{
    json_t *list = json_array();
    char groups[700], msg[12000];
    /* the nodes present two pairs while they rotate, and accept both: a
     * step of the rotation, not a fault (a pair some node does not accept
     * stays a problem: certificate_mismatch) */
    rotation_text(nodes, msg, sizeof msg);
    if (msg[0])
        note(list, "rotation", msg);
    /* a rolling upgrade runs two builds for a while: legitimate, but the
     * operator should see which nodes are done */
    if (grouped(nodes, build_value, groups, sizeof groups) > 1) {
        snprintf(msg, sizeof msg,
                 "the nodes run different builds: %s; expected during a rolling upgrade "
                 "(docs/operator-guide.md, section 6), otherwise install one build everywhere",
                 groups);
        note(list, "mixed_builds", msg);
    }
    /* a change a reload could not apply is not a fault, but the node
     * behaves otherwise after its next restart: say so before that */
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        json_t *r = json_object_get(n, "reload");
        json_t *pending = json_object_get(r, "restart_needed");
        if (!json_is_true(json_object_get(n, "reachable")) || !json_array_size(pending))
            continue;
        char what[600] = "";
        size_t k, w = 0;
        json_t *c;
        json_array_foreach(pending, k, c)
            if (w < sizeof what)
                w += (size_t)snprintf(what + w, sizeof what - w, "%s%s", k ? "; " : "",
                                      json_string_value(c) ? json_string_value(c) : "");
        snprintf(msg, sizeof msg,
                 "%s has changes in its files that wait for a restart (its reload at %s could "
                 "not apply them): %s; they take effect at its next start: restart it when "
                 "convenient, or put the old values back",
                 mgmt_node_name(n), mgmt_str_at(r, "restart_needed_since", NULL), what);
        note(list, "restart_needed", msg);
    }
    /* a refused reload that would go through now (the files load again, the
     * guard or its override lets it through), but the node still runs what
     * it had: not a fault, yet its next reload or start changes it */
    json_array_foreach(nodes, i, n)
    {
        json_t *pend = json_object_get(json_object_get(n, "reload"), "pending");
        if (!json_is_true(json_object_get(n, "reachable")) || !json_is_object(pend))
            continue;
        /* worded by what let the refusal go: for the guard the files always
         * loaded */
        const char *name = mgmt_node_name(n), *since = mgmt_str_at(pend, "since", NULL),
                   *at = mgmt_str_at(pend, "refused_at", NULL),
                   *addr = mgmt_str_at(n, "address", NULL),
                   *cause = mgmt_str_at(pend, "cause", NULL);
        if (json_is_true(json_object_get(pend, "override")))
            snprintf(msg, sizeof msg,
                     "%s: the override of `tlstool mode strict --force` lets its reload refused "
                     "at %s through (since %s): its next reload (`sipcctl reload --node %s`) or "
                     "start goes strict and cuts off the peers still speaking plaintext to it "
                     "(its log names them); until then it runs the configuration it had",
                     name, at, since, addr);
        else if (mgmt_reload_guard_name(cause))
            snprintf(msg, sizeof msg,
                     "%s: its %s no longer holds back its reload refused at %s (since %s), but "
                     "it is not applied: it runs the configuration it had until a reload "
                     "(`sipcctl reload --node %s`) or its next start applies it",
                     name, mgmt_reload_guard_name(cause), at, since, addr);
        else
            snprintf(msg, sizeof msg,
                     "%s: its files load again since %s (its reload refused at %s) but are not "
                     "applied: it runs the configuration it had until a reload (`sipcctl reload "
                     "--node %s`) or its next start applies them",
                     name, since, at, addr);
        note(list, "reload_pending", msg);
    }
    if (grouped(nodes, keepalive_text, groups, sizeof groups) > 1) {
        snprintf(msg, sizeof msg,
                 "the nodes' [limits] keepalive_ms/keepalive_timeout_ms/idle_timeout_ms differ: "
                 "%s; use the same values on every node (docs/configuration.md)",
                 groups);
        note(list, "keepalive_mismatch", msg);
    }
    return list;
}

/* Whether node o's status says it accepts the certificate node n presents:
 * its own, or during a key pair rotation the other pair it has loaded; with
 * a certificate per node, one of that pair's CA (issued_alike). */
static int accepts(json_t *o, json_t *n)
{
    json_t *ot = json_object_get(o, "tls");
    const char *fp = mgmt_str_at(json_object_get(n, "tls"), "certificate", "fingerprint_sha256");
    return !strcmp(mgmt_str_at(ot, "certificate", "fingerprint_sha256"), fp) ||
           !strcmp(mgmt_str_at(ot, "rotation", "fingerprint_sha256"), fp) ||
           (json_is_object(json_object_get(ot, "rotation")) &&
            issued_alike(n, o, mgmt_str_at(ot, "rotation", "issuer")));
}

int mgmt_pair_refused(json_t *nodes, json_t *n, const char *common, char *out, size_t len)
{
    size_t i, w = 0;
    json_t *o;
    out[0] = '\0';
    json_array_foreach(nodes, i, o)
    {
        const char *ofp =
            mgmt_str_at(json_object_get(o, "tls"), "certificate", "fingerprint_sha256");
        if (o == n || !json_is_true(json_object_get(o, "reachable")) || strcmp(ofp, common) != 0)
            continue;
        if (same_ca(n, o))
            continue;
        if (!accepts(o, n) && w < len)
            w += (size_t)snprintf(out + w, len - w, "%s%s does not accept %s's pair",
                                  w ? "; " : "", mgmt_node_name(o), mgmt_node_name(n));
        if (!accepts(n, o) && w < len)
            w += (size_t)snprintf(out + w, len - w, "%s%s does not accept %s's pair",
                                  w ? "; " : "", mgmt_node_name(n), mgmt_node_name(o));
    }
    return w != 0;
}

const char *mgmt_reload_guard_name(const char *cause)
{
    return !cause                          ? NULL
           : !strcmp(cause, "strict_guard") ? "strict guard"
           : !strcmp(cause, "off_guard")    ? "guard of going off"
           : !strcmp(cause, "crl_guard")    ? "CRL guard"
           : !strcmp(cause, "trust_guard")  ? "trust guard"
                                            : NULL;
}
