/* test_tls_engine.c - the TLS engine with both ends in one process and no
 * socket: each end's ciphertext goes into a sipc_buf, and the test carries
 * it to the other end (after s2n-tls' self_talk_io_mem test). Handshake,
 * data both ways (records of 16 KiB and more), close_notify, and the ways a
 * handshake must fail: our verifier refusing, a peer without a certificate,
 * a peer of another pair, garbage. And the record layer alone: nonces,
 * empty records, renegotiation and alerts, plaintext wiped once handed on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/aes.h>

#include "base/aes_gcm.h"
#include "base/endian.h"
#include "certs/keypair.h"
#include "certs/trust.h"
#include "certs/x509_info.h"
#include "ipc/security.h"
#include "testutil.h"
#include "transport/tls_alert.h"
#include "transport/tls_ecdsa_own.h"
#include "transport/tls_ecdsa_sign.h"
#include "transport/tls_record.h"
#include "transport/tls_engine.h"
#include "transport/tls_hello.h"

static char *g_dir;
static sipc_keypair g_a, g_b; /* two self-signed pairs */

/* The verify callback under test: accepts one pinned leaf, or refuses all. */
typedef struct vfy {
    const char *pin; /* fingerprint to accept */
    const char *pin2; /* another one, if not NULL */
    const char *refuse; /* non-NULL: refuse every chain with this reason */
    int calls;
    int last_peer_is_client;
    int64_t until; /* what an acceptance says it holds until (0: unbounded) */
    int alert; /* a refusal's alert (0: left as the engine set it) */
} vfy;

static int test_verify(void *arg, const sipc_tls_der *chain, int n, int peer_is_client,
                       int64_t *until, int *alert, char *why, size_t whylen)
{
    vfy *v = arg;
    v->calls++;
    *until = v->until;
    v->last_peer_is_client = peer_is_client;
    assert_true(n >= 1);
    char fp[65];
    sipc_fingerprint(chain[0].data, chain[0].len, fp);
    if (v->refuse) {
        if (v->alert)
            *alert = v->alert;
        snprintf(why, whylen, "%s (leaf %.16s)", v->refuse, fp);
        return SIPC_EPEERAUTH;
    }
    if (strcmp(fp, v->pin) != 0 && !(v->pin2 && strcmp(fp, v->pin2) == 0)) {
        snprintf(why, whylen, "leaf %.16s is not the pinned certificate", fp);
        return SIPC_EPEERAUTH;
    }
    return 0;
}

/* A configuration presenting pair own and trusting anchor's certificate,
 * told that own's leaf is valid from not_before to not_after (0, 0: not
 * told). */
static sipc_tls_config *make_cfg_dated(const sipc_keypair *own, const sipc_keypair *anchor, vfy *v,
                                       int64_t not_before, int64_t not_after);

static sipc_tls_config *make_cfg(const sipc_keypair *own, const sipc_keypair *anchor, vfy *v)
{
    return make_cfg_dated(own, anchor, v, 0, 0);
}

static sipc_tls_config *make_cfg_dated(const sipc_keypair *own, const sipc_keypair *anchor, vfy *v,
                                       int64_t not_before, int64_t not_after)
{
    sipc_tls_der chain[SIPC_KP_MAX_CHAIN];
    for (int i = 0; i < own->ncerts; i++)
        chain[i] = (sipc_tls_der){own->certs[i].data, own->certs[i].len};
    sipc_tls_der anchors[1] = {{anchor->certs[0].data, anchor->certs[0].len}};
    sipc_tls_params p = {
        .chain = chain,
        .nchain = own->ncerts,
        .key = {own->key.data, own->key.len},
        .anchors = anchors,
        .nanchors = 1,
        .verify = test_verify,
        .verify_arg = v,
        .not_before = not_before,
        .not_after = not_after,
    };
    sipc_tls_config *cfg = NULL;
    char err[512] = "";
    int r = sipc_tls_config_new(&cfg, &p, err, sizeof err);
    if (r != 0)
        fprintf(stderr, "config: %s\n", err);
    assert_int_equal(r, 0);
    return cfg;
}

/* One end of the conversation. */
typedef struct end {
    sipc_tls *t;
    sipc_buf tx;  /* ciphertext this end wrote, for the other */
    sipc_buf got; /* plaintext this end received */
    int err;      /* first error of sipc_tls_input */
} end;

static void end_init(end *e, sipc_tls_config *cfg, int is_server)
{
    memset(e, 0, sizeof *e);
    assert_int_equal(sipc_tls_new(&e->t, cfg, is_server, &e->tx), 0);
}

static void end_free(end *e)
{
    sipc_tls_free(e->t);
    sipc_buf_free(&e->tx);
    sipc_buf_free(&e->got);
}

static int on_plain(void *arg, const uint8_t *p, size_t n)
{
    end *e = arg;
    assert_true(n > 0 && n <= 16384); /* at most one record's worth */
    assert_int_equal(sipc_buf_append(&e->got, p, n), 0);
    return 0;
}

/* Hands what from wrote to to, in pieces of at most chunk bytes (0: all). */
static int deliver(end *from, end *to, size_t chunk)
{
    sipc_buf in = from->tx;
    memset(&from->tx, 0, sizeof from->tx);
    int r = 0;
    for (size_t off = 0; off < in.len && r == 0;) {
        size_t n = chunk && in.len - off > chunk ? chunk : in.len - off;
        r = sipc_tls_input(to->t, in.data + off, n, on_plain, to);
        off += n;
    }
    sipc_buf_free(&in);
    if (r != 0 && to->err == 0)
        to->err = r;
    return r;
}

/* Carries bytes both ways until both ends are quiet or one fails. Bounded:
 * a TLS 1.2 handshake takes two round trips. */
static int shuttle(end *c, end *s, size_t chunk)
{
    for (int i = 0; i < 20; i++) {
        if (c->tx.len == 0 && s->tx.len == 0)
            return 0;
        if (c->tx.len && deliver(c, s, chunk) != 0)
            return s->err;
        if (s->tx.len && deliver(s, c, chunk) != 0)
            return c->err;
    }
    fail_msg("the two ends never went quiet");
    return -1;
}

/* ---------------------------------------------------------------- tests */

/* Whether this build has sipc's record layer (tls_record.h). */
static int direct_built(void)
{
    vfy v = {.pin = g_a.fingerprint};
    sipc_tls_config *cfg = make_cfg(&g_a, &g_a, &v);
    int on = sipc_tls_config_set_direct(cfg, 1);
    sipc_tls_config_free(cfg);
    return on;
}

/* A handshake, data both ways and close_notify, with the application data
 * through sipc's record layer (direct) or wolfSSL's on each side: the two
 * must interoperate in every combination. */
static void talk(size_t chunk, int cdirect, int sdirect)
{
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv), *scfg = make_cfg(&g_a, &g_a, &sv);
    int cd = sipc_tls_config_set_direct(ccfg, cdirect);
    int sd = sipc_tls_config_set_direct(scfg, sdirect);
    unsigned long signed_before = sipc_ecdsa_sign_count();
    end c, s;
    end_init(&c, ccfg, 0);
    end_init(&s, scfg, 1);
    assert_int_equal(sipc_tls_start(s.t), 0);
    assert_int_equal(s.tx.len, 0); /* the server waits for the ClientHello */
    assert_int_equal(sipc_tls_start(c.t), 0);
    assert_true(c.tx.len > 0);
    assert_int_equal(c.tx.data[0], 0x16); /* a handshake record */
    assert_false(sipc_tls_handshake_done(c.t));
    assert_int_equal(shuttle(&c, &s, chunk), 0);
    assert_true(sipc_tls_handshake_done(c.t));
    assert_true(sipc_tls_handshake_done(s.t));
    /* the ServerKeyExchange and the CertificateVerify were signed with RFC
     * 6979 nonces and checked (tls_ecdsa_sign.h), and both verified */
    assert_int_equal(sipc_ecdsa_sign_count() - signed_before, 2 * SIPC_TLS_ECDSA_DETERMINISTIC);
    /* each side judged the other, in the right role */
    assert_true(cv.calls >= 1 && sv.calls >= 1);
    assert_int_equal(cv.last_peer_is_client, 0);
    assert_int_equal(sv.last_peer_is_client, 1);
    char ver[32], cipher[64], fp[65];
    sipc_tls_describe(c.t, ver, sizeof ver, cipher, sizeof cipher, fp, sizeof fp);
    assert_string_equal(ver, "TLSv1.2");
    assert_non_null(strstr(cipher, "ECDHE"));
    assert_string_equal(fp, g_a.fingerprint);
    assert_string_equal(sipc_tls_detail(c.t), "");
    assert_int_equal(sipc_tls_direct(c.t), cd);
    assert_int_equal(sipc_tls_direct(s.t), sd);
    /* each side's Finished is the one record so far under each key, counted
     * full-size (wolfSSL sealed it); ChaCha20-Poly1305's keys do not wear */
    int chacha = strstr(cipher, "CHACHA20") != NULL;
    uint64_t full = chacha ? 0 : SIPC_TLS_RECORD_BLOCKS;
    assert_int_equal(sipc_tls_key_blocks(c.t), full);
    assert_int_equal(sipc_tls_key_blocks(s.t), full);

    /* client -> server, small */
    assert_int_equal(sipc_tls_write(c.t, (const uint8_t *)"hello", 5), 0);
    assert_int_equal(shuttle(&c, &s, chunk), 0);
    assert_int_equal(s.got.len, 5);
    assert_memory_equal(s.got.data, "hello", 5);
    /* server -> client, many records */
    size_t big = 100 * 1024 + 3;
    uint8_t *p = malloc(big);
    for (size_t i = 0; i < big; i++)
        p[i] = (uint8_t)(i * 131 + 7);
    assert_int_equal(sipc_tls_write(s.t, p, big), 0);
    assert_true(s.tx.len > big); /* ciphertext: records carry overhead */
    assert_int_equal(shuttle(&c, &s, chunk), 0);
    assert_int_equal(c.got.len, big);
    assert_memory_equal(c.got.data, p, big);
    /* and back the other way, exactly 16 KiB + 1 */
    c.got.len = 0;
    assert_int_equal(sipc_tls_write(c.t, p, 16385), 0);
    assert_int_equal(shuttle(&c, &s, chunk), 0);
    assert_int_equal(s.got.len, 5 + 16385);
    assert_memory_equal(s.got.data + 5, p, 16385);
    /* many records one after the other: sequence numbers and nonces move on */
    s.got.len = 0;
    for (int i = 0; i < 300; i++)
        assert_int_equal(sipc_tls_write(c.t, p + i, (size_t)(i % 97) + 1), 0);
    assert_int_equal(shuttle(&c, &s, chunk), 0);
    size_t want = 0;
    uint64_t cw = 2 * full + 2 + 2; /* Finished, 16 KiB; "hello" and 1 byte: 2 blocks each */
    for (int i = 0; i < 300; i++) {
        size_t n = (size_t)(i % 97) + 1;
        assert_true(want + n <= s.got.len);
        assert_memory_equal(s.got.data + want, p + i, n);
        want += n;
        cw += (n + 31) / 16; /* ceil(n/16) + 1 */
    }
    assert_int_equal(s.got.len, want);
    free(p);
    /* The key that encrypted most, in AES blocks. Where sipc's record layer
     * carries the records, each counts ceil(n/16) + 1: the server's key
     * (Finished, six full records and one of 4,099 bytes) beats the client's
     * 304 records, most of them small. Where wolfSSL keeps them, each record
     * counts full-size, and the client's 304 are the most. */
    uint64_t sw = 7 * full + (chacha ? 0 : (4099 + 31) / 16);
    uint64_t seen = chacha ? 0 : cw > sw ? cw : sw;
    assert_int_equal(sipc_tls_key_blocks(c.t), cd ? seen : 304 * full);
    assert_int_equal(sipc_tls_key_blocks(s.t), sd ? seen : 304 * full);

    /* close_notify: the receiver is told the peer closed */
    assert_false(sipc_tls_peer_closed(s.t));
    sipc_tls_close_notify(c.t);
    assert_true(c.tx.len > 0);
    assert_int_equal(c.tx.data[0], 0x15); /* an alert record */
    assert_int_equal(deliver(&c, &s, chunk), SIPC_ECLOSED);
    assert_true(sipc_tls_peer_closed(s.t));

    end_free(&c);
    end_free(&s);
    sipc_tls_config_free(ccfg);
    sipc_tls_config_free(scfg);
}

static void t_handshake_and_data(void **state)
{
    (void)state;
    talk(0, 1, 1);
}

/* The same with the ciphertext cut into small pieces, as TCP may. */
static void t_handshake_in_pieces(void **state)
{
    (void)state;
    talk(7, 1, 1);
    talk(1, 1, 1);
    talk(16389, 1, 1); /* a record and a bit per read */
}

/* sipc's record layer against wolfSSL's, both ways round, and wolfSSL's
 * alone (what a peer with another TLS library looks like on the wire). */
static void t_record_layers_interoperate(void **state)
{
    (void)state;
    if (!direct_built())
        fprintf(stderr, "note: this wolfSSL exports no record keys: wolfSSL keeps the records\n");
    talk(0, 1, 0);
    talk(0, 0, 1);
    talk(5, 0, 1);
    talk(0, 0, 0);
}

/* An established session, each side through sipc's record layer. */
static void established(end *c, end *s, sipc_tls_config **ccfg, sipc_tls_config **scfg, vfy *cv,
                        vfy *sv)
{
    *ccfg = make_cfg(&g_a, &g_a, cv);
    *scfg = make_cfg(&g_a, &g_a, sv);
    end_init(c, *ccfg, 0);
    end_init(s, *scfg, 1);
    assert_int_equal(sipc_tls_start(c->t), 0);
    assert_int_equal(shuttle(c, s, 0), 0);
    assert_true(sipc_tls_handshake_done(c->t) && sipc_tls_handshake_done(s->t));
}

/* Undoes established(). */
static void finished(end *c, end *s, sipc_tls_config *ccfg, sipc_tls_config *scfg)
{
    end_free(c);
    end_free(s);
    sipc_tls_config_free(ccfg);
    sipc_tls_config_free(scfg);
}

/* Damaged or hostile records after the handshake: refused with the reason,
 * an alert for the peer, and never a byte of plaintext from them. */
static void t_hostile_records(void **state)
{
    (void)state;
    for (int kind = 0; kind < 8; kind++) {
        vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
        sipc_tls_config *ccfg, *scfg;
        end c, s;
        established(&c, &s, &ccfg, &scfg, &cv, &sv);
        uint8_t msg[100];
        memset(msg, 'x', sizeof msg);
        assert_int_equal(sipc_tls_write(c.t, msg, sizeof msg), 0);
        const char *want = NULL;
        switch (kind) {
        case 0: /* a flipped bit in the ciphertext */
            c.tx.data[c.tx.len - 40] ^= 0x10;
            want = "bad_record_mac";
            break;
        case 1: /* a flipped bit in the tag */
            c.tx.data[c.tx.len - 1] ^= 0x01;
            want = "bad_record_mac";
            break;
        case 2: /* the header says another content type (authenticated) */
            c.tx.data[0] = 0x15;
            want = "";
            break;
        case 3: /* longer than any TLS 1.2 record may be */
            c.tx.data[3] = 0x48;
            c.tx.data[4] = 0x01;
            want = "record_overflow";
            break;
        case 4: /* a record replayed: its sequence number is past */
        {
            sipc_buf copy = {0};
            assert_int_equal(sipc_buf_append(&copy, c.tx.data, c.tx.len), 0);
            assert_int_equal(deliver(&c, &s, 0), 0);
            assert_int_equal(s.got.len, sizeof msg);
            s.got.len = 0;
            c.tx = copy;
            want = "bad_record_mac";
            break;
        }
        case 6: /* a plaintext ChangeCipherSpec first, as CCS-injection probes send it */
        {
            static const uint8_t ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
            sipc_buf rec = c.tx;
            memset(&c.tx, 0, sizeof c.tx);
            assert_int_equal(sipc_buf_append(&c.tx, ccs, sizeof ccs), 0);
            assert_int_equal(sipc_buf_append(&c.tx, rec.data, rec.len), 0);
            sipc_buf_free(&rec);
            want = "unexpected_message";
            break;
        }
        case 7: /* a sealed record of content type ChangeCipherSpec */
            c.tx.data[0] = 0x14;
            want = "unexpected_message";
            break;
        default: /* shorter than a nonce and a tag */
            c.tx.len = 0;
            static const uint8_t tiny[] = {0x17, 0x03, 0x03, 0x00, 0x04, 'a', 'b', 'c', 'd'};
            assert_int_equal(sipc_buf_append(&c.tx, tiny, sizeof tiny), 0);
            want = "bad_record_mac";
        }
        s.tx.len = 0;
        int r = deliver(&c, &s, 3);
        assert_int_equal(r, SIPC_ETLS);
        assert_int_equal(s.got.len, 0);
        if (sipc_tls_direct(s.t)) {
            assert_non_null(strstr(sipc_tls_detail(s.t), want));
            /* the peer hears a fatal alert, which it reports in words */
            assert_true(s.tx.len > 0);
            assert_int_equal(s.tx.data[0], 0x15);
            assert_int_equal(deliver(&s, &c, 0), SIPC_ETLS);
            assert_non_null(strstr(sipc_tls_detail(c.t), "alert"));
            if (want[0] && sipc_tls_direct(c.t)) /* the alert's name, as docs/protocol.md says */
                assert_non_null(strstr(sipc_tls_detail(c.t), want));
        }
        finished(&c, &s, ccfg, scfg);
    }
}

/* A record that fails authentication leaves nothing where the application
 * looks (the AEAD writes its plaintext before it checks the tag: it is
 * wiped), and after
 * a fatal error the session neither opens nor seals anything more: no
 * close_notify after our bad_record_mac, no data. */
