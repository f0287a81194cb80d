/* cmd_enable.c - `tlstool enable`, `tlstool mode` and `tlstool disable`:
 * turn TLS on or off for this node's services ([tls] enable in sipc.conf)
 * and choose its mode ([tls] mode); with --reload, the running node is asked
 * to apply it at once (reload.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "certs/tool/store.h"
#include "services/common/client_home.h"
#include "services/common/shown_text.h"
#include "services/sipcd/peers.h"
#include "services/tlstool/running_line.h"
#include "services/tlstool/tlstool.h"
#include "transport/tls_engine.h"

/* "permissive" or "strict" -> the mode; -1 otherwise. */
static int parse_mode(const char *s)
{
    if (!strcmp(s, "permissive"))
        return SIPC_TLS_PERMISSIVE;
    if (!strcmp(s, "strict"))
        return SIPC_TLS_STRICT;
    return -1;
}

/* Writes the one-shot override of the node's strict guard,
 * $home/state/force-strict, into path. EX_OK or EX_FAIL, said. */
static int write_override(const opts *o, char *path, size_t len)
{
    char err[1400];
    if (host_force_strict_write(o->home, path, len, err, sizeof err) != 0)
        return fail(EX_FAIL, "%s", err);
    return EX_OK;
}

/* sipc.conf no longer asks for strict (TLS off, or permissive): a pending
 * override belongs to a change that is gone, and left behind it would force
 * a later, unrelated start. */
static void drop_override(const opts *o)
{
    char path[1200], err[1600];
    int r = host_force_strict_drop(o->home, path, sizeof path, err, sizeof err);
    char shown[4 * sizeof path + 8];
    cli_shown(path, shown, sizeof shown);
    if (r > 0)
        printf("override removed: %s (sipc.conf no longer asks for strict)\n", shown);
    else if (r < 0) /* removed, not yet on disk: said, the command goes on */
        warn("%s", err);
}

/* Going strict without --reload: the node's guard judges at its next start
 * or reload; say now what this home's peer history (written by the node that
 * runs from it) shows, and with --force leave the one-shot override. */
static int strict_later(const opts *o, const sipc_config *cfg)
{
    host_peers *ps = calloc(1, sizeof *ps);
    char err[800];
    if (ps && host_peers_load(ps, o->home, err, sizeof err) == 0) {
        host_peer list[8];
        int64_t now = (int64_t)time(NULL);
        /* the listeners the node's next start judges for sipc.conf as
         * changed (every one when it cannot be read back) */
        sipc_config *now_cfg = calloc(1, sizeof *now_cfg);
        unsigned scope = HOST_SVC_ALL;
        if (now_cfg && sipc_config_load(now_cfg, o->home, err, sizeof err) == 0)
            scope = host_guard_scope(now_cfg, 0);
        free(now_cfg);
        int total = host_peers_plaintext_in(ps, cfg->strict_guard_window, cfg->node_id, scope,
                                            now, list, 8);
        if (total) {
            char text[1500];
            host_peers_text(list, total < 8 ? total : 8, total, now, text, sizeof text);
            warning("peers still speaking plaintext to this node: %s; %s", text,
                    o->force ? "--force: the node goes strict at its next start or reload anyway "
                               "and cuts them off"
                             : "the node refuses to go strict until they use TLS (enable TLS "
                               "there first), or --force is given, with which it goes strict "
                               "anyway and cuts them off");
        }
    }
    free(ps);
    if (!o->force)
        return EX_OK;
    char path[1200];
    int r = write_override(o, path, sizeof path);
    if (r)
        return r;
    printf("override written: %s (the next start or reload of sipcd goes strict even with "
           "plaintext peers, then it is removed)\n",
           path);
    return EX_OK;
}

/* sipc.conf as this command found it and as its edit left it, so that a
 * refusal can put back exactly what was there (no [tls] section, no mode
 * line, the operator's comments). */
