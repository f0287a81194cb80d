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
#include "transport/tls_engine.h"

typedef struct end {
    sipc_tls *t;
    sipc_buf tx;
    int err;
} end;

static int ignore_plain(void *arg, const uint8_t *p, size_t n)
{
    (void)arg;
    (void)p;
    (void)n;
    return 0;
}

static int deliver(end *from, end *to)
{
    sipc_buf in = from->tx;
    memset(&from->tx, 0, sizeof from->tx);
    int r = sipc_tls_input(to->t, in.data, in.len, ignore_plain, NULL);
    sipc_buf_free(&in);
    if (r != 0 && to->err == 0)
        to->err = r;
    return r;
}

/* 1 accepted, 0 refused by A, -1 anything else; line says which. */
static int handshake(sipc_security *a, sipc_security *b, int a_is_server, char *line, size_t len)
{
    end ea, eb;
    memset(&ea, 0, sizeof ea);
    memset(&eb, 0, sizeof eb);
    if (sipc_tls_new(&ea.t, sipc_security_tls(a), a_is_server, &ea.tx) != 0 ||
        sipc_tls_new(&eb.t, sipc_security_tls(b), !a_is_server, &eb.tx) != 0) {
        snprintf(line, len, "cannot create the TLS objects");
        sipc_tls_free(ea.t);
        return -1;
    }
    end *cli = a_is_server ? &eb : &ea, *srv = a_is_server ? &ea : &eb;
    if (sipc_tls_start(cli->t) != 0)
        cli->err = -1;
    /* a TLS 1.2 handshake takes two round trips; bounded */
    for (int i = 0; i < 20 && !cli->err && !srv->err; i++) {
        if (cli->tx.len == 0 && srv->tx.len == 0)
            break;
        if (cli->tx.len)
            deliver(cli, srv);
        if (srv->tx.len && !srv->err)
            deliver(srv, cli);
    }
    /* the alert of a refusing side still reaches the other */
    if (ea.tx.len && !eb.err)
        deliver(&ea, &eb);
    if (eb.tx.len && !ea.err)
        deliver(&eb, &ea);
    int rc;
    if (sipc_tls_handshake_done(ea.t) && sipc_tls_handshake_done(eb.t) && !ea.err && !eb.err) {
        snprintf(line, len, "accepted");
        rc = 1;
    } else if (ea.err) {
        snprintf(line, len, "refused: %s", sipc_tls_detail(ea.t));
        rc = ea.err == SIPC_EPEERAUTH ? 0 : -1;
    } else {
        snprintf(line, len, "failed on the other side: %s", sipc_tls_detail(eb.t));
        rc = -1;
    }
    sipc_tls_free(ea.t);
    sipc_tls_free(eb.t);
    sipc_buf_free(&ea.tx);
    sipc_buf_free(&eb.tx);
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
    char line[1200];
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
