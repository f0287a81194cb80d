/* hs_pair.c - real TLS handshakes between a node's home and a certificate
 * chain, for test_handshake_paths.sh: does the handshake decide a chain as
 * `tlstool verify` does?
 *
 *   hs_pair HOME CHAIN.pem KEY.pem
 *
 * Side A is what sipcd loads from HOME (pair, trust/, crl/, [tls] revocation
 * and subject, through ipc/node/security_load.c and the verify callback of
 * ipc/security.c). Side B presents CHAIN (leaf first) with KEY and trusts
 * the roots carried by its chain and by HOME's pair, without revocation. Two handshakes run through the TLS engine with
 * both ends in memory: A as server judging B as a client, then A as client
 * judging B as a server. One line per handshake:
 *   A as server: accepted
 *   A as client: refused: peer certificate rejected: <the verifier's words>
 *     B heard: <B's error: the alert A refused it with, in B's words>
 * A refusal counts as A's when A failed with SIPC_EPEERAUTH and B heard
 * that its certificate was refused (SIPC_ECERTREFUSED); B refusing A's
 * certificate is the other way round.
 * Exit 0 when A accepted B both times, 1 when A refused B both times, 2 for
 * anything else (mixed, B refused A, setup error). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/keypair.h"
#include "certs/trust.h"
#include "certs/x509_info.h"
#include "ipc/security.h"
#include "sipc/node.h"
#include "tls_pair.h"
#include "transport/tls_engine.h"

/* 1 accepted, 0 refused by A, -1 anything else; line says which. */
static int handshake(sipc_security *a, sipc_security *b, int a_is_server, char *line, size_t len)
{
    tu_tls_end c, s;
    sipc_security *cs = a_is_server ? b : a, *ss = a_is_server ? a : b;
    if (tu_tls_pair_handshake(&c, &s, sipc_security_tls(cs), sipc_security_tls(ss)) != 0) {
        snprintf(line, len, "cannot create the TLS objects");
        return -1;
    }
    tu_tls_end *ea = a_is_server ? &s : &c, *eb = a_is_server ? &c : &s;
    int rc;
    if (sipc_tls_handshake_done(ea->t) && sipc_tls_handshake_done(eb->t) && !ea->err && !eb->err) {
        snprintf(line, len, "accepted");
        rc = 1;
    } else if (ea->err) {
        snprintf(line, len, "refused: %s\n  B heard: %s", sipc_tls_detail(ea->t),
                 sipc_tls_detail(eb->t));
        rc = ea->err == SIPC_EPEERAUTH && eb->err == SIPC_ECERTREFUSED ? 0 : -1;
    } else {
        snprintf(line, len, "failed on the other side: %s", sipc_tls_detail(eb->t));
        rc = -1;
    }
    tu_tls_pair_free(&c, &s);
    return rc;
}

/* B: its own pair, trusting the self-signed CAs of its chain and of HOME's
 * pair, revocation off (only A's judgement is under test). */
static int side_b(sipc_security **out, const char *home, const char *chain, const char *key,
                  char *err, size_t errlen)
{
    sipc_keypair kp, home_kp;
    memset(&kp, 0, sizeof kp);
    memset(&home_kp, 0, sizeof home_kp);
    char path[1100];
    snprintf(path, sizeof path, "%s/security/node.crt", home);
    int r = sipc_keypair_load_pem(&kp, chain, key, err, errlen);
    if (r != 0)
        return r;
    if ((r = sipc_keypair_load_pem(&home_kp, path, NULL, err, errlen)) != 0) {
        sipc_keypair_free(&kp);
        return r;
    }
    sipc_trust_policy pol;
    memset(&pol, 0, sizeof pol);
    pol.revocation = SIPC_TRUST_REV_OFF;
    sipc_trust *t = NULL;
    r = sipc_trust_new(&t, &pol);
    if (r == 0)
        r = sipc_trust_set_own(t, &kp, err, errlen);
    for (int i = 1; r == 0 && i < home_kp.ncerts; i++) {
        sipc_x509 x;
        char why[256];
        if (sipc_x509_parse(&x, home_kp.certs[i].data, home_kp.certs[i].len, why, sizeof why) == 0 &&
            x.is_ca && sipc_x509_self_issued(&x))
            r = sipc_trust_add_root(t, home_kp.certs[i].data, home_kp.certs[i].len, err, errlen);
    }
    sipc_keypair_free(&home_kp);
    if (r != 0) {
        sipc_trust_free(t);
        sipc_keypair_free(&kp);
        return r;
    }
    return sipc__security_new_tls(out, SIPC_TLS_STRICT, &kp, t, err, errlen);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: hs_pair HOME CHAIN.pem KEY.pem\n");
        return 2;
    }
    char err[1024] = "";
    sipc_config cfg;
    sipc_security *a = NULL, *b = NULL;
    if (sipc_config_load(&cfg, argv[1], err, sizeof err) != 0 ||
        sipc_security_load_client(&a, &cfg, err, sizeof err) != 0 || !sipc_security_tls(a)) {
        fprintf(stderr, "hs_pair: home %s: %s\n", argv[1], err[0] ? err : "no TLS pair");
        sipc_security_release(a);
        return 2;
    }
    if (side_b(&b, argv[1], argv[2], argv[3], err, sizeof err) != 0) {
        fprintf(stderr, "hs_pair: %s: %s\n", argv[2], err);
        sipc_security_release(a);
        return 2;
    }
    char line[2400];
    int srv = handshake(a, b, 1, line, sizeof line);
    printf("A as server: %s\n", line);
    int cli = handshake(a, b, 0, line, sizeof line);
    printf("A as client: %s\n", line);
    sipc_security_release(a);
    sipc_security_release(b);
    if (srv == 1 && cli == 1)
        return 0;
    if (srv == 0 && cli == 0)
        return 1;
    return 2;
}