static size_t fixed_window(void *arg, uint8_t **p);
static void t_after_forgery(void **state)
{
    (void)state;
    /* a record of SIPC_REC_DEST_MIN bytes is opened into the window, a
     * shorter one into the record layer's scratch (the window untouched) */
    const size_t sizes[] = {SIPC_REC_DEST_MIN, 100};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
        sipc_tls_config *ccfg, *scfg;
        end c, s;
        established(&c, &s, &ccfg, &scfg, &cv, &sv);
        if (!sipc_tls_direct(s.t)) {
            finished(&c, &s, ccfg, scfg);
            skip();
        }
        uint8_t win[2 * SIPC_REC_DEST_MIN];
        memset(win, 0xAA, sizeof win);
        sipc_tls_set_window(s.t, fixed_window, win);
        uint8_t msg[SIPC_REC_DEST_MIN];
        size_t mlen = sizes[k];
        memset(msg, 'x', sizeof msg);
        assert_int_equal(sipc_tls_write(c.t, msg, mlen), 0);
        sipc_buf good = {0};
        c.tx.data[c.tx.len - 40] ^= 0x10; /* a forged record */
        assert_int_equal(deliver(&c, &s, 0), SIPC_ETLS);
        size_t wiped = mlen >= SIPC_REC_DEST_MIN ? mlen : 0;
        for (size_t i = 0; i < sizeof win; i++) /* wiped where it was decrypted, else untouched */
            assert_int_equal(win[i], i < wiped ? 0 : 0xAA);
        assert_int_equal(s.got.len, 0);
        /* our bad_record_mac went out; then nothing more, whatever comes */
        assert_true(s.tx.len > 0 && s.tx.data[0] == 0x15);
        size_t alert_len = s.tx.len;
        assert_int_equal(sipc_tls_write(c.t, msg, mlen), 0); /* a valid record now */
        assert_int_equal(sipc_buf_append(&good, c.tx.data, c.tx.len), 0);
        c.tx.len = 0;
        assert_int_equal(sipc_tls_input(s.t, good.data, good.len, on_plain, &s), SIPC_ETLS);
        assert_int_equal(s.got.len, 0);
        assert_true(sipc_tls_write(s.t, msg, mlen) != 0);
        sipc_tls_close_notify(s.t);
        assert_int_equal(s.tx.len, alert_len);
        sipc_buf_free(&good);
        finished(&c, &s, ccfg, scfg);
    }
}

static size_t fixed_window(void *arg, uint8_t **p)
{
    *p = arg;
    return 2 * SIPC_REC_DEST_MIN;
}

/* The AES-GCM explicit nonce of every encrypted record a side sends, from
 * its Finished (written by wolfSSL) through the records of sipc's record
 * layer, is never the same twice under one key. */
typedef struct nonces {
    uint8_t v[512][8];
    int n;
    int after_ccs;
} nonces;

static void collect_nonces(nonces *ns, const uint8_t *p, size_t len)
{
    size_t off = 0;
    while (off + 5 <= len) {
        size_t body = (size_t)p[off + 3] << 8 | p[off + 4];
        assert_true(off + 5 + body <= len); /* delivered whole (chunk 0) */
        if (p[off] == 20)
            ns->after_ccs = 1;
        else if (ns->after_ccs && body >= 8 && ns->n < 512)
            memcpy(ns->v[ns->n++], p + off + 5, 8);
        off += 5 + body;
    }
    assert_int_equal(off, len);
}

static void t_gcm_nonces_unique(void **state)
{
    (void)state;
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv), *scfg = make_cfg(&g_a, &g_a, &sv);
    end c, s;
    end_init(&c, ccfg, 0);
    end_init(&s, scfg, 1);
    nonces cn = {0}, sn = {0};
    assert_int_equal(sipc_tls_start(c.t), 0);
    uint8_t msg[300];
    memset(msg, 'n', sizeof msg);
    for (int round = 0; round < 60; round++) {
        if (sipc_tls_handshake_done(c.t) && sipc_tls_handshake_done(s.t)) {
            assert_int_equal(sipc_tls_write(c.t, msg, (size_t)round + 1), 0);
            assert_int_equal(sipc_tls_write(s.t, msg, (size_t)(round * 5) % 300 + 1), 0);
        }
        if (c.tx.len) {
            collect_nonces(&cn, c.tx.data, c.tx.len);
            assert_int_equal(deliver(&c, &s, 0), 0);
        }
        if (s.tx.len) {
            collect_nonces(&sn, s.tx.data, s.tx.len);
            assert_int_equal(deliver(&s, &c, 0), 0);
        }
    }
    char v[16], ci[64];
    sipc_tls_describe(c.t, v, sizeof v, ci, sizeof ci, NULL, 0);
    if (strstr(ci, "GCM")) {
        assert_true(cn.n > 50 && sn.n > 50);
        for (nonces *ns = &cn; ns; ns = ns == &cn ? &sn : NULL)
            for (int i = 0; i < ns->n; i++)
                for (int j = i + 1; j < ns->n; j++)
                    assert_memory_not_equal(ns->v[i], ns->v[j], 8);
    }
    end_free(&c);
    end_free(&s);
    sipc_tls_config_free(ccfg);
    sipc_tls_config_free(scfg);
}

/* The record layer alone, both AEADs: empty records are allowed, but not
 * more than 32 in a row (each costs a decryption and moves nothing). */
static int rec_plain(void *arg, uint8_t *p, size_t n)
{
    return sipc_buf_append(arg, p, n);
}

static void t_empty_records(void **state)
{
    (void)state;
    static const uint8_t key[32] = {1, 2, 3}, iv[12] = {4, 5, 6};
    for (int aead = SIPC_REC_AES_GCM; aead <= SIPC_REC_CHACHA20_POLY1305; aead++) {
        sipc_rec_keys k = {.aead = aead, .write_key = key, .read_key = key, .key_len = 32,
                           .write_iv = iv, .read_iv = iv,
                           .iv_len = aead == SIPC_REC_AES_GCM ? 4 : 12,
                           .write_seq = 1, .read_seq = 1, .write_nonce = 7};
        sipc_tls_rec *tx, *rx;
        assert_int_equal(sipc_rec_new(&tx, &k), 0);
        assert_int_equal(sipc_rec_new(&rx, &k), 0);
        sipc_buf wire = {0}, got = {0};
        int alert = 0, peer_alert = 0;
        for (int i = 0; i < 32; i++)
            assert_int_equal(sipc_rec_seal(tx, SIPC_REC_DATA, NULL, 0, &wire), 0);
        assert_int_equal(sipc_rec_seal(tx, SIPC_REC_DATA, (const uint8_t *)"ok", 2, &wire), 0);
        assert_int_equal(sipc_rec_open(rx, wire.data, wire.len, NULL, rec_plain, &got, &alert,
                                       &peer_alert),
                         0);
        assert_true(got.len == 2 && memcmp(got.data, "ok", 2) == 0); /* the run ended */
        wire.len = 0;
        for (int i = 0; i < 33; i++)
            assert_int_equal(sipc_rec_seal(tx, SIPC_REC_DATA, NULL, 0, &wire), 0);
        assert_int_equal(sipc_rec_open(rx, wire.data, wire.len, NULL, rec_plain, &got, &alert,
                                       &peer_alert),
                         SIPC_ETLS);
        assert_int_equal(alert, SIPC_ALERT_UNEXPECTED_MESSAGE);
        assert_true(sipc_rec_failed(rx));
        sipc_buf_free(&wire);
        sipc_buf_free(&got);
        sipc_rec_free(tx);
        sipc_rec_free(rx);
    }
}

/* The record layer's calls of base/aes_gcm.c, counted (--wrap in
 * CMakeLists.txt): which implementation a record went through. */
int __real_sipc_aes_gcm_seal(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad,
                             size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                             uint8_t tag[16]);
int __real_sipc_aes_gcm_open(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad,
                             size_t aad_len, const uint8_t *in, size_t len, const uint8_t tag[16],
                             uint8_t *out);
int __wrap_sipc_aes_gcm_seal(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad,
                             size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                             uint8_t tag[16]);
int __wrap_sipc_aes_gcm_open(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad,
                             size_t aad_len, const uint8_t *in, size_t len, const uint8_t tag[16],
                             uint8_t *out);
static int g_own_seals, g_own_opens;

int __wrap_sipc_aes_gcm_seal(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad,
                             size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                             uint8_t tag[16])
{
    g_own_seals++;
    return __real_sipc_aes_gcm_seal(g, iv, aad, aad_len, in, len, out, tag);
}

int __wrap_sipc_aes_gcm_open(const sipc_aes_gcm *g, const uint8_t iv[12], const uint8_t *aad,
                             size_t aad_len, const uint8_t *in, size_t len, const uint8_t tag[16],
                             uint8_t *out)
{
    g_own_opens++;
    return __real_sipc_aes_gcm_open(g, iv, aad, aad_len, in, len, tag, out);
}

/* AES-GCM records sealed by one implementation and opened by the other
 * (base/aes_gcm.c where the CPU has AES-NI, PCLMULQDQ and AVX, wolfCrypt's
 * always): both key sizes, empty to several records, and a damaged record
 * refused by either. Without those both ends are wolfCrypt's. Each record
 * is counted where it went: through base/aes_gcm.c on the side that did
 * not ask for wolfCrypt's, where the CPU can, and never on the other. */
static void t_aes_gcm_records_both_ways(void **state)
{
    (void)state;
    static const uint8_t key[32] = {9, 8, 7}, iv[4] = {6, 5, 4, 3};
    static const size_t sizes[] = {0, 1, 13, 255, 256, 16383, 16384, 2 * 16384 + 5};
    uint8_t *msg = malloc(2 * 16384 + 5);
    assert_non_null(msg);
    for (size_t i = 0; i < 2 * 16384 + 5; i++)
        msg[i] = (uint8_t)(i * 31 + 7);
    for (size_t klen = 16; klen <= 32; klen += 16) {
        for (int way = 0; way < 2; way++) {
            sipc_rec_keys k = {.aead = SIPC_REC_AES_GCM, .write_key = key, .read_key = key,
                               .key_len = klen, .write_iv = iv, .read_iv = iv, .iv_len = 4,
                               .write_seq = 3, .read_seq = 3, .write_nonce = 11};
            sipc_tls_rec *tx, *rx;
            k.wolfcrypt_gcm = way; /* the sealing side */
            assert_int_equal(sipc_rec_new(&tx, &k), 0);
            k.wolfcrypt_gcm = !way; /* the opening side */
            assert_int_equal(sipc_rec_new(&rx, &k), 0);
            sipc_buf wire = {0}, got = {0};
            int alert = 0, peer_alert = 0, records = 0;
            g_own_seals = g_own_opens = 0;
            for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
                records += sizes[i] ? (int)((sizes[i] + 16383) / 16384) : 1;
                wire.len = got.len = 0;
                assert_int_equal(sipc_rec_seal(tx, SIPC_REC_DATA, msg, sizes[i], &wire), 0);
                assert_int_equal(sipc_rec_open(rx, wire.data, wire.len, NULL, rec_plain, &got,
                                               &alert, &peer_alert),
                                 0);
                assert_int_equal(got.len, sizes[i]);
                if (sizes[i])
                    assert_memory_equal(got.data, msg, sizes[i]);
            }
            const int own = sipc_aes_gcm_available();
            assert_int_equal(g_own_seals, own && way == 0 ? records : 0);
            assert_int_equal(g_own_opens, own && way == 1 ? records : 0);
            /* one bit of the last record's ciphertext: bad_record_mac */
            wire.len = got.len = 0;
            assert_int_equal(sipc_rec_seal(tx, SIPC_REC_DATA, msg, 300, &wire), 0);
            wire.data[SIPC_REC_HEADER + 8 + 150] ^= 0x10;
            assert_int_equal(sipc_rec_open(rx, wire.data, wire.len, NULL, rec_plain, &got, &alert,
                                           &peer_alert),
                             SIPC_ETLS);
            assert_int_equal(alert, SIPC_ALERT_BAD_RECORD_MAC);
            assert_int_equal(got.len, 0);
            sipc_buf_free(&wire);
            sipc_buf_free(&got);
            sipc_rec_free(tx);
            sipc_rec_free(rx);
        }
    }
    free(msg);
}

/* Where the connection wants large frames (a window), records land there
 * directly; everything still arrives in order and whole. */
typedef struct win {
    uint8_t *buf;
    size_t cap, used;
    int direct_hits;
} win;

static size_t win_fn(void *arg, uint8_t **p)
{
    win *w = arg;
    *p = w->buf + w->used;
    return w->cap - w->used;
}

static int win_plain(void *arg, const uint8_t *p, size_t n)
{
    win *w = arg;
    if (p == w->buf + w->used)
        w->direct_hits++;
    else
        memcpy(w->buf + w->used, p, n);
    w->used += n;
    return 0;
}

static void t_window(void **state)
{
    (void)state;
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg, *scfg;
    end c, s;
    established(&c, &s, &ccfg, &scfg, &cv, &sv);
    size_t big = 200 * 1024;
    uint8_t *p = malloc(big);
    for (size_t i = 0; i < big; i++)
        p[i] = (uint8_t)(i * 131 + 7);
    win w = {.buf = malloc(big), .cap = big};
    sipc_tls_set_window(s.t, win_fn, &w);
    assert_int_equal(sipc_tls_write(c.t, p, big), 0);
    sipc_buf wire = c.tx;
    memset(&c.tx, 0, sizeof c.tx);
    for (size_t off = 0; off < wire.len;) {
        size_t n = wire.len - off < 40000 ? wire.len - off : 40000;
        assert_int_equal(sipc_tls_input(s.t, wire.data + off, n, win_plain, &w), 0);
        off += n;
    }
    assert_int_equal(w.used, big);
    assert_memory_equal(w.buf, p, big);
    if (sipc_tls_direct(s.t))
        assert_true(w.direct_hits >= 12); /* of 13 records */
    /* an idle connection gives its split-record buffer back */
    (void)sipc_tls_trim(s.t);
    assert_int_equal(sipc_tls_buffered(s.t), 0);
    sipc_buf_free(&wire);
    free(w.buf);
    free(p);
    finished(&c, &s, ccfg, scfg);
}

/* Our verifier has the last word, on either side, and its reason is kept;
 * the side refused is told so in its own code, not in the refuser's: the
 * server refusing gives the server SIPC_EPEERAUTH and the client
 * SIPC_ECERTREFUSED, and the other way round. The alert is the one the
 * verifier chose (bad_certificate when it chose none), so the refused side
 * names the cause. */
static void t_verifier_refuses(void **state)
{
    (void)state;
    static const struct {
        int alert;
        const char *heard;
    } alerts[] = {{0, "bad_certificate"},
                  {SIPC_TLS_REFUSE_REVOKED, "certificate_revoked): a CRL the peer holds revokes it"},
                  {SIPC_TLS_REFUSE_EXPIRED, "certificate_expired)"},
                  {SIPC_TLS_REFUSE_UNKNOWN, "certificate_unknown): a sipc peer sends it when it "
                                            "cannot establish the certificate's revocation status"}};
    for (int k = 0; k < 8; k++) {
        int side = k % 2;
        vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
        vfy *refuser = side == 0 ? &sv : &cv;
        refuser->refuse = "revoked by the test's policy";
        refuser->alert = alerts[k / 2].alert;
        sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv), *scfg = make_cfg(&g_a, &g_a, &sv);
        end c, s;
        end_init(&c, ccfg, 0);
        end_init(&s, scfg, 1);
        assert_int_equal(sipc_tls_start(c.t), 0);
        (void)shuttle(&c, &s, 0);
        end *judge = side == 0 ? &s : &c, *judged = side == 0 ? &c : &s;
        assert_int_equal(judge->err, SIPC_EPEERAUTH);
        assert_non_null(strstr(sipc_tls_detail(judge->t), "revoked by the test's policy"));
        assert_non_null(strstr(sipc_tls_detail(judge->t), "peer certificate rejected"));
        assert_false(sipc_tls_handshake_done(judge->t));
        /* the refused side hears an alert and says so */
        (void)shuttle(&c, &s, 0);
        assert_int_equal(judged->err, SIPC_ECERTREFUSED);
        assert_false(sipc_tls_handshake_done(judged->t));
        char want[200];
        snprintf(want, sizeof want, "peer rejected this side's certificate (alert %s",
                 alerts[k / 2].heard);
        if (!strstr(sipc_tls_detail(judged->t), want))
            fail_msg("side %d, want '%s': %s", side, want, sipc_tls_detail(judged->t));
        /* and the refuser's code stays its own */
        assert_int_equal(judge->err, SIPC_EPEERAUTH);
        end_free(&c);
        end_free(&s);
        sipc_tls_config_free(ccfg);
        sipc_tls_config_free(scfg);
    }
}

/* A client of another pair: the TLS library's own chain check refuses it. */
static void t_other_pair(void **state)
{
    (void)state;
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(&g_b, &g_a, &cv), *scfg = make_cfg(&g_a, &g_a, &sv);
    end c, s;
    end_init(&c, ccfg, 0);
    end_init(&s, scfg, 1);
    assert_int_equal(sipc_tls_start(c.t), 0);
    (void)shuttle(&c, &s, 0);
    assert_int_equal(s.err, SIPC_EPEERAUTH);
    assert_non_null(strstr(sipc_tls_detail(s.t), "peer certificate rejected"));
    assert_false(sipc_tls_handshake_done(s.t));
    /* the client, whose certificate it was, hears that it was refused */
    (void)shuttle(&c, &s, 0);
    assert_int_equal(c.err, SIPC_ECERTREFUSED);
    end_free(&c);
    end_free(&s);
    sipc_tls_config_free(ccfg);
    sipc_tls_config_free(scfg);
}

/* Alters the handshake message of type msg_type in the handshake records
 * of buf (a CertificateVerify or ServerKeyExchange): with alg 0 its last
 * byte is flipped (the signature's s), else alg replaces the algorithm a
 * CertificateVerify begins with; 1 when one was found. */
static int tamper_handshake(sipc_buf *buf, uint8_t msg_type, uint16_t alg)
{
    size_t off = 0;
    while (off + 5 <= buf->len) {
        size_t rlen = (size_t)buf->data[off + 3] << 8 | buf->data[off + 4];
        if (buf->data[off] == 0x16) {
            for (size_t m = off + 5; m + 4 <= off + 5 + rlen;) {
                size_t mlen = (size_t)buf->data[m + 1] << 16 | (size_t)buf->data[m + 2] << 8 |
                              buf->data[m + 3];
                if (buf->data[m] == msg_type) {
                    if (alg)
                        sipc_be16_put(buf->data + m + 4, alg);
                    else
                        buf->data[m + 4 + mlen - 1] ^= 0x01;
                    return 1;
                }
                m += 4 + mlen;
            }
        }
        off += 5 + rlen;
    }
    return 0;
}

/* A full handshake between the two configurations; returns how many
 * signatures the own-key path judged. */
