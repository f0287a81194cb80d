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
#include "ipc/node/home_lock_read.h"
#include "services/common/client_home.h"
#include "services/common/err_line.h"
#include "services/tlstool/pair_judge.h"
#include "services/tlstool/replaced_pair.h"
#include "services/tlstool/running_line.h"
#include "services/tlstool/tlstool.h"

/* The pair the node running from this home presents, asked of it (its
 * status), into fp; "" when no node runs or it cannot be asked. */
static void running_fp(const opts *o, const sipc_config *cfg, char fp[65])
{
    char err[600];
    fp[0] = 0;
    if (sipc__home_lock_holder(o->home, err, sizeof err) <= 0)
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

/* The name of the root kp's chain leads to: from the leaf up by issuer
 * name through the certificates kp carries, the self-issued one reached,
 * else the issuer of the last one found (a root the file leaves out); ""
 * for a self-signed pair, which is no CA's. */
static void chain_root(const sipc_keypair *kp, char root[256])
{
    sipc_x509 cur, x;
    root[0] = 0;
    if (kp->ncerts < 1 || sipc_x509_parse(&cur, kp->certs[0].data, kp->certs[0].len, NULL, 0) != 0 ||
        sipc_x509_self_issued(&cur))
        return;
    /* each step takes one more certificate: at most ncerts - 1 */
    for (int step = 1; step < kp->ncerts && !sipc_x509_self_issued(&cur); step++) {
        int found = 0;
        for (int i = 1; i < kp->ncerts && !found; i++)
            found = sipc_x509_parse(&x, kp->certs[i].data, kp->certs[i].len, NULL, 0) == 0 &&
                    sipc_name_equal(&x.subject_der, &cur.issuer_der);
        if (!found)
            break;
        cur = x;
    }
    snprintf(root, 256, "%s", sipc_x509_self_issued(&cur) ? cur.subject : cur.issuer);
}

/* The pair installed here, weighed against the pair kp to import. */
typedef struct installed {
    int have;            /* a regular node.crt that loads */
    char fp[65];         /* its fingerprint */
    int verifies;        /* this home's trust accepts it, as the node checks its own pair */
    int accepts_new;     /* kp is the same pair, or this home's trust accepts it (an
                          * organisation pair renewed under the same root) */
    int new_accepts_old; /* the trust kp brings (kp as this home's pair) accepts it */
    char root[256];      /* chain_root of it */
} installed;

static int accepts(const sipc_trust *t, const sipc_keypair *kp)
{
    sipc_vfy_result res;
    return sipc_trust_verify(t, kp->certs, kp->ncerts, SIPC_PURPOSE_BOTH, time(NULL), &res) == 0;
}

/* What import weighs kp against: whether the installed pair verifies (a
 * working pair is not replaced by one that does not) and whether each
 * pair's trust accepts the other (the installed pair's peers accept kp;
 * sipcctl, speaking with kp, reaches a node still presenting the installed
 * one). A trust that cannot be loaded accepts nothing. */
static void weigh_installed(const opts *o, const sipc_config *cfg, const sipc_keypair *kp,
                            installed *in)
{
    memset(in, 0, sizeof *in);
    /* only a regular file is read: a link (to a FIFO, which would block the
     * read) is the store's to refuse */
    char path[1200];
    struct stat st;
    sipc_keypair old;
    snprintf(path, sizeof path, "%s/security/node.crt", o->home);
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || load_pair_unchecked(o, &old, 1) != 0)
        return;
    in->have = 1;
    snprintf(in->fp, sizeof in->fp, "%s", old.fingerprint);
    chain_root(&old, in->root);
    sipc_trust *t;
    int have;
    char err[1600];
    in->accepts_new = !strcmp(in->fp, kp->fingerprint);
    if (load_trust_quiet(o, cfg, NULL, &t, &have, err, sizeof err) == 0) {
        in->verifies = accepts(t, &old);
        in->accepts_new = in->accepts_new || accepts(t, kp);
        sipc_trust_free(t);
    }
    if (load_trust_quiet(o, cfg, kp, &t, &have, err, sizeof err) == 0) {
        in->new_accepts_old = accepts(t, &old);
        sipc_trust_free(t);
    }
    sipc_keypair_free(&old);
}

