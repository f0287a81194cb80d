/* tls_record.c - TLS 1.2 AEAD record protection after the handshake, on
 * wolfCrypt's AES-GCM and ChaCha20-Poly1305 (see tls_record.h), and on
 * base/aes_gcm.c's AES-GCM where the CPU has AES-NI, PCLMULQDQ and AVX
 * (faster than wolfSSL 5.5.4's for records of every size: it keeps the hash
 * key's powers per key, and it uses VAES and VPCLMULQDQ where the CPU has
 * them, which wolfSSL's assembly does not). */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/memory.h>

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/aes_gcm.h"
#include "base/endian.h"
#include "sipc/errno.h"
#include "transport/tls_engine.h"
#include "transport/tls_record.h"

#define GCM_EXPLICIT 8
#define AEAD_TAG 16

struct sipc_tls_rec {
    int aead;
    size_t overhead; /* explicit nonce and tag per record */
    int own;  /* AES-GCM through base/aes_gcm.c */
    union {   /* the AES-GCM keys, of one implementation or the other */
#ifdef HAVE_AESGCM
        struct {
            Aes enc, dec;
        } wc;
#endif
        struct {
            sipc_aes_gcm enc, dec;
        } own;
    } gcm;
    uint8_t wkey[32], rkey[32]; /* ChaCha20: its one-shot API takes the key */
    uint8_t wiv[12], riv[12];
    /* AES-GCM: sipc_rec_key_blocks. Not next to wnonce: GCC would pair the
     * two additions in SSE registers, 7 instructions for 2 (callgrind) */
    uint64_t wblocks, rblocks;
    uint64_t wseq, rseq, wnonce;
    /* the record being received */
    uint8_t hdr[SIPC_REC_HEADER];
    size_t hdr_have;
    size_t body_len;
    uint8_t *part; /* its body, when it spans reads */
    size_t part_have;
    int closed;
    int failed;      /* a fatal error either way: nothing more is opened */
    int empty_run;   /* application records in a row without a byte */
    sipc_buf *hello_request_reply; /* see sipc_rec_keys */
    int hello_requested; /* a HelloRequest was answered */
};

/* Empty application records in a row before the peer is cut off: each
 * costs an AEAD pass and moves nothing (OpenSSL allows 32 too). */
#define SIPC_REC_MAX_EMPTY 32

/* Plaintext of a record that has nowhere better to go: every byte is
 * handed on before sipc_rec_open returns, as with the socket's read buffer,
 * and wiped once handed on (a thread's last small record, a token say,
 * would otherwise stay here for the thread's life). */
static _Thread_local uint8_t scratch[SIPC_REC_MAX_PLAIN];

int sipc_rec_new(sipc_tls_rec **out, const sipc_rec_keys *k)
{
    *out = NULL;
    if (k->aead == SIPC_REC_AES_GCM) {
#ifndef HAVE_AESGCM
        return SIPC_EINVAL;
#else
        if ((k->key_len != 16 && k->key_len != 32) || k->iv_len != 4)
            return SIPC_EINVAL;
#endif
    } else if (k->aead == SIPC_REC_CHACHA20_POLY1305) {
#if !defined(HAVE_CHACHA) || !defined(HAVE_POLY1305)
        return SIPC_EINVAL;
#else
        if (k->key_len != 32 || k->iv_len != 12)
            return SIPC_EINVAL;
#endif
    } else {
        return SIPC_EINVAL;
    }
    sipc_tls_rec *r = calloc(1, sizeof *r);
    if (!r)
        return SIPC_ENOMEM;
    r->aead = k->aead;
    r->wseq = k->write_seq;
    r->rseq = k->read_seq;
    r->wnonce = k->write_nonce;
    r->hello_request_reply = k->hello_request_reply;
    memcpy(r->wiv, k->write_iv, k->iv_len);
    memcpy(r->riv, k->read_iv, k->iv_len);
    if (r->aead == SIPC_REC_CHACHA20_POLY1305) {
        r->overhead = AEAD_TAG;
        memcpy(r->wkey, k->write_key, k->key_len);
        memcpy(r->rkey, k->read_key, k->key_len);
    }
#ifdef HAVE_AESGCM
    if (r->aead == SIPC_REC_AES_GCM) {
        r->overhead = GCM_EXPLICIT + AEAD_TAG;
        /* their sizes were wolfSSL's to see: each counted as full-size */
        r->wblocks = k->write_seq * SIPC_TLS_RECORD_BLOCKS;
        r->rblocks = k->read_seq * SIPC_TLS_RECORD_BLOCKS;
        r->own = !k->wolfcrypt_gcm && sipc_aes_gcm_available();
        if (r->own) {
            if (sipc_aes_gcm_init(&r->gcm.own.enc, k->write_key, k->key_len) != 0 ||
                sipc_aes_gcm_init(&r->gcm.own.dec, k->read_key, k->key_len) != 0) {
                sipc_rec_free(r);
                return SIPC_ETLS;
            }
        } else if (wc_AesInit(&r->gcm.wc.enc, NULL, INVALID_DEVID) != 0 ||
                   wc_AesInit(&r->gcm.wc.dec, NULL, INVALID_DEVID) != 0 ||
                   wc_AesGcmSetKey(&r->gcm.wc.enc, k->write_key, (word32)k->key_len) != 0 ||
                   wc_AesGcmSetKey(&r->gcm.wc.dec, k->read_key, (word32)k->key_len) != 0) {
            sipc_rec_free(r);
            return SIPC_ETLS;
        }
    }
#endif
    *out = r;
    return 0;
}

