/* cmd_check.c - `tlstool check`: verify this node's pair, then test-connect
 * every [cluster] node and say, per node, what enabling TLS would meet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/common/client_home.h"
#include "services/tlstool/tlstool.h"

/* Verifies and prints the own pair; its fingerprint and whether it is the
 * shared self-signed kind. Returns a sipc_vfy_status, or minus an exit code. */
static int check_own(const opts *o, const sipc_config *cfg, char own_fp[65], int *shared_pair)
{
    sipc_keypair kp;
    int r = load_pair(o, &kp, 0);
    if (r != 0)
        return -r;
    printf("== %s key pair\n", sipc_cli_home_words_of(cfg).heres);
    sipc_vfy_result res;
    int st = verify_own(o, cfg, &kp, &res);
    if (st < 0) {
        sipc_keypair_free(&kp);
        return st;
    }
    print_links(&res);
    print_verdict(&res);
    snprintf(own_fp, 65, "%s", kp.fingerprint);
    /* self-signed: every node must hold this very certificate */
    sipc_x509 ox;
    *shared_pair = sipc_x509_parse(&ox, kp.certs[0].data, kp.certs[0].len, NULL, 0) == 0 &&
                   sipc_x509_self_issued(&ox);
    sipc_keypair_free(&kp);
    return st;
}

/* The pairs this home trusts during a rotation (SHA-256, "" if none). */
typedef struct rotation_fps {
    char staged[65];
    char previous[65];
} rotation_fps;

static void fp_of_file(const char *path, char fp[65])
{
    sipc_keypair kp;
    char err[600];
    fp[0] = 0;
    memset(&kp, 0, sizeof kp);
    if (file_exists(path) && sipc_keypair_load_pem(&kp, path, NULL, err, sizeof err) == 0) {
        snprintf(fp, 65, "%s", kp.fingerprint);
        sipc_keypair_free(&kp);
    }
}

/* As sipc_trust_load_home decides them: staged/ while a rotation is in
 * progress, previous/ while a committed rotation names it. */
static void rotation_fps_of(const opts *o, rotation_fps *r)
{
    char path[1200], err[600];
    sipc_rotation rot;
    memset(r, 0, sizeof *r);
    int in_rotation = sipc_rotation_read(o->home, &rot, err, sizeof err) == 0;
    snprintf(path, sizeof path, "%s/security/staged/node.crt", o->home);
    if (in_rotation && rot.state != SIPC_ROTATION_NONE)
        fp_of_file(path, r->staged);
    if (in_rotation && rot.state == SIPC_ROTATION_COMMITTED) {
        snprintf(path, sizeof path, "%s/security/previous/node.crt", o->home);
        fp_of_file(path, r->previous);
        if (strcmp(r->previous, rot.previous) != 0)
            r->previous[0] = 0;
    }
}

/* The live mode a node reported against what this home expects of it
 * (only this home's configuration is known here: the node's own may differ
 * until it is restarted). */
static void report_live_mode(const sipc_config *cfg, const node_probe *p)
{
    if (!p->live_mode[0])
        return;
    const char *want = sipc_tls_mode_name(sipc_config_effective_mode(cfg));
    if (strcmp(p->live_mode, want) == 0)
        return;
    if (!strcmp(p->live_mode, "off"))
        cli_say(stdout, "  warning",
                "%s runs plaintext (live mode off) while this home has TLS %s: if TLS "
                "is configured there, it is still running plaintext: reload or restart it",
                p->addr, want);
    else
        printf("  note: %s runs TLS mode %s, this home is configured %s: if that node is "
               "configured %s too, reload or restart it\n",
               p->addr, p->live_mode, want, want);
}