static unsigned long own_judged_in_handshake(sipc_tls_config *ccfg, sipc_tls_config *scfg)
{
    unsigned long before = sipc_ecdsa_own_count();
    end c, s;
    end_init(&c, ccfg, 0);
    end_init(&s, scfg, 1);
    assert_int_equal(sipc_tls_start(c.t), 0);
    assert_int_equal(shuttle(&c, &s, 0), 0);
    assert_true(sipc_tls_handshake_done(c.t) && sipc_tls_handshake_done(s.t));
    end_free(&c);
    end_free(&s);
    return sipc_ecdsa_own_count() - before;
}

/* A handshake whose CertificateVerify (msg_type 15, the client's) or
 * ServerKeyExchange (12, the server's) is tampered with on the way
 * (tamper_handshake, alg): the other end refuses it, its detail holding
 * want. Returns how many signatures the own-key path judged. */
static unsigned long own_judged_in_tampered(sipc_tls_config *ccfg, sipc_tls_config *scfg,
                                            uint8_t msg_type, uint16_t alg, const char *want)
{
    unsigned long before = sipc_ecdsa_own_count();
    end c, s;
    end_init(&c, ccfg, 0);
    end_init(&s, scfg, 1);
    assert_int_equal(sipc_tls_start(c.t), 0);
    assert_int_equal(deliver(&c, &s, 0), 0); /* ClientHello */
    end *from = msg_type == 12 ? &s : &c, *to = msg_type == 12 ? &c : &s;
    if (msg_type == 15)
        assert_int_equal(deliver(&s, &c, 0), 0); /* ServerHello ... ServerHelloDone */
    assert_true(tamper_handshake(&from->tx, msg_type, alg));
    assert_true(deliver(from, to, 0) < 0);
    assert_false(sipc_tls_handshake_done(to->t));
    if (!strstr(sipc_tls_detail(to->t), want))
        fail_msg("detail '%s' lacks '%s'", sipc_tls_detail(to->t), want);
    end_free(&c);
    end_free(&s);
    return sipc_ecdsa_own_count() - before;
}

/* The same words whether the own-key path or wolfCrypt judged: sipc's for
 * the client's CertificateVerify, wolfSSL's for the ServerKeyExchange. */
static const char cv_bad[] = "peer's CertificateVerify (ecdsa_secp256r1_sha256) does not verify "
                             "with the key of the certificate it presented";
static const char ske_bad[] = "verify problem based on signature";

/* Both ends hold the same pair: each verifies the other's signature
 * (ServerKeyExchange, CertificateVerify) with its own key
 * (tls_ecdsa_own.h). Ends of different pairs are verified by wolfCrypt, and
 * a tampered signature is refused either way. */
static void t_own_key_signatures(void **state)
{
    (void)state;
    unsigned long on = SIPC_TLS_ECDSA_OWN;
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv), *scfg = make_cfg(&g_a, &g_a, &sv);
    assert_int_equal(own_judged_in_handshake(ccfg, scfg), 2 * on);
    /* the client's check of the ServerKeyExchange, then the server's of the
     * tampered CertificateVerify */
    assert_int_equal(own_judged_in_tampered(ccfg, scfg, 15, 0, cv_bad), 2 * on);
    assert_int_equal(own_judged_in_tampered(ccfg, scfg, 12, 0, ske_bad), on);
    sipc_tls_config_free(ccfg);
    sipc_tls_config_free(scfg);

    /* different pairs, each trusting the other's: wolfCrypt verifies */
    vfy cv2 = {.pin = g_a.fingerprint}, sv2 = {.pin = g_b.fingerprint};
    ccfg = make_cfg(&g_b, &g_a, &cv2);
    scfg = make_cfg(&g_a, &g_b, &sv2);
    assert_int_equal(own_judged_in_handshake(ccfg, scfg), 0);
    assert_int_equal(own_judged_in_tampered(ccfg, scfg, 15, 0, cv_bad), 0);
    assert_int_equal(own_judged_in_tampered(ccfg, scfg, 12, 0, ske_bad), 0);
    sipc_tls_config_free(ccfg);
    sipc_tls_config_free(scfg);
}

/* A bare wolfSSL client with no certificate, on memory I/O of its own. */
typedef struct raw_io {
    sipc_buf *out;
    const uint8_t *in;
    size_t in_len;
} raw_io;

static int raw_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    raw_io *io = ctx;
    if (io->in_len == 0)
        return WOLFSSL_CBIO_ERR_WANT_READ;
    size_t n = (size_t)sz < io->in_len ? (size_t)sz : io->in_len;
    memcpy(buf, io->in, n);
    io->in += n;
    io->in_len -= n;
    return (int)n;
}

static int raw_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    raw_io *io = ctx;
    assert_int_equal(sipc_buf_append(io->out, buf, (size_t)sz), 0);
    return sz;
}

/* A bare wolfSSL client on io, presenting kp (NULL: no certificate). */
static WOLFSSL *raw_client(WOLFSSL_CTX **cctx, const sipc_keypair *kp, raw_io *io)
{
    *cctx = wolfSSL_CTX_new(wolfTLSv1_2_client_method());
    assert_non_null(*cctx);
    wolfSSL_CTX_set_verify(*cctx, WOLFSSL_VERIFY_NONE, NULL);
    if (kp) {
        assert_int_equal(wolfSSL_CTX_use_certificate_buffer(*cctx, kp->certs[0].data,
                                                            (long)kp->certs[0].len,
                                                            WOLFSSL_FILETYPE_ASN1),
                         WOLFSSL_SUCCESS);
        assert_int_equal(wolfSSL_CTX_use_PrivateKey_buffer(*cctx, kp->key.data, (long)kp->key.len,
                                                           WOLFSSL_FILETYPE_ASN1),
                         WOLFSSL_SUCCESS);
    }
    wolfSSL_CTX_SetIORecv(*cctx, raw_recv);
    wolfSSL_CTX_SetIOSend(*cctx, raw_send);
    WOLFSSL *ssl = wolfSSL_new(*cctx);
    assert_non_null(ssl);
    wolfSSL_SetIOReadCtx(ssl, io);
    wolfSSL_SetIOWriteCtx(ssl, io);
    return ssl;
}

/* msg sealed by the server s, read back whole by the bare client ssl. */
static void raw_read_back(end *s, WOLFSSL *ssl, raw_io *io, const uint8_t *msg, size_t len)
{
    assert_int_equal(sipc_tls_write(s->t, msg, len), 0);
    io->in = s->tx.data;
    io->in_len = s->tx.len;
    uint8_t *got = malloc(len);
    assert_non_null(got);
    size_t have = 0;
    for (int i = 0; i < 20 && have < len; i++) {
        int n = wolfSSL_read(ssl, got + have, (int)(len - have));
        if (n <= 0)
            fail_msg("the client's read failed: wolfSSL error %d", wolfSSL_get_error(ssl, n));
        have += (size_t)n;
    }
    assert_int_equal(have, len);
    assert_memory_equal(got, msg, len);
    free(got);
    s->tx.len = 0;
}

/* Cuts the handshake record that holds only a Certificate message out of
 * buf: the client's flight as a client that sends none would send it. */
static void drop_certificate_record(sipc_buf *buf)
{
    for (size_t at = 0; at + 9 <= buf->len;) {
        size_t rec = 5 + ((size_t)buf->data[at + 3] << 8 | buf->data[at + 4]);
        if (buf->data[at] == 22 && buf->data[at + 5] == 11 && at + rec <= buf->len) {
            memmove(buf->data + at, buf->data + at + rec, buf->len - at - rec);
            buf->len -= rec;
            return;
        }
        at += rec;
    }
}

/* A client without a certificate: wolfSSL answers the CertificateRequest
 * with an empty list (drop 0), or, its Certificate record cut (drop 1), a
 * client sends none at all; the server's words tell them apart. */
static void peer_without_certificate(int drop, const char *said)
{
    vfy sv = {.pin = g_a.fingerprint};
    sipc_tls_config *scfg = make_cfg(&g_a, &g_a, &sv);
    end s;
    end_init(&s, scfg, 1);

    sipc_buf ctx_out = {0};
    raw_io io = {.out = &ctx_out};
    WOLFSSL_CTX *cctx;
    WOLFSSL *ssl = raw_client(&cctx, NULL, &io);

    int r = 0;
    for (int i = 0; i < 10; i++) {
        int c = wolfSSL_connect(ssl);
        if (c == WOLFSSL_SUCCESS)
            break;
        assert_int_equal(wolfSSL_get_error(ssl, c), WOLFSSL_ERROR_WANT_READ);
        if (ctx_out.len == 0)
            break;
        if (drop && i > 0)
            drop_certificate_record(&ctx_out);
        r = sipc_tls_input(s.t, ctx_out.data, ctx_out.len, on_plain, &s);
        ctx_out.len = 0;
        if (r != 0)
            break;
        io.in = s.tx.data;
        io.in_len = s.tx.len;
        s.tx.len = 0;
    }
    assert_int_equal(r, SIPC_ENOPEERCERT);
    if (!strstr(sipc_tls_detail(s.t), said))
        fail_msg("the server says \"%s\", not \"%s\"", sipc_tls_detail(s.t), said);
    assert_false(sipc_tls_handshake_done(s.t));
    assert_int_equal(sv.calls, 0); /* nothing to judge */

    wolfSSL_free(ssl);
    wolfSSL_CTX_free(cctx);
    sipc_buf_free(&ctx_out);
    end_free(&s);
    sipc_tls_config_free(scfg);
}

static void t_peer_without_certificate(void **state)
{
    (void)state;
    peer_without_certificate(0, "it answered the CertificateRequest with an empty certificate "
                                "list (a TLS 1.2 client with no certificate configured does so)");
    peer_without_certificate(1, "it sent no Certificate message at all (its ClientKeyExchange "
                                "came without one)");
}

/* Bytes that are no TLS at all, before and after a handshake. */
static void t_garbage(void **state)
{
    (void)state;
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv), *scfg = make_cfg(&g_a, &g_a, &sv);
    uint8_t junk[300];
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof junk; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        junk[i] = (uint8_t)x;
    }
    /* a plausible record header, then noise */
    static const uint8_t fake_hello[] = {0x16, 0x03, 0x03, 0x00, 0x20, 0x01, 0x00, 0x00, 0x1c,
                                         0xde, 0xad, 0xbe, 0xef};
    const uint8_t *inputs[] = {junk, fake_hello};
    size_t lens[] = {sizeof junk, sizeof fake_hello};
    for (int i = 0; i < 2; i++) {
        end s;
        end_init(&s, scfg, 1);
        int r = sipc_tls_input(s.t, inputs[i], lens[i], on_plain, &s);
        if (i == 1 && r == 0) {
            /* a record still incomplete: the rest is noise too */
            r = sipc_tls_input(s.t, junk, sizeof junk, on_plain, &s);
        }
        assert_true(r < 0);
        assert_true(sipc_tls_detail(s.t)[0] != '\0');
        assert_int_equal(s.got.len, 0);
        end_free(&s);
    }
    /* an established session fed a forged application record */
    end c, s;
    end_init(&c, ccfg, 0);
    end_init(&s, scfg, 1);
    assert_int_equal(sipc_tls_start(c.t), 0);
    assert_int_equal(shuttle(&c, &s, 0), 0);
    assert_true(sipc_tls_handshake_done(s.t));
    uint8_t forged[5 + 64] = {0x17, 0x03, 0x03, 0x00, 64};
    memcpy(forged + 5, junk, 64);
    assert_true(sipc_tls_input(s.t, forged, sizeof forged, on_plain, &s) < 0);
    assert_int_equal(s.got.len, 0);
    end_free(&c);
    end_free(&s);
    sipc_tls_config_free(ccfg);
    sipc_tls_config_free(scfg);
}

/* ---------------------------------------------------------------- main */

static int load(sipc_keypair *kp, const char *name)
{
    char path[600], err[512] = "";
    snprintf(path, sizeof path, "%s/%s.pem", g_dir, name);
    memset(kp, 0, sizeof *kp);
    int r = sipc_keypair_load_pem(kp, path, NULL, err, sizeof err);
    if (r != 0)
        fprintf(stderr, "%s: %s\n", path, err);
    return r;
}

/* ------------------------------------------------------- resumption */

typedef struct conn_result {
    int rc;                 /* 0: handshake done on both ends */
    int c_resumed, s_resumed;
    int c_resume_failed;
    int c_refused, s_refused; /* sipc_tls_resume_refused of each end */
    int s_err;                /* the server's error once it read the client's last bytes */
    char c_detail[256], s_detail[256];
    int direct;             /* both ends carry the data through sipc's record layer */
    char c_fp[65], s_fp[65]; /* what each end says the peer presented */
} conn_result;

/* A client and a server configuration of pair A, the client resuming;
 * skips the test in a TLS library without session tickets (Debian's). */
static void resuming_cfgs(vfy *cv, vfy *sv, sipc_tls_config **ccfg, sipc_tls_config **scfg)
{
    *ccfg = make_cfg(&g_a, &g_a, cv);
    *scfg = make_cfg(&g_a, &g_a, sv);
    if (!sipc_tls_config_set_resumption(*ccfg, 1)) {
        sipc_tls_config_free(*ccfg);
        sipc_tls_config_free(*scfg);
        skip(); /* no session tickets in this TLS library */
    }
}

/* One connection from ccfg (naming its peer key) to scfg, data both ways. */
static conn_result connect_once(sipc_tls_config *ccfg, sipc_tls_config *scfg, const char *key)
{
    conn_result r;
    memset(&r, 0, sizeof r);
    end c, s;
    end_init(&c, ccfg, 0);
    end_init(&s, scfg, 1);
    sipc_tls_set_peer_key(c.t, key);
    assert_int_equal(sipc_tls_start(s.t), 0);
    r.rc = sipc_tls_start(c.t);
    if (r.rc == 0)
        r.rc = shuttle(&c, &s, 0);
    if (r.rc == 0 && (!sipc_tls_handshake_done(c.t) || !sipc_tls_handshake_done(s.t)))
        r.rc = -1;
    if (r.rc == 0) {
        assert_int_equal(sipc_tls_write(c.t, (const uint8_t *)"ping", 4), 0);
        assert_int_equal(sipc_tls_write(s.t, (const uint8_t *)"pong", 4), 0);
        assert_int_equal(shuttle(&c, &s, 0), 0);
        assert_true(s.got.len == 4 && memcmp(s.got.data, "ping", 4) == 0);
        assert_true(c.got.len == 4 && memcmp(c.got.data, "pong", 4) == 0);
    }
    char v[16], ci[64];
    sipc_tls_describe(c.t, v, sizeof v, ci, sizeof ci, r.c_fp, sizeof r.c_fp);
    sipc_tls_describe(s.t, v, sizeof v, ci, sizeof ci, r.s_fp, sizeof r.s_fp);
    r.c_resumed = sipc_tls_resumed(c.t);
    r.s_resumed = sipc_tls_resumed(s.t);
    r.c_resume_failed = sipc_tls_resume_failed(c.t);
    if (r.rc != 0) {
        /* the failing client's alert reaches the server, as on a socket */
        if (c.tx.len)
            (void)deliver(&c, &s, 0);
        r.s_err = s.err;
        snprintf(r.c_detail, sizeof r.c_detail, "%s", sipc_tls_detail(c.t));
        snprintf(r.s_detail, sizeof r.s_detail, "%s", sipc_tls_detail(s.t));
    }
    r.c_refused = sipc_tls_resume_refused(c.t);
    r.s_refused = sipc_tls_resume_refused(s.t);
    r.direct = sipc_tls_direct(c.t) && sipc_tls_direct(s.t);
    end_free(&c);
    end_free(&s);
    return r;
}

/* A reconnection resumes (no certificate judged again, the peer's print
 * carried over); a new server configuration (a reload of the pair or the
 * trust) never resumes an old session: the client falls back to one full
 * handshake; a session is offered only to the peer it was made with. */
static void t_resumption(void **state)
{
    (void)state;
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv), *scfg = make_cfg(&g_a, &g_a, &sv);
    if (!sipc_tls_config_set_resumption(ccfg, 1)) {
        /* a TLS library without session tickets (Debian's): always full */
        conn_result r = connect_once(ccfg, scfg, "10.0.0.1:23000");
        assert_int_equal(r.rc, 0);
        r = connect_once(ccfg, scfg, "10.0.0.1:23000");
        assert_int_equal(r.rc, 0);
        assert_false(r.c_resumed || r.s_resumed);
        sipc_tls_config_free(ccfg);
        sipc_tls_config_free(scfg);
        skip();
    }
    conn_result r = connect_once(ccfg, scfg, "10.0.0.1:23000");
    assert_int_equal(r.rc, 0);
    assert_false(r.c_resumed || r.s_resumed);
    int cv_full = cv.calls, sv_full = sv.calls;
    assert_true(cv_full >= 1 && sv_full >= 1);

    /* the same peer again: resumed on both ends, nobody judged again */
    r = connect_once(ccfg, scfg, "10.0.0.1:23000");
    assert_int_equal(r.rc, 0);
    assert_true(r.c_resumed && r.s_resumed);
    /* an abbreviated handshake hands its records over too */
    assert_int_equal(r.direct, direct_built());
    assert_int_equal(cv.calls, cv_full);
    assert_int_equal(sv.calls, sv_full);
    assert_string_equal(r.c_fp, g_a.fingerprint);
    assert_string_equal(r.s_fp, g_a.fingerprint);
    r = connect_once(ccfg, scfg, "10.0.0.1:23000");
    assert_true(r.rc == 0 && r.c_resumed && r.s_resumed);

    /* another peer address: nothing to offer, a full handshake */
    r = connect_once(ccfg, scfg, "10.0.0.2:23000");
    assert_int_equal(r.rc, 0);
    assert_false(r.c_resumed || r.s_resumed);
    assert_true(sv.calls > sv_full);

    /* the server reloads (new configuration, same pair and trust): the old
     * session must not resume; at most one failed attempt, then full */
    vfy sv2 = {.pin = g_a.fingerprint};
    sipc_tls_config *scfg2 = make_cfg(&g_a, &g_a, &sv2);
    r = connect_once(ccfg, scfg2, "10.0.0.1:23000");
    assert_false(r.s_resumed);
    if (r.rc != 0) {
        assert_true(r.c_resume_failed); /* wolfSSL 5.5.4: OUT_OF_ORDER_E */
        /* ... which both ends name for what it is: no TLS failure */
        assert_true(r.c_refused);
        assert_non_null(strstr(r.c_detail, "no longer knows the TLS session offered"));
        assert_int_equal(r.s_err, SIPC_ETLS);
        assert_true(r.s_refused);
        assert_non_null(strstr(r.s_detail, "ticket from before this node's restart or reload"));
        r = connect_once(ccfg, scfg2, "10.0.0.1:23000");
    }
    assert_int_equal(r.rc, 0);
    assert_false(r.c_resumed || r.s_resumed || r.c_refused || r.s_refused);
    assert_true(sv2.calls >= 1); /* the new server judged the client */
    /* ... and the session of that full handshake resumes with it */
    r = connect_once(ccfg, scfg2, "10.0.0.1:23000");
    assert_true(r.rc == 0 && r.c_resumed && r.s_resumed);

    /* the new trust refuses the client: a session made before is no way in */
    vfy sv3 = {.refuse = "trust changed"};
    sipc_tls_config *scfg3 = make_cfg(&g_a, &g_a, &sv3);
    r = connect_once(ccfg, scfg3, "10.0.0.1:23000");
    if (r.rc != 0 && r.c_resume_failed)
        r = connect_once(ccfg, scfg3, "10.0.0.1:23000");
    assert_int_not_equal(r.rc, 0);
    assert_false(r.s_resumed);
    assert_true(sv3.calls >= 1);
    /* a real refusal stays a failure, on both ends */
    assert_false(r.c_refused || r.s_refused);

    /* resumption off on the client: every connection is a full one */
    vfy cv4 = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg4 = make_cfg(&g_a, &g_a, &cv4);
    assert_int_equal(sipc_tls_config_set_resumption(ccfg4, 0), 0);
    for (int i = 0; i < 2; i++) {
        r = connect_once(ccfg4, scfg2, "10.0.0.1:23000");
        assert_int_equal(r.rc, 0);
        assert_false(r.c_resumed || r.s_resumed);
    }
    assert_true(cv4.calls >= 2);
    sipc_tls_config_free(ccfg4);
    sipc_tls_config_free(scfg3);
    sipc_tls_config_free(scfg2);
    sipc_tls_config_free(ccfg);
    sipc_tls_config_free(scfg);
}

