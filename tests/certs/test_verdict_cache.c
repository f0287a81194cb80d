/* test_verdict_cache.c - the cache of accepted chains (certs/verdict_cache.c)
 * never answers where a fresh verification would refuse: other bytes, another
 * purpose, a time past a certificate's dates or a CRL's next update, another
 * trust (a reload); and it does answer a repeated chain (it is used). Then the
 * same through real handshakes of the TLS engine (both ends in memory) with
 * securities made as a node makes them, where a reload is a new security; and
 * the TLS library's shortcut for a peer presenting the pinned pair itself
 * (it skips its own signature check) lets no impostor through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "certs/tool/keygen.h"
#include "certs/tool/store.h"
#include "certs/trust.h"
#include "certs/verdict_cache.h"
#include "certs/x509_info.h"
#include "ipc/security.h"
#include "testutil.h"
#include "tls_pair.h"
#include "transport/tls_engine.h"

static sipc_keypair A, B;

static int setup(void **state)
{
    char err[256];
    (void)state;
    if (sipc_keygen_selfsigned(SIPC_KEYALG_EC256, "CN=cache A", 30, &A, err, sizeof err) ||
        sipc_keygen_selfsigned(SIPC_KEYALG_EC256, "CN=cache B", 30, &B, err, sizeof err))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sipc_keypair_free(&A);
    sipc_keypair_free(&B);
    return 0;
}

static sipc_trust *trust_pinning(const sipc_keypair *own, sipc_trust_revocation rev)
{
    sipc_trust_policy pol;
    memset(&pol, 0, sizeof pol);
    pol.revocation = rev;
    sipc_trust *t = NULL;
    assert_int_equal(sipc_trust_new(&t, &pol), 0);
    assert_int_equal(sipc_trust_set_own(t, own, NULL, 0), 0);
    return t;
}

/* The cache's answer, checked against a fresh verification of the same
 * input: the same return code and status, always. */
static int cached_vs_fresh(sipc_verdict_cache *c, const sipc_trust *t, const sipc_der *chain,
                           int n, int purpose, time_t now)
{
    sipc_vfy_result cres, fres;
    int rc = sipc_verdict_cache_verify(c, chain, n, purpose, now, &cres);
    int fr = sipc_trust_verify(t, chain, n, purpose, now, &fres);
    assert_int_equal(rc, fr);
    assert_int_equal(cres.status, fres.status);
    return rc;
}

static void test_repeated_chain_answered(void **state)
{
    (void)state;
    sipc_trust *t = trust_pinning(&A, SIPC_TRUST_REV_SOFT);
    sipc_verdict_cache *c = NULL;
    assert_int_equal(sipc_verdict_cache_new(&c, t), 0);
    time_t now = time(NULL);
    assert_int_equal(cached_vs_fresh(c, t, A.certs, 1, SIPC_PURPOSE_CLIENT, now), 0);
    assert_int_equal(sipc_verdict_cache_hits(c), 0);
    assert_int_equal(cached_vs_fresh(c, t, A.certs, 1, SIPC_PURPOSE_CLIENT, now + 60), 0);
    assert_int_equal(sipc_verdict_cache_hits(c), 1);
    /* another purpose is another question */
    assert_int_equal(cached_vs_fresh(c, t, A.certs, 1, SIPC_PURPOSE_SERVER, now), 0);
    assert_int_equal(sipc_verdict_cache_hits(c), 1);
    /* a refusal is never kept: asked again, it is verified again */
    assert_int_equal(cached_vs_fresh(c, t, B.certs, 1, SIPC_PURPOSE_CLIENT, now), SIPC_EPEERAUTH);
    assert_int_equal(cached_vs_fresh(c, t, B.certs, 1, SIPC_PURPOSE_CLIENT, now), SIPC_EPEERAUTH);
    assert_int_equal(sipc_verdict_cache_hits(c), 1);
    sipc_verdict_cache_free(c);
    sipc_trust_free(t);
}

