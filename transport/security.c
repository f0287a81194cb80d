/* security.c - sipc_security: the TLS mode plus, when TLS is on, this node's
 * key pair, the verifier (certs/trust.c) and the engine's contexts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certs/keypair.h"
#include "certs/trust.h"
#include "transport/security.h"

struct sipc_security {
    int refs;
    sipc_tls_mode mode;
    sipc_keypair kp;
    sipc_trust *trust;
    sipc_tls_config *tls;
};

static int security_alloc(sipc_security **out, sipc_tls_mode mode)
{
    sipc_security *sec = calloc(1, sizeof *sec);
    if (!sec)
        return SIPC_ENOMEM;
    sec->refs = 1;
    sec->mode = mode;
    *out = sec;
    return 0;
}

static void security_free(sipc_security *sec)
{
    sipc_tls_config_free(sec->tls);
    sipc_trust_free(sec->trust);
    sipc_keypair_free(&sec->kp);
    free(sec);
}

/* The last step of every TLS constructor: the engine's contexts, or undo. */
static int security_finish(sipc_security *sec, int r, sipc_security **out, char *err, size_t errlen)
{
    if (r == 0)
        r = sipc_tls_config_new(&sec->tls, &sec->kp, sec->trust, err, errlen);
    if (r != 0) {
        security_free(sec);
        return r;
    }
    *out = sec;
    return 0;
}

int sipc_security_plain(sipc_security **out)
{
    return security_alloc(out, SIPC_TLS_OFF);
}

int sipc_security_load(sipc_security **out, const sipc_config *cfg, char *err, size_t errlen)
{
    sipc_tls_mode mode = sipc_config_effective_mode(cfg);
    sipc_security *sec;
    int r = security_alloc(&sec, mode);
    if (r != 0 || mode == SIPC_TLS_OFF) {
        if (r == 0)
            *out = sec;
        return r;
    }
    char path[1100];
    snprintf(path, sizeof path, "%s/security/node.crt", cfg->home);
    r = sipc_keypair_load_pem(&sec->kp, path, NULL, err, errlen);
    if (r != 0) {
        size_t n = strlen(err);
        snprintf(err + n, errlen - n, " (TLS is enabled: import the cluster's key pair with "
                                      "`tlstool import FILE`, or `tlstool disable`)");
        return security_finish(sec, r, out, err, errlen);
    }
    sipc_trust_policy pol;
    memset(&pol, 0, sizeof pol);
    snprintf(pol.subject, sizeof pol.subject, "%s", cfg->subject);
    pol.revocation = cfg->revocation;
    r = sipc_trust_load_home(&sec->trust, cfg->home, &pol, err, errlen);
    return security_finish(sec, r, out, err, errlen);
}

int sipc_security_from_pem(sipc_security **out, sipc_tls_mode mode, const char *cert_pem,
                           const char *key_pem, char *err, size_t errlen)
{
    sipc_security *sec;
    int r = security_alloc(&sec, mode);
    if (r != 0 || mode == SIPC_TLS_OFF) {
        if (r == 0)
            *out = sec;
        return r;
    }
    r = sipc_keypair_load_pem(&sec->kp, cert_pem, key_pem, err, errlen);
    if (r != 0)
        return security_finish(sec, r, out, err, errlen);
    sipc_trust_policy pol;
    memset(&pol, 0, sizeof pol);
    pol.revocation = SIPC_REVOCATION_SOFT;
    r = sipc_trust_new(&sec->trust, &pol);
    if (r == 0)
        r = sipc_trust_set_own(sec->trust, &sec->kp);
    if (r != 0) {
        snprintf(err, errlen, "%s: cannot use this certificate as the cluster's pair", cert_pem);
        r = SIPC_ETLSCONFIG;
    }
    return security_finish(sec, r, out, err, errlen);
}

int sipc_security_self_check(const sipc_security *sec, char *msg, size_t len)
{
    msg[0] = '\0';
    if (sec->mode == SIPC_TLS_OFF)
        return 0;
    sipc_vfy_result res;
    sipc_vfy_status st = sipc_trust_verify(sec->trust, sec->kp.certs, sec->kp.ncerts,
                                           SIPC_PURPOSE_BOTH, time(NULL), &res);
    if (st != SIPC_VFY_OK) {
        snprintf(msg, len, "this node's certificate does not verify, every TLS handshake will fail: "
                           "%s; fix: %s",
                 res.reason, res.fix);
        return SIPC_EPEERAUTH;
    }
    snprintf(msg, len, "%s", res.warning);
    return 0;
}

sipc_security *sipc_security_retain(sipc_security *sec)
{
    __atomic_add_fetch(&sec->refs, 1, __ATOMIC_RELAXED);
    return sec;
}

void sipc_security_release(sipc_security *sec)
{
    if (sec && __atomic_sub_fetch(&sec->refs, 1, __ATOMIC_ACQ_REL) == 0)
        security_free(sec);
}

sipc_tls_mode sipc_security_mode(const sipc_security *sec)
{
    return sec->mode;
}

const char *sipc_security_fingerprint(const sipc_security *sec)
{
    return sec->mode == SIPC_TLS_OFF ? "" : sec->kp.fingerprint;
}

sipc_tls_config *sipc_security_tls(const sipc_security *sec)
{
    return sec->tls;
}