/* Prints one node's line; returns the exit code it deserves. */
static int report(const sipc_config *cfg, const node_probe *p, const char *own_fp, int shared_pair,
                  const rotation_fps *rf)
{
    if (p->up && p->info.tls) {
        const char *fp = p->info.peer_fingerprint;
        int same = strcmp(fp, own_fp) == 0;
        const char *rotation = same              ? NULL
                               : !strcmp(fp, rf->staged) ? "the staged pair"
                               : !strcmp(fp, rf->previous) ? "the previous pair"
                                                           : NULL;
        printf("%s: reachable, TLS (%s %s), %s certificate (SHA-256 %.16s...)%s\n", p->addr,
               p->info.tls_version, p->info.tls_cipher, same ? "same" : "DIFFERENT", fp,
               same || rotation || shared_pair ? "" : ", accepted: it chains to a trusted root");
        if (rotation)
            cli_say(stdout, "  warning",
                    "%s presents %s of %s rotation: trusted during rotation "
                    "(`tlstool rotate status`)",
                    p->addr, rotation, sipc_cli_home_words_of(cfg).heres);
        report_live_mode(cfg, p);
        return !same && !rotation && shared_pair ? EX_CHECK_MISMATCH : EX_OK;
    }
    if (p->up) {
        /* a client-only home's clients take no mode: TLS only once enabled */
        int client = sipc_cli_home_words_of(cfg).client;
        int strict = client ? cfg->tls_enable
                            : sipc_config_effective_mode(cfg) == SIPC_TLS_STRICT;
        printf("%s: reachable, PLAINTEXT (TLS is not enabled there)%s\n", p->addr,
               !strict  ? "; expected before TLS is enabled there"
               : client ? ": this home's clients speak TLS only ([tls] enable = 1) and cannot "
                          "reach it; enable TLS there"
                        : ": this node is strict and will refuse it; enable TLS there "
                          "(or use [tls] mode = permissive during the rollout)");
        report_live_mode(cfg, p);
        return strict ? EX_CHECK_PLAINTEXT : EX_OK;
    }
    int cls = sipc_err_classify(p->err);
    const char *why = p->detail[0] ? p->detail : p->log[0] ? p->log : sipc_strerror(p->err);
    if (p->err == SIPC_EHSTIMEOUT || p->err == SIPC_ESILENT || p->err == SIPC_EHELLOTIMEOUT) {
        /* no answer in time (a stopped or overloaded process, a host that
         * drops packets) is neither a rejection nor another certificate */
        printf("%s: NOT answering: %s\n", p->addr, why);
        return EX_CHECK_UNREACHABLE;
    }
    if (cls == SIPC_CLASS_AUTH || cls == SIPC_CLASS_TLS) {
        printf("%s: reachable, TLS handshake FAILED: %s\n", p->addr, why);
        return EX_CHECK_MISMATCH;
    }
    if (cls == SIPC_CLASS_PROTOCOL) {
        printf("%s: reachable, but: %s\n", p->addr, why);
        return EX_CHECK_MISMATCH;
    }
    if (cls == SIPC_CLASS_CALL && p->err != SIPC_ETIMEDOUT) {
        /* connected and asked: the process there is not a node that tells
         * its mode */
        printf("%s: reachable, but its answer to sys.info is an error: %s\n", p->addr, why);
        return EX_CHECK_MISMATCH;
    }
    /* the detail often is the error's own text again */
    const char *detail = strcmp(p->detail, sipc_strerror(p->err)) ? p->detail : "";
    printf("%s: NOT reachable: %s%s%s\n", p->addr, sipc_strerror(p->err), detail[0] ? " - " : "",
           detail);
    return EX_CHECK_UNREACHABLE;
}

int cmd_check(void *arg)
{
    const opts *o = arg;
    /* the nodes come from [cluster] nodes */
    if (extra_args(o, 0))
        return EX_USAGE;
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    char own_fp[65];
    int shared_pair = 0;
    int st = check_own(o, &cfg, own_fp, &shared_pair);
    if (st < 0)
        return -st;
    if (sipc_config_port(&cfg, "data") == 23443)
        printf("PROBLEM: the data service is on the old port 23443: move it to 23000 before "
               "enabling TLS\n");
    if (st != SIPC_VFY_OK)
        return tlstool_verify_exit_code((sipc_vfy_status)st);
    /* as tlstool status says it; with TLS off the mode is only what `enable`
     * would apply, never one the node runs */
    /* a client-only home has no node whose TLS `enable` would turn on */
    if (sipc_cli_home_words_of(&cfg).client)
        printf("TLS: %s\n", cfg.tls_enable
                                ? "required by this home's clients ([tls] enable = 1)"
                                : "offered by this home's clients, plaintext taken from a node "
                                  "that answers so ([tls] enable = 0)");
    else if (cfg.tls_enable)
        printf("TLS: enabled (configured: mode %s)\n", sipc_tls_mode_name(cfg.tls_mode));
    else
        printf("TLS: disabled (configured: `tlstool enable` applies mode %s)\n",
               sipc_tls_mode_name(cfg.tls_mode));
    if (cfg.nnodes == 0) {
        /* a pre-flight that tested no node must not read as a pass */
        printf("CHECK INCOMPLETE: no [cluster] nodes in %s/sipc.conf, so no node was tested "
               "(only this node's pair was verified): list the cluster's nodes there\n",
               o->home_shown);
        return EX_CHECK_NOTHING;
    }
    printf("== test connections to %d node(s) from [cluster] nodes\n", cfg.nnodes);
    node_probe *nodes;
    char err[600];
    if ((r = probe_cluster(&cfg, o->timeout_ms ? o->timeout_ms : 5000, &nodes, err,
                           sizeof err)) != 0)
        return fail(r, "%s", err);
    rotation_fps rf;
    rotation_fps_of(o, &rf);
    int worst = EX_OK;
    for (int i = 0; i < cfg.nnodes; i++) {
        int code = report(&cfg, &nodes[i], own_fp, shared_pair, &rf);
        if (code > worst)
            worst = code;
    }
    free(nodes);
    printf(worst == EX_OK ? "CHECK PASSED\n" : "CHECK FAILED\n");
    return worst;
}