typedef struct conf_bytes {
    uint8_t *before, *after;
    size_t before_len, after_len;
    int had;    /* there was a sipc.conf */
    int merged; /* after holds an edit someone else made while this one wrote */
} conf_bytes;

/* The largest sipc.conf this command keeps a copy of; what its own edit
 * adds (a [tls] section, two short lines) is read on top of it. */
#define CONF_COPY_MAX MAX_FILE
#define CONF_EDIT_MAX 4096

/* The whole of $home/sipc.conf (at most max bytes) into *b, *len; *had: it
 * exists. 0, or EX_CONFIG said. */
static int read_conf_bytes(const opts *o, uint8_t **b, size_t *len, int *had, size_t max)
{
    char path[1200], err[1400];
    snprintf(path, sizeof path, "%s/sipc.conf", o->home);
    int r = sipc_secret_file_read(path, b, len, max, err, sizeof err);
    *had = r == 0;
    if (r == 0 || r == -ENOENT)
        return 0;
    if (r == -EFBIG) /* read before the edit, or (grown meanwhile) after it */
        return fail(EX_CONFIG,
                    "%s is larger than %zu bytes: too large for a sipc.conf (is it the right "
                    "file?)%s",
                    path, (size_t)CONF_COPY_MAX,
                    max == CONF_COPY_MAX ? "; nothing was changed" : "");
    return fail(EX_CONFIG, "%s", err);
}

/* Whether sipc.conf as the sets left it (after; after_had: there is one)
 * is more than their edit of before: sipc_config_set reads a file changed
 * under it again and keeps that change, which a byte-for-byte put-back of
 * before would then drop. mode: the mode set first, or NULL. */
static int other_edit_merged(const conf_bytes *cb, int after_had, const char *mode)
{
    char *m = NULL, *e = NULL;
    size_t mlen = 0, elen = 0;
    const void *from = cb->had ? cb->before : NULL;
    size_t from_len = cb->had ? cb->before_len : 0;
    int r = 0;
    if (mode)
        r = sipc_config_edit(from, from_len, "tls", "mode", mode, &m, &mlen, NULL, 0);
    if (mode && r == 0)
        from = m, from_len = mlen;
    if (r == 0)
        r = sipc_config_edit(from, from_len, "tls", "enable", "1", &e, &elen, NULL, 0);
    int merged = r != 0 || !after_had || elen != cb->after_len || memcmp(e, cb->after, elen) != 0;
    free(m);
    free(e);
    return merged;
}

/* The running node refused to turn TLS on (its strict guard, or a check of
 * the new setup): sipc.conf goes back to the bytes it had before this
 * command, and server.tls.conf to its old text (old, NULL: there was none),
 * so that this home's own clients, which follow sipc.conf, keep speaking as
 * the node does. A sipc.conf changed by someone else while or since this
 * command wrote it keeps their change: only [tls] enable goes back to 0.
 * Returns
 * EX_RELOAD_REFUSED (TLS is off in sipc.conf again), or EX_CONFIG if the
 * file cannot be put back. */
static int undo_refused(const opts *o, const conf_bytes *cb, const char *conf, const uint8_t *old,
                        size_t oldlen)
{
    char err[1400];
    int changed = cb->merged;
    int r = changed ? 0
                    : sipc_config_put_back(o->home, cb->after, cb->after_len,
                                           cb->had ? cb->before : NULL, cb->before_len, &changed,
                                           err, sizeof err);
    if (r == 0 && changed)
        r = sipc_config_set(o->home, "tls", "enable", "0", err, sizeof err);
    if (r < 0)
        return fail(EX_CONFIG, "the node refused, and %s/sipc.conf could not be put back: %s",
                    o->home, err);
    if (conf && (old ? sipc_store_put(o->home, NULL, "server.tls.conf", old, oldlen, err,
                                      sizeof err) != 0
                     : sipc_store_remove(o->home, NULL, "server.tls.conf", err, sizeof err) < 0))
        warn("%s could not be put back (informational only): %s", conf, err);
    if (changed)
        printf("sipc.conf was changed by someone else while or after this command wrote it, so "
               "only [tls] enable = 0 was set back there (the rest stays as it is now): TLS is "
               "off in it again. ");
    else
        printf("sipc.conf set back as it was before this command (TLS off): ");
    printf("the node still runs TLS off, and this home's clients keep speaking plaintext to it. "
           "Deal with what the node names, or enable permissive first (`tlstool enable --mode "
           "permissive --reload`), then run the command again\n");
    return EX_RELOAD_REFUSED;
}

