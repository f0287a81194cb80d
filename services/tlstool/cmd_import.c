/* cmd_import.c - `tlstool import`: check a PKCS#12 key pair as peers will,
 * then install it as this node's pair. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "certs/tool/pkcs12.h"
#include "certs/tool/store.h"
#include "services/common/err_line.h"
#include "services/sipcd/home_lock.h"
#include "services/tlstool/tlstool.h"

/* The pair the node running from this home presents, asked of it (its
 * status), into fp; "" when no node runs or it cannot be asked. */
static void running_fp(const opts *o, const sipc_config *cfg, char fp[65])
{
    char err[600];
    fp[0] = 0;
    if (home_lock_holder(o->home, err, sizeof err) <= 0)
        return;
    home_call c;
    if (home_node_call(o, cfg, "status", NULL, 5000, &c) != HOME_CALL_DONE || c.err)
        return;
    json_t *j = json_loadb(c.data ? c.data : "", c.len, 0, NULL);
    free(c.data);
    const char *f = json_string_value(json_object_get(
        json_object_get(json_object_get(j, "tls"), "certificate"), "fingerprint_sha256"));
    if (f && strlen(f) == 64)
        snprintf(fp, 65, "%s", f);
    json_decref(j);
}

/* Whether kp is another cluster's pair than the one installed here: its peers,
 * holding the installed pair (and this home's trust/), would refuse it. 0 when
 * no pair is installed, it is the same one, or this home's trust accepts kp
 * (an organisation pair renewed under the same root); else 1, the installed
 * pair's fingerprint in old_fp. */
static int replaces_cluster_pair(const opts *o, const sipc_config *cfg, const sipc_keypair *kp,
                                 char old_fp[65])
{
    sipc_keypair old;
    old_fp[0] = 0;
    /* only a regular file is read: a link (to a FIFO, which would block the
     * read) is the store's to refuse */
    char path[1200];
    struct stat st;
    snprintf(path, sizeof path, "%s/security/node.crt", o->home);
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || load_pair_unchecked(o, &old, 1) != 0)
        return 0;
    snprintf(old_fp, 65, "%s", old.fingerprint);
    sipc_keypair_free(&old);
    if (!strcmp(old_fp, kp->fingerprint))
        return 0;
    sipc_trust *t;
    int have;
    char err[1600];
    if (load_trust_quiet(o, cfg, NULL, &t, &have, err, sizeof err) != 0)
        return 1;
    sipc_vfy_result res;
    int ok = sipc_trust_verify(t, kp->certs, kp->ncerts, SIPC_PURPOSE_BOTH, time(NULL), &res) == 0;
    sipc_trust_free(t);
    return !ok;
}