/* Every single-byte change of an accepted certificate, and the chain with a
 * certificate more, are judged afresh, and refused. */
static void test_changed_chain_refused(void **state)
{
    (void)state;
    sipc_trust *t = trust_pinning(&A, SIPC_TRUST_REV_SOFT);
    sipc_verdict_cache *c = NULL;
    assert_int_equal(sipc_verdict_cache_new(&c, t), 0);
    time_t now = time(NULL);
    assert_int_equal(cached_vs_fresh(c, t, A.certs, 1, SIPC_PURPOSE_BOTH, now), 0);
    size_t n = A.certs[0].len;
    uint8_t *copy = malloc(n);
    assert_non_null(copy);
    for (size_t i = 0; i < n; i++) {
        memcpy(copy, A.certs[0].data, n);
        copy[i] ^= (uint8_t)(1u << (i % 8));
        sipc_der d = {copy, n};
        if (cached_vs_fresh(c, t, &d, 1, SIPC_PURPOSE_BOTH, now) == 0)
            fail_msg("flipping byte %zu of %zu was accepted", i, n);
    }
    free(copy);
    assert_int_equal(sipc_verdict_cache_hits(c), 0);
    sipc_der two[2] = {A.certs[0], B.certs[0]};
    (void)cached_vs_fresh(c, t, two, 2, SIPC_PURPOSE_BOTH, now);
    assert_int_equal(sipc_verdict_cache_hits(c), 0);
    /* the accepted chain itself still is answered */
    assert_int_equal(cached_vs_fresh(c, t, A.certs, 1, SIPC_PURPOSE_BOTH, now), 0);
    assert_int_equal(sipc_verdict_cache_hits(c), 1);
    sipc_verdict_cache_free(c);
    sipc_trust_free(t);
}

/* Accepted now; asked again once the certificate has expired (or before it
 * was valid), the dates are judged again and it is refused, then accepted
 * from the cache again inside its dates. */
static void test_dates_judged_at_each_verification(void **state)
{
    (void)state;
    sipc_trust *t = trust_pinning(&A, SIPC_TRUST_REV_SOFT);
    sipc_verdict_cache *c = NULL;
    assert_int_equal(sipc_verdict_cache_new(&c, t), 0);
    sipc_x509 x;
    assert_int_equal(sipc_x509_parse(&x, A.certs[0].data, A.certs[0].len, NULL, 0), 0);
    time_t now = time(NULL);
    sipc_vfy_result res;
    assert_int_equal(sipc_verdict_cache_verify(c, A.certs, 1, SIPC_PURPOSE_BOTH, now, &res), 0);
    assert_true(res.valid_from == x.not_before && res.valid_until == x.not_after);
    assert_int_equal(cached_vs_fresh(c, t, A.certs, 1, SIPC_PURPOSE_BOTH, x.not_after), 0);
    assert_int_equal(sipc_verdict_cache_hits(c), 1);
    assert_int_equal(sipc_verdict_cache_verify(c, A.certs, 1, SIPC_PURPOSE_BOTH, x.not_after + 1,
                                               &res),
                     SIPC_EPEERAUTH);
    assert_int_equal(res.status, SIPC_VFY_EXPIRED);
    assert_int_equal(sipc_verdict_cache_verify(c, A.certs, 1, SIPC_PURPOSE_BOTH, x.not_before - 1,
                                               &res),
                     SIPC_EPEERAUTH);
    assert_int_equal(res.status, SIPC_VFY_NOT_YET_VALID);
    assert_int_equal(sipc_verdict_cache_hits(c), 1);
    assert_int_equal(cached_vs_fresh(c, t, A.certs, 1, SIPC_PURPOSE_BOTH, x.not_before), 0);
    assert_int_equal(sipc_verdict_cache_hits(c), 2);
    sipc_verdict_cache_free(c);
    sipc_trust_free(t);
}

