/* fuzz_tls.c - libFuzzer target: the TLS engine (transport/tls_wolfssl.c)
 * on memory I/O, as a node's server side, with the fuzz input as what the
 * client sends. The first byte picks the phase:
 *   0  from the first byte on: the input is the client's whole side
 *   1  mid-handshake: a real client engine sends its ClientHello, the server
 *      answers, and the input is the client's second flight (Certificate,
 *      ClientKeyExchange, CertificateVerify, ChangeCipherSpec, Finished)
 *   2  after a real mutual handshake: the input is a list of operations
 *      (op, length, bytes): the client encrypts bytes for the server, or
 *      does so and the record is damaged on the way, or raw bytes are
 *      injected, or the server sends bytes to the client
 * The second byte says how the bytes are cut into reads (in phase 2, the
 * ciphertext between the two real engines). The first byte divided by 3
 * also picks the decrypt window (sipc_tls_set_window(): what ipc/conn.c
 * offers, the rest of the frame being reassembled) and the record layer
 * of phase 2's ends:
 *   0        no window, sipc's record layer (where built)
 *   1..41    a window around each written record's length (1..39: 19 bytes
 *            short of it .. 19 past it), 40 a 1-byte and 41 a 32 KiB window;
 *            sipc's record layer
 *   42..84   the same (less 42) with wolfSSL's record layer at both ends
 * Checked, not just survived: an undamaged stream delivers exactly what was
 * written, whether it went through the window or not; the engine writes
 * only inside the window and hands the data callback exactly its start; a
 * record damaged past its header never delivers plaintext, nor leaves it
 * in the window.
 * tls_seeds.c writes the seed corpus from a real client engine. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "fuzz_common.h"
#include "transport/tls_engine.h"

static int verify(void *arg, const sipc_tls_der *chain, int n, int peer_is_client,
                  int64_t *until, int *alert, char *why, size_t whylen)
{
    (void)until;
    (void)alert;
    (void)why;
    (void)whylen;
    sipc_der links[SIPC_TLS_MAX_CHAIN];
    for (int i = 0; i < n && i < SIPC_TLS_MAX_CHAIN; i++) {
        links[i].data = (uint8_t *)chain[i].data;
        links[i].len = chain[i].len;
    }
    return sipc_trust_verify(arg, links, n, peer_is_client ? SIPC_PURPOSE_CLIENT : SIPC_PURPOSE_SERVER,
                             FUZZ_NOW, NULL);
}

/* One configuration for each record layer, made once. */
static sipc_tls_config *config(int direct)
{
    static sipc_tls_config *cfgs[2];
    sipc_tls_config **cfg = &cfgs[direct != 0];
    if (*cfg)
        return *cfg;
    const sipc_keypair *kp = fuzz_root_pair();
    static sipc_trust *trust;
    trust = fuzz_trust(SIPC_TRUST_REV_OFF, NULL);
    sipc_tls_der chain = {kp->certs[0].data, kp->certs[0].len};
    sipc_tls_params p = {.chain = &chain,
                         .nchain = 1,
                         .key = {kp->key.data, kp->key.len},
                         .anchors = &chain,
                         .nanchors = 1,
                         .verify = verify,
                         .verify_arg = trust};
    char err[256];
    if (sipc_tls_config_new(cfg, &p, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_tls: %s\n", err);
        abort();
    }
    (void)sipc_tls_config_set_direct(*cfg, direct);
    return *cfg;
}

/* Where the decrypt window comes from: 0 none, else see the head comment. */
static unsigned g_window;
static size_t g_record; /* bytes of the record being delivered, for the window */

typedef struct side {
    sipc_tls *tls;
    sipc_buf tx;  /* what this side sends */
    sipc_buf got; /* plaintext it received; the window is its spare room */
    size_t win;   /* the window offered last, at got.data + got.len */
    int dead;
} side;

/* What the decrypt window holds before the engine writes there. */
#define WINDOW_MARK 0xa5

static int all(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

/* The decrypt window: as ipc/conn.c's frame reassembly, the room right after
 * what was received. Filled with a marker so that plaintext left there is
 * seen. */
static size_t window(void *arg, uint8_t **p)
{
    side *s = arg;
    size_t n;
    if (g_window == 40)
        n = 1;
    else if (g_window >= 41)
        n = 32768;
    else
        n = g_record + g_window > 20 ? g_record + g_window - 20 : 0;
    s->win = 0;
    if (n == 0 || sipc_buf_reserve(&s->got, n) != 0)
        return 0;
    *p = s->got.data + s->got.len;
    memset(*p, WINDOW_MARK, s->got.cap - s->got.len); /* all the spare room: no stale bytes */
    s->win = n;
    return n;
}

static int collect(void *arg, const uint8_t *data, size_t len)
{
    side *s = arg;
    if (s->win && data == s->got.data + s->got.len) {
        if (len > s->win)
            abort(); /* the engine wrote past the window */
        s->got.len += len; /* decrypted in place */
        s->win = 0;
        return 0;
    }
    s->win = 0;
    return sipc_buf_append(&s->got, data, len) == 0 ? 0 : -1;
}

/* Moves everything `from` has sent into `to`, in reads of at most chunk. */
static int deliver(side *from, side *to, size_t chunk)
{
    sipc_buf wire = from->tx; /* to may answer into its own tx meanwhile */
    memset(&from->tx, 0, sizeof from->tx);
    int rc = 0;
    for (size_t off = 0; off < wire.len && rc == 0; off += chunk) {
        size_t n = wire.len - off < chunk ? wire.len - off : chunk;
        rc = sipc_tls_input(to->tls, wire.data + off, n, collect, to);
    }
    sipc_buf_free(&wire);
    if (rc != 0)
        to->dead = 1;
    return rc;
}

static int feed(side *to, const uint8_t *data, size_t size, size_t chunk)
{
    int rc = 0;
    for (size_t off = 0; off < size && rc == 0; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        rc = sipc_tls_input(to->tls, data + off, n, collect, to);
    }
    if (rc != 0)
        to->dead = 1;
    return rc;
}

static void after_handshake(side *cli, side *srv, const uint8_t *data, size_t size, size_t chunk)
{
    while (size >= 2 && !cli->dead && !srv->dead) {
        uint8_t op = data[0];
        size_t n = data[1] < size - 2 ? data[1] : size - 2;
        const uint8_t *bytes = data + 2;
        data += 2 + n;
        size -= 2 + n;
        srv->got.len = cli->got.len = 0;
        g_record = n;
        switch (op % 4) {
        case 0: /* clean: exactly the bytes arrive */
            if (n == 0 || sipc_tls_write(cli->tls, bytes, n) != 0)
                return;
            if (deliver(cli, srv, chunk) == 0 && (srv->got.len != n || memcmp(srv->got.data, bytes, n)))
                abort(); /* the server read other bytes than the client wrote */
            break;
        case 1: { /* damaged on the way: one byte flipped */
            if (n == 0 || sipc_tls_write(cli->tls, bytes, n) != 0)
                return;
            size_t at = (size_t)(op >> 2) * 7 % cli->tx.len;
            cli->tx.data[at] ^= 0x01 | (op & 0xfe);
            if (srv->got.cap) /* earlier plaintext must not pass for this one */
                memset(srv->got.data, WINDOW_MARK, srv->got.cap);
            deliver(cli, srv, chunk);
            if (at >= 5 && srv->got.len > 0)
                abort(); /* a record with a damaged body was accepted */
            if (at >= 5 && n >= 8 && srv->got.cap >= n && memcmp(srv->got.data, bytes, n) == 0 &&
                !all(bytes, n, WINDOW_MARK) && !all(bytes, n, 0))
                abort(); /* its plaintext was left in the window */
            return; /* the stream is out of step now: nothing more to check */
        }
        case 2: /* injected */
            feed(srv, bytes, n, chunk);
            return;
        default: /* the other way */
            if (n == 0 || sipc_tls_write(srv->tls, bytes, n) != 0)
                return;
            if (deliver(srv, cli, chunk) == 0 && (cli->got.len != n || memcmp(cli->got.data, bytes, n)))
                abort();
            break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t phase = data[0] % 3;
    unsigned k = data[0] / 3;
    int direct = k < 42;
    g_window = direct ? k : k - 42;
    g_record = 0;
    size_t chunk = (size_t)data[1] * 64 + 1; /* 1 .. 16321 bytes a read */
    data += 2;
    size -= 2;

    /* the engine under test as a node's server: wolfSSL's records only in phase 2 */
    sipc_tls_config *cfg = config(direct || phase < 2);
    side cli = {0}, srv = {0};
    if (sipc_tls_new(&srv.tls, cfg, 1, &srv.tx) != 0)
        abort();
    if (phase > 0 && sipc_tls_new(&cli.tls, cfg, 0, &cli.tx) != 0)
        abort();
    if (g_window) {
        sipc_tls_set_window(srv.tls, window, &srv);
        if (cli.tls)
            sipc_tls_set_window(cli.tls, window, &cli);
    }

    if (phase == 0) {
        feed(&srv, data, size, chunk);
    } else if (phase == 1) {
        if (sipc_tls_start(cli.tls) != 0 || deliver(&cli, &srv, 16384) != 0)
            abort(); /* a real ClientHello was refused */
        feed(&srv, data, size, chunk);
    } else {
        if (sipc_tls_start(cli.tls) != 0)
            abort();
        for (int i = 0; i < 8 && !(sipc_tls_handshake_done(cli.tls) && sipc_tls_handshake_done(srv.tls)); i++) {
            if (deliver(&cli, &srv, 16384) != 0 || deliver(&srv, &cli, 16384) != 0)
                break;
        }
        if (!sipc_tls_handshake_done(cli.tls) || !sipc_tls_handshake_done(srv.tls)) {
            fprintf(stderr, "fuzz_tls: the real handshake failed: %s / %s\n", sipc_tls_detail(cli.tls),
                    sipc_tls_detail(srv.tls));
            abort();
        }
        after_handshake(&cli, &srv, data, size, chunk);
    }
    char v[32], c[64], fp[65];
    sipc_tls_describe(srv.tls, v, sizeof v, c, sizeof c, fp, sizeof fp);
    (void)sipc_tls_detail(srv.tls);
    (void)sipc_tls_peer_closed(srv.tls);
    sipc_tls_close_notify(srv.tls);
    sipc_tls_free(srv.tls);
    sipc_tls_free(cli.tls);
    sipc_buf_free(&srv.tx);
    sipc_buf_free(&srv.got);
    sipc_buf_free(&cli.tx);
    sipc_buf_free(&cli.got);
    return 0;
}