/* Where the extensions' length starts in a ClientHello record (p, n); 0
 * when it has no extensions. */
static size_t hello_exts_at(const uint8_t *p, size_t n)
{
    /* record header 5, handshake header 4, version 2, random 32 */
    size_t i = 5 + 4 + 2 + 32;
    assert_true(n > i && p[0] == 22 && p[5] == 1);
    i += 1 + p[i];                             /* session id */
    assert_true(i + 2 <= n);
    i += 2 + ((size_t)p[i] << 8 | p[i + 1]);   /* cipher suites */
    assert_true(i + 1 <= n);
    i += 1 + p[i];                             /* compression methods */
    return i + 2 > n ? 0 : i;
}

/* Where the body of extension type ext starts in a ClientHello record
 * (p, n), its length in *len; 0 when it has none. */
static size_t hello_ext_at(const uint8_t *p, size_t n, unsigned ext, size_t *len)
{
    size_t i = hello_exts_at(p, n);
    if (i == 0)
        return 0;                              /* no extensions at all */
    size_t stop = i + 2 + ((size_t)p[i] << 8 | p[i + 1]);
    assert_true(stop <= n);
    for (i += 2; i + 4 <= stop; i += 4 + ((size_t)p[i + 2] << 8 | p[i + 3]))
        if (((unsigned)p[i] << 8 | p[i + 1]) == ext) {
            *len = (size_t)p[i + 2] << 8 | p[i + 3];
            return i + 4;
        }
    return 0;
}

static int hello_has_ext(const uint8_t *p, size_t n, unsigned ext)
{
    size_t len;
    return hello_ext_at(p, n, ext, &len) != 0;
}

/* Whether the records (p, n) hold a plaintext NewSessionTicket (handshake
 * type 4): in TLS 1.2 it comes before the server's ChangeCipherSpec. */
static int has_new_session_ticket(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 5 <= n; i += 5 + ((size_t)p[i + 3] << 8 | p[i + 4])) {
        if (p[i] == 20)
            return 0; /* ChangeCipherSpec: encrypted from here on */
        if (p[i] == 22 && i + 5 < n && p[i + 5] == 4)
            return 1;
    }
    return 0;
}

/* A client whose resumption is off does not ask for a session ticket
 * (extension 35), so the server seals none for it; one with resumption on
 * asks and gets one. */
static void t_no_ticket_unless_resuming(void **state)
{
    (void)state;
    vfy sv = {.pin = g_a.fingerprint};
    sipc_tls_config *scfg = make_cfg(&g_a, &g_a, &sv);
    for (int on = 0; on <= 1; on++) {
        vfy cv = {.pin = g_a.fingerprint};
        sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv);
        int resuming = sipc_tls_config_set_resumption(ccfg, on);
        if (on && !resuming) { /* a TLS library without session tickets */
            sipc_tls_config_free(ccfg);
            break;
        }
        end c, s;
        end_init(&c, ccfg, 0);
        end_init(&s, scfg, 1);
        sipc_tls_set_peer_key(c.t, "10.0.0.9:23000");
        assert_int_equal(sipc_tls_start(s.t), 0);
        assert_int_equal(sipc_tls_start(c.t), 0);
        assert_int_equal(hello_has_ext(c.tx.data, c.tx.len, 35), on);
        assert_int_equal(deliver(&c, &s, 0), 0); /* ClientHello */
        assert_int_equal(deliver(&s, &c, 0), 0); /* ServerHello ... Done */
        assert_int_equal(deliver(&c, &s, 0), 0); /* key exchange ... Finished */
        assert_true(s.tx.len > 0);
        assert_int_equal(has_new_session_ticket(s.tx.data, s.tx.len), on);
        assert_int_equal(shuttle(&c, &s, 0), 0);
        assert_true(sipc_tls_handshake_done(c.t) && sipc_tls_handshake_done(s.t));
        end_free(&c);
        end_free(&s);
        sipc_tls_config_free(ccfg);
    }
    sipc_tls_config_free(scfg);
}

/* Ticket keys rotate: after one new key a ticket of the one before still
 * resumes; after two it no longer does, and the client falls back to one
 * full handshake. */
/* Waits (at most ~2 s) until the wall clock is past t. */
static void wait_past(int64_t t)
{
    for (int i = 0; i < 300 && (int64_t)time(NULL) <= t; i++)
        usleep(10000);
    assert_true((int64_t)time(NULL) > t);
}

/* A session is not resumed past the last second its verdict held (an
 * expiring certificate, a CRL's next update): on the server, which judged
 * the client, and on the client, which judged the server. Either way the
 * next connection makes a full handshake and is judged again. */
static void t_resumption_until(void **state)
{
    (void)state;
    for (int side = 0; side < 2; side++) {
        vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
        int64_t until = (int64_t)time(NULL) + 1;
        if (side == 0)
            sv.until = until; /* the server's verdict on the client */
        else
            cv.until = until; /* the client's verdict on the server */
        sipc_tls_config *ccfg, *scfg;
        resuming_cfgs(&cv, &sv, &ccfg, &scfg);
        conn_result r = connect_once(ccfg, scfg, "10.0.0.9:23000");
        assert_int_equal(r.rc, 0);
        r = connect_once(ccfg, scfg, "10.0.0.9:23000");
        assert_true(r.rc == 0 && r.c_resumed && r.s_resumed); /* still within */
        int calls = side == 0 ? sv.calls : cv.calls;
        wait_past(until);
        r = connect_once(ccfg, scfg, "10.0.0.9:23000");
        if (side == 0) {
            /* the server refuses the ticket; with wolfSSL 5.5.4 that fails
             * the handshake that offered it (as after a reload), the client
             * forgets the session and its next connection is a full one */
            assert_true(r.rc != 0 && r.c_resume_failed);
            r = connect_once(ccfg, scfg, "10.0.0.9:23000");
        }
        assert_int_equal(r.rc, 0); /* the client offers nothing past the time */
        assert_false(r.c_resumed || r.s_resumed);
        assert_true((side == 0 ? sv.calls : cv.calls) > calls); /* judged again */
        sipc_tls_config_free(ccfg);
        sipc_tls_config_free(scfg);
    }
}

static void t_ticket_key_rotation(void **state)
{
    (void)state;
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg, *scfg;
    resuming_cfgs(&cv, &sv, &ccfg, &scfg);
    conn_result r = connect_once(ccfg, scfg, "10.0.0.1:23000");
    assert_int_equal(r.rc, 0);
    assert_false(r.c_resumed);
    /* one new key: the ticket sealed by the one before still opens */
    sipc_tls_config_rotate_tickets(scfg);
    r = connect_once(ccfg, scfg, "10.0.0.1:23000");
    assert_true(r.rc == 0 && r.c_resumed && r.s_resumed);
    /* two more: that ticket's key is gone */
    sipc_tls_config_rotate_tickets(scfg);
    sipc_tls_config_rotate_tickets(scfg);
    int full = sv.calls;
    r = connect_once(ccfg, scfg, "10.0.0.1:23000");
    assert_false(r.s_resumed);
    if (r.rc != 0) {
        assert_true(r.c_resume_failed);
        r = connect_once(ccfg, scfg, "10.0.0.1:23000");
    }
    assert_int_equal(r.rc, 0);
    assert_false(r.c_resumed || r.s_resumed);
    assert_true(sv.calls > full); /* the client was judged again */
    sipc_tls_config_free(ccfg);
    sipc_tls_config_free(scfg);
}

/* The ticket lifetime of tls_wolfssl.c, in uv_hrtime() nanoseconds. */
#define LIFETIME_NS (300ull * 1000000000ull)

/* Every 32-byte draw of wolfSSL_RAND_bytes while g_rand_watch is set (the
 * engine draws each ticket key in one such call; --wrap in CMakeLists.txt):
 * where it went and what it was, so that a test can see the key's bytes
 * wiped in place, not merely forgotten. */
int __real_wolfSSL_RAND_bytes(unsigned char *buf, int num);
static int g_rand_watch;
static struct {
    unsigned char *at;
    unsigned char was[32];
} g_draws[8];
static int g_ndraws;

int __wrap_wolfSSL_RAND_bytes(unsigned char *buf, int num);
int __wrap_wolfSSL_RAND_bytes(unsigned char *buf, int num)
{
    int r = __real_wolfSSL_RAND_bytes(buf, num);
    if (g_rand_watch && num == 32 && g_ndraws < 8) {
        g_draws[g_ndraws].at = buf;
        memcpy(g_draws[g_ndraws].was, buf, 32);
        g_ndraws++;
    }
    return r;
}

static int all_zero(const unsigned char *p, size_t n)
{
    unsigned char acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* A ticket key dies by time, not traffic: once a lifetime has passed since
 * the last ticket it sealed, one call of sipc_tls_config_expire (what a
 * context's timer makes on a quiet node) wipes its bytes, with no handshake
 * in between, and that ticket no longer resumes. Short of that lifetime,
 * nothing goes. A new key then seals and its tickets resume. */
static void t_ticket_key_expiry(void **state)
{
    (void)state;
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv);
    g_ndraws = 0;
    g_rand_watch = 1;
    sipc_tls_config *scfg = make_cfg(&g_a, &g_a, &sv);
    g_rand_watch = 0;
    if (!sipc_tls_config_set_resumption(ccfg, 1)) {
        sipc_tls_config_free(ccfg);
        sipc_tls_config_free(scfg);
        skip(); /* no session tickets in this TLS library */
    }
    assert_int_equal(g_ndraws, 1); /* the server's first ticket key */
    unsigned char *key = g_draws[0].at;
    assert_memory_equal(key, g_draws[0].was, 32);
    conn_result r = connect_once(ccfg, scfg, "10.0.0.1:23000");
    assert_true(r.rc == 0 && !r.s_resumed);
    uint64_t sealed = uv_hrtime(); /* the ticket was sealed before this */

    /* nearly a lifetime later: the key may still open that ticket */
    int wiped = -1;
    uint64_t next = sipc_tls_config_expire(scfg, sealed + LIFETIME_NS - 2000000000ull, &wiped);
    assert_int_equal(wiped, 0);
    assert_memory_equal(key, g_draws[0].was, 32);
    assert_true(next <= sealed + LIFETIME_NS); /* ... and says when it is due */

    /* a lifetime later, nothing sealed or opened meanwhile: wiped in place */
    next = sipc_tls_config_expire(scfg, sealed + LIFETIME_NS, &wiped);
    assert_int_equal(wiped, 1);
    assert_true(all_zero(key, 32));
    assert_true(next > sealed + LIFETIME_NS && next != UINT64_MAX);

    /* the client still offers the ticket; it no longer opens */
    int full = sv.calls;
    r = connect_once(ccfg, scfg, "10.0.0.1:23000");
    assert_false(r.s_resumed);
    if (r.rc != 0) {
        assert_true(r.c_resume_failed); /* wolfSSL 5.5.4: OUT_OF_ORDER_E */
        r = connect_once(ccfg, scfg, "10.0.0.1:23000");
    }
    assert_true(r.rc == 0 && !r.c_resumed && !r.s_resumed);
    assert_true(sv.calls > full); /* the client was judged again */
    /* that full handshake's ticket, under a new key, resumes */
    r = connect_once(ccfg, scfg, "10.0.0.1:23000");
    assert_true(r.rc == 0 && r.c_resumed && r.s_resumed);
    sipc_tls_config_free(ccfg);
    sipc_tls_config_free(scfg);
}

/* A client's kept sessions (their master secrets) go a lifetime after the
 * full handshake that made them, by one call of sipc_tls_config_expire,
 * for every peer, also those not dialled again: the next connection to
 * such a peer offers nothing and is a full one. Younger ones stay. */
static void t_client_session_expiry(void **state)
{
    (void)state;
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
    uint64_t before = uv_hrtime();
    sipc_tls_config *ccfg, *scfg;
    resuming_cfgs(&cv, &sv, &ccfg, &scfg);
    const char *peers[3] = {"10.0.0.1:23000", "10.0.0.2:23000", "10.0.0.3:23000"};
    assert_int_equal(connect_once(ccfg, scfg, peers[0]).rc, 0);
    uint64_t mid = uv_hrtime();
    assert_int_equal(connect_once(ccfg, scfg, peers[1]).rc, 0);
    assert_int_equal(connect_once(ccfg, scfg, peers[2]).rc, 0);
    uint64_t after = uv_hrtime();

    /* within a lifetime of them all: nothing goes */
    int wiped = -1;
    (void)sipc_tls_config_expire(ccfg, before + LIFETIME_NS - 1, &wiped);
    assert_int_equal(wiped, 0);
    /* a lifetime after the first: its session goes (with this
     * configuration's own ticket key, which never sealed), the others stay */
    (void)sipc_tls_config_expire(ccfg, mid + LIFETIME_NS, &wiped);
    assert_int_equal(wiped, 2);
    int full = sv.calls;
    conn_result r = connect_once(ccfg, scfg, peers[0]);
    assert_true(r.rc == 0 && !r.c_resumed && !r.s_resumed);
    assert_true(sv.calls > full); /* nothing was offered: a full handshake */
    r = connect_once(ccfg, scfg, peers[1]);
    assert_true(r.rc == 0 && r.c_resumed && r.s_resumed);
    /* a lifetime after the last: the two left go (peer 0's new one stays) */
    (void)sipc_tls_config_expire(ccfg, after + LIFETIME_NS, &wiped);
    assert_int_equal(wiped, 2);
    full = sv.calls;
    r = connect_once(ccfg, scfg, peers[2]);
    assert_true(r.rc == 0 && !r.c_resumed && !r.s_resumed);
    assert_true(sv.calls > full);
    sipc_tls_config_free(ccfg);
    sipc_tls_config_free(scfg);
}

/* A client of ccfg naming key, and a server of scfg: the ClientHello (with
 * any session kept for key) written, the handshake left in flight. */
static void start_offer(end *c, end *s, sipc_tls_config *ccfg, sipc_tls_config *scfg,
                        const char *key)
{
    end_init(c, ccfg, 0);
    end_init(s, scfg, 1);
    sipc_tls_set_peer_key(c->t, key);
    assert_int_equal(sipc_tls_start(s->t), 0);
    assert_int_equal(sipc_tls_start(c->t), 0);
}

/* connect_once, again after a refused offer of a session (wolfSSL 5.5.4
 * fails that handshake instead of falling back to a full one). */
static conn_result connect_full(sipc_tls_config *ccfg, sipc_tls_config *scfg, const char *key)
{
    conn_result r = connect_once(ccfg, scfg, key);
    if (r.rc != 0 && r.c_resume_failed)
        r = connect_once(ccfg, scfg, key);
    return r;
}

/* A server resuming a session writes its first data right after its
 * Finished: the client has it with the server's first flight, one round
 * trip before the server has read the client's Finished. The records that
 * follow keep their order and never repeat an AES-GCM nonce; a client whose
 * Finished does not verify (corrupt: 1) still fails the handshake, and the
 * server's alert comes under the next sequence number, not wolfSSL's. */
static void t_resumed_server_speaks_first(void **state)
{
    (void)state;
    if (!direct_built())
        skip(); /* wolfSSL's record layer: data only after the handshake */
    for (int corrupt = 0; corrupt < 2; corrupt++) {
        vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
        sipc_tls_config *ccfg, *scfg;
        resuming_cfgs(&cv, &sv, &ccfg, &scfg);
        assert_int_equal(connect_once(ccfg, scfg, "10.0.0.1:23000").rc, 0);
        end c, s;
        start_offer(&c, &s, ccfg, scfg, "10.0.0.1:23000");
        nonces sn = {0};
        assert_false(sipc_tls_writable(s.t));
        assert_int_equal(deliver(&c, &s, 0), 0);
        /* the server's first flight is out: it may write, the handshake is not done */
        assert_true(sipc_tls_writable(s.t));
        assert_false(sipc_tls_handshake_done(s.t));
        assert_int_equal(sipc_tls_write(s.t, (const uint8_t *)"first", 5), 0);
        collect_nonces(&sn, s.tx.data, s.tx.len);
        assert_int_equal(deliver(&s, &c, 0), 0);
        assert_true(sipc_tls_handshake_done(c.t) && sipc_tls_resumed(c.t));
        assert_true(c.got.len == 5 && memcmp(c.got.data, "first", 5) == 0);
        /* the client's Finished, and its own first data behind it */
        assert_int_equal(sipc_tls_write(c.t, (const uint8_t *)"second", 6), 0);
        assert_true(c.tx.len > 6 + 5 && c.tx.data[0] == 20 && c.tx.data[6] == 22);
        if (corrupt) {
            c.tx.data[6 + 5 + 10] ^= 0x01; /* inside the Finished record */
            assert_int_equal(deliver(&c, &s, 0), SIPC_ETLS);
            assert_false(sipc_tls_handshake_done(s.t));
            assert_int_equal(s.got.len, 0);
            assert_non_null(strstr(sipc_tls_detail(s.t), "peer's Finished does not match this "
                                                         "side's handshake"));
            /* one alert went out, sealed after the early record */
            assert_true(s.tx.len > 5 && s.tx.data[0] == 0x15);
            collect_nonces(&sn, s.tx.data, s.tx.len);
            size_t after_alert = s.tx.len;
            /* then nothing more: no data, no close_notify behind the fatal alert */
            assert_true(sipc_tls_write(s.t, (const uint8_t *)"late", 4) != 0);
            sipc_tls_close_notify(s.t);
            assert_int_equal(s.tx.len, after_alert);
            assert_int_equal(deliver(&s, &c, 0), SIPC_ETLS);
            assert_non_null(strstr(sipc_tls_detail(c.t), "alert bad_record_mac"));
        } else {
            assert_int_equal(deliver(&c, &s, 0), 0);
            assert_true(sipc_tls_handshake_done(s.t) && sipc_tls_resumed(s.t));
            assert_true(sipc_tls_direct(s.t) && sipc_tls_direct(c.t));
            assert_true(s.got.len == 6 && memcmp(s.got.data, "second", 6) == 0);
            /* then many records both ways, in order */
            uint8_t msg[200];
            for (size_t i = 0; i < sizeof msg; i++)
                msg[i] = (uint8_t)(i * 7 + 1);
            s.got.len = c.got.len = 0;
            for (int i = 0; i < 100; i++) {
                size_t n = (size_t)(i % 199) + 1;
                assert_int_equal(sipc_tls_write(s.t, msg, n), 0);
                assert_int_equal(sipc_tls_write(c.t, msg, n), 0);
            }
            collect_nonces(&sn, s.tx.data, s.tx.len);
            assert_int_equal(shuttle(&c, &s, 0), 0);
            assert_int_equal(c.got.len, s.got.len);
            for (size_t off = 0, i = 0; i < 100; off += (i % 199) + 1, i++)
                assert_memory_equal(c.got.data + off, msg, (i % 199) + 1);
        }
        char v[16], ci[64];
        sipc_tls_describe(c.t, v, sizeof v, ci, sizeof ci, NULL, 0);
        if (strstr(ci, "GCM")) {
            assert_true(sn.n >= (corrupt ? 3 : 102)); /* Finished, early record, then */
            for (int i = 0; i < sn.n; i++)
                for (int j = i + 1; j < sn.n; j++)
                    assert_memory_not_equal(sn.v[i], sn.v[j], 8);
        }
        end_free(&c);
        end_free(&s);
        sipc_tls_config_free(ccfg);
        sipc_tls_config_free(scfg);
    }
}

/* A configuration no longer used for new connections (a reload replaced
 * it) forgets its ticket keys and sessions at once: nothing made under it
 * resumes, and a later full handshake works as before. */
static void t_config_forget(void **state)
{
    (void)state;
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg, *scfg;
    resuming_cfgs(&cv, &sv, &ccfg, &scfg);
    assert_int_equal(connect_once(ccfg, scfg, "10.0.0.1:23000").rc, 0);
    conn_result r = connect_once(ccfg, scfg, "10.0.0.1:23000");
    assert_true(r.rc == 0 && r.c_resumed && r.s_resumed);
    /* the client forgets: nothing offered, a full handshake */
    sipc_tls_config_forget(ccfg);
    r = connect_once(ccfg, scfg, "10.0.0.1:23000");
    assert_true(r.rc == 0 && !r.c_resumed && !r.s_resumed && !r.c_resume_failed);
    /* the server forgets: the client's new ticket no longer opens */
    sipc_tls_config_forget(scfg);
    r = connect_full(ccfg, scfg, "10.0.0.1:23000");
    assert_true(r.rc == 0 && !r.s_resumed);
    r = connect_once(ccfg, scfg, "10.0.0.1:23000");
    assert_true(r.rc == 0 && r.c_resumed && r.s_resumed); /* and resumption goes on */
    sipc_tls_config_forget(NULL);
    sipc_tls_config_free(ccfg);
    sipc_tls_config_free(scfg);
}

/* A resumed session reports the print of the server it was made with, even
 * when another connection to the same address has since made a full
 * handshake with a server presenting another certificate (the kept entry
 * then holds that other print). */
static void t_resumed_peer_print(void **state)
{
    (void)state;
    vfy cv = {.pin = g_a.fingerprint, .pin2 = g_b.fingerprint};
    vfy sva = {.pin = g_a.fingerprint}, svb = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv);
    sipc_tls_config *sa = make_cfg(&g_a, &g_a, &sva), *sb = make_cfg(&g_b, &g_a, &svb);
    if (!sipc_tls_config_set_resumption(ccfg, 1)) {
        sipc_tls_config_free(ccfg);
        sipc_tls_config_free(sa);
        sipc_tls_config_free(sb);
        skip();
    }
    const char *key = "10.0.0.9:23000";
    conn_result r = connect_once(ccfg, sa, key);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.c_fp, g_a.fingerprint);

    /* A offers server a's session, its handshake still in flight ... */
    end c, s;
    start_offer(&c, &s, ccfg, sa, key);

    /* ... while another connection to that address meets server b */
    r = connect_full(ccfg, sb, key);
    assert_int_equal(r.rc, 0);
    assert_false(r.c_resumed);
    assert_string_equal(r.c_fp, g_b.fingerprint);

    /* A resumes with server a and must name server a */
    assert_int_equal(shuttle(&c, &s, 0), 0);
    assert_true(sipc_tls_handshake_done(c.t) && sipc_tls_handshake_done(s.t));
    assert_true(sipc_tls_resumed(c.t));
    char v[16], ci[64], fp[65];
    sipc_tls_describe(c.t, v, sizeof v, ci, sizeof ci, fp, sizeof fp);
    assert_string_equal(fp, g_a.fingerprint);
    end_free(&c);
    end_free(&s);
    sipc_tls_config_free(ccfg);
    sipc_tls_config_free(sa);
    sipc_tls_config_free(sb);
}

