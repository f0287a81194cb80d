/* security.c - sipc_security: the TLS mode plus, when TLS is on, this node's
 * key pair, the one verifier (certs/trust.c) and the TLS engine's contexts.
 * This is where the engine's verify callback is wired to the verifier, so the
 * engine itself knows no certificate policy. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/str_copy.h"
#include "certs/verdict_cache.h"
#include "certs/x509_info.h"
#include "ipc/security.h"
#include "transport/stream.h"

struct sipc_security {
    int refs;
    sipc_tls_mode mode;
    sipc_keypair kp;
    sipc_trust *trust;
    /* chains this trust accepted: a reconnecting peer's chain is not
     * verified again while its verdict's dates hold */
    sipc_verdict_cache *verdicts;
    sipc_tls_config *tls;
    /* peers refused because they lack the required subject (atomic) */
    uint64_t subject_refusals;
    int offer_only; /* permissive only because a pair is imported: TLS is off here */
    int from_pem;   /* a program's own PEM files (sipc_security_from_pem), no node's pair */
    char tls_reason[256]; /* why this side requires TLS; "": ask whether TLS is on everywhere */
    char plain_reason[256]; /* why this side is plaintext; "": the generic fixes */
    sipc_vfy_result *staged; /* the staged pair judged at load; NULL: none judged */
};

const char *sipc_tls_mode_name(sipc_tls_mode mode)
{
    switch (mode) {
    case SIPC_TLS_OFF:
        return "off";
    case SIPC_TLS_STRICT:
        return "strict";
    case SIPC_TLS_PERMISSIVE:
        return "permissive";
    }
    return "off";
}

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
    sipc_verdict_cache_free(sec->verdicts);
    sipc_trust_free(sec->trust);
    sipc_keypair_free(&sec->kp);
    free(sec->staged);
    free(sec);
}

/* Whether the certificate res failed on is one the peer sent (its leaf
 * always is): a certificate of this side's own (a root in its trust/, a
 * CA of its own pair) is not the peer's to renew or replace. */
static int peer_sent(const sipc_vfy_result *res, const sipc_tls_der *chain, int n)
{
    if (res->depth == 0)
        return 1;
    if (res->depth < 0 || res->depth >= res->nlinks)
        return 0;
    for (int i = 1; i < n; i++) {
        char fp[65];
        sipc_fingerprint(chain[i].data, chain[i].len, fp);
        if (!strcmp(fp, res->links[res->depth].fingerprint))
            return 1;
    }
    return 0;
}

/* The alert a refusal is sent with: the cause, where TLS has one for it
 * and the peer's own chain holds it; bad_certificate ("the peer's log says
 * why") for a cause on this side. */
static int refusal_alert(const sipc_vfy_result *res, const sipc_tls_der *chain, int n)
{
    switch (res->status) {
    case SIPC_VFY_REVOKED:
        return peer_sent(res, chain, n) ? SIPC_TLS_REFUSE_REVOKED : SIPC_TLS_REFUSE_BAD;
    case SIPC_VFY_REVOCATION_UNKNOWN:
        return SIPC_TLS_REFUSE_UNKNOWN;
    case SIPC_VFY_EXPIRED:
    case SIPC_VFY_NOT_YET_VALID:
        return peer_sent(res, chain, n) ? SIPC_TLS_REFUSE_EXPIRED : SIPC_TLS_REFUSE_BAD;
    default:
        return SIPC_TLS_REFUSE_BAD;
    }
}

/* The engine's verify callback: the same verifier as `tlstool verify`
 * (through the cache of this trust's verdicts, which answers only for the
 * same bytes while every date the verdict rests on still holds). */