/* PKITS 4.4.11: a CA whose CRL's next update is 2010-01-02 08:30:00 UTC,
 * revocation hard. Before it the chain is accepted (and cached); one second
 * after, the CRL is stale and the status unknown: refused, not answered from
 * the cache. The window of the verdict ends at the CRL's next update. */
static int read_pkits(const char *dir, const char *name, sipc_der *out)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/tests/certs/pkits/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    out->data = malloc(n);
    if (!out->data)
        return -1;
    memcpy(out->data, buf, n);
    out->len = n;
    return 0;
}

static void test_crl_next_update_judged(void **state)
{
    (void)state;
    const char *src = getenv("SIPC_SOURCE_DIR");
    assert_non_null(src);
    sipc_der root, ca, ee, rcrl, cacrl;
    assert_int_equal(read_pkits(src, "certs/TrustAnchorRootCertificate.crt", &root), 0);
    assert_int_equal(read_pkits(src, "certs/OldCRLnextUpdateCACert.crt", &ca), 0);
    assert_int_equal(read_pkits(src, "certs/InvalidOldCRLnextUpdateTest11EE.crt", &ee), 0);
    assert_int_equal(read_pkits(src, "crls/TrustAnchorRootCRL.crl", &rcrl), 0);
    assert_int_equal(read_pkits(src, "crls/OldCRLnextUpdateCACRL.crl", &cacrl), 0);
    sipc_trust_policy pol;
    memset(&pol, 0, sizeof pol);
    pol.revocation = SIPC_TRUST_REV_HARD;
    sipc_trust *t = NULL;
    char err[256];
    assert_int_equal(sipc_trust_new(&t, &pol), 0);
    assert_int_equal(sipc_trust_add_root(t, root.data, root.len, err, sizeof err), 0);
    assert_int_equal(sipc_trust_add_crl(t, rcrl.data, rcrl.len, err, sizeof err), 0);
    assert_int_equal(sipc_trust_add_crl(t, cacrl.data, cacrl.len, err, sizeof err), 0);
    sipc_verdict_cache *c = NULL;
    assert_int_equal(sipc_verdict_cache_new(&c, t), 0);
    sipc_der chain[2] = {ee, ca};
    const time_t next_update = 1262421000; /* 2010-01-02 08:30:00 UTC */
    sipc_vfy_result res;
    assert_int_equal(sipc_verdict_cache_verify(c, chain, 2, SIPC_PURPOSE_BOTH, next_update - 3600,
                                               &res),
                     0);
    assert_true(res.valid_until == next_update);
    assert_int_equal(cached_vs_fresh(c, t, chain, 2, SIPC_PURPOSE_BOTH, next_update), 0);
    assert_int_equal(sipc_verdict_cache_hits(c), 1);
    assert_int_equal(sipc_verdict_cache_verify(c, chain, 2, SIPC_PURPOSE_BOTH, next_update + 1,
                                               &res),
                     SIPC_EPEERAUTH);
    assert_int_equal(res.status, SIPC_VFY_REVOCATION_UNKNOWN);
    assert_int_equal(sipc_verdict_cache_hits(c), 1);
    sipc_verdict_cache_free(c);
    sipc_trust_free(t);
    sipc_der *all[] = {&root, &ca, &ee, &rcrl, &cacrl};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sipc_der_free(all[i]);
}

/* A cache is bounded: more accepted chains than it keeps, each answered
 * correctly, the oldest forgotten. */
