/* kv_identity.c - a program's TLS identity: PEM files or a node home (kv.h). */
#include <stdio.h>
#include <string.h>

#include "kv.h"

/* The verifier peers use, on our own certificate: an expired or too weak
 * one is refused now, with its reason, instead of at every handshake, where
 * only the peer's log would say why. */
static int self_check(kv_identity *id, char *err, size_t errlen)
{
    char why[600];
    int r = sipc_security_self_check(id->sec, why, sizeof why);
    if (r != 0) {
        snprintf(err, errlen, "%s", why);
        sipc_security_release(id->sec);
        id->sec = NULL;
        return r;
    }
    if (why[0])
        fprintf(stderr, "kv: warning: %s\n", why);
    return 0;
}

int kv_identity_load(kv_identity *id, const char *cert, const char *key, const char *home,
                     const char *node_id, int client, char *err, size_t errlen)
{
    memset(id, 0, sizeof *id);
    if (cert && home) {
        snprintf(err, errlen, "give either --cert FILE [--key FILE] or --home DIR, not both");
        return SIPC_EINVAL;
    }
    if (cert) {
        /* Not a node: no sipc.conf, no home. Strict TLS, so a plaintext or
         * differently keyed peer is refused. */
        int r = sipc_security_from_pem(&id->sec, SIPC_TLS_STRICT, cert, key, err, errlen);
        if (r == 0)
            r = self_check(id, err, errlen);
        if (r != 0)
            return r;
        sipc_options_init(&id->opts);
        id->opts.node_id = node_id;
        id->opts.cluster = KV_CLUSTER;
        return 0;
    }
    /* A home (--home DIR, else $SIPC_HOME, else /var/lib/sipc; one that
     * does not exist is refused): the pair, trust anchors and revocation
     * policy come from it. The server follows [tls] as sipcd does (even
     * off); the client offers TLS whenever a pair is imported, as every
     * client of a cluster does, so that a client-only home (no enable)
     * still reaches a node that requires TLS. */
    int r = sipc_config_load(&id->cfg, home, err, errlen);
    if (r != 0)
        return r;
    r = client ? sipc_security_load_client(&id->sec, &id->cfg, err, errlen)
               : sipc_security_load(&id->sec, &id->cfg, err, errlen);
    if (r == 0)
        r = self_check(id, err, errlen);
    if (r != 0)
        return r;
    sipc_options_from_config(&id->opts, &id->cfg);
    id->from_home = 1;
    return 0;
}