static int verify_peer(void *arg, const sipc_tls_der *chain, int n, int peer_is_client,
                       int64_t *until, int *alert, char *why, size_t whylen)
{
    sipc_security *sec = arg;
    _Static_assert(SIPC_TLS_MAX_CHAIN == SIPC_KP_MAX_CHAIN,
                   "the handshake and the tools take chains of the same length");
    /* the wolfSSL transport refuses a longer chain before it asks; any
     * other engine is answered in the verifier's words */
    if (n > SIPC_TLS_MAX_CHAIN) {
        sipc_vfy_chain_too_long_reason(n, why, whylen);
        return SIPC_EPEERAUTH;
    }
    sipc_der links[SIPC_TLS_MAX_CHAIN];
    for (int i = 0; i < n; i++) {
        links[i].data = (uint8_t *)chain[i].data;
        links[i].len = chain[i].len;
    }
    sipc_vfy_result res;
    int r = sipc_verdict_cache_verify(sec->verdicts, links, n,
                                      peer_is_client ? SIPC_PURPOSE_CLIENT : SIPC_PURPOSE_SERVER,
                                      time(NULL), &res);
    if (r == 0) {
        *until = (int64_t)res.valid_until;
        return 0;
    }
    /* the verifier words its fixes for a node's imported pair */
    if (sec->from_pem)
        sipc_vfy_fix_for(&res, SIPC_VFY_FOR_PEM, NULL);
    if (res.status == SIPC_VFY_WRONG_SUBJECT)
        __atomic_fetch_add(&sec->subject_refusals, 1, __ATOMIC_RELAXED);
    *alert = refusal_alert(&res, chain, n);
    if (res.status == SIPC_VFY_INCOMPLETE_CHAIN && n == SIPC_TLS_MAX_CHAIN) {
        /* wolfSSL reads no more of a peer's chain and does not say whether
         * there was more: the missing issuer may have been sent */
        snprintf(why, whylen,
                 "%s, or the chain is longer than sipc accepts: the peer presented %d "
                 "certificates, the most sipc reads (at most %d); fix: present only the "
                 "certificate and the CAs above it; %s",
                 res.reason, n, SIPC_TLS_MAX_CHAIN, res.fix);
        return SIPC_EPEERAUTH;
    }
    snprintf(why, whylen, "%s%s%s", res.reason, res.fix[0] ? "; fix: " : "", res.fix);
    return SIPC_EPEERAUTH;
}

int sipc__security_new_tls(sipc_security **out, sipc_tls_mode mode, sipc_keypair *kp,
                           sipc_trust *trust, char *err, size_t errlen)
{
    assert(mode != SIPC_TLS_OFF && kp && trust);
    sipc_security *sec;
    int r = security_alloc(&sec, mode);
    if (r != 0) {
        sipc_keypair_free(kp);
        sipc_trust_free(trust);
        return r;
    }
    sec->kp = *kp;
    memset(kp, 0, sizeof *kp);
    sec->trust = trust;
    r = sipc_verdict_cache_new(&sec->verdicts, trust);
    if (r != 0) {
        security_free(sec);
        return r;
    }

    sipc_tls_der chain[SIPC_KP_MAX_CHAIN];
    for (int i = 0; i < sec->kp.ncerts; i++)
        chain[i] = (sipc_tls_der){sec->kp.certs[i].data, sec->kp.certs[i].len};
    int na = sipc_trust_anchor_count(trust);
    sipc_tls_der *anchors = calloc((size_t)na + 1, sizeof *anchors);
    if (!anchors) {
        security_free(sec);
        return SIPC_ENOMEM;
    }
    for (int i = 0; i < na; i++) {
        const sipc_der *a = sipc_trust_anchor(trust, i);
        anchors[i] = (sipc_tls_der){a->data, a->len};
    }
    sipc_tls_params p = {
        .chain = chain,
        .nchain = sec->kp.ncerts,
        .key = {sec->kp.key.data, sec->kp.key.len},
        .anchors = anchors,
        .nanchors = na,
        .verify = verify_peer,
        .verify_arg = sec,
    };
    /* the peer checks the dates of every certificate sent: the window in
     * which all are valid, and the issuer that bounds it, if not the leaf
     * (none said if one cannot be read) */
    char nb_of[sizeof ((sipc_x509 *)0)->subject] = "", na_of[sizeof nb_of] = "";
    for (int i = 0; i < sec->kp.ncerts; i++) {
        sipc_x509 x;
        char perr[128];
        if (sipc_x509_parse(&x, sec->kp.certs[i].data, sec->kp.certs[i].len, perr,
                            sizeof perr) != 0) {
            p.not_before = p.not_after = 0;
            break;
        }
        const char *name = x.subject_cn[0] ? x.subject_cn : x.subject;
        if (i == 0 || (int64_t)x.not_before > p.not_before) {
            p.not_before = (int64_t)x.not_before;
            snprintf(nb_of, sizeof nb_of, "%s", i ? name : "");
        }
        if (i == 0 || (int64_t)x.not_after < p.not_after) {
            p.not_after = (int64_t)x.not_after;
            snprintf(na_of, sizeof na_of, "%s", i ? name : "");
        }
    }
    p.not_before_of = nb_of;
    p.not_after_of = na_of;
    r = sipc_tls_config_new(&sec->tls, &p, err, errlen);
    free(anchors);
    if (r != 0) {
        security_free(sec);
        return r;
    }
    *out = sec;
    return 0;
}

