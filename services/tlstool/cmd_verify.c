/* cmd_verify.c - `tlstool verify`: a chain verified exactly as a peer's is
 * in a handshake. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "services/tlstool/tlstool.h"

static int parse_purpose(const char *s, int *out)
{
    if (!s || !strcmp(s, "both"))
        *out = SIPC_PURPOSE_BOTH;
    else if (!strcmp(s, "client"))
        *out = SIPC_PURPOSE_CLIENT;
    else if (!strcmp(s, "server"))
        *out = SIPC_PURPOSE_SERVER;
    else
        return -1;
    return 0;
}

int cmd_verify(void *arg)
{
    opts *o = arg;
    if (extra_args(o, 1))
        return EX_USAGE;
    int purpose;
    if (parse_purpose(o->purpose, &purpose) != 0)
        return fail(EX_USAGE, "--purpose must be client, server or both");
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    sipc_keypair kp;
    const char *what;
    if (o->npos == 1) {
        if ((r = read_chain(o, o->pos[0], &kp, NULL)) != 0)
            return r;
        what = o->pos[0];
    } else {
        if ((r = load_pair(o, &kp, 0)) != 0)
            return r;
        what = "the imported pair";
    }
    sipc_trust *t;
    int have;
    if ((r = load_trust(o, &cfg, &t, &have)) != 0) {
        sipc_keypair_free(&kp);
        return r;
    }
    sipc_vfy_result res;
    sipc_vfy_status st =
        sipc_trust_verify(t, kp.certs, kp.ncerts, purpose, time(NULL), &res) == 0 ? SIPC_VFY_OK
                                                                                   : res.status;
    printf("verifying %s (%d certificate(s)) for TLS %s; revocation %s%s%s\n", what, kp.ncerts,
           purpose == SIPC_PURPOSE_BOTH ? "client and server" : purpose == SIPC_PURPOSE_CLIENT ? "client" : "server",
           revocation_name(cfg.revocation), cfg.subject[0] ? "; required subject " : "",
           cfg.subject);
    if (!have)
        printf("note: no key pair is imported on this node; only the trust store is used\n");
    print_links(&res);
    print_verdict(&res);
    /* an issuer between the leaf and the anchor that FILE lacks was taken
     * from this node's pair: a node without it finds the chain incomplete */
    for (int i = 1; o->npos == 1 && i + 1 < res.nlinks; i++)
        if (!strcmp(res.links[i].source, "own pair"))
            printf("note: %s lacks the intermediate CA '%s'; it was taken from this node's imported "
                   "pair. A node without it finds the chain incomplete (exit 23): export the "
                   "PKCS#12 with the whole chain (openssl pkcs12 -export ... -certfile CHAIN)\n",
                   what, res.links[i].subject);
    sipc_trust_free(t);
    sipc_keypair_free(&kp);
    return tlstool_verify_exit_code(st);
}