/* A connection whose offered session failed forgets that session only: if
 * another connection to the same address has meanwhile made a full
 * handshake, its newer session stays and the next connection resumes it. */
static void t_failed_offer_keeps_newer_session(void **state)
{
    (void)state;
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint}, sv2 = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv);
    sipc_tls_config *scfg = make_cfg(&g_a, &g_a, &sv), *scfg2 = make_cfg(&g_a, &g_a, &sv2);
    if (!sipc_tls_config_set_resumption(ccfg, 1)) {
        sipc_tls_config_free(ccfg);
        sipc_tls_config_free(scfg);
        sipc_tls_config_free(scfg2);
        skip();
    }
    const char *key = "10.0.0.7:23000";
    conn_result r = connect_once(ccfg, scfg, key);
    assert_int_equal(r.rc, 0);

    /* A offers that session to the reloaded server, still in flight ... */
    end c, s;
    start_offer(&c, &s, ccfg, scfg2, key);

    /* ... while another connection gets through with a full handshake */
    r = connect_full(ccfg, scfg2, key);
    assert_int_equal(r.rc, 0);
    assert_false(r.c_resumed);

    /* A ends (refused, or full where the library falls back) */
    (void)shuttle(&c, &s, 0);
    end_free(&c);
    end_free(&s);

    /* the newest session is still there */
    r = connect_once(ccfg, scfg2, key);
    assert_int_equal(r.rc, 0);
    assert_true(r.c_resumed && r.s_resumed);
    sipc_tls_config_free(ccfg);
    sipc_tls_config_free(scfg);
    sipc_tls_config_free(scfg2);
}

/* ------------------------------------------- what a ClientHello offers */

/* A real client's ClientHello (pair own), in *hello. */
static void client_hello(const sipc_keypair *own, sipc_buf *hello)
{
    vfy cv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(own, &g_a, &cv);
    end c;
    end_init(&c, ccfg, 0);
    assert_int_equal(sipc_tls_start(c.t), 0);
    *hello = c.tx;
    memset(&c.tx, 0, sizeof c.tx);
    end_free(&c);
    sipc_tls_config_free(ccfg);
}

/* Overwrites the signature algorithms of the ClientHello h (same length):
 * every entry becomes code, but the last, which becomes last. */
static void set_sigalgs(sipc_buf *h, unsigned code, unsigned last)
{
    size_t len, at = hello_ext_at(h->data, h->len, 13, &len);
    assert_true(at != 0 && len >= 4);
    size_t list = (size_t)h->data[at] << 8 | h->data[at + 1];
    assert_true(list + 2 == len && list % 2 == 0);
    for (size_t i = 0; i < list; i += 2) {
        unsigned v = i + 2 == list ? last : code;
        h->data[at + 2 + i] = (uint8_t)(v >> 8);
        h->data[at + 3 + i] = (uint8_t)v;
    }
}

/* The parser on a real ClientHello, every prefix of it and rewritten
 * signature algorithms. */
static void t_hello_parse(void **state)
{
    (void)state;
    sipc_buf h;
    client_hello(&g_a, &h);
    sipc_tls_hello_info hi;
    assert_int_equal(sipc_tls_hello_parse(h.data, h.len, &hi), 0);
    assert_true(hi.offers_tls12 && hi.offers_p256 && hi.offers_p384);
    assert_true(hi.suites_ecdsa && hi.suites_rsa);
    assert_true(hi.has_sigalgs && hi.sigalg_ecdsa);
    char names[256];
    sipc_tls_hello_sigalg_names(&hi, names, sizeof names);
    assert_non_null(strstr(names, "ecdsa_secp256r1_sha256"));
    /* nothing it could not verify: no SHA-1 or SHA-224 (hash 2 or 3) */
    for (size_t i = 0; i + 2 <= hi.sigalgs_len; i += 2)
        assert_true(hi.sigalgs_at[i] >= 4);
    sipc_tls_hello_group_names(&hi, names, sizeof names);
    assert_non_null(strstr(names, "P-256"));
    for (size_t n = 0; n < h.len; n++) {
        /* exactly n bytes, so that ASan sees a read past them */
        uint8_t *cut = malloc(n ? n : 1);
        assert_non_null(cut);
        memcpy(cut, h.data, n);
        assert_int_equal(sipc_tls_hello_parse(cut, n, &hi), SIPC_EPROTO);
        free(cut);
    }
    set_sigalgs(&h, 0x0401, 0x0401);
    assert_int_equal(sipc_tls_hello_parse(h.data, h.len, &hi), 0);
    assert_true(hi.has_sigalgs && !hi.sigalg_ecdsa && hi.sigalg_rsa);
    sipc_tls_hello_sigalg_names(&hi, names, sizeof names);
    assert_string_equal(names, "rsa_pkcs1_sha256");
    /* too weak to be used: SHA-1 and SHA-224 */
    set_sigalgs(&h, 0x0203, 0x0303);
    assert_int_equal(sipc_tls_hello_parse(h.data, h.len, &hi), 0);
    assert_true(!hi.sigalg_ecdsa && !hi.sigalg_rsa);
    sipc_tls_hello_sigalg_names(&hi, names, sizeof names);
    assert_string_equal(names, "ecdsa_sha1, ecdsa_sha224");
    set_sigalgs(&h, 0x0401, 0x0503);
    assert_int_equal(sipc_tls_hello_parse(h.data, h.len, &hi), 0);
    assert_true(hi.sigalg_ecdsa && hi.sigalg_rsa);
    /* a list that overruns its extension */
    size_t len, at = hello_ext_at(h.data, h.len, 13, &len);
    h.data[at] = 0xff;
    assert_int_equal(sipc_tls_hello_parse(h.data, h.len, &hi), SIPC_EPROTO);
    /* many names (100 unknown algorithms): the list is cut, with "..." */
    uint8_t big[5 + 4 + 2 + 32 + 1 + 4 + 2 + 2 + 4 + 2 + 200] = {22, 3, 3};
    size_t n = 5 + 4 + 2 + 32 + 1;
    memcpy(big + n, "\x00\x02\xc0\x2b\x01\x00\x00\xce\x00\x0d\x00\xca\x00\xc8", 14);
    n += 14;
    for (unsigned i = 0; i < 100; i++, n += 2) {
        big[n] = 0xfe;
        big[n + 1] = (uint8_t)i;
    }
    assert_int_equal(n, sizeof big);
    big[3] = (uint8_t)((n - 5) >> 8), big[4] = (uint8_t)(n - 5);
    big[5] = 1, big[7] = (uint8_t)((n - 9) >> 8), big[8] = (uint8_t)(n - 9);
    big[9] = 3, big[10] = 3;
    assert_int_equal(sipc_tls_hello_parse(big, sizeof big, &hi), 0);
    assert_true(hi.has_sigalgs && !hi.sigalg_ecdsa && !hi.sigalg_rsa && hi.suites_ecdsa);
    sipc_tls_hello_sigalg_names(&hi, names, sizeof names);
    assert_true(strncmp(names, "0xfe00, 0xfe01, ", 16) == 0);
    assert_true(strlen(names) < sizeof names && strlen(names) > 200);
    assert_string_equal(names + strlen(names) - 5, ", ...");
    /* the same list into a small buffer: cut sooner, still marked */
    char small[24];
    sipc_tls_hello_sigalg_names(&hi, small, sizeof small);
    assert_string_equal(small, "0xfe00, 0xfe01, ...");
    sipc_buf_free(&h);
}

/* Feeds the ClientHello h to a new server of cfg: what it answers in *out,
 * the result of the input returned, its detail in detail. */
static int serve_hello(sipc_tls_config *cfg, const sipc_buf *h, sipc_buf *out, char *detail,
                       size_t dlen)
{
    end s;
    end_init(&s, cfg, 1);
    int r = sipc_tls_input(s.t, h->data, h->len, on_plain, &s);
    snprintf(detail, dlen, "%s", sipc_tls_detail(s.t));
    *out = s.tx;
    memset(&s.tx, 0, sizeof s.tx);
    end_free(&s);
    return r;
}

static const uint8_t failure_alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};

/* A ClientHello whose signature algorithms hold none the server's key can
 * sign with is refused at once, with handshake_failure and a detail naming
 * the key and what was offered; one usable algorithm among others, or no
 * extension (TLS 1.2's default), goes on. For an ECDSA and an RSA key. */
static void t_hello_sigalgs(void **state)
{
    (void)state;
    vfy sv = {.pin = g_a.fingerprint};
    sipc_tls_config *scfg = make_cfg(&g_a, &g_a, &sv);
    sipc_buf h, out;
    char detail[1024];
    client_hello(&g_a, &h);

    set_sigalgs(&h, 0x0401, 0x0401);
    assert_int_equal(serve_hello(scfg, &h, &out, detail, sizeof detail), SIPC_ETLS);
    assert_string_equal(detail,
                        "no signature algorithm in common: this node's key is ECDSA P-256 and "
                        "signs with ECDSA and SHA-256, SHA-384 or SHA-512 (ecdsa_secp256r1_sha256, "
                        "ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512); the peer offers only: "
                        "rsa_pkcs1_sha256");
    assert_int_equal(out.len, sizeof failure_alert);
    assert_memory_equal(out.data, failure_alert, sizeof failure_alert);
    sipc_buf_free(&out);

    /* ECDSA with SHA-1 is no use either */
    set_sigalgs(&h, 0x0401, 0x0203);
    assert_int_equal(serve_hello(scfg, &h, &out, detail, sizeof detail), SIPC_ETLS);
    assert_non_null(strstr(detail, "the peer offers only: rsa_pkcs1_sha256, ecdsa_sha1"));
    sipc_buf_free(&out);

    /* one ECDSA algorithm among RSA ones: a ServerHello */
    set_sigalgs(&h, 0x0401, 0x0503);
    assert_int_equal(serve_hello(scfg, &h, &out, detail, sizeof detail), 0);
    assert_true(out.len > 9 && out.data[0] == 22 && out.data[5] == 2);
    sipc_buf_free(&out);

    /* with a session ticket (a resumed session signs nothing): left to
     * wolfSSL, which opens no such ticket, goes on with a full handshake and
     * fails, explained the same way */
    static const uint8_t ticket[4 + 16] = {0, 35, 0, 16, 1, 2, 3};
    set_sigalgs(&h, 0x0401, 0x0401);
    size_t exts = hello_exts_at(h.data, h.len);
    sipc_buf t2 = {0};
    assert_true(exts != 0);
    assert_int_equal(sipc_buf_append(&t2, h.data, exts + 2), 0);
    assert_int_equal(sipc_buf_append(&t2, ticket, sizeof ticket), 0);
    assert_int_equal(sipc_buf_append(&t2, h.data + exts + 2, h.len - exts - 2), 0);
    /* 20 more bytes in the extensions, the handshake message (its length's
     * low 16 bits) and the record */
    size_t grow[] = {exts, 7, 3};
    for (int i = 0; i < 3; i++) {
        uint8_t *q = t2.data + grow[i];
        unsigned v = ((unsigned)q[0] << 8 | q[1]) + sizeof ticket;
        q[0] = (uint8_t)(v >> 8);
        q[1] = (uint8_t)v;
    }
    sipc_tls_hello_info hi;
    assert_int_equal(sipc_tls_hello_parse(t2.data, t2.len, &hi), 0);
    assert_true(hi.offers_ticket && hi.has_sigalgs && !hi.sigalg_ecdsa);
    assert_int_equal(serve_hello(scfg, &t2, &out, detail, sizeof detail), SIPC_ETLS);
    assert_non_null(strstr(detail, "no signature algorithm in common"));
    sipc_buf_free(&out);
    /* the same ClientHello failing for another reason first (it offers
     * no null compression): its signature algorithms are not the reason */
    size_t cm = 5 + 4 + 2 + 32;
    cm += 1 + t2.data[cm];                               /* session id */
    cm += 2 + ((size_t)t2.data[cm] << 8 | t2.data[cm + 1]); /* suites */
    assert_int_equal(t2.data[cm], 1);
    assert_int_equal(t2.data[cm + 1], 0);
    t2.data[cm + 1] = 1; /* DEFLATE only */
    assert_int_equal(sipc_tls_hello_parse(t2.data, t2.len, &hi), 0);
    assert_int_equal(serve_hello(scfg, &t2, &out, detail, sizeof detail), SIPC_ETLS);
    if (strstr(detail, "signature algorithm"))
        fprintf(stderr, "detail: %s\n", detail);
    assert_null(strstr(detail, "signature algorithm"));
    sipc_buf_free(&out);
    sipc_buf_free(&t2);
    /* no signature_algorithms extension at all: the default, no refusal */
    set_sigalgs(&h, 0x0401, 0x0401);
    size_t len, at = hello_ext_at(h.data, h.len, 13, &len);
    h.data[at - 4] = 0x7a; /* an extension type nobody uses */
    h.data[at - 3] = 0x7a;
    assert_int_equal(serve_hello(scfg, &h, &out, detail, sizeof detail), 0);
    assert_true(out.len > 9 && out.data[0] == 22 && out.data[5] == 2);
    sipc_buf_free(&out);
    sipc_buf_free(&h);
    sipc_tls_config_free(scfg);

    /* An RSA key: ECDSA algorithms only are refused, RSA-PSS is enough. */
    sipc_keypair r;
    assert_int_equal(tu_make_pair(g_dir, "r", "rsa", 30, NULL, "engine test rsa"), 0);
    assert_int_equal(load(&r, "r"), 0);
    vfy rv = {.pin = r.fingerprint};
    scfg = make_cfg(&r, &r, &rv);
    client_hello(&g_a, &h);
    set_sigalgs(&h, 0x0403, 0x0503);
    assert_int_equal(serve_hello(scfg, &h, &out, detail, sizeof detail), SIPC_ETLS);
    assert_string_equal(detail,
                        "no signature algorithm in common: this node's key is RSA 2048 and signs "
                        "with RSA and SHA-256, SHA-384 or SHA-512 (rsa_pkcs1_sha256/384/512, "
                        "rsa_pss_rsae_sha256/384/512); the peer offers only: "
                        "ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384");
    assert_memory_equal(out.data, failure_alert, sizeof failure_alert);
    sipc_buf_free(&out);
    set_sigalgs(&h, 0x0403, 0x0804);
    assert_int_equal(serve_hello(scfg, &h, &out, detail, sizeof detail), 0);
    assert_true(out.len > 9 && out.data[0] == 22 && out.data[5] == 2);
    sipc_buf_free(&out);
    sipc_buf_free(&h);
    /* and a sipc client with that RSA pair, as it is */
    client_hello(&r, &h);
    assert_int_equal(serve_hello(scfg, &h, &out, detail, sizeof detail), 0);
    assert_true(out.len > 9 && out.data[0] == 22 && out.data[5] == 2);
    sipc_buf_free(&out);
    sipc_buf_free(&h);
    sipc_tls_config_free(scfg);
    sipc_keypair_free(&r);
}