void sipc__security_set_offer_only(sipc_security *sec)
{
    sec->offer_only = sec->mode == SIPC_TLS_PERMISSIVE;
}

int sipc__security_offer_only(const sipc_security *sec)
{
    return sec->offer_only;
}

void sipc__security_set_tls_reason(sipc_security *sec, const char *why)
{
    sipc_str_copy(sec->tls_reason, sizeof sec->tls_reason, why ? why : "");
}

const char *sipc__security_tls_reason(const sipc_security *sec)
{
    return sec ? sec->tls_reason : "";
}

void sipc__security_set_plain_reason(sipc_security *sec, const char *why)
{
    sipc_str_copy(sec->plain_reason, sizeof sec->plain_reason, why ? why : "");
}

const char *sipc__security_plain_reason(const sipc_security *sec)
{
    return sec ? sec->plain_reason : "";
}

uint64_t sipc__security_verdict_hits(const sipc_security *sec)
{
    return sec->verdicts ? sipc_verdict_cache_hits(sec->verdicts) : 0;
}

int sipc_security_plain(sipc_security **out)
{
    if (!out)
        return SIPC_EINVAL;
    return security_alloc(out, SIPC_TLS_OFF);
}

int sipc_security_from_pem(sipc_security **out, sipc_tls_mode mode, const char *cert_pem,
                           const char *key_pem, char *err, size_t errlen)
{
    if (!err)
        errlen = 0; /* no detail wanted: every write below is then empty */
    if (!out) {
        snprintf(err, errlen, "sipc_security_from_pem: out is NULL");
        return SIPC_EINVAL;
    }
    if (mode != SIPC_TLS_STRICT && mode != SIPC_TLS_PERMISSIVE && mode != SIPC_TLS_OFF) {
        snprintf(err, errlen, "sipc_security_from_pem: mode %d is not a sipc_tls_mode "
                 "(SIPC_TLS_STRICT or SIPC_TLS_PERMISSIVE)", (int)mode);
        return SIPC_EINVAL;
    }
    /* SIPC_TLS_OFF is 0: a mode left zeroed must not turn a program that
     * loads a certificate into a plaintext server that accepts anyone */
    if (mode == SIPC_TLS_OFF && !cert_pem && !key_pem)
        return security_alloc(out, mode);
    if (mode == SIPC_TLS_OFF) {
        snprintf(err, errlen, "sipc_security_from_pem: mode SIPC_TLS_OFF takes no certificate or "
                 "key: for TLS give SIPC_TLS_STRICT (or SIPC_TLS_PERMISSIVE while peers move to "
                 "TLS); for plaintext use sipc_security_plain()");
        return SIPC_EINVAL;
    }
    if (!cert_pem || !*cert_pem) {
        snprintf(err, errlen, "sipc_security_from_pem: cert_pem is %s: name the PEM file of "
                 "this program's certificate", cert_pem ? "empty" : "NULL");
        return SIPC_EINVAL;
    }
    sipc_keypair kp;
    memset(&kp, 0, sizeof kp);
    int r = sipc_keypair_load_pem(&kp, cert_pem, key_pem, err, errlen);
    if (r == 0 && (r = sipc_keypair_check_match(&kp, key_pem ? key_pem : cert_pem, err, errlen)) != 0)
        sipc_keypair_free(&kp);
    if (r != 0)
        return r;
    sipc_trust_policy pol;
    memset(&pol, 0, sizeof pol);
    pol.revocation = SIPC_TRUST_REV_SOFT;
    sipc_trust *trust = NULL;
    char why[256] = "out of memory";
    r = sipc_trust_new(&trust, &pol);
    if (r == 0)
        r = sipc_trust_set_own(trust, &kp, why, sizeof why);
    if (r != 0) {
        snprintf(err, errlen, "%s: cannot use this certificate as the cluster's pair: %s", cert_pem,
                 why);
        sipc_trust_free(trust);
        sipc_keypair_free(&kp);
        return SIPC_ETLSCONFIG;
    }
    r = sipc__security_new_tls(out, mode, &kp, trust, err, errlen);
    if (r == 0)
        (*out)->from_pem = 1;
    return r;
}

