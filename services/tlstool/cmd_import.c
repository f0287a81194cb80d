/* cmd_import.c - `tlstool import`: check a PKCS#12 key pair as peers will,
 * then install it as this node's pair. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certs/tool/pkcs12.h"
#include "certs/tool/store.h"
#include "services/tlstool/tlstool.h"

int cmd_import(void *arg)
{
    opts *o = arg;
    if (extra_args(o, 2))
        return EX_USAGE;
    if (o->npos < 1)
        return fail(EX_USAGE, "import needs FILE: tlstool import FILE (see tlstool import --help)");
    const char *file = o->pos[0];
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
    if ((r = need_pfx(file, data, len)) != 0 || (r = get_password(o, 0, pw, sizeof pw)) != 0) {
        sipc_secure_free(data, len);
        return r;
    }
    sipc_keypair kp;
    sipc_pfx_error why;
    r = sipc_pfx_read(data, len, pw, &kp, &why, err, sizeof err);
    explicit_bzero(pw, sizeof pw);
    if (r != 0) {
        sipc_secure_free(data, len);
        return pfx_fail(file, r, why, err);
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
        return fail(tlstool_verify_exit_code(st), "%s: not imported: %s\ntlstool: fix: %s", file,
                    res.reason, res.fix);
    }
    r = sipc_store_import(o->home, &kp, data, len, err, sizeof err);
    sipc_secure_free(data, len);
    if (r == SIPC_STORE_PARTIAL) {
        sipc_keypair_free(&kp);
        return fail(EX_PARTIAL, "%s: not imported, only half: %s", file, err);
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
    printf("imported %s into %s/security (node.crt, node.p12, mode 0600)\n", file, o->home);
    printf("  subject:  %s\n  issuer:   %s\n  key:      %s\n  valid to: %s\n  SHA-256:  %s\n",
           x.subject, x.issuer, x.key_desc, na, x.fingerprint);
    if (kp.ncerts > 1)
        printf("  chain:    %d more certificate(s)\n", kp.ncerts - 1);
    if (have_pair)
        printf("the replaced pair is kept in %s/security/previous/\n", o->home);
    if (res.warning[0])
        printf("warning: %s\n", res.warning);
    if (later)
        printf("warning: peers will not accept this pair yet: %s\n  fix: %s\n", later, res.fix);
    if (policy[0]) /* before enable, and before a reload uses the pair */
        printf("warning: TLS will not start with this pair yet: %s\n", policy);
    if (cfg.tls_enable && have_pair)
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
               o->home);
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