/* Whether a server.tls.conf (an older tlstool's) copies a setting of
 * sipc.conf [tls]: such a copy is not kept in step when `tlstool mode` or a
 * hand edit changes sipc.conf, so enable writes the file anew without it. */
static int names_settings(const uint8_t *text, size_t len)
{
    static const char *const keys[] = {"\nmode = ", "\nrevocation = ", "\nrequired_subject = "};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (memmem(text, len, keys[i], strlen(keys[i])))
            return 1;
    return 0;
}

/* After sipc.conf changed: reload the running node, or say how to. strict:
 * the mode the change leads to is strict. */
static int apply_now_or_later(const opts *o, const sipc_config *cfg, int strict, const char *what)
{
    if (strict && !o->reload) {
        int r = strict_later(o, cfg);
        if (r)
            return r;
    }
    const char *mode;
    if (!o->reload)
        say_running(o, cfg, "until it reloads or restarts", &mode);
    return reload_or_remind(o, o->force, what);
}

/* enable, mode and disable set a node's TLS: a client-only home has none,
 * and what they would write (server.tls.conf, state/force-strict) would
 * make it a node's home by the rule. EX_CLIENT_HOME, said, in such a home;
 * else 0. */
static int no_node_here(const opts *o, const sipc_config *cfg)
{
    if (!sipc_cli_home_client_only(cfg))
        return 0;
    return fail(EX_CLIENT_HOME,
                "%s is a client-only home (" SIPC_CLI_CLIENT_ONLY_RULE "): it runs no node whose "
                "TLS `tlstool %s` sets, nothing was written; its clients offer TLS whenever a "
                "pair is imported, and `[tls] enable = 1` in its sipc.conf makes them speak TLS "
                "only",
                o->home_shown, o->command->name);
}