int sipc_security_self_check(const sipc_security *sec, char *msg, size_t len)
{
    if (!msg || !len)
        return SIPC_EINVAL;
    msg[0] = '\0';
    if (!sec) {
        snprintf(msg, len, "sipc_security_self_check: sec is NULL");
        return SIPC_EINVAL;
    }
    if (sec->mode == SIPC_TLS_OFF)
        return 0;
    sipc_vfy_result res;
    if (sipc_trust_verify(sec->trust, sec->kp.certs, sec->kp.ncerts, SIPC_PURPOSE_BOTH, time(NULL),
                          &res) != 0) {
        if (sec->from_pem)
            sipc_vfy_fix_for(&res, SIPC_VFY_FOR_PEM, NULL);
        snprintf(msg, len, "this %s's certificate does not verify, every TLS handshake will fail: "
                           "%s; fix: %s",
                 sec->from_pem ? "program" : "node", res.reason, res.fix);
        return SIPC_EPEERAUTH;
    }
    sipc_str_copy(msg, len, res.warning);
    return 0;
}

int sipc_security_check_own_subject(const sipc_security *sec, char *msg, size_t len)
{
    if (len && !msg)
        return SIPC_EINVAL;
    if (len)
        msg[0] = '\0';
    if (!sec || sec->mode == SIPC_TLS_OFF || !sipc_trust_subject(sec->trust)[0])
        return 0;
    /* the verifier peers use: a pinned self-signed pair is asked no subject */
    sipc_vfy_result res;
    if (sipc_trust_verify(sec->trust, sec->kp.certs, sec->kp.ncerts, SIPC_PURPOSE_BOTH, time(NULL),
                          &res) == 0 ||
        res.status != SIPC_VFY_WRONG_SUBJECT)
        return 0;
    sipc_str_copy(msg, len, res.reason);
    return SIPC_EPEERAUTH;
}

int sipc_security_subject_pinned(const sipc_security *sec, int *carries, char *msg, size_t len)
{
    if (len && !msg)
        return SIPC_EINVAL;
    if (len)
        msg[0] = '\0';
    if (carries)
        *carries = 0;
    if (!sec || sec->mode == SIPC_TLS_OFF || !sipc_trust_subject(sec->trust)[0] ||
        !sipc_trust_pairs_only(sec->trust))
        return 0;
    int has = sipc_trust_own_has_subject(sec->trust, msg, len);
    if (carries)
        *carries = has;
    return 1;
}

uint64_t sipc_security_subject_refusals(const sipc_security *sec)
{
    return sec ? __atomic_load_n(&sec->subject_refusals, __ATOMIC_RELAXED) : 0;
}

sipc_security *sipc_security_retain(sipc_security *sec)
{
    if (!sec)
        return NULL;
    int was = __atomic_fetch_add(&sec->refs, 1, __ATOMIC_RELAXED);
    assert(was > 0);
    (void)was;
    return sec;
}

void sipc_security_release(sipc_security *sec)
{
    if (!sec)
        return;
    int now = __atomic_sub_fetch(&sec->refs, 1, __ATOMIC_ACQ_REL);
    assert(now >= 0);
    if (now == 0)
        security_free(sec);
}

sipc_tls_mode sipc_security_mode(const sipc_security *sec)
{
    return sec ? sec->mode : SIPC_TLS_OFF;
}

const char *sipc_security_fingerprint(const sipc_security *sec)
{
    return !sec || sec->mode == SIPC_TLS_OFF ? "" : sec->kp.fingerprint;
}

const char *sipc_security_rotation_pair(const sipc_security *sec, char fp[65], char issuer[256])
{
    fp[0] = '\0';
    if (issuer)
        issuer[0] = '\0';
    if (!sec || sec->mode == SIPC_TLS_OFF)
        return NULL;
    const char *role = sipc_trust_rotation_pair(sec->trust, fp, issuer);
    if (!role)
        return NULL;
    if (strcmp(role, "staged pair") != 0)
        return "previous";
    return sipc_trust_rotation_rolled_back(sec->trust) ? "rolled_back" : "staged";
}