void sipc_rec_free(sipc_tls_rec *r)
{
    if (!r)
        return;
#ifdef HAVE_AESGCM
    if (r->aead == SIPC_REC_AES_GCM && !r->own) {
        wc_AesFree(&r->gcm.wc.enc);
        wc_AesFree(&r->gcm.wc.dec);
    }
#endif
    free(r->part);
    explicit_bzero(r, sizeof *r); /* key schedules, keys and IVs */
    free(r);
}

/* Nonces are kept in local arrays: wolfCrypt 5.5.4's AVX2
 * AES-GCM reads 16 bytes of a 12-byte IV, which there stays inside the
 * frame. */

/* additional data: seq_num + type + version + length (RFC 5246 6.2.3.3) */
static void make_aad(uint8_t aad[13], uint64_t seq, uint8_t type, size_t n)
{
    sipc_be64_put(aad, seq);
    aad[8] = type;
    aad[9] = 3;
    aad[10] = 3;
    sipc_be16_put(aad + 11, (uint16_t)n);
}

/* RFC 7905: the IV with the sequence number xored into its last 8 bytes */
static void chacha_nonce(uint8_t nonce[12], const uint8_t iv[12], uint64_t seq)
{
    uint8_t s[8];
    sipc_be64_put(s, seq);
    memcpy(nonce, iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= s[i];
}

int sipc_rec_seal(sipc_tls_rec *r, uint8_t type, const uint8_t *p, size_t len, sipc_buf *out)
{
    if (r->failed && type != SIPC_REC_ALERT)
        return SIPC_ETLS; /* after a fatal error only the alert that says so */
    /* our own fatal alert ends the session as the peer's or a bad record does */
    int fatal = type == SIPC_REC_ALERT && len >= 1 && p[0] == 2;
    size_t nrec = (len + SIPC_REC_MAX_PLAIN - 1) / SIPC_REC_MAX_PLAIN;
    if (len == 0) {
        nrec = 1; /* an empty record, as TLS allows */
        p = (const uint8_t *)""; /* the ciphers refuse NULL even for 0 bytes */
    }
    if (sipc_buf_reserve(out, len + nrec * (SIPC_REC_HEADER + r->overhead)) != 0)
        return SIPC_ENOMEM;
    for (size_t i = 0; i < nrec; i++) {
        size_t n = len > SIPC_REC_MAX_PLAIN ? SIPC_REC_MAX_PLAIN : len;
        /* never reached: 2^64 records. The explicit nonce is not checked: it
         * starts where wolfSSL's random one left off and wraps modulo 2^64
         * (wnonce++ below), so it repeats only after 2^64 records, which
         * the sequence number refuses first. */
        if (r->wseq == UINT64_MAX)
            return SIPC_ETLS;
        uint8_t *h = out->data + out->len;
        size_t body = n + r->overhead;
        h[0] = type;
        h[1] = 3;
        h[2] = 3;
        sipc_be16_put(h + 3, (uint16_t)body);
        uint8_t aad[13], nonce[12];
        make_aad(aad, r->wseq, type, n);
        int rc = -1;
        if (r->aead == SIPC_REC_AES_GCM) {
#ifdef HAVE_AESGCM
            memcpy(nonce, r->wiv, 4);
            sipc_be64_put(nonce + 4, r->wnonce);
            memcpy(h + SIPC_REC_HEADER, nonce + 4, GCM_EXPLICIT);
            uint8_t *ct = h + SIPC_REC_HEADER + GCM_EXPLICIT;
            if (r->own)
                rc = sipc_aes_gcm_seal(&r->gcm.own.enc, nonce, aad, sizeof aad, p, n, ct, ct + n);
            else
                rc = wc_AesGcmEncrypt(&r->gcm.wc.enc, ct, p, (word32)n, nonce, sizeof nonce,
                                      ct + n, AEAD_TAG, aad, sizeof aad);
            r->wnonce++;
            r->wblocks += (n + 31) / 16; /* ceil(n/16) + 1: sipc_tls_key_blocks */
#endif
        } else {
#if defined(HAVE_CHACHA) && defined(HAVE_POLY1305)
            chacha_nonce(nonce, r->wiv, r->wseq);
            uint8_t *ct = h + SIPC_REC_HEADER;
            rc = wc_ChaCha20Poly1305_Encrypt(r->wkey, nonce, aad, sizeof aad, p, (word32)n, ct,
                                             ct + n);
#endif
        }
        if (rc != 0)
            return SIPC_ETLS;
        r->wseq++;
        out->len += SIPC_REC_HEADER + body;
        p += n;
        len -= n;
    }
    if (fatal)
        r->failed = 1;
    return 0;
}

static int fail(int *alert, int a)
{
    *alert = a;
    return SIPC_ETLS;
}


/* Authenticates and decrypts one record body, then acts on its content. */
static int open_record(sipc_tls_rec *r, uint8_t type, const uint8_t *body, size_t blen,
                       sipc_rec_dest_fn dest, sipc_rec_data_fn fn, void *arg, int *alert,
                       int *peer_alert)
{
    if (blen < r->overhead)
        return fail(alert, SIPC_ALERT_BAD_RECORD_MAC);
    size_t n = blen - r->overhead;
    if (n > SIPC_REC_MAX_PLAIN)
        return fail(alert, SIPC_ALERT_RECORD_OVERFLOW);
    if (r->rseq == UINT64_MAX)
        return fail(alert, SIPC_ALERT_INTERNAL_ERROR); /* never reached: 2^64 records */
    uint8_t *dst = NULL;
    if (type == SIPC_REC_DATA && n >= SIPC_REC_DEST_MIN && dest)
        dst = dest(arg, n);
    if (!dst)
        dst = scratch;
    uint8_t aad[13], nonce[12];
    make_aad(aad, r->rseq, type, n);
    int rc = -1;
    if (r->aead == SIPC_REC_AES_GCM) {
#ifdef HAVE_AESGCM
        memcpy(nonce, r->riv, 4);
        memcpy(nonce + 4, body, GCM_EXPLICIT);
        const uint8_t *ct = body + GCM_EXPLICIT;
        if (r->own)
            rc = sipc_aes_gcm_open(&r->gcm.own.dec, nonce, aad, sizeof aad, ct, n, ct + n, dst);
        else
            rc = wc_AesGcmDecrypt(&r->gcm.wc.dec, dst, ct, (word32)n, nonce, sizeof nonce, ct + n,
                                  AEAD_TAG, aad, sizeof aad);
        r->rblocks += (n + 31) / 16;
#endif
    } else {
#if defined(HAVE_CHACHA) && defined(HAVE_POLY1305)
        chacha_nonce(nonce, r->riv, r->rseq);
        rc = wc_ChaCha20Poly1305_Decrypt(r->rkey, nonce, aad, sizeof aad, body, (word32)n,
                                         body + n, dst);
#endif
    }
    if (rc != 0) {
        /* wolfCrypt's one-shot calls write the plaintext before they check
         * the tag (sipc_aes_gcm_open wipes it itself): nothing of a forged
         * record stays where the application looks */
        explicit_bzero(dst, n);
        return fail(alert, SIPC_ALERT_BAD_RECORD_MAC);
    }
    r->rseq++;
    switch (type) {
    case SIPC_REC_DATA:
        if (n == 0)
            return ++r->empty_run > SIPC_REC_MAX_EMPTY ? fail(alert, SIPC_ALERT_UNEXPECTED_MESSAGE) : 0;
        r->empty_run = 0;
        rc = fn(arg, dst, n);
        if (dst == scratch)
            explicit_bzero(scratch, n); /* only what this record used: small ones come here */
        return rc;
    case SIPC_REC_ALERT:
        /* one alert, of a level RFC 5246 defines (1 warning, 2 fatal) */
        if (n != 2 || dst[0] < 1 || dst[0] > 2)
            return fail(alert, SIPC_ALERT_DECODE_ERROR);
        if (dst[1] == SIPC_ALERT_CLOSE_NOTIFY) {
            r->closed = 1;
            return SIPC_ECLOSED;
        }
        *peer_alert = 1; /* a warning too: sipc's peers send none but close_notify */
        return fail(alert, dst[1]);
    case SIPC_REC_HANDSHAKE:
        /* a HelloRequest (type 0, empty) to a client: refused with the
         * warning RFC 5246 7.2.2 says no_renegotiation always is, and the
         * session goes on, as wolfSSL's record layer does; like it, once
         * (a peer repeating it gets more alerts than it reads) */
        if (n == 4 && r->hello_request_reply && !r->hello_requested &&
            !(dst[0] | dst[1] | dst[2] | dst[3])) {
            static const uint8_t refuse[2] = {1, SIPC_ALERT_NO_RENEGOTIATION};
            r->hello_requested = 1;
            rc = sipc_rec_seal(r, SIPC_REC_ALERT, refuse, sizeof refuse, r->hello_request_reply);
            return rc == SIPC_ETLS ? fail(alert, SIPC_ALERT_INTERNAL_ERROR) : rc;
        }
        /* anything else (a ClientHello, a HelloRequest to a server or a
         * second one): renegotiation, which sipc refuses by ending the
         * session */
        return fail(alert, SIPC_ALERT_NO_RENEGOTIATION);
    default:
        return fail(alert, SIPC_ALERT_UNEXPECTED_MESSAGE);
    }
}

/* Gathers a record header that may arrive in pieces: moves what is missing
 * of it from *p (at most *n bytes) and returns 1 once it is whole. */
static int header_gather(uint8_t hdr[SIPC_REC_HEADER], size_t *have, const uint8_t **p, size_t *n)
{
    size_t take = SIPC_REC_HEADER - *have;
    if (take > *n)
        take = *n;
    memcpy(hdr + *have, *p, take);
    *have += take;
    *p += take;
    *n -= take;
    return *have == SIPC_REC_HEADER;
}

/* A record header: a content type this layer takes, TLS 1.2, a length a
 * record may have. A ChangeCipherSpec is refused like an unknown type, as
 * the inappropriate message it is here (unexpected_message, RFC 5246
 * 7.2.2): this layer starts after both sides' Finished and renegotiation is
 * refused, so none may come; opened as a sealed record, a probe's 1-byte CCS
 * would fail as bad_record_mac instead. */
static int check_header(const uint8_t h[SIPC_REC_HEADER], int *alert)
{
    if (h[0] < SIPC_REC_ALERT || h[0] > SIPC_REC_DATA)
        return fail(alert, SIPC_ALERT_UNEXPECTED_MESSAGE);
    if (h[1] != 3 || h[2] != 3)
        return fail(alert, SIPC_ALERT_DECODE_ERROR);
    if (sipc_be16_get(h + 3) > SIPC_REC_MAX_BODY)
        return fail(alert, SIPC_ALERT_RECORD_OVERFLOW);
    return 0;
}

/* Opens the records in data, one after the other (see sipc_rec_open). */
static int open_records(sipc_tls_rec *r, const uint8_t *data, size_t len, sipc_rec_dest_fn dest,
                        sipc_rec_data_fn fn, void *arg, int *alert, int *peer_alert)
{
    while (len > 0) {
        if (r->closed)
            return SIPC_ECLOSED;
        if (r->hdr_have < SIPC_REC_HEADER) {
            if (r->hdr_have == 0 && len >= SIPC_REC_HEADER) {
                /* the whole header is here, as it nearly always is: five
                 * bytes moved at once instead of gathered */
                memcpy(r->hdr, data, SIPC_REC_HEADER);
                r->hdr_have = SIPC_REC_HEADER;
                data += SIPC_REC_HEADER;
                len -= SIPC_REC_HEADER;
            } else if (!header_gather(r->hdr, &r->hdr_have, &data, &len)) {
                break;
            }
            if (check_header(r->hdr, alert) != 0)
                return SIPC_ETLS;
            r->body_len = sipc_be16_get(r->hdr + 3);
            r->part_have = 0;
        }
        const uint8_t *body;
        if (r->part_have == 0 && len >= r->body_len) {
            body = data; /* the whole record is here: open it where it lies */
            data += r->body_len;
            len -= r->body_len;
        } else {
            if (!r->part && !(r->part = malloc(SIPC_REC_MAX_BODY)))
                return SIPC_ENOMEM;
            size_t take = r->body_len - r->part_have;
            if (take > len)
                take = len;
            memcpy(r->part + r->part_have, data, take);
            r->part_have += take;
            data += take;
            len -= take;
            if (r->part_have < r->body_len)
                break;
            body = r->part;
        }
        r->hdr_have = 0;
        r->part_have = 0;
        int rc = open_record(r, r->hdr[0], body, r->body_len, dest, fn, arg, alert, peer_alert);
        if (rc != 0)
            return rc;
    }
    return r->closed ? SIPC_ECLOSED : 0;
}

int sipc_rec_open(sipc_tls_rec *r, const uint8_t *data, size_t len, sipc_rec_dest_fn dest,
                  sipc_rec_data_fn fn, void *arg, int *alert, int *peer_alert)
{
    *alert = 0;
    *peer_alert = 0;
    if (r->failed)
        return SIPC_ETLS; /* the alert went out with the first failure */
    int rc = open_records(r, data, len, dest, fn, arg, alert, peer_alert);
    if (rc == SIPC_ETLS || rc == SIPC_ENOMEM)
        r->failed = 1; /* the stream is out of step: nothing after this opens */
    return rc;
}

int sipc_rec_failed(const sipc_tls_rec *r)
{
    return r->failed;
}

uint64_t sipc_rec_key_blocks(const sipc_tls_rec *r)
{
    return r->wblocks > r->rblocks ? r->wblocks : r->rblocks;
}

size_t sipc_rec_buffered(const sipc_tls_rec *r)
{
    return r->part ? SIPC_REC_MAX_BODY : 0;
}

size_t sipc_rec_trimmable(const sipc_tls_rec *r)
{
    return r->part && !r->part_have ? SIPC_REC_MAX_BODY : 0;
}

size_t sipc_rec_trim(sipc_tls_rec *r)
{
    if (!r->part || r->part_have)
        return 0;
    free(r->part);
    r->part = NULL;
    return SIPC_REC_MAX_BODY;
}

/* ------------------------------------------------------------ scanning */

size_t sipc_rec_scan_limit(const sipc_rec_scan *s, size_t n)
{
    size_t room = s->hdr_have < SIPC_REC_HEADER ? SIPC_REC_HEADER - s->hdr_have : s->body_left;
    return n < room ? n : room;
}

void sipc_rec_scan_feed(sipc_rec_scan *s, const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (s->hdr_have < SIPC_REC_HEADER) {
            if (!header_gather(s->hdr, &s->hdr_have, &p, &n))
                return;
            if (s->hdr[0] < SIPC_REC_CCS || s->hdr[0] > SIPC_REC_DATA)
                s->bad = 1;
            s->body_left = sipc_be16_get(s->hdr + 3);
            s->body_seen = 0;
            if (s->after_ccs)
                s->nonce_ok = 0;
            if (s->body_left == 0) {
                s->hdr_have = 0;
                if (s->hdr[0] == SIPC_REC_CCS)
                    s->bad = 1; /* a CCS has one byte */
            }
            continue;
        }
        size_t take = s->body_left < n ? s->body_left : n;
        if (s->after_ccs) {
            for (size_t i = 0; i < take && s->body_seen + i < sizeof s->nonce; i++)
                s->nonce[s->body_seen + i] = p[i];
            if (s->body_seen + take >= sizeof s->nonce)
                s->nonce_ok = 1;
        }
        s->body_seen += take;
        s->body_left -= take;
        p += take;
        n -= take;
        if (s->body_left == 0) {
            if (s->hdr[0] == SIPC_REC_CCS)
                s->after_ccs = 1;
            s->hdr_have = 0;
        }
    }
}

int sipc_rec_scan_at_boundary(const sipc_rec_scan *s)
{
    return !s->bad && s->hdr_have == 0;
}

uint64_t sipc_rec_scan_next_nonce(const sipc_rec_scan *s)
{
    return sipc_be64_get(s->nonce) + 1;
}