int cmd_enable(void *arg)
{
    opts *o = arg;
    if (extra_args(o, 0))
        return EX_USAGE;
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r || (r = no_node_here(o, &cfg)) != 0)
        return r;
    int want = o->mode ? parse_mode(o->mode) : (int)cfg.tls_mode;
    if (want < 0)
        return fail(EX_USAGE, "--mode must be permissive or strict, not '%s'", o->mode);
    sipc_keypair kp;
    if ((r = load_pair(o, &kp, 0)) != 0)
        return r;
    int port = sipc_config_port(&cfg, "data");
    if (port == 23443) {
        sipc_keypair_free(&kp);
        return fail(EX_CONFIG, "the data service is configured on the old port 23443: move it to "
                               "23000 first ([data] port = 23000 in %s/sipc.conf, on every node)",
                    o->home);
    }
    sipc_vfy_result res;
    int st = verify_own(o, &cfg, &kp, &res);
    if (st < 0) {
        sipc_keypair_free(&kp);
        return -st;
    }
    if (st != SIPC_VFY_OK) {
        sipc_keypair_free(&kp);
        return fail_fix(tlstool_verify_exit_code((sipc_vfy_status)st), res.fix,
                        "TLS not enabled: the imported pair does not verify: %s", res.reason);
    }
    char conf[1200], err[1200];
    sipc_trust *t;
    int have;
    if ((r = load_trust(o, &cfg, &t, &have)) != 0) {
        sipc_keypair_free(&kp);
        return r;
    }
    r = sipc_trust_check_policy(t, err, sizeof err);
    sipc_trust_free(t);
    if (r != 0) {
        sipc_keypair_free(&kp);
        return fail(EX_CONFIG, "TLS not enabled: %s", err);
    }
    snprintf(conf, sizeof conf, "%s/security/server.tls.conf", o->home);
    int was = cfg.tls_enable;
    /* from off with --reload a refusal puts sipc.conf back: keep its bytes
     * (read before anything is written, so that a file too large to keep
     * leaves everything as it was) */
    conf_bytes cb = {NULL, NULL, 0, 0, 0, 0};
    int undo = o->reload && !was, after_had;
    if (undo && (r = read_conf_bytes(o, &cb.before, &cb.before_len, &cb.had, CONF_COPY_MAX)) != 0) {
        sipc_keypair_free(&kp);
        return r;
    }
    /* the override's state/ and name are checked before anything is
     * written (nor made: the override's write makes state/): a refused one
     * leaves the home as it was */
    char serr[1400];
    if (undo && o->force && want == SIPC_TLS_STRICT &&
        host_state_dir_check(o->home, "force-strict", serr, sizeof serr) != 0) {
        sipc_keypair_free(&kp);
        free(cb.before);
        return fail(EX_FAIL, "%s", serr);
    }
    /* server.tls.conf: informational, which pair is in effect since when */
    uint8_t *old = NULL;
    size_t oldlen = 0;
    int same = 0, wrote = 0;
    if (sipc_secret_file_read(conf, &old, &oldlen, MAX_FILE, err, sizeof err) == 0)
        same = memmem(old, oldlen, kp.fingerprint, strlen(kp.fingerprint)) != NULL &&
               !names_settings(old, oldlen);
    if (!(was && same)) {
        wrote = 1;
        sipc_x509 x;
        sipc_x509_parse(&x, kp.certs[0].data, kp.certs[0].len, NULL, 0);
        char now[32], na[32], text[4096];
        sipc_time_str(time(NULL), now);
        sipc_time_str(x.not_after, na);
        snprintf(text, sizeof text,
                 "# written by `tlstool enable`: the pair TLS uses; informational. Whether TLS\n"
                 "# is on, its mode, revocation and required subject: sipc.conf [tls]\n"
                 "certificate = %s/security/node.crt\n"
                 "subject = %s\n"
                 "fingerprint_sha256 = %s\n"
                 "key = %s\n"
                 "valid_until = %s\n"
                 "protocol = TLSv1.2\n"
                 "suites = %s\n"
                 "enabled_at = %s\n",
                 o->home, x.subject, kp.fingerprint, x.key_desc, na, sipc_tls_cipher_list(), now);
        if (sipc_store_init(o->home, err, sizeof err) != 0 ||
            sipc_store_put(o->home, NULL, "server.tls.conf", text, strlen(text), err,
                           sizeof err) != 0) {
            sipc_keypair_free(&kp);
            free(old);
            free(cb.before);
            return fail(EX_FAIL, "%s", err);
        }
    }
    sipc_keypair_free(&kp);
    int mode_changes = want != (int)cfg.tls_mode;
    if ((mode_changes && sipc_config_set(o->home, "tls", "mode", sipc_tls_mode_name(want), err,
                                         sizeof err) != 0) ||
        (!was && sipc_config_set(o->home, "tls", "enable", "1", err, sizeof err) != 0))
        r = fail(EX_CONFIG, "%s", err);
    else if (undo && (r = read_conf_bytes(o, &cb.after, &cb.after_len, &after_had,
                                          CONF_COPY_MAX + CONF_EDIT_MAX)) == 0)
        cb.merged = other_edit_merged(&cb, after_had,
                                      mode_changes ? sipc_tls_mode_name(want) : NULL);
    if (r) {
        free(old);
        free(cb.before);
        free(cb.after);
        return r;
    }
    if (was && !mode_changes)
        printf("TLS is already enabled (mode %s) in %s/sipc.conf\n", sipc_tls_mode_name(want),
               o->home_shown);
    else if (was)
        printf("TLS mode %s -> %s: [tls] mode = %s in %s/sipc.conf\n",
               sipc_tls_mode_name(cfg.tls_mode), sipc_tls_mode_name(want),
               sipc_tls_mode_name(want), o->home_shown);
    else
        printf("TLS enabled (mode %s): [tls] enable = 1 in %s/sipc.conf, "
               "%s/security/server.tls.conf written\n",
               sipc_tls_mode_name(want), o->home_shown, o->home_shown);
    char portword[16]; /* port 0 means "any free port": the log names the real one */
    if (port > 0)
        snprintf(portword, sizeof portword, "%d", port);
    else
        snprintf(portword, sizeof portword, "<port>");
    if (res.warning[0])
        warning("%s", res.warning);
    /* From off, a refusal leaves the node in plaintext; a sipc.conf saying
     * TLS would make this home's own clients speak TLS only, to a node that
     * does not. (Between TLS modes sipc.conf keeps the intent: the node holds
     * back in permissive, which both kinds of client reach, and a later
     * reload applies it once the guard allows.) */
    o->undo_refused = !was;
    o->unchanged = was && !mode_changes;
    /* Straight from off to strict with --reload --force: the request goes
     * in plaintext to a node still running TLS off, and the node lets only
     * the local override or a caller over TLS acknowledge whom it cuts off
     * (a plaintext caller could be anyone). tlstool runs here with the
     * home's access, which is what the override trusts: write it for this
     * reload, so that --force means the next start stays strict too. */
    char marker[1200] = "";
    if (undo && o->force && want == SIPC_TLS_STRICT) {
        if ((r = write_override(o, marker, sizeof marker)) != 0) {
            free(old);
            free(cb.before);
            free(cb.after);
            return r;
        }
        printf("override written: %s/state/force-strict (the node's TLS is off, so this request "
               "goes in plaintext: the override, which only this home's owner can write, lets "
               "the node acknowledge the peers it cuts off)\n",
               o->home_shown);
    }
    r = apply_now_or_later(o, &cfg, want == SIPC_TLS_STRICT, "`tlstool enable`");
    /* after the reminder to reload, which it depends on */
    if (r == EX_OK && !o->reload) {
        /* a command to paste: the home quoted, whatever it holds */
        char logs[4096 + 8], word[4 * sizeof logs + 4];
        snprintf(logs, sizeof logs, "%s/logs", o->home);
        printf("then look for 'TLS Port: %s' in the data service log: grep 'TLS Port' "
               "%s/DataService_*.log\n",
               portword, cli_shell_word(logs, word, sizeof word));
    }
    int put_back = 0;
    if (r == EX_RELOAD_REFUSED && undo) {
        r = undo_refused(o, &cb, wrote ? conf : NULL, old, oldlen);
        put_back = r == EX_RELOAD_REFUSED;
    }
    /* the override lives as long as the change it was written with: gone
     * with sipc.conf put back (TLS off again); else, unless the node used
     * it up, it stays for the next start or reload, as the change does */
    char gone[1200], gerr[1600];
    int dropped = marker[0] && put_back
                      ? host_force_strict_drop(o->home, gone, sizeof gone, gerr, sizeof gerr)
                      : 0;
    if (dropped < 0)
        warn("%s", gerr);
    if (dropped)
        printf("override removed: %s/state/force-strict\n", o->home_shown);
    else if (marker[0] && !put_back && host_force_strict_pending(o->home, gone, sizeof gone, NULL))
        printf("override kept: %s/state/force-strict (the next start or reload of sipcd goes "
               "strict even with plaintext peers, then it is removed; `tlstool disable` or "
               "`tlstool mode permissive` removes it before)\n",
               o->home_shown);
    if (want != SIPC_TLS_STRICT)
        drop_override(o);
    free(old);
    free(cb.before);
    free(cb.after);
    return r;
}

