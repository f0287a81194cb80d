/* kv.h - what the key-value example's server and client share: the service,
 * its methods and answers, and where a program gets its TLS identity.
 *
 * Written, like the rest of examples/, only against sipc's installed headers. */
#ifndef KV_H
#define KV_H

#include <stddef.h>

#include <sipc/node.h>

/* The service and its methods. Payloads:
 *   put     KEY '\0' VALUE   -> empty reply
 *   get     KEY              -> VALUE, or status KV_NOT_FOUND
 *   delete  KEY              -> empty reply, or status KV_NOT_FOUND
 * A KEY is 1..KV_MAX_KEY bytes without '\0'; a VALUE any bytes. */
#define KV_SERVICE "kv"
#define KV_MAX_KEY 256

/* Application statuses, given to sipc_respond_error(); the caller sees
 * SIPC_EREMOTE with reply->status set to one of them. */
#define KV_BAD_REQUEST 400
#define KV_NOT_FOUND 404
#define KV_FULL 507

/* The cluster name both ends say in their hello when they run from PEM
 * files; from a node home it is sipc.conf's [cluster] name. */
#define KV_CLUSTER "kv-example"

/* A program's TLS identity and context options, from one of two places:
 *
 *  - PEM files (--cert FILE [--key FILE]): a program that is not a node.
 *    Only sipc.h is needed: sipc_security_from_pem() and sipc_options_init().
 *    The certificate is the only trust anchor, so both ends must use the
 *    same pair (it is pinned).
 *  - a home (--home DIR, else $SIPC_HOME, else /var/lib/sipc): sipc.conf
 *    and the pair imported there with tlstool, through sipc/node.h:
 *    sipc_config_load(), then sipc_security_load() for the server (the node
 *    rule, [tls] as sipcd follows it) or sipc_security_load_client() for
 *    the client (the client rule: TLS whenever a pair is imported, so a
 *    client-only home needs no `tlstool enable`), then
 *    sipc_options_from_config(). */
typedef struct kv_identity {
    sipc_security *sec; /* owned: sipc_security_release() once the context has it */
    sipc_options opts;
    sipc_config cfg;    /* --home only; opts' strings point into it */
    int from_home;
} kv_identity;

/* From cert (and key, or NULL when cert holds the key too) if cert is set,
 * else from the home (home, or NULL for the default); not both. node_id
 * names this end in PEM mode; client picks the client rule for a home.
 * Returns 0, or a negative SIPC_* code with the reason in err. */
int kv_identity_load(kv_identity *id, const char *cert, const char *key, const char *home,
                     const char *node_id, int client, char *err, size_t errlen);

#endif /* KV_H */