/* The public point of the ECDHE key in the handshake message of type
 * msg_type (12 ServerKeyExchange, 16 ClientKeyExchange) in buf's records; 1
 * when found. */
static int ecdhe_point(const sipc_buf *buf, uint8_t msg_type, uint8_t out[65])
{
    for (size_t off = 0; off + 5 <= buf->len;) {
        size_t rlen = (size_t)buf->data[off + 3] << 8 | buf->data[off + 4];
        if (buf->data[off] == 0x16) {
            for (size_t m = off + 5; m + 4 <= off + 5 + rlen && m + 4 <= buf->len;) {
                size_t mlen = (size_t)buf->data[m + 1] << 16 | (size_t)buf->data[m + 2] << 8 |
                              buf->data[m + 3];
                const uint8_t *b = buf->data + m + 4;
                size_t at = msg_type == 12 ? 4 : 1; /* named_curve(3), curve(2), length */
                if (buf->data[m] == msg_type && mlen >= at + 65 && m + 4 + at + 65 <= buf->len &&
                    b[at - 1] == 65) {
                    memcpy(out, b + at, 65);
                    return 1;
                }
                m += 4 + mlen;
            }
        }
        off += 5 + rlen;
    }
    return 0;
}

/* A full handshake, each end told when its output has left as a stream
 * tells it (sipc_tls_after_output) unless quiet, then data both ways;
 * returns 0 and the two ECDHE public points, without cmocka (a forked child
 * runs it too). */
static int ecdhe_handshake(sipc_tls_config *ccfg, sipc_tls_config *scfg, int quiet,
                           uint8_t ske[65], uint8_t cke[65])
{
    end c, s;
    end_init(&c, ccfg, 0);
    end_init(&s, scfg, 1);
    int ok = sipc_tls_start(c.t) == 0 && deliver(&c, &s, 0) == 0 && ecdhe_point(&s.tx, 12, ske);
    if (ok && !quiet)
        sipc_tls_after_output(s.t);
    ok = ok && deliver(&s, &c, 0) == 0 && ecdhe_point(&c.tx, 16, cke);
    if (ok && !quiet)
        sipc_tls_after_output(c.t);
    ok = ok && shuttle(&c, &s, 0) == 0 && sipc_tls_handshake_done(c.t) &&
         sipc_tls_handshake_done(s.t) && sipc_tls_write(c.t, (const uint8_t *)"ping", 4) == 0 &&
         sipc_tls_write(s.t, (const uint8_t *)"pong", 4) == 0 && shuttle(&c, &s, 0) == 0 &&
         s.got.len == 4 && memcmp(s.got.data, "ping", 4) == 0 && c.got.len == 4 &&
         memcmp(c.got.data, "pong", 4) == 0;
    end_free(&c);
    end_free(&s);
    return ok ? 0 : -1;
}

/* The ECDHE key made ahead (sipc_tls_after_output): the next full
 * handshake on each side takes it and works; no key is ever used twice,
 * not by two handshakes of one process, nor by a forked child and its
 * parent; without the call nothing is made ahead. */
static void t_ecdhe_ahead(void **state)
{
    (void)state;
    /* both builds (bundled and Debian's libwolfssl) have it */
    assert_non_null(strstr(sipc_tls_engine_version(), " ecdhe-ahead"));
    const unsigned long on = 1;
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv), *scfg = make_cfg(&g_a, &g_a, &sv);
    sipc_tls_config_set_resumption(ccfg, 0);
    sipc_tls_config_set_resumption(scfg, 0);
    enum { NPTS = 18 }; /* two per handshake: 7 here, the child's, the parent's */
    uint8_t pts[NPTS][65];
    /* 1: made then; 2-4: each takes the key the one before made ahead */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ecdhe_handshake(ccfg, scfg, 0, pts[2 * i], pts[2 * i + 1]), 0);
        assert_int_equal(sipc_tls_config_spares_used(scfg), on * (unsigned long)i);
        assert_int_equal(sipc_tls_config_spares_used(ccfg), on * (unsigned long)i);
    }
    /* 5 takes the last key made ahead but makes none; 6 then makes its own */
    assert_int_equal(ecdhe_handshake(ccfg, scfg, 1, pts[8], pts[9]), 0);
    assert_int_equal(ecdhe_handshake(ccfg, scfg, 1, pts[10], pts[11]), 0);
    assert_int_equal(sipc_tls_config_spares_used(scfg), on * 4);
    assert_int_equal(sipc_tls_config_spares_used(ccfg), on * 4);
    /* 7 makes keys ahead again; then a forked child and its parent each
     * make a handshake: the child must not take the parent's keys */
    assert_int_equal(ecdhe_handshake(ccfg, scfg, 0, pts[12], pts[13]), 0);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        uint8_t k[2][65];
        int bad = ecdhe_handshake(ccfg, scfg, 1, k[0], k[1]) != 0 ||
                  write(fds[1], k, sizeof k) != (ssize_t)sizeof k;
        _exit(bad);
    }
    close(fds[1]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(read(fds[0], pts[14], 65), 65);
    assert_int_equal(read(fds[0], pts[15], 65), 65);
    close(fds[0]);
    unsigned long before = sipc_tls_config_spares_used(scfg);
    assert_int_equal(ecdhe_handshake(ccfg, scfg, 1, pts[16], pts[17]), 0);
    assert_int_equal(sipc_tls_config_spares_used(scfg), before + on);
    for (int i = 0; i < NPTS; i++)
        for (int j = 0; j < i; j++)
            if (memcmp(pts[i], pts[j], 65) == 0)
                fail_msg("ECDHE key %d is key %d again", i, j);
    /* a configuration forgotten while a handshake is under way makes no key
     * ahead when that handshake's flight leaves */
    end c, s;
    end_init(&c, ccfg, 0);
    end_init(&s, scfg, 1);
    assert_int_equal(sipc_tls_start(c.t), 0);
    assert_int_equal(deliver(&c, &s, 0), 0); /* the server made its key */
    sipc_tls_config_forget(scfg);
    sipc_tls_after_output(s.t);
    assert_int_equal(shuttle(&c, &s, 0), 0);
    end_free(&c);
    end_free(&s);
    before = sipc_tls_config_spares_used(scfg);
    assert_int_equal(ecdhe_handshake(ccfg, scfg, 1, pts[0], pts[1]), 0);
    assert_int_equal(sipc_tls_config_spares_used(scfg), before);
    sipc_tls_config_free(ccfg);
    sipc_tls_config_free(scfg);
}

/* A client whose ClientHello the server answers with handshake_failure
 * (it found no suite, group or signature algorithm it accepts) says that
 * its ClientHello was refused and what sipc offers; the same alert later
 * in the handshake is only reported. */
static void t_client_hello_refused(void **state)
{
    (void)state;
    vfy cv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv);
    end c;
    end_init(&c, ccfg, 0);
    assert_int_equal(sipc_tls_start(c.t), 0);
    assert_int_equal(sipc_tls_input(c.t, failure_alert, sizeof failure_alert, on_plain, &c),
                     SIPC_ETLS);
    assert_string_equal(sipc_tls_detail(c.t),
                        "peer refused this side's ClientHello (alert handshake_failure): sipc "
                        "offers TLS 1.2 only, ECDHE suites with AES-GCM or ChaCha20-Poly1305, "
                        "groups P-256 and P-384, and ECDSA or RSA signatures with SHA-256 or "
                        "stronger; for at least one of these the peer accepts none of sipc's "
                        "choices (its key may need another signature algorithm), and its log says "
                        "which");
    end_free(&c);

    /* after a ServerHello and the rest of the server's flight */
    vfy sv = {.pin = g_a.fingerprint};
    sipc_tls_config *scfg = make_cfg(&g_a, &g_a, &sv);
    end s;
    end_init(&c, ccfg, 0);
    end_init(&s, scfg, 1);
    assert_int_equal(sipc_tls_start(c.t), 0);
    assert_int_equal(deliver(&c, &s, 0), 0);
    assert_true(s.tx.len > 0);
    assert_int_equal(sipc_buf_append(&s.tx, failure_alert, sizeof failure_alert), 0);
    assert_int_equal(deliver(&s, &c, 0), SIPC_ETLS);
    assert_string_equal(sipc_tls_detail(c.t),
                        "peer aborted the TLS handshake (alert handshake_failure)");
    end_free(&c);
    end_free(&s);

    /* a TLS 1.3-only server answers a TLS 1.2 ClientHello with protocol_version */
    static const uint8_t version_alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46};
    end_init(&c, ccfg, 0);
    assert_int_equal(sipc_tls_start(c.t), 0);
    assert_int_equal(sipc_tls_input(c.t, version_alert, sizeof version_alert, on_plain, &c),
                     SIPC_ETLS);
    assert_string_equal(sipc_tls_detail(c.t),
                        "peer refused this side's ClientHello (alert protocol_version): sipc "
                        "speaks TLS 1.2 only, and the peer does not (a TLS 1.3-only server?)");
    end_free(&c);

    /* every alert has its name (illegal_parameter: a curve the key cannot
     * use), an unassigned one its number */
    static const uint8_t alerts[][2] = {{47, 0}, {200, 0}};
    static const char *const names[] = {"illegal_parameter", "200"};
    for (int i = 0; i < 2; i++) {
        end_init(&c, ccfg, 0);
        end_init(&s, scfg, 1);
        assert_int_equal(sipc_tls_start(c.t), 0);
        assert_int_equal(deliver(&c, &s, 0), 0);
        uint8_t rec[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, alerts[i][0]};
        assert_int_equal(sipc_buf_append(&s.tx, rec, sizeof rec), 0);
        assert_int_equal(deliver(&s, &c, 0), SIPC_ETLS);
        char want[96];
        snprintf(want, sizeof want, "peer aborted the TLS handshake (alert %s)", names[i]);
        assert_string_equal(sipc_tls_detail(c.t), want);
        end_free(&c);
        end_free(&s);
    }
    sipc_tls_config_free(scfg);
    sipc_tls_config_free(ccfg);
}

/* Whether out ends with a fatal alert desc in a plaintext TLS 1.2 record. */
static int ends_with_alert(const sipc_buf *out, uint8_t desc)
{
    const uint8_t a[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, desc};
    return out->len >= sizeof a && memcmp(out->data + out->len - sizeof a, a, sizeof a) == 0;
}

/* Inserts n bytes at offset at of the ClientHello record h and grows the
 * record's, the handshake message's and the extensions' lengths to match. */
static void hello_insert(sipc_buf *h, size_t at, const uint8_t *bytes, size_t n)
{
    size_t ext = hello_exts_at(h->data, h->len);
    assert_true(ext != 0 && at >= ext + 2);
    assert_int_equal(sipc_buf_append(h, bytes, n), 0); /* room */
    memmove(h->data + at + n, h->data + at, h->len - n - at);
    memcpy(h->data + at, bytes, n);
    size_t rec = sipc_be16_get(h->data + 3) + n, msg = rec - 4;
    size_t exts = sipc_be16_get(h->data + ext) + n;
    sipc_be16_put(h->data + 3, (uint16_t)rec);
    h->data[6] = (uint8_t)(msg >> 16);
    sipc_be16_put(h->data + 7, (uint16_t)msg);
    sipc_be16_put(h->data + ext, (uint16_t)exts);
}

/* A malformed or misplaced ClientHello, which wolfSSL 5.5.4 refuses
 * without an alert, is answered with the alert RFC 5246 names for it, and
 * the detail says what was wrong in sipc's words, wolfSSL's code after. */
static void t_malformed_hello(void **state)
{
    (void)state;
    vfy sv = {.pin = g_a.fingerprint};
    sipc_tls_config *scfg = make_cfg(&g_a, &g_a, &sv);
    static const struct {
        const char *what;
        uint8_t alert;
        const char *said;
    } cases[] = {
        {"session id of 33 bytes", 50,
         "peer's ClientHello is malformed: a length or field in it is out of range (wolfSSL: "
         "-328, "},
        {"extensions overrun the message", 50,
         "peer's ClientHello is malformed: a length or field in it is out of range (wolfSSL: "
         "-328, "},
        {"an extension twice", 47, "peer's ClientHello is malformed: it carries an extension twice"},
        {"a ServerHello to a server", 10,
         "peer sent TLS handshake messages out of order, or one it must not send (a server's "
         "message, or one of an unknown type) (wolfSSL: -344, "},
        {"a record over 2^14 + 2048 bytes", 22,
         "peer sent a TLS record longer than TLS allows (2^14 + 2048 bytes), or an empty one of a "
         "type that is never empty (wolfSSL: -341, "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sipc_buf h, out;
        client_hello(&g_a, &h);
        size_t ext = hello_exts_at(h.data, h.len);
        if (i == 0) {
            h.data[5 + 4 + 2 + 32] = 33;
        } else if (i == 1) {
            h.data[ext] = 0xff;
        } else if (i == 2) {
            static const uint8_t ems[] = {0x00, 0x17, 0x00, 0x00}; /* extended_master_secret */
            size_t len;
            assert_true(hello_ext_at(h.data, h.len, 23, &len) != 0);
            hello_insert(&h, h.len, ems, sizeof ems);
        } else if (i == 3) {
            h.data[5] = 2;
        } else {
            h.len = 0;
            static const uint8_t big[] = {0x16, 0x03, 0x03, 0x48, 0x01, 0x01, 0x00, 0x48, 0x00};
            assert_int_equal(sipc_buf_append(&h, big, sizeof big), 0);
        }
        char detail[1024], want[32];
        assert_int_equal(serve_hello(scfg, &h, &out, detail, sizeof detail), SIPC_ETLS);
        if (!ends_with_alert(&out, cases[i].alert))
            fail_msg("%s: no alert %s (%zu bytes out)", cases[i].what,
                     sipc__tls_alert_text(cases[i].alert), out.len);
        if (strncmp(detail, cases[i].said, strlen(cases[i].said)) != 0)
            fail_msg("%s: the detail is \"%s\"", cases[i].what, detail);
        snprintf(want, sizeof want, "; alert %s sent", sipc__tls_alert_text(cases[i].alert));
        assert_non_null(strstr(detail, want));
        sipc_buf_free(&h);
        sipc_buf_free(&out);
    }

    /* a version that is not TLS 1.2 is named as what it is, SSL 3.0 or none
     * of SSL's and TLS's (major version 2), not as TLS 1.0 */
    static const struct {
        uint8_t major, minor;
        const char *said;
    } versions[] = {{3, 0, "it offers up to SSL 3.0"},
                    {2, 3, "its ClientHello names no SSL or TLS version"},
                    {3, 2, "it offers up to TLS 1.1"}};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        sipc_buf h, out;
        client_hello(&g_a, &h);
        h.data[9] = versions[i].major;
        h.data[10] = versions[i].minor;
        char detail[1024], want[128];
        assert_int_equal(serve_hello(scfg, &h, &out, detail, sizeof detail), SIPC_ETLS);
        snprintf(want, sizeof want, "peer does not offer TLS 1.2 (%s): ", versions[i].said);
        if (strncmp(detail, want, strlen(want)) != 0)
            fail_msg("version %u,%u: the detail is \"%s\"", versions[i].major, versions[i].minor,
                     detail);
        /* protocol_version, in a record of the version offered (3,0 for none) */
        const uint8_t alert[] = {0x15, 0x03, versions[i].major == 3 ? versions[i].minor : 0,
                                 0x00, 0x02, 0x02, 70};
        assert_int_equal(out.len, sizeof alert);
        assert_memory_equal(out.data, alert, sizeof alert);
        sipc_buf_free(&h);
        sipc_buf_free(&out);
    }
    sipc_tls_config_free(scfg);

    /* a client fed a ServerHello cut short answers decode_error too */
    vfy cv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv);
    end c;
    end_init(&c, ccfg, 0);
    assert_int_equal(sipc_tls_start(c.t), 0);
    c.tx.len = 0;
    static const uint8_t short_hello[] = {0x16, 0x03, 0x03, 0x00, 0x08, 0x02, 0x00,
                                          0x00, 0x04, 0x03, 0x03, 0x00, 0x00};
    assert_int_equal(sipc_tls_input(c.t, short_hello, sizeof short_hello, on_plain, &c), SIPC_ETLS);
    assert_true(ends_with_alert(&c.tx, 50));
    assert_non_null(strstr(sipc_tls_detail(c.t), "peer's TLS handshake is malformed: "));
    assert_non_null(strstr(sipc_tls_detail(c.t), "not a TLS server sipc can serve"));
    end_free(&c);
    sipc_tls_config_free(ccfg);
}