int cmd_mode(void *arg)
{
    opts *o = arg;
    if (extra_args(o, 1))
        return EX_USAGE;
    if (o->npos != 1)
        return fail(EX_USAGE, "mode takes one argument: permissive or strict");
    int want = parse_mode(o->pos[0]);
    if (want < 0)
        return fail(EX_USAGE, "the mode must be permissive or strict, not '%s'", o->pos[0]);
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r || (r = no_node_here(o, &cfg)) != 0)
        return r;
    char err[600];
    if (want != (int)cfg.tls_mode &&
        sipc_config_set(o->home, "tls", "mode", sipc_tls_mode_name(want), err, sizeof err) != 0)
        return fail(EX_CONFIG, "%s", err);
    o->unchanged = want == (int)cfg.tls_mode;
    if (o->unchanged)
        printf("TLS mode is already %s in %s/sipc.conf\n", sipc_tls_mode_name(want), o->home_shown);
    else
        printf("TLS mode %s -> %s: [tls] mode = %s in %s/sipc.conf\n",
               sipc_tls_mode_name(cfg.tls_mode), sipc_tls_mode_name(want),
               sipc_tls_mode_name(want), o->home_shown);
    if (want != SIPC_TLS_STRICT)
        drop_override(o);
    if (!cfg.tls_enable) {
        printf("TLS is disabled on this node: the mode applies once `tlstool enable` turns it "
               "on\n");
        return EX_OK;
    }
    if (want != SIPC_TLS_STRICT)
        return apply_now_or_later(o, &cfg, 0, "`tlstool mode`");
    /* nothing is refused before the running node has applied it */
    if (!o->reload)
        printf("strict: plaintext peers are refused once the node reloads or restarts; "
               "`sipcctl status --cluster` then names any that remain\n");
    r = apply_now_or_later(o, &cfg, 1, "`tlstool mode`");
    if (r == EX_OK && o->reload)
        printf("strict: plaintext peers are refused from now on; `sipcctl status --cluster` "
               "names any that remain\n");
    return r;
}