static void test_bounded(void **state)
{
    (void)state;
    enum { N = SIPC_VERDICT_CACHE_ENTRIES + 4 };
    sipc_trust_policy pol;
    memset(&pol, 0, sizeof pol);
    pol.revocation = SIPC_TRUST_REV_OFF;
    sipc_trust *t = NULL;
    assert_int_equal(sipc_trust_new(&t, &pol), 0);
    static sipc_keypair kp[N];
    char err[256];
    for (int i = 0; i < N; i++) {
        char subject[64];
        snprintf(subject, sizeof subject, "CN=bounded %d", i);
        assert_int_equal(sipc_keygen_selfsigned(SIPC_KEYALG_EC256, subject, 30, &kp[i], err,
                                                sizeof err),
                         0);
        assert_int_equal(sipc_trust_add_rotation(t, &kp[i], "staged pair", err, sizeof err), 0);
    }
    sipc_verdict_cache *c = NULL;
    assert_int_equal(sipc_verdict_cache_new(&c, t), 0);
    time_t now = time(NULL);
    for (int i = 0; i < N; i++)
        assert_int_equal(cached_vs_fresh(c, t, kp[i].certs, 1, SIPC_PURPOSE_BOTH, now), 0);
    assert_int_equal(sipc_verdict_cache_hits(c), 0);
    /* the newest are kept, the first ones made room */
    assert_int_equal(cached_vs_fresh(c, t, kp[N - 1].certs, 1, SIPC_PURPOSE_BOTH, now), 0);
    assert_int_equal(sipc_verdict_cache_hits(c), 1);
    assert_int_equal(cached_vs_fresh(c, t, kp[0].certs, 1, SIPC_PURPOSE_BOTH, now), 0);
    assert_int_equal(sipc_verdict_cache_hits(c), 1);
    sipc_verdict_cache_free(c);
    sipc_trust_free(t);
    for (int i = 0; i < N; i++)
        sipc_keypair_free(&kp[i]);
}

/* ---- through handshakes: the verify callback of ipc/security.c ---- */

/* A full handshake (no resumption) of client cli against server srv: 0 when
 * both completed, else the server's error; the client's in *cerr. */
static int handshake(sipc_security *srv, sipc_security *cli, int *cerr)
{
    tu_tls_end c, s;
    assert_int_equal(tu_tls_pair_handshake(&c, &s, sipc_security_tls(cli), sipc_security_tls(srv)),
                     0);
    int done = sipc_tls_handshake_done(s.t) && sipc_tls_handshake_done(c.t) && !s.err && !c.err;
    int rc = done ? 0 : s.err ? s.err : -1;
    *cerr = c.err;
    tu_tls_pair_free(&c, &s);
    return rc;
}

/* A security of (a copy of) pair kp, pinning it, resumption off. */
static sipc_security *security_of(const sipc_keypair *kp)
{
    char *pem, err[256];
    size_t len;
    sipc_keypair copy;
    assert_int_equal(sipc_keypair_to_pem(kp, &pem, &len), 0);
    assert_int_equal(sipc_keypair_from_pem(&copy, pem, len, err, sizeof err), 0);
    sipc_secure_free(pem, len);
    sipc_trust *t = trust_pinning(&copy, SIPC_TRUST_REV_SOFT);
    sipc_security *sec = NULL;
    assert_int_equal(sipc__security_new_tls(&sec, SIPC_TLS_STRICT, &copy, t, err, sizeof err), 0);
    assert_int_equal(sipc_security_set_resumption(sec, 0), 0);
    return sec;
}

/* The second handshake of the same client is answered from the server's
 * cache; after a reload (a new security: here another pair, so another
 * trust) the same client is judged afresh and refused by the server. */