int sipc__security_set_staged(sipc_security *sec, const sipc_vfy_result *res)
{
    free(sec->staged);
    sec->staged = NULL;
    if (!res)
        return 0;
    if (!(sec->staged = malloc(sizeof *sec->staged)))
        return SIPC_ENOMEM;
    *sec->staged = *res;
    return 0;
}

int sipc_security_staged_verifies(const sipc_security *sec, char *reason, size_t rlen, char *fix,
                                  size_t flen, int *completable)
{
    const sipc_vfy_result *v = sec && sec->mode != SIPC_TLS_OFF ? sec->staged : NULL;
    int ok = !v || v->status == SIPC_VFY_OK;
    if (reason && rlen)
        sipc_str_copy(reason, rlen, ok ? "" : v->reason);
    if (fix && flen)
        sipc_str_copy(fix, flen, ok ? "" : v->fix);
    if (completable)
        *completable = !ok && sipc_vfy_completable(v->status);
    return ok;
}

const char *sipc_security_required_subject(const sipc_security *sec)
{
    return sec && sec->mode != SIPC_TLS_OFF ? sipc_trust_subject(sec->trust) : "";
}

int sipc_security_set_resumption(sipc_security *sec, int on)
{
    if (!sec)
        return SIPC_EINVAL;
    if (!sec->tls) /* plaintext: nothing to resume, and off is what it is */
        return on ? SIPC_ENOTCONN : 0;
    /* the engine answers whether resumption is now on */
    return sipc_tls_config_set_resumption(sec->tls, on) == !!on ? 0 : SIPC_ENOTSUP;
}

sipc_tls_config *sipc_security_tls(const sipc_security *sec)
{
    return sec->tls;
}

unsigned sipc_security_accepts(const sipc_security *sec)
{
    switch (sec->mode) {
    case SIPC_TLS_OFF:
        return SIPC_STREAM_PLAIN;
    case SIPC_TLS_STRICT:
        return SIPC_STREAM_TLS;
    case SIPC_TLS_PERMISSIVE:
        return SIPC_STREAM_PLAIN | SIPC_STREAM_TLS;
    }
    return SIPC_STREAM_PLAIN;
}

int sipc_security_certificate(const sipc_security *sec, sipc_cert_info *out)
{
    if (!sec || !out)
        return SIPC_EINVAL;
    memset(out, 0, sizeof *out);
    if (sec->mode == SIPC_TLS_OFF || sec->kp.ncerts == 0)
        return SIPC_ENOTCONN;
    sipc_x509 x;
    char err[256];
    if (sipc_x509_parse(&x, sec->kp.certs[0].data, sec->kp.certs[0].len, err, sizeof err) != 0)
        return SIPC_ETLSCONFIG; /* it was parsed when loaded: cannot happen */
    sipc_str_copy(out->subject, sizeof out->subject, x.subject);
    sipc_str_copy(out->issuer, sizeof out->issuer, x.issuer);
    sipc_str_copy(out->fingerprint, sizeof out->fingerprint, sec->kp.fingerprint);
    out->not_before = (int64_t)x.not_before;
    out->not_after = (int64_t)x.not_after;
    sipc_str_copy(out->key, sizeof out->key, x.key_desc);
    return 0;
}

int sipc_security_crl(const sipc_security *sec, int i, sipc_crl_info *out)
{
    if (!sec || !out)
        return SIPC_EINVAL;
    memset(out, 0, sizeof *out);
    const char *name = NULL;
    const sipc_crl *c = sec->mode == SIPC_TLS_OFF ? NULL : sipc_trust_crl_at(sec->trust, i, &name);
    if (!c)
        return SIPC_EINVAL;
    sipc_str_copy(out->name, sizeof out->name, name);
    sipc_str_copy(out->issuer, sizeof out->issuer, c->issuer);
    out->this_update = (int64_t)c->this_update;
    out->next_update = (int64_t)c->next_update;
    out->due_soon = sipc_crl_due_soon(c->this_update, c->next_update, time(NULL));
    out->hard = sipc_trust_revocation_mode(sec->trust) == SIPC_TRUST_REV_HARD;
    return 0;
}