/* Whether the ServerHello at the start of out carries extension ext. */
static int server_hello_has_ext(const sipc_buf *out, unsigned ext)
{
    const uint8_t *p = out->data;
    size_t n = out->len, i = 5 + 4 + 2 + 32; /* record and message headers, version, random */
    assert_true(n > i && p[0] == 22 && p[5] == 2);
    i += 1 + p[i] + 2 + 1;                   /* session id, cipher suite, compression */
    if (i + 2 > n)
        return 0;
    size_t stop = i + 2 + sipc_be16_get(p + i);
    assert_true(stop <= n);
    for (i += 2; i + 4 <= stop; i += 4 + sipc_be16_get(p + i + 2))
        if (sipc_be16_get(p + i) == ext)
            return 1;
    return 0;
}

/* A client that asks for smaller records (RFC 6066 max_fragment_length,
 * 512 bytes) and a truncated HMAC: the bundled wolfSSL, built without
 * either, ignores both (its ServerHello answers neither), so the session
 * would go on sipc's record layer; where wolfSSL has them (Debian's
 * libwolfssl) it would grant smaller records, which only its own record
 * layer keeps to, and the ClientHello is refused instead (docs/protocol.md
 * section 2, "extensions"). */
static void t_peer_max_fragment(void **state)
{
    (void)state;
    vfy sv = {.pin = g_a.fingerprint};
    sipc_tls_config *scfg = make_cfg(&g_a, &g_a, &sv);
    sipc_buf h, out;
    client_hello(&g_a, &h);
    static const uint8_t ask[] = {0x00, 0x01, 0x00, 0x01, 0x01,  /* max_fragment_length 2^9 */
                                  0x00, 0x04, 0x00, 0x00};       /* truncated_hmac */
    hello_insert(&h, h.len, ask, sizeof ask);
    char detail[1024];
    int r = serve_hello(scfg, &h, &out, detail, sizeof detail);
#ifdef HAVE_MAX_FRAGMENT
    assert_int_equal(r, SIPC_ETLS);
    assert_int_equal(out.len, sizeof failure_alert);
    assert_memory_equal(out.data, failure_alert, sizeof failure_alert);
    assert_string_equal(detail, "peer asks for TLS records smaller than 16 KiB "
                                "(max_fragment_length, RFC 6066), which sipc does not grant: "
                                "configure the client without it (OpenSSL: without -maxfraglen)");
#else
    assert_int_equal(r, 0);
    assert_false(server_hello_has_ext(&out, 1));
    assert_false(server_hello_has_ext(&out, 4));
    assert_true(server_hello_has_ext(&out, 23)); /* extended_master_secret: answered */
#endif
    sipc_buf_free(&h);
    sipc_buf_free(&out);

    /* truncated_hmac alone goes on: answered where wolfSSL has it (without
     * effect: every suite sipc takes is AEAD), ignored where it has not */
    client_hello(&g_a, &h);
    hello_insert(&h, h.len, ask + 5, 4);
    assert_int_equal(serve_hello(scfg, &h, &out, detail, sizeof detail), 0);
#ifdef HAVE_TRUNCATED_HMAC
    assert_true(server_hello_has_ext(&out, 4));
#else
    assert_false(server_hello_has_ext(&out, 4));
#endif
    sipc_buf_free(&h);
    sipc_buf_free(&out);
    sipc_tls_config_free(scfg);
}

/* The check of our own signature refusing it, as a fault in the signing
 * would (--wrap): the handshake stops on the signing side, which says so,
 * and nothing signed leaves. */
int __real_sipc_ecdsa_own_check(const sipc_ecdsa_own *o, const uint8_t *sig, size_t sig_len,
                                const uint8_t *hash, size_t hash_len);
int __wrap_sipc_ecdsa_own_check(const sipc_ecdsa_own *o, const uint8_t *sig, size_t sig_len,
                                const uint8_t *hash, size_t hash_len);
static int g_own_check_refuses;
int __wrap_sipc_ecdsa_own_check(const sipc_ecdsa_own *o, const uint8_t *sig, size_t sig_len,
                                const uint8_t *hash, size_t hash_len)
{
    return g_own_check_refuses ? 0 : __real_sipc_ecdsa_own_check(o, sig, sig_len, hash, hash_len);
}

static void t_own_signature_check_refused(void **state)
{
    (void)state;
    if (!SIPC_TLS_ECDSA_DETERMINISTIC)
        skip(); /* wolfSSL signs, unchecked by sipc */
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv), *scfg = make_cfg(&g_a, &g_a, &sv);
    end c, s;
    end_init(&c, ccfg, 0);
    end_init(&s, scfg, 1);
    g_own_check_refuses = 1;
    assert_int_equal(sipc_tls_start(c.t), 0);
    assert_int_equal(deliver(&c, &s, 0), SIPC_ETLS); /* the ServerKeyExchange's signature */
    g_own_check_refuses = 0;
    assert_non_null(strstr(sipc_tls_detail(s.t), "own ECDSA signature failed its check"));
    assert_null(strstr(sipc_tls_detail(s.t), "private key"));
    end_free(&c);
    end_free(&s);
    sipc_tls_config_free(scfg);
    sipc_tls_config_free(ccfg);
}

/* A client's CertificateVerify signed with a hash sipc never asks for (a
 * client that ignored the CertificateRequest's list) is named as that, with
 * the algorithm, not as wolfSSL's "signature verify error" with its code
 * (one whose signature does not verify: t_own_key_signatures). The client is
 * wolfSSL, its CertificateVerify's algorithm made SHA-224 on the way. */
static void t_certificate_verify_refused(void **state)
{
    (void)state;
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv), *scfg = make_cfg(&g_a, &g_a, &sv);
    (void)own_judged_in_tampered(ccfg, scfg, 15, 0x0303 /* ecdsa_sha224 */,
                                 "peer signed its CertificateVerify with ecdsa_sha224, which sipc "
                                 "does not accept: sipc asks for ECDSA, RSA or RSA-PSS with SHA-256, "
                                 "SHA-384 or SHA-512; configure the client to sign with one of them");
    sipc_tls_config_free(scfg);
    sipc_tls_config_free(ccfg);
}

/* Each alert by which a peer refuses this side's certificate reads as that,
 * SIPC_ECERTREFUSED, whatever this side's verifier thought of the peer's:
 * the code says whose certificate was refused, the detail which alert. */
static void t_certificate_alerts(void **state)
{
    (void)state;
    static const struct {
        uint8_t code;
        const char *name;
    } alerts[] = {{42, "bad_certificate"},     {43, "unsupported_certificate"},
                  {44, "certificate_revoked"}, {45, "certificate_expired"},
                  {46, "certificate_unknown"}, {48, "unknown_ca"}};
    vfy sv = {.pin = g_a.fingerprint}, cv = {.pin = g_a.fingerprint};
    sipc_tls_config *scfg = make_cfg(&g_a, &g_a, &sv), *ccfg = make_cfg(&g_a, &g_a, &cv);
    for (size_t i = 0; i < sizeof alerts / sizeof alerts[0]; i++) {
        end c, s;
        end_init(&c, ccfg, 0);
        end_init(&s, scfg, 1);
        assert_int_equal(sipc_tls_start(c.t), 0);
        assert_int_equal(deliver(&c, &s, 0), 0);
        uint8_t rec[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, alerts[i].code};
        assert_int_equal(sipc_buf_append(&s.tx, rec, sizeof rec), 0);
        assert_int_equal(deliver(&s, &c, 0), SIPC_ECERTREFUSED);
        char want[96];
        snprintf(want, sizeof want, "peer rejected this side's certificate (alert %s)",
                 alerts[i].name);
        if (!strstr(sipc_tls_detail(c.t), want))
            fail_msg("alert %d: %s", alerts[i].code, sipc_tls_detail(c.t));
        end_free(&c);
        end_free(&s);
    }
    sipc_tls_config_free(scfg);
    sipc_tls_config_free(ccfg);
}

/* A peer's certificate_expired alert (sent for a certificate expired or
 * not yet valid by its clock) is judged by this side's clock: valid here,
 * the peer's clock is named (with its address) as the likely cause, not an
 * expiry that is not there; expired or not yet valid here too, this side's
 * date is. */
static void t_expired_alert(void **state)
{
    (void)state;
    sipc_x509 x;
    char perr[128];
    assert_int_equal(sipc_x509_parse(&x, g_a.certs[0].data, g_a.certs[0].len, perr, sizeof perr), 0);
    int64_t now = (int64_t)time(NULL);
    struct {
        int64_t nb, na;
        const char *want;
    } cases[] = {
        {(int64_t)x.not_before, (int64_t)x.not_after,
         "but by this side's clock it is valid ("},
        {1, 2, "peer rejected this side's certificate (alert certificate_expired): it expired on "
               "1970-01-01 00:00:02 UTC by this side's clock too: roll out a new pair"},
        {now + 86400, now + 2 * 86400, "by this side's clock too it is not valid before "},
        {0, 0, "peer rejected this side's certificate (alert certificate_expired); the peer's log"},
    };
    vfy sv = {.pin = g_a.fingerprint};
    sipc_tls_config *scfg = make_cfg(&g_a, &g_a, &sv);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vfy cv = {.pin = g_a.fingerprint};
        sipc_tls_config *ccfg = make_cfg_dated(&g_a, &g_a, &cv, cases[i].nb, cases[i].na);
        end c, s;
        end_init(&c, ccfg, 0);
        end_init(&s, scfg, 1);
        sipc_tls_set_peer_name(c.t, "127.0.75.120:23002");
        assert_int_equal(sipc_tls_start(c.t), 0);
        assert_int_equal(deliver(&c, &s, 0), 0);
        static const uint8_t expired[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 45};
        assert_int_equal(sipc_buf_append(&s.tx, expired, sizeof expired), 0);
        assert_int_equal(deliver(&s, &c, 0), SIPC_ECERTREFUSED);
        const char *d = sipc_tls_detail(c.t);
        if (!strstr(d, cases[i].want))
            fail_msg("case %zu: %s", i, d);
        if (i == 0) {
            char from[32], until[32], want[200];
            sipc_time_str(x.not_before, from);
            sipc_time_str(x.not_after, until);
            snprintf(want, sizeof want, "(%s to %s): the clock of the peer 127.0.75.120:23002 is "
                     "probably wrong", from, until);
            if (!strstr(d, want))
                fail_msg("no '%s' in: %s", want, d);
            assert_null(strstr(d, "expired on"));
        }
        end_free(&c);
        end_free(&s);
        sipc_tls_config_free(ccfg);
    }
    sipc_tls_config_free(scfg);
}

/* The dates the alert is judged by come from security.c, which reads every
 * certificate this side sends: the leaf a (valid) sent with an issuer that
 * expired, or is not valid yet, by this side's clock too: that issuer is
 * named, the peer's clock is not blamed. With issuers valid here too, the
 * peer's clock is named, with a word for this side's. */
static void t_expired_alert_chain(void **state)
{
    (void)state;
    static const struct {
        const char *name, *start, *cn, *want, *not;
    } cases[] = {
        {"old", "@2020-01-01 00:00:00", "Old Sub CA",
         "the issuer certificate sent with it, 'Old Sub CA', expired on 2020-01-31 ",
         "probably wrong"},
        {"future", "@2099-01-01 00:00:00", "Future Sub CA",
         "by this side's clock too the issuer certificate sent with it, 'Future Sub CA', is not "
         "valid before 2099-01-01 ",
         "probably wrong"},
        {"b", NULL, NULL,
         "): the clock of the peer 127.0.67.120:23002 is probably wrong (behind the start or past the end); check it there (date -u, NTP), or "
         "this machine's, if `date -u` here is off",
         "expired on"},
    };
    vfy sv = {.pin = g_a.fingerprint};
    sipc_tls_config *scfg = make_cfg(&g_a, &g_a, &sv);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].start)
            assert_int_equal(tu_make_pair(g_dir, cases[i].name, "ec", 30, cases[i].start,
                                          cases[i].cn), 0);
        /* node.crt: a's certificate, the issuer's, a's key */
        char pem[600], a_crt[600], issuer[600], a_key[600];
        snprintf(pem, sizeof pem, "%s/chain-%s.pem", g_dir, cases[i].name);
        snprintf(a_crt, sizeof a_crt, "%s/a.crt", g_dir);
        snprintf(issuer, sizeof issuer, "%s/%s.crt", g_dir, cases[i].name);
        snprintf(a_key, sizeof a_key, "%s/a.key", g_dir);
        const char *const parts[] = {a_crt, issuer, a_key};
        assert_int_equal(tu_cat(pem, parts, 3), 0);
        sipc_keypair kp;
        memset(&kp, 0, sizeof kp);
        char err[512] = "";
        assert_int_equal(sipc_keypair_load_pem(&kp, pem, NULL, err, sizeof err), 0);
        assert_int_equal(kp.ncerts, 2);
        sipc_trust_policy pol;
        memset(&pol, 0, sizeof pol);
        sipc_trust *trust = NULL;
        assert_int_equal(sipc_trust_new(&trust, &pol), 0);
        /* the server below presents a alone */
        assert_int_equal(sipc_trust_add_root(trust, g_a.certs[0].data, g_a.certs[0].len, err,
                                             sizeof err), 0);
        sipc_security *sec = NULL;
        int r = sipc__security_new_tls(&sec, SIPC_TLS_STRICT, &kp, trust, err, sizeof err);
        if (r != 0)
            fail_msg("case %zu: %s", i, err);
        end c, s;
        end_init(&c, sipc_security_tls(sec), 0);
        end_init(&s, scfg, 1);
        sipc_tls_set_peer_name(c.t, "127.0.67.120:23002");
        assert_int_equal(sipc_tls_start(c.t), 0);
        assert_int_equal(deliver(&c, &s, 0), 0);
        static const uint8_t expired[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 45};
        assert_int_equal(sipc_buf_append(&s.tx, expired, sizeof expired), 0);
        assert_int_equal(deliver(&s, &c, 0), SIPC_ECERTREFUSED);
        const char *d = sipc_tls_detail(c.t);
        if (!strstr(d, cases[i].want) || strstr(d, cases[i].not))
            fail_msg("case %zu: %s", i, d);
        end_free(&c);
        end_free(&s);
        sipc_security_release(sec);
    }
    sipc_tls_config_free(scfg);
}

/* ------------------------------------------------ record layer, alone */

/* A pair of record layers under the same keys both ways (what one seals,
 * the other opens), AES-GCM or ChaCha20-Poly1305, the sealing side's next
 * explicit nonce given. */
static void rec_pair(int aead, uint64_t nonce, int wolfcrypt_gcm, sipc_buf *reply,
                     sipc_tls_rec **tx, sipc_tls_rec **rx)
{
    static const uint8_t key[32] = {3, 1, 4, 1, 5}, iv[12] = {9, 2, 6};
    sipc_rec_keys k = {.aead = aead, .write_key = key, .read_key = key, .key_len = 32,
                       .write_iv = iv, .read_iv = iv,
                       .iv_len = aead == SIPC_REC_AES_GCM ? 4 : 12,
                       .write_seq = 1, .read_seq = 1, .write_nonce = nonce,
                       .wolfcrypt_gcm = wolfcrypt_gcm};
    assert_int_equal(sipc_rec_new(tx, &k), 0);
    k.wolfcrypt_gcm = !wolfcrypt_gcm;
    k.hello_request_reply = reply;
    assert_int_equal(sipc_rec_new(rx, &k), 0);
}

/* Where the record layer put a record's plaintext, and a copy of it. */
typedef struct seen {
    uint8_t *p;
    size_t n;
    sipc_buf copy;
} seen;

static int keep_where(void *arg, uint8_t *p, size_t n)
{
    seen *w = arg;
    w->p = p;
    w->n = n;
    return sipc_buf_append(&w->copy, p, n);
}

/* A record opened into the record layer's scratch (a short one, or any
 * without a window to go to) is wiped there once handed on: a thread's last
 * small record (a token, say) does not stay in it for the thread's life. */
static void t_scratch_wiped(void **state)
{
    (void)state;
    static const size_t sizes[] = {100, SIPC_REC_DEST_MIN + 100, SIPC_REC_MAX_PLAIN};
    uint8_t *msg = malloc(SIPC_REC_MAX_PLAIN);
    assert_non_null(msg);
    for (size_t i = 0; i < SIPC_REC_MAX_PLAIN; i++)
        msg[i] = (uint8_t)(i * 7 + 1);
    for (int aead = SIPC_REC_AES_GCM; aead <= SIPC_REC_CHACHA20_POLY1305; aead++) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            sipc_tls_rec *tx, *rx;
            rec_pair(aead, 5, 0, NULL, &tx, &rx);
            sipc_buf wire = {0};
            seen w = {0};
            int alert = 0, peer_alert = 0;
            assert_int_equal(sipc_rec_seal(tx, SIPC_REC_DATA, msg, sizes[i], &wire), 0);
            assert_int_equal(sipc_rec_open(rx, wire.data, wire.len, NULL, keep_where, &w, &alert,
                                           &peer_alert),
                             0);
            assert_int_equal(w.copy.len, sizes[i]);
            assert_memory_equal(w.copy.data, msg, sizes[i]);
            assert_int_equal(w.n, sizes[i]);
            if (!all_zero(w.p, w.n))
                fail_msg("%zu bytes of plaintext left in the record layer's scratch", w.n);
            sipc_buf_free(&wire);
            sipc_buf_free(&w.copy);
            sipc_rec_free(tx);
            sipc_rec_free(rx);
        }
    }
    free(msg);
}

/* The explicit nonce wolfSSL hands over starts at a random value: sealing
 * goes on across 2^64 - 1, the nonce wrapping to 0, and every record opens
 * on the other side, through either AES-GCM implementation. */