/* With TLS off here: what runs from this home, then the one next step that
 * fits it (a client-only home, a node's home no sipcd runs from, a node
 * running in plaintext); all three when what runs cannot be told. */
static void import_next(const opts *o, const sipc_config *cfg, const char *policy)
{
    const char *run;
    home_run hr = say_running(o, cfg,
                              "by this import: its TLS stays off until `tlstool enable` and a "
                              "reload",
                              &run);
    if (policy[0])
        printf("next: set [tls] subject in %s/sipc.conf on every node (the operator guide, "
               "section 2), then `tlstool enable --mode permissive --reload` (1.5); until then "
               "this home keeps to plaintext\n",
               o->home_shown);
    else if (hr == HOME_RUN_CLIENT)
        printf("next: nothing more here: a client-only home (" SIPC_CLI_CLIENT_ONLY_RULE ") "
               "needs no enable, its clients offer TLS now that a pair is imported\n");
    else if (hr == HOME_RUN_NONE)
        /* a home with neither [node] nor [cluster] nodes is a node's on
         * the defaults, or a client's not yet given its nodes */
        printf("next: `tlstool enable` (strict) before sipcd starts here, as on every node of a "
               "new cluster; for a node of a cluster that runs in plaintext, `tlstool enable "
               "--mode permissive` instead (the operator guide, 1.5)%s\n",
               !cfg->node_line && !cfg->nnodes
                   ? "; a client-only home instead needs no enable, once its sipc.conf lists "
                     "the cluster's [cluster] name and nodes (1.3)"
                   : "");
    else if (hr == HOME_RUN_MODE && !strcmp(run, "off"))
        printf("next: import the pair on every node, then `tlstool enable --mode permissive "
               "--reload` here and on each of them, one after the other, so that none refuses "
               "another (the operator guide, 1.5)\n");
    else
        printf("next: on every node of a new cluster `tlstool enable` (strict) before it "
               "starts; on a cluster running in plaintext `tlstool enable --mode permissive "
               "--reload` on every node first, so that none refuses another (the operator "
               "guide, 1.5); a client-only machine needs no enable: its clients use TLS now "
               "that a pair is imported\n");
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
        return fail(EX_STATE, "a key pair rotation is in progress on %s (%s): `tlstool "
                              "rotate finish` or `tlstool rotate abort` it first (`tlstool rotate "
                              "status` says where it is)",
                    sipc_cli_home_words_at(o->home).here, sipc_rotation_state_name(rot.state));
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
    r = read_pfx(shown, data, len, pw, &kp);
    explicit_bzero(pw, sizeof pw);
    if (r != 0) {
        sipc_secure_free(data, len);
        return r;
    }
    /* check the pair as peers will, with this node's trust store */
    pair_judgement j;
    if ((r = pair_judge(o, &cfg, &kp, &j)) != 0) {
        sipc_keypair_free(&kp);
        sipc_secure_free(data, len);
        return r;
    }
    sipc_vfy_result *res = &j.v.res;
    sipc_vfy_status st = res->status;
    const char *policy = j.v.policy, *later = NULL;
    int have_pair = j.have_pair;
    if (j.v.completable) {
        later = res->reason;
    } else if (st != SIPC_VFY_OK) {
        sipc_keypair_free(&kp);
        sipc_secure_free(data, len);
        return fail_fix(tlstool_verify_exit_code(st), res->fix, "%s: not imported: %s", shown,
                        res->reason);
    }
    installed in;
    weigh_installed(o, &cfg, &kp, &in);
    /* A pair that cannot verify yet is fine in a fresh home (it is fixed
     * before TLS is used), not over a working one: with TLS on the node
     * refuses it at its next reload or start, and whatever the setting its
     * clients present it, which peers refuse. */
    if (later && in.verifies && !o->force) {
        sipc_keypair_free(&kp);
        sipc_secure_free(data, len);
        char fix[900];
        snprintf(fix, sizeof fix,
                 "%s; to import it anyway (the installed pair goes to security/previous/), add "
                 "--force",
                 res->fix);
        return fail_fix(tlstool_verify_exit_code(st), fix,
                        "%s: not imported: the pair installed here (sha256 %.16s...) verifies "
                        "and this one does not: %s; a node with TLS enabled refuses such a pair "
                        "at its next reload or start, and peers refuse it",
                        shown, in.fp, res->reason);
    }
    /* every node holds the same pair: a different one imported over it on
     * one node makes that node and its peers refuse each other at its next
     * reload, which `tlstool rotate` avoids. With TLS on that is refused
     * unless --force; the pair the running node still presents (an import
     * undone) is let through. */
    char live_fp[65] = "", prev_fp[65];
    int other = in.have && !in.accepts_new;
    /* FILE is the pair the last import replaced: importing it undoes that
     * import, so the pair replaced now is the one it brought, which no
     * peer need hold */
    home_pair_fp(o, "previous", prev_fp, NULL, 0);
    int undo = other && !strcmp(prev_fp, kp.fingerprint);
    if (other && cfg.tls_enable)
        running_fp(o, &cfg, live_fp);
    if (other && !strcmp(live_fp, kp.fingerprint))
        other = 0;
    if (other && cfg.tls_enable && !o->force) {
        /* importing back the pair the last import replaced undoes that
         * import, which the node, unable to tell (it may still present it),
         * leaves to the operator */
        /* two CA-issued pairs under different roots: more often a
         * certificate from the wrong CA than a move to another CA */
        char new_root[256], wrong_ca[900] = "", reissue[400] = "";
        chain_root(&kp, new_root);
        if (new_root[0] && in.root[0] && strcmp(new_root, in.root)) {
            snprintf(wrong_ca, sizeof wrong_ca,
                     " %s chains to the root '%s', and the pair installed here (this "
                     "cluster's) to '%s': was it issued by the wrong CA?",
                     shown, new_root, in.root);
            snprintf(reissue, sizeof reissue,
                     "if it was, have it issued by the CA under '%s' and import that; ", in.root);
        }
        char new_fp[65];
        snprintf(new_fp, sizeof new_fp, "%s", kp.fingerprint);
        sipc_keypair_free(&kp);
        sipc_secure_free(data, len);
        char fix[1600];
        snprintf(fix, sizeof fix,
                 "%sto move the cluster to this pair, rotate to it on every node without a link "
                 "failing: `tlstool rotate stage %s --reload` on each, then `tlstool rotate "
                 "commit --reload` node by node, then `tlstool rotate finish --reload` (the "
                 "operator guide, 1.8); if this node is the odd one out and the other nodes hold "
                 "this pair already (`sipcctl status --cluster` names the pair each node "
                 "presents), or to replace the pair anyway (every node must then get this same "
                 "pair), add --force",
                 reissue, word);
        fail_fix(EX_EXISTS, fix,
                 "%s: not imported: it is another pair (sha256 %.16s...) than the one installed "
                 "here (sha256 %.16s...), and TLS is enabled: every node holds the same pair, so "
                 "after this node's next reload it and the nodes holding the installed one would "
                 "refuse each other.%s",
                 shown, new_fp, in.fp, wrong_ca);
        if (undo)
            cli_say_line(stderr, "tlstool: note",
                         "%s holds the pair this node had before its last import "
                         "(security/previous/): if that import was the mistake, --force puts "
                         "this one back",
                         shown);
        return EX_EXISTS;
    }
    /* recorded beside previous/: how it came there decides the words of
     * status and of the node's refusal of a peer presenting it */
    sipc_previous_origin how = other && cfg.tls_enable ? SIPC_PREVIOUS_FORCED
                                                       : SIPC_PREVIOUS_IMPORT;
    int kept = 0;
    r = sipc_store_import(o->home, &kp, data, len, how, &kept, err, sizeof err);
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
    if (res->warning[0])
        warning("%s", res->warning);
    if (policy[0]) /* before enable, and before a reload uses the pair */
        warning("TLS will not start with this pair yet: %s", policy);
    if (later) {
        /* never "needs no reload", nor a next step: the files no longer
         * hold a pair the node takes, whatever it presents now */
        if (cfg.tls_enable)
            warning("TLS is enabled: this node would refuse this pair on its next reload or "
                    "restart (a reload is refused and the node goes on with the pair it runs; a "
                    "restart fails): import a pair that verifies before either");
    } else if (undo && cfg.tls_enable)
        warning("this puts back the pair this node had before its last import "
                "(security/previous/), in place of the one that import brought (sha256 "
                "%.16s...): once this node reloads (SIGHUP, `systemctl reload sipcd`) or "
                "restarts, it presents this pair again; the nodes that hold this pair accept it, "
                "and any that took the replaced one refuse it",
                in.fp);
    else if (other && cfg.tls_enable)
        warning("this is another pair than the one replaced (sha256 %.16s...), %s: once "
                "this node restarts, or reloads with --force (its trust guard refuses a reload "
                "that cuts it off from [cluster] nodes it accepts now), it and every node that "
                "does not hold this same pair refuse each other: import it on every node and "
                "client-only machine, then reload each with `sipcctl reload --node ADDR --force` "
                "from a home that still holds the replaced pair, or restart each (the cluster is "
                "split until all have it; `tlstool rotate` avoids that, the operator guide 1.8)",
                in.fp, replaced_holders(how));
    else if (other)
        warning("this is another pair than the one replaced (sha256 %.16s...): every "
                "node and client-only machine of the cluster must hold the same pair; import it "
                "on each before TLS is enabled (on a cluster using TLS, `tlstool rotate` moves "
                "to a new pair without a link failing, the operator guide 1.8)",
                in.fp);
    else if (cfg.tls_enable && have_pair && !strcmp(in.fp, kp.fingerprint))
        printf("TLS is enabled: this is the pair that was installed already, so a node running "
               "from this home needs no reload\n");
    else if (cfg.tls_enable && have_pair && in.accepts_new && in.new_accepts_old)
        printf("TLS is enabled: the running node presents the replaced certificate until it "
               "reloads: `sipcctl reload` (this home's trust accepts both certificates, so "
               "sipcctl and the node accept each other meanwhile), `systemctl reload sipcd` "
               "(SIGHUP to sipcd) or a restart\n");
    else if (cfg.tls_enable && have_pair)
        printf("TLS is enabled: the running node presents the replaced pair until it reloads: "
               "`systemctl reload sipcd` (SIGHUP to sipcd) or a restart (not `sipcctl reload`: "
               "it speaks with the new pair, which a node presenting another self-signed one "
               "refuses)\n");
    else if (cfg.tls_enable)
        printf("TLS is enabled: the running node uses the pair once it reloads: `systemctl "
               "reload sipcd` (SIGHUP to sipcd) or a restart\n");
    else
        import_next(o, &cfg, policy);
    sipc_keypair_free(&kp);
    /* last, where it is seen; a pair that does not verify is no success,
     * whatever was written: `import && enable` must stop here. It stays
     * installed, so that `trust add` or `crl add` can complete it. */
    if (later) {
        if (installed_warn)
            warning("the pair is imported, but: %s", err);
        return fail_fix(tlstool_verify_exit_code(st), res->fix,
                        "%s is imported, but NOT VERIFIED: %s; peers refuse this pair, and so do "
                        "`tlstool enable` and sipcd, until that is fixed",
                        shown, later);
    }
    if (installed_warn)
        return fail(EX_INSTALLED_WARN, "the pair is imported, but: %s", err);
    return EX_OK;
}