static void test_handshakes_and_reload(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("verdict");
    assert_int_equal(tu_make_pair(dir, "a", "ec", 30, NULL, "cache pair A"), 0);
    assert_int_equal(tu_make_pair(dir, "b", "ec", 30, NULL, "cache pair B"), 0);
    char pa[1200], pb[1200];
    snprintf(pa, sizeof pa, "%s/a.pem", dir);
    snprintf(pb, sizeof pb, "%s/b.pem", dir);
    sipc_security *srv = tu_security(SIPC_TLS_STRICT, pa);
    sipc_security *cli = tu_security_trusting(pa, pb); /* presents A, accepts A and B */
    assert_int_equal(sipc_security_set_resumption(srv, 0), 0);
    assert_int_equal(sipc_security_set_resumption(cli, 0), 0);
    int cerr;
    assert_int_equal(handshake(srv, cli, &cerr), 0);
    assert_int_equal(sipc__security_verdict_hits(srv), 0);
    assert_int_equal(handshake(srv, cli, &cerr), 0);
    assert_int_equal(sipc__security_verdict_hits(srv), 1);
    assert_int_equal(sipc__security_verdict_hits(cli), 1);

    sipc_security *reloaded = tu_security(SIPC_TLS_STRICT, pb);
    assert_int_equal(sipc_security_set_resumption(reloaded, 0), 0);
    assert_int_equal(handshake(reloaded, cli, &cerr), SIPC_EPEERAUTH);
    /* the client accepted the server's pair: the refusal was of its own */
    assert_int_equal(cerr, SIPC_ECERTREFUSED);
    assert_int_equal(sipc__security_verdict_hits(reloaded), 0);
    /* the old configuration, still held by its live connections, is unchanged */
    assert_int_equal(handshake(srv, cli, &cerr), 0);
    sipc_security_release(reloaded);
    sipc_security_release(srv);
    sipc_security_release(cli);
    tu_rmdir(dir);
    free(dir);
}

/* A certificate with the pinned pair's subject, key identifier and
 * signature bytes but another key (the impostor's, whose private key it
 * holds): wolfSSL takes it for the pinned pair (it matches trusted peers by
 * subject and signature bytes) and skips the signature check; the verifier
 * pins by the whole DER, finds the signature false and refuses it. */
static void test_pinned_impostor_refused(void **state)
{
    (void)state;
    sipc_keypair imp;
    char err[256];
    assert_int_equal(sipc_keygen_selfsigned(SIPC_KEYALG_EC256, "CN=impostor", 30, &imp, err,
                                            sizeof err),
                     0);
    sipc_x509 xa, xi;
    assert_int_equal(sipc_x509_parse(&xa, A.certs[0].data, A.certs[0].len, NULL, 0), 0);
    assert_int_equal(sipc_x509_parse(&xi, imp.certs[0].data, imp.certs[0].len, NULL, 0), 0);
    assert_int_equal(xa.spki.len, xi.spki.len); /* P-256: the same size */
    /* A's DER with the impostor's public key in place of A's */
    uint8_t *forged = malloc(A.certs[0].len);
    assert_non_null(forged);
    memcpy(forged, A.certs[0].data, A.certs[0].len);
    memcpy(forged + (xa.spki.p - A.certs[0].data), xi.spki.p, xi.spki.len);
    free(imp.certs[0].data);
    imp.certs[0].data = forged; /* the impostor's pair now presents it */
    imp.certs[0].len = A.certs[0].len;

    /* server: the pinned pair A; client: the forged certificate, its key,
     * trusting A (so that only the server's judgement is under test) */
    sipc_keypair a_copy, a_trust;
    char *pem;
    size_t pemlen;
    assert_int_equal(sipc_keypair_to_pem(&A, &pem, &pemlen), 0);
    assert_int_equal(sipc_keypair_from_pem(&a_copy, pem, pemlen, err, sizeof err), 0);
    assert_int_equal(sipc_keypair_from_pem(&a_trust, pem, pemlen, err, sizeof err), 0);
    sipc_secure_free(pem, pemlen);
    sipc_trust *st = trust_pinning(&a_copy, SIPC_TRUST_REV_SOFT);
    sipc_security *srv = NULL;
    assert_int_equal(sipc__security_new_tls(&srv, SIPC_TLS_STRICT, &a_copy, st, err, sizeof err), 0);
    sipc_trust *ct = NULL;
    assert_int_equal(sipc_trust_new(&ct, NULL), 0);
    assert_int_equal(sipc_trust_add_rotation(ct, &a_trust, "staged pair", err, sizeof err), 0);
    sipc_keypair_free(&a_trust);
    sipc_security *cli = NULL;
    assert_int_equal(sipc__security_new_tls(&cli, SIPC_TLS_STRICT, &imp, ct, err, sizeof err), 0);
    assert_int_equal(sipc_security_set_resumption(srv, 0), 0);
    assert_int_equal(sipc_security_set_resumption(cli, 0), 0);

    tu_tls_end c, s;
    assert_int_equal(tu_tls_pair_handshake(&c, &s, sipc_security_tls(cli), sipc_security_tls(srv)),
                     0);
    assert_int_equal(s.err, SIPC_EPEERAUTH);
    assert_int_equal(c.err, SIPC_ECERTREFUSED);
    assert_false(sipc_tls_handshake_done(s.t));
    assert_non_null(strstr(sipc_tls_detail(s.t), "signature"));
    tu_tls_pair_free(&c, &s);
    /* the real pair is still accepted */
    sipc_security *real = security_of(&A);
    int cerr;
    assert_int_equal(handshake(srv, real, &cerr), 0);
    sipc_security_release(real);
    sipc_security_release(srv);
    sipc_security_release(cli);
}