static void t_gcm_nonce_wraps(void **state)
{
    (void)state;
    for (int way = 0; way < 2; way++) {
        sipc_tls_rec *tx, *rx;
        rec_pair(SIPC_REC_AES_GCM, UINT64_MAX - 2, way, NULL, &tx, &rx);
        sipc_buf wire = {0}, got = {0};
        int alert = 0, peer_alert = 0;
        size_t at[6];
        for (int i = 0; i < 6; i++) {
            at[i] = wire.len;
            assert_int_equal(sipc_rec_seal(tx, SIPC_REC_DATA, (const uint8_t *)"wrap", 4, &wire),
                             0);
        }
        for (int i = 0; i < 6; i++) /* FF..FD, FF..FE, FF..FF, 0, 1, 2 */
            assert_true(sipc_be64_get(wire.data + at[i] + SIPC_REC_HEADER) ==
                        UINT64_MAX - 2 + (uint64_t)i);
        assert_int_equal(sipc_rec_open(rx, wire.data, wire.len, NULL, rec_plain, &got, &alert,
                                       &peer_alert),
                         0);
        assert_int_equal(got.len, 6 * 4);
        assert_memory_equal(got.data + 20, "wrap", 4);
        sipc_buf_free(&wire);
        sipc_buf_free(&got);
        sipc_rec_free(tx);
        sipc_rec_free(rx);
    }
}

/* One record sealed with the pair's keys (rec_pair), opened by wolfCrypt:
 * its content type, and its plaintext in out (at most cap bytes). */
static size_t open_with_wolfcrypt(const uint8_t *rec, size_t len, uint8_t *type, uint8_t *out,
                                  size_t cap)
{
    static const uint8_t key[32] = {3, 1, 4, 1, 5}, salt[4] = {9, 2, 6};
    assert_true(len >= SIPC_REC_HEADER + 24 && len - SIPC_REC_HEADER - 24 <= cap);
    size_t n = len - SIPC_REC_HEADER - 24;
    uint8_t nonce[12], aad[13];
    memcpy(nonce, salt, 4);
    memcpy(nonce + 4, rec + SIPC_REC_HEADER, 8);
    memset(aad, 0, 8);
    aad[7] = 1; /* the replying side's first record: sequence number 1 */
    aad[8] = rec[0];
    aad[9] = 3;
    aad[10] = 3;
    aad[11] = (uint8_t)(n >> 8);
    aad[12] = (uint8_t)n;
    Aes aes;
    assert_int_equal(wc_AesInit(&aes, NULL, INVALID_DEVID), 0);
    assert_int_equal(wc_AesGcmSetKey(&aes, key, sizeof key), 0);
    assert_int_equal(wc_AesGcmDecrypt(&aes, out, rec + SIPC_REC_HEADER + 8, (word32)n, nonce,
                                      sizeof nonce, rec + len - 16, 16, aad, sizeof aad),
                     0);
    wc_AesFree(&aes);
    *type = rec[0];
    return n;
}

/* Renegotiation and alerts: a client answers the server's HelloRequest with
 * a warning no_renegotiation (RFC 5246 7.2.2) and the session goes on, once;
 * a second one, or one to a server, ends it. An alert of no level RFC 5246
 * defines is a decode_error, not the close_notify it carries. */
static void t_hello_request_and_alert_levels(void **state)
{
    (void)state;
    static const uint8_t hello_request[4] = {0, 0, 0, 0};
    sipc_buf reply = {0}, wire = {0}, got = {0};
    sipc_tls_rec *tx, *rx;
    int alert = 0, peer_alert = 0;
    rec_pair(SIPC_REC_AES_GCM, 40, 0, &reply, &tx, &rx);
    assert_int_equal(sipc_rec_seal(tx, SIPC_REC_HANDSHAKE, hello_request, 4, &wire), 0);
    assert_int_equal(sipc_rec_seal(tx, SIPC_REC_DATA, (const uint8_t *)"after", 5, &wire), 0);
    assert_int_equal(
        sipc_rec_open(rx, wire.data, wire.len, NULL, rec_plain, &got, &alert, &peer_alert), 0);
    assert_true(got.len == 5 && memcmp(got.data, "after", 5) == 0);
    assert_false(sipc_rec_failed(rx));
    uint8_t type = 0, a[64];
    assert_int_equal(open_with_wolfcrypt(reply.data, reply.len, &type, a, sizeof a), 2);
    assert_int_equal(type, SIPC_REC_ALERT);
    assert_int_equal(a[0], 1); /* warning */
    assert_int_equal(a[1], SIPC_ALERT_NO_RENEGOTIATION);
    /* the session goes on both ways */
    reply.len = wire.len = got.len = 0;
    assert_int_equal(sipc_rec_seal(rx, SIPC_REC_DATA, (const uint8_t *)"on", 2, &reply), 0);
    assert_int_equal(sipc_rec_seal(tx, SIPC_REC_HANDSHAKE, hello_request, 4, &wire), 0);
    /* a second HelloRequest: renegotiation insisted on */
    assert_int_equal(
        sipc_rec_open(rx, wire.data, wire.len, NULL, rec_plain, &got, &alert, &peer_alert),
        SIPC_ETLS);
    assert_int_equal(alert, SIPC_ALERT_NO_RENEGOTIATION);
    assert_int_equal(peer_alert, 0);
    assert_int_equal(reply.len, SIPC_REC_HEADER + 8 + 2 + 16); /* only the "on" record */
    sipc_rec_free(tx);
    sipc_rec_free(rx);

    /* a server is sent no HelloRequest */
    rec_pair(SIPC_REC_AES_GCM, 40, 0, NULL, &tx, &rx);
    wire.len = 0;
    assert_int_equal(sipc_rec_seal(tx, SIPC_REC_HANDSHAKE, hello_request, 4, &wire), 0);
    assert_int_equal(
        sipc_rec_open(rx, wire.data, wire.len, NULL, rec_plain, &got, &alert, &peer_alert),
        SIPC_ETLS);
    assert_int_equal(alert, SIPC_ALERT_NO_RENEGOTIATION);
    sipc_rec_free(tx);
    sipc_rec_free(rx);

    /* alert levels: 1 and 2 close; 0 and 7 are no level */
    static const uint8_t levels[] = {1, 2, 0, 7};
    for (size_t i = 0; i < sizeof levels; i++) {
        rec_pair(SIPC_REC_CHACHA20_POLY1305, 0, 0, NULL, &tx, &rx);
        const uint8_t close[2] = {levels[i], SIPC_ALERT_CLOSE_NOTIFY};
        wire.len = 0;
        assert_int_equal(sipc_rec_seal(tx, SIPC_REC_ALERT, close, 2, &wire), 0);
        int rc = sipc_rec_open(rx, wire.data, wire.len, NULL, rec_plain, &got, &alert, &peer_alert);
        if (i < 2) {
            assert_int_equal(rc, SIPC_ECLOSED);
        } else {
            assert_int_equal(rc, SIPC_ETLS);
            assert_int_equal(alert, SIPC_ALERT_DECODE_ERROR);
            assert_int_equal(peer_alert, 0);
        }
        sipc_rec_free(tx);
        sipc_rec_free(rx);
    }
    sipc_buf_free(&reply);
    sipc_buf_free(&wire);
    sipc_buf_free(&got);
}

/* ------------------------------------------- wolfSSL's record layer */

typedef struct input_job {
    end *to;
    sipc_buf in;
    int rc;
} input_job;

static void *input_on_thread(void *arg)
{
    input_job *j = arg;
    j->rc = sipc_tls_input(j->to->t, j->in.data, j->in.len, on_plain, j->to);
    return NULL;
}

/* Where wolfSSL keeps the records (no hand-over), a record without a window
 * is read into a buffer on sipc_tls_input's stack: once handed on, it is
 * wiped there. The input runs on a thread whose stack the test maps itself,
 * searched afterwards for a stretch of the plaintext. (Not under
 * AddressSanitizer, which keeps frames of its own, as test_keypair_wipe.) */
static void t_wolfssl_path_plaintext_wiped(void **state)
{
    (void)state;
    vfy cv = {.pin = g_a.fingerprint}, sv = {.pin = g_a.fingerprint};
    sipc_tls_config *ccfg = make_cfg(&g_a, &g_a, &cv), *scfg = make_cfg(&g_a, &g_a, &sv);
    sipc_tls_config_set_direct(scfg, 0);
    end c, s;
    end_init(&c, ccfg, 0);
    end_init(&s, scfg, 1);
    assert_int_equal(sipc_tls_start(c.t), 0);
    assert_int_equal(shuttle(&c, &s, 0), 0);
    assert_false(sipc_tls_direct(s.t));
    uint8_t msg[1000];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 131 + 7);
    assert_int_equal(sipc_tls_write(c.t, msg, sizeof msg), 0);

    const size_t stack_len = 1u << 20;
    input_job j = {.to = &s, .in = c.tx};
    memset(&c.tx, 0, sizeof c.tx);
    uint8_t *stack;
    assert_int_equal(tu_run_on_stack(input_on_thread, &j, stack_len, &stack), 0);
    assert_int_equal(j.rc, 0);
    assert_int_equal(s.got.len, sizeof msg);
    assert_memory_equal(s.got.data, msg, sizeof msg);
#if !defined(__SANITIZE_ADDRESS__)
    if (tu_count_in(stack, stack_len, msg + 500, 64))
        fail_msg("the plaintext was left on the reading thread's stack");
#endif
    tu_stack_free(stack, stack_len);
    sipc_buf_free(&j.in);
    finished(&c, &s, ccfg, scfg);
}

/* A bare wolfSSL client (presenting g_a) offering only suite, through its
 * handshake with the server s: 1 once done. */
static int raw_suite_connect(end *s, const char *suite, WOLFSSL_CTX **cctx, WOLFSSL **ssl,
                             raw_io *io)
{
    *ssl = raw_client(cctx, &g_a, io);
    assert_int_equal(wolfSSL_set_cipher_list(*ssl, suite), WOLFSSL_SUCCESS);
    int done = 0;
    for (int i = 0; i < 10 && !done; i++) {
        int c = wolfSSL_connect(*ssl);
        done = c == WOLFSSL_SUCCESS;
        if (io->out->len) {
            assert_int_equal(sipc_tls_input(s->t, io->out->data, io->out->len, on_plain, s), 0);
            io->out->len = 0;
            sipc_tls_after_output(s->t);
        }
        io->in = s->tx.data;
        io->in_len = s->tx.len;
        s->tx.len = 0;
    }
    return done;
}

/* Keys wear by the AES blocks they encrypt (sipc_tls_key_blocks): a session
 * on AES-GCM counts them on either record layer (wolfSSL's records as
 * full-size: sipc does not see their sizes); one on ChaCha20-Poly1305, whose
 * sequence number wraps before its limit is reached (RFC 8446 5.5), counts
 * none on either. */
static void t_key_blocks_by_suite(void **state)
{
    (void)state;
    static const char *suites[] = {"ECDHE-ECDSA-AES128-GCM-SHA256",
                                   "ECDHE-ECDSA-CHACHA20-POLY1305"};
    static uint8_t msg[3000];
    for (int direct = 0; direct < 1 + direct_built(); direct++) {
        for (int chacha = 0; chacha < 2; chacha++) {
            vfy sv = {.pin = g_a.fingerprint};
            sipc_tls_config *scfg = make_cfg(&g_a, &g_a, &sv);
            assert_int_equal(sipc_tls_config_set_direct(scfg, direct), direct);
            end s;
            end_init(&s, scfg, 1);
            sipc_buf ctx_out = {0};
            raw_io io = {.out = &ctx_out};
            WOLFSSL_CTX *cctx;
            WOLFSSL *ssl;
            assert_true(raw_suite_connect(&s, suites[chacha], &cctx, &ssl, &io));
            assert_int_equal(sipc_tls_direct(s.t), direct);
            char ver[32], cipher[64];
            sipc_tls_describe(s.t, ver, sizeof ver, cipher, sizeof cipher, NULL, 0);
            assert_int_equal(strstr(cipher, "CHACHA20") != NULL, chacha);
            /* after the Finished, one record of 3,000 bytes: 188 blocks
             * and the tag's where sipc's record layer seals it, full-size
             * where wolfSSL does */
            raw_read_back(&s, ssl, &io, msg, sizeof msg);
            uint64_t want = SIPC_TLS_RECORD_BLOCKS + (direct ? (sizeof msg + 31) / 16
                                                             : SIPC_TLS_RECORD_BLOCKS);
            assert_int_equal(sipc_tls_key_blocks(s.t), chacha ? 0 : want);
            wolfSSL_free(ssl);
            wolfSSL_CTX_free(cctx);
            sipc_buf_free(&ctx_out);
            end_free(&s);
            sipc_tls_config_free(scfg);
        }
    }
}

/* Small records wear a key by their blocks, not as full-size ones: at the
 * same limit, 64-byte records (4 blocks and the tag's: 5) take 1025/5 = 205
 * times as many records to reach it as full-size ones (1,025 each), counted
 * alike by the sealing and the opening side, through either AES-GCM
 * implementation. */
static void t_small_records_wear_slower(void **state)
{
    (void)state;
    static uint8_t msg[SIPC_REC_MAX_PLAIN];
    const uint64_t limit = 20 * SIPC_TLS_RECORD_BLOCKS;
    for (int wolfcrypt = 0; wolfcrypt < 2; wolfcrypt++) {
        size_t to_limit[2] = {0, 0};
        for (int full = 0; full < 2; full++) {
            size_t n = full ? sizeof msg : 64;
            sipc_tls_rec *tx, *rx;
            rec_pair(SIPC_REC_AES_GCM, 1, wolfcrypt, NULL, &tx, &rx);
            /* the Finished before the hand-over, whose size wolfSSL saw */
            assert_int_equal(sipc_rec_key_blocks(tx), SIPC_TLS_RECORD_BLOCKS);
            sipc_buf wire = {0}, got = {0};
            int alert = 0, peer_alert = 0;
            while (sipc_rec_key_blocks(tx) - SIPC_TLS_RECORD_BLOCKS < limit &&
                   to_limit[full] < 10000) {
                wire.len = got.len = 0;
                assert_int_equal(sipc_rec_seal(tx, SIPC_REC_DATA, msg, n, &wire), 0);
                assert_int_equal(sipc_rec_open(rx, wire.data, wire.len, NULL, rec_plain, &got,
                                               &alert, &peer_alert),
                                 0);
                assert_int_equal(got.len, n);
                to_limit[full]++;
            }
            assert_int_equal(sipc_rec_key_blocks(rx), sipc_rec_key_blocks(tx));
            sipc_buf_free(&wire);
            sipc_buf_free(&got);
            sipc_rec_free(tx);
            sipc_rec_free(rx);
        }
        assert_int_equal(to_limit[1], 20);
        assert_int_equal(to_limit[0], 20 * 205);
    }
}

/* ChaCha20-Poly1305's keys do not wear: no blocks counted, sealed or
 * opened, whatever the records. */
static void t_chacha_keys_unworn(void **state)
{
    (void)state;
    static uint8_t msg[SIPC_REC_MAX_PLAIN];
    sipc_tls_rec *tx, *rx;
    rec_pair(SIPC_REC_CHACHA20_POLY1305, 0, 0, NULL, &tx, &rx);
    sipc_buf wire = {0}, got = {0};
    int alert = 0, peer_alert = 0;
    for (int i = 0; i < 50; i++) {
        wire.len = 0;
        assert_int_equal(sipc_rec_seal(tx, SIPC_REC_DATA, msg, i % 2 ? sizeof msg : 64, &wire), 0);
        assert_int_equal(
            sipc_rec_open(rx, wire.data, wire.len, NULL, rec_plain, &got, &alert, &peer_alert), 0);
    }
    assert_int_equal(got.len, 25 * (sizeof msg + 64));
    assert_int_equal(sipc_rec_key_blocks(tx), 0);
    assert_int_equal(sipc_rec_key_blocks(rx), 0);
    sipc_buf_free(&wire);
    sipc_buf_free(&got);
    sipc_rec_free(tx);
    sipc_rec_free(rx);
}

int main(void)
{
    g_dir = tu_mkdtemp("tls-engine");
    if (!g_dir || tu_make_pair(g_dir, "a", "ec", 30, NULL, "engine test a") != 0 ||
        tu_make_pair(g_dir, "b", "ec", 30, NULL, "engine test b") != 0 || load(&g_a, "a") != 0 ||
        load(&g_b, "b") != 0) {
        fprintf(stderr, "cannot make test certificates with openssl\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_handshake_and_data),
        cmocka_unit_test(t_handshake_in_pieces),
        cmocka_unit_test(t_record_layers_interoperate),
        cmocka_unit_test(t_hostile_records),
        cmocka_unit_test(t_window),
        cmocka_unit_test(t_after_forgery),
        cmocka_unit_test(t_gcm_nonces_unique),
        cmocka_unit_test(t_empty_records),
        cmocka_unit_test(t_scratch_wiped),
        cmocka_unit_test(t_gcm_nonce_wraps),
        cmocka_unit_test(t_hello_request_and_alert_levels),
        cmocka_unit_test(t_wolfssl_path_plaintext_wiped),
        cmocka_unit_test(t_aes_gcm_records_both_ways),
        cmocka_unit_test(t_verifier_refuses),
        cmocka_unit_test(t_other_pair),
        cmocka_unit_test(t_own_key_signatures),
        cmocka_unit_test(t_peer_without_certificate),
        cmocka_unit_test(t_peer_max_fragment),
        cmocka_unit_test(t_key_blocks_by_suite),
        cmocka_unit_test(t_small_records_wear_slower),
        cmocka_unit_test(t_chacha_keys_unworn),
        cmocka_unit_test(t_garbage),
        cmocka_unit_test(t_resumption), cmocka_unit_test(t_ticket_key_rotation),
        cmocka_unit_test(t_ticket_key_expiry),
        cmocka_unit_test(t_client_session_expiry),
        cmocka_unit_test(t_no_ticket_unless_resuming),
        cmocka_unit_test(t_resumption_until),
        cmocka_unit_test(t_resumed_peer_print),
        cmocka_unit_test(t_resumed_server_speaks_first),
        cmocka_unit_test(t_config_forget),
        cmocka_unit_test(t_failed_offer_keeps_newer_session),
        cmocka_unit_test(t_hello_parse),
        cmocka_unit_test(t_hello_sigalgs),
        cmocka_unit_test(t_client_hello_refused),
        cmocka_unit_test(t_malformed_hello),
        cmocka_unit_test(t_certificate_verify_refused),
        cmocka_unit_test(t_own_signature_check_refused),
        cmocka_unit_test(t_certificate_alerts),
        cmocka_unit_test(t_expired_alert),
        cmocka_unit_test(t_expired_alert_chain),
        cmocka_unit_test(t_ecdhe_ahead),
    };
    int fails = cmocka_run_group_tests_name("TLS engine over memory", tests, NULL, NULL);
    sipc_keypair_free(&g_a);
    sipc_keypair_free(&g_b);
    tu_rmdir(g_dir);
    free(g_dir);
    return fails ? 1 : 0;
}