/* The way back without a gap, which every refusal or warning of off_guard
 * names. */
#define OFF_SAFE_ORDER                                                                         \
    "run `tlstool mode permissive --reload` on every node first, then `tlstool disable "       \
    "--reload` on every node (docs/operator-guide.md, 1.7)"

/* The guard of turning TLS off, the counterpart of the node's strict guard:
 * a peer running strict refuses this node's plaintext links (and its own
 * TLS links here fail), so going off cuts the node off from it at once.
 * Each [cluster] node is asked the mode it runs now (sys.info, as `tlstool
 * check` does): its own word is the one signal that tells a strict peer
 * from a permissive one, which accepts plaintext; both speak TLS here, so
 * the peer history cannot. This node is the entry at its own address and
 * port, as the probe dials them, never an entry that merely answers with
 * this node's [node] id: that id defaults to the host name, which cloned
 * hosts share, and such a peer running strict must still refuse. conf_off:
 * sipc.conf says TLS off already (a hand edit, or `disable` without
 * --reload), so the reload takes the node off only if it still runs TLS:
 * nothing to judge when its own entry answers that it runs off. EX_OK to go
 * on (said when some could not be asked), or EX_STRICT_PEERS with the
 * strict peers named: not EX_RELOAD_REFUSED, which says that sipc.conf was
 * written and the node refused, so that a script can tell the two apart. */