/* An expired pinned pair (both nodes hold it): refused at the handshake
 * with the verifier's reason, shortcut or not. */
static void test_expired_pinned_pair_refused(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("verdict-old");
    assert_int_equal(tu_make_pair(dir, "old", "ec", 1, "@2020-01-01 00:00:00", "expired pair"), 0);
    char pem[1200];
    snprintf(pem, sizeof pem, "%s/old.pem", dir);
    sipc_security *srv = tu_security(SIPC_TLS_STRICT, pem);
    sipc_security *cli = tu_security(SIPC_TLS_STRICT, pem);
    assert_int_equal(sipc_security_set_resumption(srv, 0), 0);
    assert_int_equal(sipc_security_set_resumption(cli, 0), 0);
    tu_tls_end c, s;
    assert_int_equal(tu_tls_pair_handshake(&c, &s, sipc_security_tls(cli), sipc_security_tls(srv)),
                     0);
    /* the client judges the server first: refused there, for its dates;
     * the server hears that its certificate was */
    assert_int_equal(c.err, SIPC_EPEERAUTH);
    assert_non_null(strstr(sipc_tls_detail(c.t), "expired on"));
    assert_int_equal(s.err, SIPC_ECERTREFUSED);
    assert_false(sipc_tls_handshake_done(s.t));
    tu_tls_pair_free(&c, &s);
    sipc_security_release(srv);
    sipc_security_release(cli);
    /* the server judging it: a node holding pair B that still pins the old
     * pair (a rotation), and a client presenting the old pair */
    assert_int_equal(tu_make_pair(dir, "b", "ec", 30, NULL, "fresh pair"), 0);
    char pb[1200];
    snprintf(pb, sizeof pb, "%s/b.pem", dir);
    srv = tu_security_trusting(pb, pem);
    cli = tu_security_trusting(pem, pb);
    assert_int_equal(sipc_security_set_resumption(srv, 0), 0);
    assert_int_equal(sipc_security_set_resumption(cli, 0), 0);
    assert_int_equal(tu_tls_pair_handshake(&c, &s, sipc_security_tls(cli), sipc_security_tls(srv)),
                     0);
    assert_int_equal(s.err, SIPC_EPEERAUTH);
    assert_non_null(strstr(sipc_tls_detail(s.t), "expired on"));
    assert_int_equal(c.err, SIPC_ECERTREFUSED);
    tu_tls_pair_free(&c, &s);
    sipc_security_release(srv);
    sipc_security_release(cli);
    tu_rmdir(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repeated_chain_answered),
        cmocka_unit_test(test_changed_chain_refused),
        cmocka_unit_test(test_dates_judged_at_each_verification),
        cmocka_unit_test(test_crl_next_update_judged),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_handshakes_and_reload),
        cmocka_unit_test(test_pinned_impostor_refused),
        cmocka_unit_test(test_expired_pinned_pair_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