int cmd_import(void *arg)
{
    opts *o = arg;
    if (extra_args(o, 2))
        return EX_USAGE;
    if (o->npos < 1)
        return fail(EX_USAGE, "import needs FILE: tlstool import FILE (see tlstool import --help)");
    const char *file = o->pos[0], *shown = o->pos_shown[0], *word = o->pos_word[0];
    char err[2400];
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    /* an import would replace previous/, which a committed rotation still
     * trusts, and the pair a staged one is to replace */
    sipc_rotation rot;
    if (sipc_rotation_read(o->home, &rot, err, sizeof err) != 0)
        return fail(EX_STATE, "%s", err);
    if (rot.state != SIPC_ROTATION_NONE)
        return fail(EX_STATE, "a key pair rotation is in progress on this node (%s): `tlstool "
                              "rotate finish` or `tlstool rotate abort` it first (`tlstool rotate "
                              "status` says where it is)",
                    sipc_rotation_state_name(rot.state));
    uint8_t *data;
    size_t len;
    if (sipc_secret_file_read(file, &data, &len, MAX_FILE, err, sizeof err) != 0)
        return fail(EX_BADFILE, "%s", err);
    char pw[CLI_PASSWORD_BUF];
    if ((r = need_pfx(shown, data, len)) != 0 || (r = get_password(o, 0, pw, sizeof pw)) != 0) {
        sipc_secure_free(data, len);
        return r;
    }
    sipc_keypair kp;
    sipc_pfx_error why;
    r = sipc_pfx_read(data, len, pw, &kp, &why, err, sizeof err);
    explicit_bzero(pw, sizeof pw);
    if (r != 0) {
        sipc_secure_free(data, len);
        return pfx_fail(shown, r, why, err);
    }
    /* check the pair as peers will, with this node's trust store */
    sipc_trust *nt;
    int have_pair;
    if ((r = build_trust(o, &cfg, &kp, &nt, &have_pair)) != 0) {
        sipc_keypair_free(&kp);
        sipc_secure_free(data, len);
        return r;
    }
    sipc_vfy_result res;
    sipc_vfy_status st = sipc_trust_verify(nt, kp.certs, kp.ncerts, SIPC_PURPOSE_BOTH, time(NULL),
                                           &res) == 0 ? SIPC_VFY_OK : res.status;
    char policy[700] = "";
    (void)sipc_trust_check_policy(nt, policy, sizeof policy);
    sipc_trust_free(nt);
    const char *later = NULL;
    if (st == SIPC_VFY_UNTRUSTED_ROOT || st == SIPC_VFY_INCOMPLETE_CHAIN ||
        st == SIPC_VFY_REVOCATION_UNKNOWN) {
        later = res.reason;
    } else if (st != SIPC_VFY_OK) {
        sipc_keypair_free(&kp);
        sipc_secure_free(data, len);
        return fail_fix(tlstool_verify_exit_code(st), res.fix, "%s: not imported: %s", shown,
                        res.reason);
    }
    /* every node holds the same pair: a different one imported over it on
     * one node makes that node and its peers refuse each other at its next
     * reload, which `tlstool rotate` avoids. With TLS on that is refused
     * unless --force; the pair the running node still presents (an import
     * undone) is let through. */
    char old_fp[65], live_fp[65] = "";
    int other = replaces_cluster_pair(o, &cfg, &kp, old_fp);
    if (other && cfg.tls_enable)
        running_fp(o, &cfg, live_fp);
    if (other && !strcmp(live_fp, kp.fingerprint))
        other = 0;
    if (other && cfg.tls_enable && !o->force) {
        /* the pair the last import replaced: importing it back undoes that
         * import, which the node, unable to tell (it may still present it),
         * leaves to the operator */
        char prev_path[1200], undo[600] = "";
        sipc_keypair prev;
        snprintf(prev_path, sizeof prev_path, "%s/security/previous/node.crt", o->home);
        struct stat pst;
        if (lstat(prev_path, &pst) == 0 && S_ISREG(pst.st_mode) &&
            sipc_keypair_load_pem(&prev, prev_path, NULL, err, sizeof err) == 0) {
            if (!strcmp(prev.fingerprint, kp.fingerprint))
                snprintf(undo, sizeof undo,
                         "\ntlstool: note: %s holds the pair this node had before its last "
                         "import (security/previous/): if that import was the mistake, --force "
                         "puts this one back",
                         shown);
            sipc_keypair_free(&prev);
        }
        char new_fp[65];
        snprintf(new_fp, sizeof new_fp, "%s", kp.fingerprint);
        sipc_keypair_free(&kp);
        sipc_secure_free(data, len);
        return fail(EX_EXISTS,
                    "%s: not imported: it is another pair (sha256 %.16s...) than the one "
                    "installed here (sha256 %.16s...), and TLS is enabled: every node holds the "
                    "same pair, so after this node's next reload it and the nodes holding the "
                    "installed one would refuse each other.\ntlstool: fix: to move the cluster to this pair, rotate to it on "
                    "every node without a link failing: `tlstool rotate stage %s --reload` on "
                    "each, then `tlstool rotate commit --reload` node by node, then `tlstool "
                    "rotate finish --reload` (the operator guide, 1.8); if this node is the odd "
                    "one out and the other nodes hold this pair already (`sipcctl status "
                    "--cluster` names the pair each node presents), or to replace the pair "
                    "anyway (every node must then get this same pair), add --force%s",
                    shown, new_fp, old_fp, word, undo);
    }
    int kept = 0;
    r = sipc_store_import(o->home, &kp, data, len, &kept, err, sizeof err);
    sipc_secure_free(data, len);
    if (r == SIPC_STORE_PARTIAL) {
        sipc_keypair_free(&kp);
        return fail(EX_PARTIAL, "%s: not imported, only half: %s", shown, err);
    }
    if (r < 0) {
        sipc_keypair_free(&kp);
        return fail(EX_FAIL, "%s (nothing was changed)", err);
    }
    int installed_warn = r == SIPC_STORE_INSTALLED;
    sipc_x509 x;
    sipc_x509_parse(&x, kp.certs[0].data, kp.certs[0].len, NULL, 0);
    char na[32];
    sipc_time_str(x.not_after, na);
    printf("imported %s into %s/security (node.crt, node.p12, mode 0600)\n", shown, o->home_shown);
    printf("  subject:  %s\n  issuer:   %s\n  key:      %s\n  valid to: %s\n  SHA-256:  %s\n",
           x.subject, x.issuer, x.key_desc, na, x.fingerprint);
    if (kp.ncerts > 1)
        printf("  chain:    %d more certificate(s)\n", kp.ncerts - 1);
    if (kept)
        printf("the replaced pair is kept in %s/security/previous/\n", o->home_shown);
    else if (have_pair && r == 0)
        printf("%s/security/node.p12 held this file already: previous/ is left as it was\n",
               o->home_shown);
    if (res.warning[0])
        warning("%s", res.warning);
    if (later) {
        warning("peers will not accept this pair yet: %s", later);
        cli_say_line(stdout, "  fix", "%s", res.fix);
    }
    if (policy[0]) /* before enable, and before a reload uses the pair */
        warning("TLS will not start with this pair yet: %s", policy);
    if (other && cfg.tls_enable)
        warning("this is another pair than the one replaced (sha256 %.16s...), which "
                "this node's peers hold: once this node reloads (SIGHUP, `systemctl reload "
                "sipcd`) or restarts, it and every node that does not hold this same pair refuse "
                "each other: import it on every node and client-only machine, then reload each "
                "(the cluster is split until all have it; `tlstool rotate` avoids that, the "
                "operator guide 1.8)",
                old_fp);
    else if (other)
        warning("this is another pair than the one replaced (sha256 %.16s...): every "
                "node and client-only machine of the cluster must hold the same pair; import it "
                "on each before TLS is enabled (on a cluster using TLS, `tlstool rotate` moves "
                "to a new pair without a link failing, the operator guide 1.8)",
                old_fp);
    else if (cfg.tls_enable && have_pair && !strcmp(old_fp, kp.fingerprint))
        printf("TLS is enabled: this is the pair that was installed already, so the running "
               "node needs no reload\n");
    else if (cfg.tls_enable && have_pair)
        printf("TLS is enabled: the running node presents the replaced pair until it reloads: "
               "`systemctl reload sipcd` (SIGHUP to sipcd) or a restart (not `sipcctl reload`: "
               "it speaks with the new pair, which a node presenting another self-signed one "
               "refuses)\n");
    else if (cfg.tls_enable)
        printf("TLS is enabled: the running node uses the pair once it reloads: `systemctl "
               "reload sipcd` (SIGHUP to sipcd) or a restart\n");
    else if (policy[0])
        printf("next: set [tls] subject in %s/sipc.conf on every node (the operator guide, "
               "section 2), then `tlstool enable --mode permissive --reload` (1.5); until then "
               "this home keeps to plaintext\n",
               o->home_shown);
    else
        printf("next: on every node of a new cluster `tlstool enable` (strict) before it starts; "
               "on a cluster running in plaintext `tlstool enable --mode permissive --reload` on "
               "every node first, so that none refuses another (the operator guide, 1.5); a "
               "client-only machine needs no enable: its clients use TLS now that a pair is "
               "imported\n");
    sipc_keypair_free(&kp);
    if (installed_warn) /* last, where it is seen */
        return fail(EX_INSTALLED_WARN, "the pair is imported, but: %s", err);
    return EX_OK;
}