static int off_guard(const opts *o, const sipc_config *cfg, int conf_off)
{
    node_probe *nodes = NULL;
    char err[600], strict[1200] = "", unknown[1200] = "";
    int nstrict = 0, nunknown = 0;
    if (cfg->nnodes > 0 &&
        probe_cluster(cfg, o->timeout_ms ? o->timeout_ms : 5000, &nodes, err, sizeof err) != 0)
        snprintf(unknown, sizeof unknown, "the other [cluster] nodes could not be asked: %s",
                 err);
    for (int i = 0; conf_off && nodes && i < cfg->nnodes; i++)
        if (sipc_config_node_is_self(cfg, i) && nodes[i].up && !strcmp(nodes[i].live_mode, "off")) {
            free(nodes);
            return EX_OK;
        }
    for (int i = 0; nodes && i < cfg->nnodes; i++) {
        const node_probe *n = &nodes[i];
        if (sipc_config_node_is_self(cfg, i))
            continue;
        /* a node that answers without naming its mode (an error answer, an
         * older node) is not known to accept plaintext: said as not asked */
        int known = n->up && n->live_mode[0];
        if (known && strcmp(n->live_mode, "strict"))
            continue;
        char *list = known ? strict : unknown;
        size_t at = strlen(list);
        /* the same id at another address: two nodes share it, or this
         * node is listed under an address that is not its [node] address */
        int same_id = n->up && !strcmp(n->live_node, cfg->node_id);
        snprintf(list + at, sizeof unknown - at, "%s%s%s%s%s%s", at ? ", " : "", n->addr,
                 n->live_node[0] ? " (node " : "", n->live_node,
                 same_id ? ", the [node] id of this node too: another node with the same id, or "
                           "this node listed in [cluster] nodes under another address than its "
                           "[node] address"
                         : "",
                 n->live_node[0] ? ")" : "");
        ++*(known ? &nstrict : &nunknown);
    }
    free(nodes);
    if (nstrict && !o->force)
        return fail(EX_STRICT_PEERS,
                    "TLS not disabled: %d peer%s run%s strict and would refuse this node's "
                    "plaintext links: %s. Nothing was changed. To roll back without a gap, "
                    "%s; or give --force to turn TLS off here anyway and cut this node off "
                    "from them",
                    nstrict, nstrict == 1 ? "" : "s", nstrict == 1 ? "s" : "", strict,
                    OFF_SAFE_ORDER);
    if (nstrict)
        warn("--force: TLS goes off although %s run%s strict: "
             "they refuse this node's plaintext links until they are switched too%s",
             strict, nstrict == 1 ? "s" : "",
             o->reload ? ""
                       : "; the node's own guard refuses a reload that takes it off while "
                         "they do: apply it with `sipcctl reload --force` (or `tlstool "
                         "disable --reload --force`), or a restart");
    if (nunknown) {
        size_t at = strlen(unknown);
        snprintf(unknown + at, sizeof unknown - at, " could not be asked the mode %s",
                 nunknown == 1 ? "it runs" : "they run");
    } else if (cfg->nnodes == 0 && sipc_config_effective_mode(cfg) == SIPC_TLS_STRICT)
        snprintf(unknown, sizeof unknown, "no [cluster] nodes are listed in %s/sipc.conf to ask",
                 o->home_shown);
    /* not known: today's way, with the warning before anything is applied */
    if (unknown[0])
        warn("%s: a node that runs strict refuses this node's "
             "plaintext links, and its TLS links here fail, once TLS is off here. To "
             "roll back without a gap, %s",
             unknown, OFF_SAFE_ORDER);
    return EX_OK;
}

int cmd_disable(void *arg)
{
    opts *o = arg;
    if (extra_args(o, 0))
        return EX_USAGE;
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r || (r = no_node_here(o, &cfg)) != 0)
        return r;
    /* judged before anything is written: a refusal leaves the home as it
     * was. Already off in sipc.conf, the reload still takes a node off that
     * runs TLS: judged too */
    if ((cfg.tls_enable || o->reload) && (r = off_guard(o, &cfg, !cfg.tls_enable)) != 0)
        return r;
    char err[600];
    if (cfg.tls_enable && sipc_config_set(o->home, "tls", "enable", "0", err, sizeof err) != 0)
        return fail(EX_CONFIG, "%s", err);
    if (!cfg.tls_enable)
        printf("TLS is already disabled on this node; the key pair (if any) is kept\n");
    else
        printf("TLS disabled: [tls] enable = 0 in %s/sipc.conf; the key pair is kept\n", o->home_shown);
    drop_override(o);
    o->unchanged = !cfg.tls_enable;
    if (!cfg.tls_enable && o->reload)
        return request_reload(o, o->force);
    if (!cfg.tls_enable)
        return EX_OK;
    return apply_now_or_later(o, &cfg, 0,
                              "`tlstool disable` (on every node, to roll the whole cluster "
                              "back)");
}
