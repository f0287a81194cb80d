/* tls_wolfssl.c - the TLS engine on wolfSSL: TLS 1.2 only, mutual
 * authentication on both sides, ECDHE with AEAD suites, driven entirely from
 * memory through wolfSSL's custom I/O callbacks (never wolfSSL_set_fd on a
 * socket libuv owns). Peer certificates are judged by the verify callback of
 * the configuration (sipc's one verifier, wired in by ipc/security.c), which
 * decides the path; wolfSSL's own checks still refuse a peer for what lies
 * outside the path (see verify_cb). */
#include <wolfssl/options.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "base/endian.h"
#include "base/hex.h"
#include "base/str_copy.h"
#include "base/time_text.h"
#include "sipc/errno.h"
#include "transport/tls_ecdsa_own.h"
#include "transport/tls_ecdsa_sign.h"
#include "transport/tls_engine.h"
#include "transport/tls_failure_text.h"
#include "transport/tls_hello.h"
#include "transport/tls_record.h"
#include "transport/tls_sha256_dev.h"
#include "transport/tls_alert.h"
#include "transport/tls_verify_codes.h"

/* The record layer of tls_record.c takes application data over from
 * wolfSSL once the handshake is done; it needs the negotiated keys and
 * sequence numbers, which wolfSSL exports with ATOMIC_USER (the bundled build
 * and Debian's libwolfssl both have it). Without it wolfSSL keeps the
 * records. */
#if defined(ATOMIC_USER) && defined(WORD64_AVAILABLE)
#define SIPC_TLS_DIRECT 1
#else
#define SIPC_TLS_DIRECT 0
#endif

/* The ECDHE key of the next full handshake is made while this side waits
 * for its peer (ecdhe_spare_make), through wolfSSL's key-generation
 * callback; both builds have public-key callbacks. */
#if defined(HAVE_PK_CALLBACKS) && defined(HAVE_ECC) && defined(HAVE_ECC_KEY_EXPORT) &&         \
    defined(HAVE_ECC_KEY_IMPORT)
#define SIPC_TLS_ECDHE_SPARE 1
#else
#define SIPC_TLS_ECDHE_SPARE 0
#endif

#if defined(HAVE_SESSION_TICKET)
#define SIPC_TLS_RESUME 1
/* Sessions a client keeps for resumption, one per peer address. */
#define SIPC_TLS_SESSIONS 64
/* How long a ticket may be used after the full handshake that verified the
 * peer, how long a ticket key seals, and how long a client keeps a session;
 * everything also dies with the configuration, which is replaced on every
 * reload of the pair or the trust. */
#define SIPC_TLS_TICKET_SECS 300
#define SIPC_TLS_TICKET_NS ((uint64_t)SIPC_TLS_TICKET_SECS * 1000000000u)
#define SIPC_TICKET_KEY 32 /* AES-256-GCM */
#define SIPC_TICKET_FP 32  /* the peer certificate's SHA-256, after the ticket */
/* The verdict's last second (big-endian) rides in the ticket's MAC field
 * after the 16-byte AES-GCM tag, authenticated as additional data: wolfSSL
 * leaves room for only 32 more bytes inside the encrypted part, and the
 * time is no secret (TLS 1.2 sends the certificate in the clear). */
#define SIPC_TICKET_UNTIL 8
#define SIPC_TICKET_TAG 16
_Static_assert(SIPC_TICKET_TAG + SIPC_TICKET_UNTIL <= WOLFSSL_TICKET_MAC_SZ,
               "the ticket's MAC field holds the tag and the time");

typedef struct sipc_tls_session {
    char peer[64];           /* "" = free slot */
    WOLFSSL_SESSION *sess;   /* holds the ticket */
    char peer_fp[65];        /* the server judged in the full handshake */
    int64_t until;           /* ... and the last second its verdict holds (0: unbounded) */
    uint64_t born;           /* uv_hrtime() ns */
} sipc_tls_session;

typedef struct sipc_ticket_key {
    uint8_t name[WOLFSSL_TICKET_NAME_SZ];
    uint8_t key[SIPC_TICKET_KEY];
    uint64_t born;      /* uv_hrtime() ns; 0: none (never made, or wiped) */
    uint64_t seal_end;  /* seals before this: born + a lifetime, sooner if replaced */
    uint64_t last_seal; /* when it last sealed a ticket (0: never) */
} sipc_ticket_key;
#endif

#if SIPC_TLS_ECDHE_SPARE
/* A P-256 key pair for one ECDHE exchange, made ahead. */
typedef struct sipc_ecdhe_spare {
    uint8_t priv[32];
    uint8_t pub[65]; /* uncompressed point */
    unsigned long forks; /* sipc_tls_forks when made: a forked child must not reuse it */
} sipc_ecdhe_spare;
#endif

struct sipc_tls_config {
    WOLFSSL_CTX *srv;
    WOLFSSL_CTX *cli;
    sipc_tls_verify_fn verify;
    void *verify_arg;
#if SIPC_TLS_RESUME
    /* server: this configuration's ticket keys (random, never leave memory).
     * A key seals for at most SIPC_TLS_TICKET_SECS after it is made (a new
     * one is made when the next ticket is sealed); it opens tickets until a
     * lifetime after the last one it sealed, and is wiped then
     * (expire_locked: at every seal, open and offer, and from the timer of
     * each context using it through sipc_tls_config_expire), whether or not
     * anything seals or opens meanwhile. So no key is in memory longer than
     * two lifetimes after it was made, and a key read from memory (or a
     * core) at any moment opens only tickets sealed in the two lifetimes
     * (ten minutes) before: the sessions of those full handshakes. */
    sipc_ticket_key tk[2];
    int tk_cur;
    /* client: sessions to resume, by peer, each dropped and freed (its
     * master secret wiped by wolfSSL) a lifetime after the full handshake
     * that made it, by the same expiry; the lock because a security (and
     * with it this configuration) may serve loops in several threads */
    uv_mutex_t lock;
    int lock_ok;
    sipc_tls_session sessions[SIPC_TLS_SESSIONS];
    unsigned next_slot;
    int no_resume; /* set before use: clients offer nothing, servers issue no tickets */
#endif
    int no_direct; /* set before use: wolfSSL keeps the records after the handshake */
    /* Signatures made with our own key (a peer of the same cluster) are
     * verified with it (tls_ecdsa_own.h); NULL when our key is not P-256. */
    sipc_ecdsa_own *own;
    /* What this side signs its key exchange with, to refuse a ClientHello
     * offering no signature algorithm for it (0: unknown, not refused). */
    int key_alg;        /* SIPC_TLS_KEY_ECDSA, SIPC_TLS_KEY_RSA (tls_hello.h) */
    int key_bytes;      /* ECDSA: the curve's size (32 P-256, 48 P-384); 0 otherwise */
    char key_desc[24];  /* "ECDSA P-256", "RSA 2048" */
    int64_t not_before, not_after; /* our chain's validity (both 0: unknown) */
    char not_before_of[256], not_after_of[256]; /* the issuer bounding it, "" the leaf */
#if SIPC_TLS_ECDHE_SPARE
    /* The next full handshake's P-256 ECDHE key, made after the last one
     * took it, once that side's flight had left (sipc_tls_after_output): the
     * key generation then overlaps the peer's work instead of delaying
     * this side's next flight. Taken by one handshake only (an atomic
     * exchange: a configuration may serve loops in several threads), and
     * wiped when taken, replaced or freed; NULL until a full handshake has
     * made an ECDHE key through this configuration. */
    _Atomic(sipc_ecdhe_spare *) spare;
    atomic_ulong spares_used;
    atomic_int forgotten; /* sipc_tls_config_forget: no key is made ahead any more */
#endif
};

/* Enough for any ClientHello a TLS 1.2 or 1.3 client sends in practice. */
#define SIPC_TLS_HELLO_KEEP 4096

struct sipc_tls {
    WOLFSSL *ssl;
    sipc_tls_config *cfg;
    sipc_buf *tx;
    const uint8_t *in; /* ciphertext not yet consumed by wolfSSL */
    size_t in_len;
    int is_server;
    int hs_done;
    int peer_closed;
    int vfy_rejected;  /* our verifier refused the peer */
    int vfy_accepted;  /* our verifier accepted the whole chain */
    int tx_failed;
    int resumed;       /* abbreviated handshake: the session was resumed */
    int offered;       /* client: offered a session of an earlier connection */
    char offered_fp[65]; /* ... and the print of the server it was made with */
    uint64_t offered_born; /* ... and when (which kept session it was) */
    int ticket_ok;     /* server: the client's ticket opened (peer_fp from it) */
    int resume_failed; /* ... and the handshake failed: session forgotten */
    int ticket_refused; /* server: a ticket came and did not open */
    int resume_refused; /* the handshake failed only because the session offered was refused */
    char peer_key[64]; /* client: the peer's address, the session cache key */
    char peer_name[64]; /* the peer's address for messages ("" unknown) */
    sipc_tls_window_fn window; /* where plaintext should land, if anywhere */
    void *window_arg;
    /* Server: the first bytes of the peer's handshake, kept until it
     * completes, to explain a refused ClientHello (tls_hello.h). */
    uint8_t *hello;
    size_t hello_len;
    int hello_checked; /* the whole ClientHello was read and looked at */
    int rx_seen;       /* client: the server has sent something */
    int tx_seen;       /* wolfSSL has written something (a server: its first flight) */
    int hello_refused; /* ... and it began with an alert: our ClientHello was refused */
    char detail[1024];
    char peer_fp[65];
    int64_t vfy_until; /* the verifier's acceptance holds until then (0: unbounded) */
    int vfy_alert;     /* the alert its refusal is sent with (tls_alert.h) */
    /* Application data after the handshake (tls_record.h), and until then
     * the record boundaries of both directions, so that wolfSSL is handed
     * whole records only and the hand-over happens between two records. */
    sipc_tls_rec *rec;
    sipc_rec_scan rx_scan, tx_scan;
    int rx_bounded; /* feed wolfSSL up to the end of the current record only */
    /* Server resuming a session: rec seals from right after this side's
     * Finished, while wolfSSL still reads the client's (sipc_tls_writable). */
    int early;
    int hs_failed; /* the handshake failed: nothing more is sealed */
    int want_spare; /* made or took a P-256 ECDHE key: make the next one ahead */
    uint64_t wolf_records; /* read or written through wolfSSL: the count where its
                              sequence numbers cannot be read (no ATOMIC_USER) */
};

/* AES-GCM first when this build has AES-NI, else ChaCha20-Poly1305 is the
 * faster AEAD. ECDHE only; no CBC, no static RSA. */
#if defined(WOLFSSL_AESNI)
#define SIPC_CIPHERS                                                                      \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                          \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                          \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#else
#define SIPC_CIPHERS                                                                      \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                          \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                          \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"
#endif

const char *sipc_tls_cipher_list(void)
{
    return SIPC_CIPHERS;
}

const char *sipc_tls_engine_version(void)
{
    return "wolfSSL " LIBWOLFSSL_VERSION_STRING
#if defined(WOLFSSL_AESNI)
           " aesni"
#endif
#if defined(USE_INTEL_SPEEDUP)
           " intelasm"
#endif
#if defined(WOLFSSL_SP_X86_64_ASM)
           " sp-asm"
#endif
#if !defined(WOLFSSL_AESNI) && !defined(USE_INTEL_SPEEDUP)
           " (no assembly)"
#endif
#if SIPC_TLS_SHA256_DEV
           " sha256-dev" /* SHA-256 on the CPU's SHA extensions where it has them */
#endif
#if SIPC_TLS_DIRECT
           " sipc-records" /* application data through tls_record.c */
#endif
#if SIPC_TLS_ECDSA_OWN
           " ecdsa-own" /* our own key's signatures verified with it */
#endif
#if SIPC_TLS_ECDHE_SPARE
           " ecdhe-ahead" /* the next full handshake's P-256 ECDHE key made ahead */
#endif
        SIPC_TLS_ECDSA_NONCE_WORD; /* the nonces of our P-256 key's signatures */
}

static uv_once_t init_once = UV_ONCE_INIT;
static int init_result;

#if SIPC_TLS_ECDHE_SPARE
/* Counts the forks of this process and its ancestors (the child's copy is
 * one more than the parent's): a key made ahead in a parent is never taken
 * in a child, whatever pid either has later. */
static atomic_ulong sipc_tls_forks;
static void count_fork(void) { atomic_fetch_add(&sipc_tls_forks, 1); }
#endif

static void init_wolfssl(void)
{
#if SIPC_TLS_ECDHE_SPARE
    if (pthread_atfork(NULL, NULL, count_fork) != 0) {
        init_result = -1;
        return;
    }
#endif
    init_result = wolfSSL_Init() == WOLFSSL_SUCCESS ? 0 : -1;
    if (init_result == 0)
        (void)sipc_tls_sha256_dev_register(); /* else wolfCrypt's SHA-256 */
}

/* Any thread may be the first to make a security object. */
static int once_init(void)
{
    uv_once(&init_once, init_wolfssl);
    return init_result;
}

/* ---- memory I/O ---- */

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    sipc_tls *t = ctx;
    if (t->in_len == 0)
        return WOLFSSL_CBIO_ERR_WANT_READ;
    size_t n = (size_t)sz < t->in_len ? (size_t)sz : t->in_len;
    if (t->rx_bounded) {
        n = sipc_rec_scan_limit(&t->rx_scan, n);
        sipc_rec_scan_feed(&t->rx_scan, t->in, n);
    }
    memcpy(buf, t->in, n);
    t->in += n;
    t->in_len -= n;
    return (int)n;
}

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    sipc_tls *t = ctx;
    /* Once sipc has sealed a record under the session's keys, a record of
     * wolfSSL's would repeat a sequence number, and with it an AES-GCM
     * nonce: dropped. Only an early server's failing handshake gets here
     * (its alert), and handshake_failed() seals that alert itself. */
    if (t->rec)
        return sz;
    uint8_t recoded[7];
    if (t->vfy_rejected && sipc__tls_alert_recode((const uint8_t *)buf, (size_t)sz, t->vfy_alert,
                                                   recoded))
        buf = (char *)recoded;
    if (!t->hs_done)
        sipc_rec_scan_feed(&t->tx_scan, (const uint8_t *)buf, (size_t)sz);
    t->tx_seen = 1;
    /* Always take everything: the stream applies backpressure on tx's size. */
    if (sipc_buf_append(t->tx, buf, (size_t)sz) != 0) {
        t->tx_failed = 1;
        return WOLFSSL_CBIO_ERR_GENERAL;
    }
    return sz;
}

/* ---- verification: the verify callback decides the path, wolfSSL the rest */

static void fingerprint_hex(const uint8_t *der, size_t len, char out[65])
{
    uint8_t h[WC_SHA256_DIGEST_SIZE];
    out[0] = '\0';
    if (wc_Sha256Hash(der, (word32)len, h) != 0)
        return;
    sipc_hex_lower(h, sizeof h, out);
}

/* Hands chain to the configuration's verifier; 0 accepted. */
static int judge_chain(sipc_tls *t, const sipc_tls_der *chain, int n)
{
    fingerprint_hex(chain[0].data, chain[0].len, t->peer_fp);
    char why[900];
    why[0] = '\0';
    t->vfy_until = 0;
    t->vfy_alert = SIPC_TLS_REFUSE_BAD;
    if (t->cfg->verify(t->cfg->verify_arg, chain, n, t->is_server, &t->vfy_until, &t->vfy_alert,
                       why, sizeof why) != 0) {
        t->vfy_rejected = 1;
        snprintf(t->detail, sizeof t->detail, "peer certificate rejected: %s",
                 why[0] ? why : "refused by the verifier");
        return SIPC_EPEERAUTH;
    }
    t->vfy_accepted = 1;
    return 0;
}

/* wolfSSL calls this for every certificate of the peer's chain, from the
 * top, and always for the leaf (WOLFSSL_ALWAYS_VERIFY_CB); store->certs is
 * the whole chain as the peer sent it, leaf first. sipc's verifier judges
 * that chain and is the authority on the path; wolfSSL's preverify counts
 * only for errors outside it (sipc__tls_path_error_overridable). */
static int verify_cb(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
    sipc_tls *t = store ? store->userCtx : NULL;
    if (!t)
        return 0; /* fail closed */
    if (store->totalCerts <= 0 || !store->certs)
        return preverify; /* no certificate: FAIL_IF_NO_PEER_CERT decides */
    if (t->vfy_rejected)
        return 0;
    /* Intermediate links wolfSSL accepted: judge the whole chain at depth 0. */
    if (preverify && store->error_depth > 0)
        return 1;

    /* a wolfSSL built with a larger MAX_CHAIN_DEPTH gives more than sipc
     * takes: said so, never judged cut (it would look incomplete) */
    int n = store->totalCerts;
    if (n > SIPC_TLS_MAX_CHAIN) {
        t->vfy_rejected = 1;
        fingerprint_hex(store->certs[0].buffer, store->certs[0].length, t->peer_fp);
        snprintf(t->detail, sizeof t->detail,
                 "peer certificate rejected: the chain has more than %d certificates; sipc "
                 "accepts at most %d; fix: present only the certificate and the CAs above it",
                 SIPC_TLS_MAX_CHAIN, SIPC_TLS_MAX_CHAIN);
        return 0;
    }
    sipc_tls_der chain[SIPC_TLS_MAX_CHAIN];
    for (int i = 0; i < n; i++) {
        chain[i].data = store->certs[i].buffer;
        chain[i].len = store->certs[i].length;
    }
    if (judge_chain(t, chain, n) != 0)
        return 0;
    if (!preverify && !sipc__tls_path_error_overridable(store->error)) {
        /* Refused by wolfSSL for a reason outside the path: never report success. */
        t->vfy_accepted = 0;
        const char *why = sipc__tls_verify_error_text(store->error);
        t->vfy_rejected = 1;
        if (why)
            snprintf(t->detail, sizeof t->detail,
                     "peer certificate rejected by the TLS library: %s (sipc's verifier accepted "
                     "the chain)",
                     why);
        else
            snprintf(t->detail, sizeof t->detail,
                     "peer certificate rejected by the TLS library (wolfSSL error %d; sipc's "
                     "verifier accepted the chain)",
                     store->error);
        return 0;
    }
    /* At depth > 0 this CA stays out of wolfSSL's store of signers: with
     * WOLFSSL_ALT_CERT_CHAINS a CA it refused is not registered (without
     * it, wolfSSL would try to, fail on a critical extension it does not
     * process and abort the handshake), so it finds no signer for the
     * certificates below, an error overruled the same way; the verdict is
     * the verifier's again at depth 0. */
    return 1;
}

/* After the handshake: if the callback never judged the chain (a build
 * without WOLFSSL_ALWAYS_VERIFY_CB calls it only on failure), judge it now
 * from the session's copy; without one, fail closed. */
static int verify_after_handshake(sipc_tls *t)
{
    if (t->vfy_accepted)
        return 0;
#if defined(SESSION_CERTS)
    WOLFSSL_X509_CHAIN *ch = wolfSSL_get_peer_chain(t->ssl);
    int n = ch ? wolfSSL_get_chain_count(ch) : 0;
#else
    /* the bundled build keeps no session copy of the chain (it would cost
       18 KiB per connection) and always calls the callback */
    int n = 0;
#endif
    if (n <= 0) {
        snprintf(t->detail, sizeof t->detail,
                 "peer certificate could not be verified: the TLS library kept no copy of it");
        return SIPC_EPEERAUTH;
    }
#if defined(SESSION_CERTS)
    sipc_tls_der chain[SIPC_TLS_MAX_CHAIN];
    if (n > SIPC_TLS_MAX_CHAIN)
        n = SIPC_TLS_MAX_CHAIN;
    for (int i = 0; i < n; i++) {
        chain[i].data = wolfSSL_get_chain_cert(ch, i);
        chain[i].len = (size_t)wolfSSL_get_chain_length(ch, i);
    }
    return judge_chain(t, chain, n) == 0 ? 0 : SIPC_EPEERAUTH;
#else
    return SIPC_EPEERAUTH;
#endif
}

/* ---- session resumption (TLS 1.2 session tickets) ----
 *
 * Server: tickets are sealed with AES-256-GCM under a random key, a new one
 * every lifetime, each wiped once no ticket it sealed can still be used
 * (struct sipc_tls_config); the peer certificate's fingerprint rides inside
 * (in the room wolfSSL leaves after its own ticket), since on resumption
 * there is no certificate to judge. A ticket of another configuration (an
 * older pair or trust, another process) does not open and is refused, and
 * the peer gets a full handshake. Client: the session of the last full
 * handshake with each peer address is offered on the next connection to
 * it; if that handshake fails the session is dropped, so the next
 * connection makes a full handshake (wolfSSL 5.5.4 fails such a client
 * with OUT_OF_ORDER_E instead of falling back by itself). */

#if SIPC_TLS_RESUME
static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* hex: lowercase, as sipc_hex_lower writes it */
static int hex_to_bin(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hi < 0 ? -1 : hex_digit(hex[2 * i + 1]);
        if (lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* Seals (enc) or opens a ticket in place with key; the key name and IV are
 * authenticated with it. 0 on success. */
/* mac: the tag, then the rest of the field, authenticated too */
static int ticket_aead(const uint8_t key[SIPC_TICKET_KEY], int enc, const uint8_t *name,
                       const uint8_t *iv, uint8_t *data, int len, uint8_t *mac)
{
    uint8_t aad[WOLFSSL_TICKET_NAME_SZ + WOLFSSL_TICKET_IV_SZ + WOLFSSL_TICKET_MAC_SZ -
                SIPC_TICKET_TAG];
    uint8_t *tag = mac;
    memcpy(aad, name, WOLFSSL_TICKET_NAME_SZ);
    memcpy(aad + WOLFSSL_TICKET_NAME_SZ, iv, WOLFSSL_TICKET_IV_SZ);
    /* everything in the MAC field after the tag: the time, then zeros */
    memcpy(aad + WOLFSSL_TICKET_NAME_SZ + WOLFSSL_TICKET_IV_SZ, mac + SIPC_TICKET_TAG,
           WOLFSSL_TICKET_MAC_SZ - SIPC_TICKET_TAG);
    Aes aes;
    if (wc_AesInit(&aes, NULL, INVALID_DEVID) != 0)
        return -1;
    int r = wc_AesGcmSetKey(&aes, key, SIPC_TICKET_KEY);
    if (r == 0 && enc)
        r = wc_AesGcmEncrypt(&aes, data, data, (word32)len, iv, 12, tag, 16, aad, sizeof aad);
    else if (r == 0)
        r = wc_AesGcmDecrypt(&aes, data, data, (word32)len, iv, 12, tag, 16, aad, sizeof aad);
    wc_AesFree(&aes);
    explicit_bzero(&aes, sizeof aes); /* its key schedule is the ticket key */
    return r == 0 ? 0 : -1;
}

static int ticket_key_make(sipc_ticket_key *k, uint64_t now)
{
    explicit_bzero(k, sizeof *k);
    if (wolfSSL_RAND_bytes(k->name, sizeof k->name) != WOLFSSL_SUCCESS ||
        wolfSSL_RAND_bytes(k->key, sizeof k->key) != WOLFSSL_SUCCESS) {
        explicit_bzero(k, sizeof *k);
        return -1;
    }
    k->born = now;
    k->seal_end = now + SIPC_TLS_TICKET_NS;
    return 0;
}

/* When k can no longer open any ticket: once it seals no more, and a
 * lifetime after the last ticket it sealed (wolfSSL refuses that ticket
 * then anyway). */
static uint64_t ticket_key_death(const sipc_ticket_key *k)
{
    uint64_t d = k->last_seal ? k->last_seal + SIPC_TLS_TICKET_NS : 0;
    return d > k->seal_end ? d : k->seal_end;
}

/* Client: a kept session no longer to offer (too old, or a date the
 * server's verdict rested on has passed). */
static int session_expired(const sipc_tls_session *e, uint64_t now, int64_t wall)
{
    return now >= e->born + SIPC_TLS_TICKET_NS || (e->until != 0 && wall > e->until);
}

static void session_clear(sipc_tls_session *e)
{
    if (e->sess)
        wolfSSL_SESSION_free(e->sess); /* wipes its master secret */
    memset(e, 0, sizeof *e);
}

/* Under cfg->lock: wipes the ticket keys that can no longer open a ticket
 * and frees the client sessions no longer to offer, at now (uv_hrtime()
 * ns). Deaths are driven by time, not by traffic: a quiet node keeps
 * nothing past its time as long as this runs. Returns how many it wiped;
 * *next: when the next one is due, at most a lifetime away (nothing made
 * from now on dies sooner). */
static int expire_locked(sipc_tls_config *cfg, uint64_t now, uint64_t *next)
{
    int n = 0;
    uint64_t due = now + SIPC_TLS_TICKET_NS;
    int64_t wall = (int64_t)time(NULL); /* verdicts end in Unix seconds */
    for (int i = 0; i < 2; i++) {
        sipc_ticket_key *k = &cfg->tk[i];
        if (!k->born)
            continue;
        uint64_t d = ticket_key_death(k);
        if (now >= d) {
            explicit_bzero(k, sizeof *k);
            n++;
        } else if (d < due) {
            due = d;
        }
    }
    for (int i = 0; i < SIPC_TLS_SESSIONS; i++) {
        sipc_tls_session *e = &cfg->sessions[i];
        if (!e->peer[0])
            continue;
        if (session_expired(e, now, wall)) {
            session_clear(e);
            n++;
        } else if (e->born + SIPC_TLS_TICKET_NS < due) {
            due = e->born + SIPC_TLS_TICKET_NS;
        }
    }
    if (next)
        *next = due;
    return n;
}

/* Under cfg->lock, after expire_locked: the key that seals now; a new one
 * once the current one is a lifetime old (the old one, which may still
 * open, becomes the one before; the one before that is dead by then, see
 * ticket_key_death). NULL when no random numbers are to be had. */
static sipc_ticket_key *ticket_key_sealing(sipc_tls_config *cfg, uint64_t now)
{
    sipc_ticket_key *cur = &cfg->tk[cfg->tk_cur];
    if (cur->born && now < cur->seal_end)
        return cur;
    sipc_ticket_key *next = &cfg->tk[cfg->tk_cur ^ 1];
    if (ticket_key_make(next, now) != 0)
        return NULL;
    cfg->tk_cur ^= 1;
    return next;
}

/* Under cfg->lock, after expire_locked: the key named name, if it still
 * lives (a key lives while it may open a ticket it sealed). NULL
 * otherwise. */
static const sipc_ticket_key *ticket_key_opening(const sipc_tls_config *cfg, const uint8_t *name)
{
    for (int i = 0; i < 2; i++) {
        const sipc_ticket_key *k = &cfg->tk[cfg->tk_cur ^ i];
        if (k->born && memcmp(name, k->name, WOLFSSL_TICKET_NAME_SZ) == 0)
            return k;
    }
    return NULL;
}

/* The client then makes a full handshake, or gives up (map_error). */
static int ticket_refuse(sipc_tls *t)
{
    t->ticket_refused = 1;
    return WOLFSSL_TICKET_RET_REJECT;
}

static int ticket_cb(WOLFSSL *ssl, unsigned char name[WOLFSSL_TICKET_NAME_SZ],
                     unsigned char iv[WOLFSSL_TICKET_IV_SZ],
                     unsigned char mac[WOLFSSL_TICKET_MAC_SZ], int enc, unsigned char *ticket,
                     int in_len, int *out_len, void *ctx)
{
    sipc_tls_config *cfg = ctx;
    sipc_tls *t = wolfSSL_GetIOReadCtx(ssl);
    if (!t || !cfg)
        return WOLFSSL_TICKET_RET_REJECT;
    if (enc) {
        /* only for a peer our verifier accepted, with room for its print
         * and until when the verdict holds */
        if (!t->vfy_accepted || in_len + SIPC_TICKET_FP > *out_len ||
            hex_to_bin(t->peer_fp, ticket + in_len, SIPC_TICKET_FP) != 0)
            return WOLFSSL_TICKET_RET_FATAL;
        uint8_t key[SIPC_TICKET_KEY];
        uint64_t now = uv_hrtime();
        uv_mutex_lock(&cfg->lock);
        (void)expire_locked(cfg, now, NULL);
        sipc_ticket_key *k = ticket_key_sealing(cfg, now);
        if (k) {
            k->last_seal = now; /* it opens this ticket until a lifetime from now */
            memcpy(name, k->name, WOLFSSL_TICKET_NAME_SZ);
            memcpy(key, k->key, sizeof key);
        }
        uv_mutex_unlock(&cfg->lock);
        if (!k)
            return WOLFSSL_TICKET_RET_FATAL;
        memset(mac, 0, WOLFSSL_TICKET_MAC_SZ);
        sipc_be64_put(mac + SIPC_TICKET_TAG, (uint64_t)t->vfy_until);
        int len = in_len + SIPC_TICKET_FP;
        int r = wolfSSL_RAND_bytes(iv, WOLFSSL_TICKET_IV_SZ) == WOLFSSL_SUCCESS
                    ? ticket_aead(key, 1, name, iv, ticket, len, mac)
                    : -1;
        explicit_bzero(key, sizeof key);
        if (r != 0)
            return WOLFSSL_TICKET_RET_FATAL;
        *out_len = len;
        return WOLFSSL_TICKET_RET_OK;
    }
    /* open: ours, intact, carrying a fingerprint, its verdict still valid */
    if (in_len <= SIPC_TICKET_FP)
        return ticket_refuse(t);
    uint8_t key[SIPC_TICKET_KEY];
    uv_mutex_lock(&cfg->lock);
    (void)expire_locked(cfg, uv_hrtime(), NULL);
    const sipc_ticket_key *k = ticket_key_opening(cfg, name);
    if (k)
        memcpy(key, k->key, sizeof key);
    uv_mutex_unlock(&cfg->lock);
    if (!k)
        return ticket_refuse(t);
    int r = ticket_aead(key, 0, name, iv, ticket, in_len, mac);
    explicit_bzero(key, sizeof key);
    if (r != 0)
        return ticket_refuse(t);
    *out_len = in_len - SIPC_TICKET_FP;
    uint64_t u = sipc_be64_get(mac + SIPC_TICKET_TAG);
    if (u != 0 && (int64_t)time(NULL) > (int64_t)u)
        return ticket_refuse(t); /* a date it rested on has passed: judge again */
    sipc_hex_lower(ticket + *out_len, SIPC_TICKET_FP, t->peer_fp);
    t->ticket_ok = 1; /* the peer was judged when the ticket was issued */
    return WOLFSSL_TICKET_RET_OK;
}

static int resume_setup(sipc_tls_config *cfg)
{
    if (ticket_key_make(&cfg->tk[0], uv_hrtime()) != 0)
        return -1;
    cfg->tk_cur = 0;
    if (uv_mutex_init(&cfg->lock) != 0)
        return -1;
    cfg->lock_ok = 1;
    /* returns the old timeout in builds with OpenSSL's error codes (Debian's) */
    (void)wolfSSL_CTX_set_timeout(cfg->srv, SIPC_TLS_TICKET_SECS);
    if (wolfSSL_CTX_set_TicketEncCb(cfg->srv, ticket_cb) != WOLFSSL_SUCCESS ||
        wolfSSL_CTX_set_TicketEncCtx(cfg->srv, cfg) != WOLFSSL_SUCCESS ||
        wolfSSL_CTX_set_TicketHint(cfg->srv, SIPC_TLS_TICKET_SECS) != WOLFSSL_SUCCESS)
        return 1; /* no tickets after all: full handshakes */
    /* Clients ask for tickets per connection (session_offer), not on the
     * context: wolfSSL has no way to take the extension off a context again,
     * and a client that asks gets a ticket sealed for it, which one whose
     * resumption is off would only throw away. */
    return 0;
}

static void resume_off(sipc_tls_config *cfg)
{
    cfg->no_resume = 1;
    wolfSSL_CTX_NoTicketTLSv12(cfg->srv);
    /* nothing will be sealed: the key made for it opens nothing */
    explicit_bzero(cfg->tk, sizeof cfg->tk);
}

static void resume_free(sipc_tls_config *cfg)
{
    for (int i = 0; i < SIPC_TLS_SESSIONS; i++)
        if (cfg->sessions[i].sess)
            wolfSSL_SESSION_free(cfg->sessions[i].sess);
    if (cfg->lock_ok)
        uv_mutex_destroy(&cfg->lock);
    explicit_bzero(cfg->tk, sizeof cfg->tk);
}

static sipc_tls_session *session_find(sipc_tls_config *cfg, const char *peer)
{
    for (int i = 0; i < SIPC_TLS_SESSIONS; i++)
        if (cfg->sessions[i].peer[0] && strcmp(cfg->sessions[i].peer, peer) == 0)
            return &cfg->sessions[i];
    return NULL;
}

/* Client, before the ClientHello: ask for a ticket when a session could be
 * kept (resumption on, a peer to keep it for), and offer the peer's session
 * if one is kept and young enough. */
static void session_offer(sipc_tls *t)
{
    sipc_tls_config *cfg = t->cfg;
    if (!t->peer_key[0] || cfg->no_resume)
        return;
    if (wolfSSL_UseSessionTicket(t->ssl) != WOLFSSL_SUCCESS)
        return; /* no memory for the extension: a full handshake, no ticket */
    uv_mutex_lock(&cfg->lock);
    /* every session too old, or past a date the server's verdict rested
     * on, goes: this peer's and those of peers no longer dialled */
    (void)expire_locked(cfg, uv_hrtime(), NULL);
    sipc_tls_session *e = session_find(cfg, t->peer_key);
    if (e && wolfSSL_set_session(t->ssl, e->sess) == WOLFSSL_SUCCESS) {
        t->offered = 1;
        /* taken now: by the time this handshake ends, another connection
         * may have replaced or dropped the entry */
        sipc_str_copy(t->offered_fp, sizeof t->offered_fp, e->peer_fp);
        t->offered_born = e->born;
    }
    uv_mutex_unlock(&cfg->lock);
}

/* Client, handshake done: a full handshake leaves its session for the next
 * connection; a resumed one takes the peer's print noted when it offered
 * the session. */
static void session_done(sipc_tls *t)
{
    sipc_tls_config *cfg = t->cfg;
    if (!t->peer_key[0] || cfg->no_resume)
        return;
    uv_mutex_lock(&cfg->lock);
    sipc_tls_session *e = session_find(cfg, t->peer_key);
    if (wolfSSL_session_reused(t->ssl)) {
        /* only the session this connection offered can have resumed */
        if (t->offered && t->offered_fp[0]) {
            t->resumed = 1;
            sipc_str_copy(t->peer_fp, sizeof t->peer_fp, t->offered_fp);
        }
    } else if (t->vfy_accepted) {
        WOLFSSL_SESSION *s = wolfSSL_get1_session(t->ssl);
        if (s) {
            if (!e) {
                e = &cfg->sessions[cfg->next_slot++ % SIPC_TLS_SESSIONS];
            }
            session_clear(e);
            sipc_str_copy(e->peer, sizeof e->peer, t->peer_key);
            sipc_str_copy(e->peer_fp, sizeof e->peer_fp, t->peer_fp);
            e->until = t->vfy_until;
            e->sess = s;
            e->born = uv_hrtime();
        }
    }
    uv_mutex_unlock(&cfg->lock);
}

/* Client, handshake failed after offering a session: forget it, unless
 * another connection has since replaced it with a newer one. */
static void session_drop(sipc_tls *t)
{
    sipc_tls_config *cfg = t->cfg;
    uv_mutex_lock(&cfg->lock);
    sipc_tls_session *e = session_find(cfg, t->peer_key);
    if (e && e->born == t->offered_born)
        session_clear(e);
    uv_mutex_unlock(&cfg->lock);
    t->resume_failed = 1;
}
#endif

/* ---- contexts ---- */

static int der_chain_to_pem(const sipc_tls_params *p, sipc_buf *pem)
{
    for (int i = 0; i < p->nchain; i++) {
        int need = wc_DerToPem(p->chain[i].data, (word32)p->chain[i].len, NULL, 0, CERT_TYPE);
        if (need <= 0 || sipc_buf_reserve(pem, (size_t)need) != 0)
            return SIPC_ETLSCONFIG;
        int r = wc_DerToPem(p->chain[i].data, (word32)p->chain[i].len, pem->data + pem->len,
                            (word32)need, CERT_TYPE);
        if (r <= 0)
            return SIPC_ETLSCONFIG;
        pem->len += (size_t)r;
    }
    return 0;
}

#if SIPC_TLS_ECDSA_OWN
/* wolfSSL's ECDSA verifications for a connection (the ServerKeyExchange's
 * or CertificateVerify's signature, and those of the peer's certificates it
 * checks): with our own key when the signer's key is ours, else as wolfSSL
 * does them without a callback. */
static int ecc_verify_cb(WOLFSSL *ssl, const unsigned char *sig, unsigned int sig_len,
                         const unsigned char *hash, unsigned int hash_len,
                         const unsigned char *key_der, unsigned int key_len, int *result, void *arg)
{
    (void)ssl;
    if (sipc_ecdsa_own_verify(arg, key_der, key_len, sig, sig_len, hash, hash_len, result))
        return 0;
    ecc_key key;
    word32 idx = 0;
    int ret = wc_ecc_init(&key);
    if (ret == 0) {
        ret = wc_EccPublicKeyDecode(key_der, &idx, &key, key_len);
        if (ret == 0)
            ret = wc_ecc_verify_hash(sig, sig_len, hash, hash_len, result, &key);
        wc_ecc_free(&key);
    }
    return ret;
}
#endif

/* The algorithm and size of our own key (PKCS#8, SEC 1 or PKCS#1 DER):
 * mechanism, for the ClientHello's signature algorithms. Leaves *alg 0 for
 * anything else. */
static void key_kind(const sipc_tls_der *key, int *alg, int *curve_bytes, char *desc,
                     size_t desclen)
{
    *alg = 0;
    *curve_bytes = 0;
    desc[0] = '\0';
    if (key->len == 0 || key->len > 16384)
        return;
    uint8_t *der = malloc(key->len); /* wc_GetPkcs8TraditionalOffset takes a non-const buffer */
    if (!der)
        return;
    memcpy(der, key->data, key->len);
    word32 start = 0, idx;
    if (wc_GetPkcs8TraditionalOffset(der, &start, (word32)key->len) < 0)
        start = 0;
    ecc_key ec;
    if (wc_ecc_init(&ec) == 0) {
        idx = start;
        int bytes;
        if (wc_EccPrivateKeyDecode(der, &idx, &ec, (word32)key->len) == 0 &&
            (bytes = wc_ecc_size(&ec)) > 0) {
            *alg = SIPC_TLS_KEY_ECDSA;
            *curve_bytes = bytes;
            snprintf(desc, desclen, "ECDSA P-%d", bytes == 66 ? 521 : bytes * 8);
        }
        wc_ecc_free(&ec);
    }
    RsaKey rsa;
    if (!*alg && wc_InitRsaKey(&rsa, NULL) == 0) {
        idx = start;
        if (wc_RsaPrivateKeyDecode(der, &idx, &rsa, (word32)key->len) == 0) {
            *alg = SIPC_TLS_KEY_RSA;
            snprintf(desc, desclen, "RSA %d", wc_RsaEncryptSize(&rsa) * 8);
        }
        wc_FreeRsaKey(&rsa);
    }
    explicit_bzero(der, key->len);
    free(der);
}

#if SIPC_TLS_ECDHE_SPARE
static void ecdhe_spare_free(sipc_ecdhe_spare *sp)
{
    if (sp) {
        explicit_bzero(sp, sizeof *sp);
        free(sp);
    }
}

/* A fresh P-256 key pair from the connection's generator (seeded from the
 * kernel for this connection, so never shared with a forked parent). */
static sipc_ecdhe_spare *ecdhe_spare_make(WC_RNG *rng)
{
    sipc_ecdhe_spare *sp = malloc(sizeof *sp);
    ecc_key key;
    if (!sp || !rng || wc_ecc_init(&key) != 0) {
        free(sp);
        return NULL;
    }
    word32 publen = sizeof sp->pub, privlen = sizeof sp->priv;
    int r = wc_ecc_make_key_ex(rng, 32, &key, ECC_SECP256R1);
    if (r == 0)
        r = wc_ecc_export_x963(&key, sp->pub, &publen);
    if (r == 0)
        r = wc_ecc_export_private_only(&key, sp->priv, &privlen);
    wc_ecc_free(&key);
    if (r != 0 || publen != sizeof sp->pub || privlen != sizeof sp->priv) {
        ecdhe_spare_free(sp);
        return NULL;
    }
    sp->forks = atomic_load(&sipc_tls_forks);
    return sp;
}

/* wolfSSL's ECDHE key generation, the server's (ServerKeyExchange) and the
 * client's (ClientKeyExchange): a P-256 key made ahead if there is one, else
 * made now as wolfSSL would. */
static int ecc_keygen_cb(WOLFSSL *ssl, ecc_key *key, unsigned int size, int curve, void *arg)
{
    sipc_tls *t = arg;
    if (size == 32 && (curve == ECC_SECP256R1 || curve == ECC_CURVE_DEF)) {
        t->want_spare = 1;
        sipc_ecdhe_spare *sp = atomic_exchange(&t->cfg->spare, NULL);
        int ok = sp && sp->forks == atomic_load(&sipc_tls_forks) &&
                 wc_ecc_import_private_key_ex(sp->priv, sizeof sp->priv, sp->pub, sizeof sp->pub,
                                              key, ECC_SECP256R1) == 0;
        ecdhe_spare_free(sp);
        if (ok) {
            atomic_fetch_add(&t->cfg->spares_used, 1);
            return 0;
        }
    }
    return wc_ecc_make_key_ex(wolfSSL_GetRNG(ssl), (int)size, key, curve);
}
#endif

void sipc_tls_after_output(sipc_tls *t)
{
#if SIPC_TLS_ECDHE_SPARE
    if (!t->want_spare)
        return;
    t->want_spare = 0;
    if (atomic_load(&t->cfg->spare) || atomic_load(&t->cfg->forgotten))
        return;
    sipc_ecdhe_spare *sp = ecdhe_spare_make(wolfSSL_GetRNG(t->ssl)), *none = NULL;
    if (sp && !atomic_compare_exchange_strong(&t->cfg->spare, &none, sp))
        ecdhe_spare_free(sp); /* another thread's handshake made one first */
#else
    (void)t;
#endif
}

unsigned long sipc_tls_config_spares_used(const sipc_tls_config *cfg)
{
#if SIPC_TLS_ECDHE_SPARE
    return atomic_load(&((sipc_tls_config *)cfg)->spares_used);
#else
    (void)cfg;
    return 0;
#endif
}

static WOLFSSL_CTX *ctx_make(int server, const sipc_tls_params *p, const sipc_buf *chain_pem,
                             const sipc_ecdsa_own *own, char *err, size_t errlen)
{
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(server ? wolfTLSv1_2_server_method() : wolfTLSv1_2_client_method());
    if (!ctx) {
        snprintf(err, errlen, "cannot create TLS context");
        return NULL;
    }
    if (wolfSSL_CTX_use_certificate_chain_buffer(ctx, chain_pem->data, (long)chain_pem->len) !=
        WOLFSSL_SUCCESS) {
        snprintf(err, errlen, "this side's certificate could not be loaded");
        goto fail;
    }
    if (wolfSSL_CTX_use_PrivateKey_buffer(ctx, p->key.data, (long)p->key.len,
                                          WOLFSSL_FILETYPE_ASN1) != WOLFSSL_SUCCESS) {
        snprintf(err, errlen, "this side's private key could not be loaded");
        goto fail;
    }
    /* whether the key is the certificate's was judged before, by the certs
     * layer (sipc_keypair_check_match), on every path here: asking wolfSSL
     * again (wolfSSL_CTX_check_private_key) only costs a check per context */
    for (int i = 0; i < p->nanchors; i++) {
        const sipc_tls_der *a = &p->anchors[i];
        /* Dates are judged by the verify callback for every handshake, with a
         * clear reason; an expired anchor must not make the node unable to start. */
        if (wolfSSL_CTX_load_verify_buffer_ex(ctx, a->data, (long)a->len, WOLFSSL_FILETYPE_ASN1, 0,
                                              WOLFSSL_LOAD_FLAG_DATE_ERR_OKAY) != WOLFSSL_SUCCESS) {
            char fp[65];
            fingerprint_hex(a->data, a->len, fp);
            snprintf(err, errlen, "trusted certificate %s%s%.16s... could not be loaded as a trust anchor (is it a CA?)",
                     p->anchor_names && p->anchor_names[i] ? p->anchor_names[i] : "",
                     p->anchor_names && p->anchor_names[i] ? " " : "", fp);
            goto fail;
        }
#if defined(WOLFSSL_TRUST_PEER_CERT)
        /* A peer presenting an anchor itself (the cluster's shared
         * self-signed pair, pinned) is then not verified against that same
         * anchor by wolfSSL (an ECDSA verification, a fifth of a full
         * handshake's instructions): wolfSSL matches it by subject and
         * signature bytes only, but the verify callback is still called and
         * the verifier pins by the SHA-256 of the whole DER, checks its
         * dates, key and usage, and checks the signatures of anything that
         * is not that very certificate. Best effort: an anchor wolfSSL does
         * not take here (an expired one) is verified as before. */
        (void)wolfSSL_CTX_trust_peer_buffer(ctx, a->data, (long)a->len, WOLFSSL_FILETYPE_ASN1);
#endif
    }
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
    if (wolfSSL_CTX_set_cipher_list(ctx, SIPC_CIPHERS) != WOLFSSL_SUCCESS) {
        snprintf(err, errlen, "no AEAD cipher suite available in this wolfSSL build");
        goto fail;
    }
#if defined(OPENSSL_EXTRA)
    /* offered and asked for (CertificateRequest): wolfSSL's default adds RSA with
     * SHA-224, which it cannot verify (no SHA-224 hash of the handshake kept) */
    if (wolfSSL_CTX_set1_sigalgs_list(ctx, "ECDSA+SHA512:ECDSA+SHA384:ECDSA+SHA256:RSA-PSS+SHA512:"
            "RSA-PSS+SHA384:RSA-PSS+SHA256:RSA+SHA512:RSA+SHA384:RSA+SHA256") != WOLFSSL_SUCCESS) {
        snprintf(err, errlen, "cannot restrict the signature algorithms");
        goto fail;
    }
#endif
    /* The default client offers secp521r1 first; P-256 is what we want. */
    if (wolfSSL_CTX_UseSupportedCurve(ctx, WOLFSSL_ECC_SECP256R1) != WOLFSSL_SUCCESS ||
        wolfSSL_CTX_UseSupportedCurve(ctx, WOLFSSL_ECC_SECP384R1) != WOLFSSL_SUCCESS) {
        snprintf(err, errlen, "cannot restrict ECDHE curves");
        goto fail;
    }
#if defined(OPENSSL_EXTRA) && (defined(WOLFSSL_OLD_SET_CURVES_LIST) || !defined(WOLFSSL_TLS13))
    /* A TLS 1.2 server picks the client's first group it knows; only the
     * disabled set keeps it to P-256 and P-384 (a client offering P-521
     * first got a P-521 key exchange, and scanners list it). Debian's
     * libwolfssl has TLS 1.3, where this call refuses a TLS 1.2 context
     * (cmake/WolfSSL.cmake): there the client's preference still rules. */
    if (server && wolfSSL_CTX_set1_curves_list(ctx, "P-256:P-384") != WOLFSSL_SUCCESS) {
        snprintf(err, errlen, "cannot restrict the server's ECDHE curves");
        goto fail;
    }
#endif
    /* The session cache is process-wide and outlives a trust change: off. */
    wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
    wolfSSL_CTX_SetIORecv(ctx, io_recv);
    wolfSSL_CTX_SetIOSend(ctx, io_send);
#if SIPC_TLS_ECDSA_OWN
    if (own)
        wolfSSL_CTX_SetEccVerifyCb(ctx, ecc_verify_cb);
#endif
    sipc_ecdsa_sign_attach(ctx, own); /* RFC 6979 nonces, checked (tls_ecdsa_sign.h) */
#if SIPC_TLS_ECDHE_SPARE
    wolfSSL_CTX_SetEccKeyGenCb(ctx, ecc_keygen_cb);
#endif
    return ctx;
fail:
    wolfSSL_CTX_free(ctx);
    return NULL;
}

int sipc_tls_config_new(sipc_tls_config **out, const sipc_tls_params *params, char *err,
                        size_t errlen)
{
    assert(params && params->verify);
    if (once_init() != 0) {
        snprintf(err, errlen, "wolfSSL failed to initialise");
        return SIPC_ETLSCONFIG;
    }
    sipc_tls_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return SIPC_ENOMEM;
    sipc_buf pem = {0};
    if (der_chain_to_pem(params, &pem) != 0) {
        snprintf(err, errlen, "this side's certificate could not be encoded");
        goto fail;
    }
    cfg->verify = params->verify;
    cfg->verify_arg = params->verify_arg;
    cfg->not_before = params->not_before;
    cfg->not_after = params->not_after;
    snprintf(cfg->not_before_of, sizeof cfg->not_before_of, "%s",
             params->not_before_of ? params->not_before_of : "");
    snprintf(cfg->not_after_of, sizeof cfg->not_after_of, "%s",
             params->not_after_of ? params->not_after_of : "");
    key_kind(&params->key, &cfg->key_alg, &cfg->key_bytes, cfg->key_desc, sizeof cfg->key_desc);
    if (sipc_ecdsa_own_new(&cfg->own, params->key.data, params->key.len) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    cfg->srv = ctx_make(1, params, &pem, cfg->own, err, errlen);
    if (!cfg->srv)
        goto fail;
    cfg->cli = ctx_make(0, params, &pem, cfg->own, err, errlen);
    if (!cfg->cli)
        goto fail;
#if SIPC_TLS_RESUME
    int rs = resume_setup(cfg);
    if (rs < 0) {
        snprintf(err, errlen, "cannot set up TLS session tickets (no random numbers?)");
        goto fail;
    }
    if (rs > 0)
        resume_off(cfg);
#endif
    sipc_buf_free(&pem);
    *out = cfg;
    return 0;
fail:
    sipc_buf_free(&pem);
    sipc_tls_config_free(cfg);
    return SIPC_ETLSCONFIG;
}

void sipc_tls_config_free(sipc_tls_config *cfg)
{
    if (!cfg)
        return;
    if (cfg->srv)
        wolfSSL_CTX_free(cfg->srv); /* live WOLFSSL objects hold their own reference */
    if (cfg->cli)
        wolfSSL_CTX_free(cfg->cli);
#if SIPC_TLS_RESUME
    resume_free(cfg);
#endif
    sipc_ecdsa_own_free(cfg->own);
#if SIPC_TLS_ECDHE_SPARE
    ecdhe_spare_free(atomic_exchange(&cfg->spare, NULL));
#endif
    free(cfg);
}

void sipc_tls_config_rotate_tickets(sipc_tls_config *cfg)
{
#if SIPC_TLS_RESUME
    if (!cfg || !cfg->lock_ok)
        return;
    uint64_t now = uv_hrtime();
    uv_mutex_lock(&cfg->lock);
    sipc_ticket_key *cur = &cfg->tk[cfg->tk_cur], *next = &cfg->tk[cfg->tk_cur ^ 1];
    if (ticket_key_make(next, now) == 0) {
        if (cur->born && cur->seal_end > now)
            cur->seal_end = now; /* seals no more: it dies a lifetime after its last ticket */
        cfg->tk_cur ^= 1;
    }
    uv_mutex_unlock(&cfg->lock);
#else
    (void)cfg;
#endif
}

uint64_t sipc_tls_config_expire(sipc_tls_config *cfg, uint64_t now, int *wiped)
{
    int n = 0;
    uint64_t next = UINT64_MAX;
#if SIPC_TLS_RESUME
    /* with resumption off nothing is ever kept (resume_off wiped the key) */
    if (cfg && cfg->lock_ok && !cfg->no_resume) {
        uv_mutex_lock(&cfg->lock);
        n = expire_locked(cfg, now, &next);
        uv_mutex_unlock(&cfg->lock);
    }
#else
    (void)cfg;
    (void)now;
#endif
    if (wiped)
        *wiped = n;
    return next;
}

void sipc_tls_config_forget(sipc_tls_config *cfg)
{
    if (!cfg)
        return;
#if SIPC_TLS_ECDHE_SPARE
    atomic_store(&cfg->forgotten, 1); /* a handshake under way makes none after this */
    ecdhe_spare_free(atomic_exchange(&cfg->spare, NULL));
#endif
#if SIPC_TLS_RESUME
    if (!cfg->lock_ok)
        return;
    uv_mutex_lock(&cfg->lock);
    explicit_bzero(cfg->tk, sizeof cfg->tk);
    for (int i = 0; i < SIPC_TLS_SESSIONS; i++)
        if (cfg->sessions[i].peer[0] || cfg->sessions[i].sess)
            session_clear(&cfg->sessions[i]);
    uv_mutex_unlock(&cfg->lock);
#else
    (void)cfg;
#endif
}

int sipc_tls_config_set_resumption(sipc_tls_config *cfg, int on)
{
#if SIPC_TLS_RESUME
    if (!on)
        resume_off(cfg);
    return !cfg->no_resume;
#else
    (void)cfg;
    (void)on;
    return 0;
#endif
}

int sipc_tls_config_set_direct(sipc_tls_config *cfg, int on)
{
    cfg->no_direct = !on;
    return SIPC_TLS_DIRECT && on;
}

/* ---- connections ---- */

int sipc_tls_new(sipc_tls **out, sipc_tls_config *cfg, int is_server, sipc_buf *tx)
{
    sipc_tls *t = calloc(1, sizeof *t);
    if (!t)
        return SIPC_ENOMEM;
    t->ssl = wolfSSL_new(is_server ? cfg->srv : cfg->cli);
    if (!t->ssl) {
        free(t);
        return SIPC_ENOMEM;
    }
    t->cfg = cfg;
    t->tx = tx;
    t->is_server = is_server;
    t->rx_bounded = SIPC_TLS_DIRECT && !cfg->no_direct;
    wolfSSL_SetIOReadCtx(t->ssl, t);
    wolfSSL_SetIOWriteCtx(t->ssl, t);
    wolfSSL_SetCertCbCtx(t->ssl, t);
#if SIPC_TLS_ECDSA_OWN
    wolfSSL_SetEccVerifyCtx(t->ssl, cfg->own);
#endif
#if SIPC_TLS_ECDHE_SPARE
    wolfSSL_SetEccKeyGenCtx(t->ssl, t);
#endif
    *out = t;
    return 0;
}

void sipc_tls_free(sipc_tls *t)
{
    if (!t)
        return;
    wolfSSL_free(t->ssl);
    sipc_rec_free(t->rec);
    free(t->hello);
    free(t);
}

void sipc_tls_set_window(sipc_tls *t, sipc_tls_window_fn fn, void *arg)
{
    t->window = fn;
    t->window_arg = arg;
}

const char *sipc_tls_detail(const sipc_tls *t)
{
    return t->detail;
}

int sipc_tls_handshake_done(const sipc_tls *t)
{
    return t->hs_done;
}

int sipc_tls_writable(const sipc_tls *t)
{
    return t->hs_done || t->early;
}

int sipc_tls_peer_closed(const sipc_tls *t)
{
    return t->peer_closed;
}

/* A fatal alert in a plaintext record of version 3,minor: only valid before
 * this side sent ChangeCipherSpec, which is where the errors that use it occur. */
static void send_plain_alert(sipc_tls *t, int minor, uint8_t desc)
{
    const uint8_t alert[] = {0x15, 0x03, (uint8_t)minor, 0x00, 0x02, 0x02, desc};
    if (sipc_buf_append(t->tx, alert, sizeof alert) != 0)
        t->tx_failed = 1;
}

/* This node's key, as a ClientHello is matched against it (tls_hello.h). */
static sipc_tls_hello_key hello_key(const sipc_tls *t)
{
    return (sipc_tls_hello_key){t->cfg->key_alg, t->cfg->key_bytes, t->cfg->key_desc};
}

/* A server whose handshake failed before it completed: if the peer's
 * ClientHello shows why, the detail says that (sipc_tls_hello_explain; match:
 * the failure is the ClientHello's match, refused before wolfSSL read it or
 * no suite found by wolfSSL). */
static int explain_hello(sipc_tls *t, int match)
{
    sipc_tls_hello_info hi;
    if (!t->is_server || t->hs_done || !t->hello ||
        sipc_tls_hello_parse(t->hello, t->hello_len, &hi) != 0)
        return 0;
    sipc_tls_hello_key key = hello_key(t);
    return sipc_tls_hello_explain(&hi, &key, match, t->detail, sizeof t->detail);
}

/* Server: a whole ClientHello that cannot lead to a handshake is refused
 * before wolfSSL reads it, the detail saying why: one without TLS 1.2 with
 * protocol_version (RFC 5246 7.2.2, RFC 8446 4.2.1; wolfSSL says
 * handshake_failure) in the record version of its highest (RFC 5246 E.1);
 * with handshake_failure (RFC 5246 7.4.1.3) one whose groups hold neither
 * P-256 nor P-384 (every suite sipc accepts is ECDHE, RFC 8422 5.1.1;
 * wolfSSL 5.5.4 would answer with a key exchange on P-256 that the client
 * rejects as "wrong curve"), and, unless it offers a session ticket, one
 * whose signature algorithms hold none this node's key can sign with or
 * whose groups leave out the curve of its ECDSA key; also with
 * handshake_failure one that asks for smaller records (RFC 6066
 * max_fragment_length) where wolfSSL would grant them (Debian's libwolfssl:
 * only wolfSSL's record layer keeps to them, tls_record.c seals 16 KiB; the
 * bundled wolfSSL is built without the extension and ignores it, as RFC 6066
 * allows). 1 when refused. */
static int refuse_hello(sipc_tls *t)
{
    sipc_tls_hello_info hi;
    if (!t->is_server || t->hello_checked || !t->hello ||
        sipc_tls_hello_parse(t->hello, t->hello_len, &hi) != 0)
        return 0;
    t->hello_checked = 1;
    int no_group = hi.has_groups && !hi.offers_p256 && !hi.offers_p384;
    /* a resumed session signs nothing: a ticket is left to wolfSSL */
    sipc_tls_hello_key key = hello_key(t);
    int no_sigalg = !hi.offers_ticket && (sipc_tls_hello_sigalgs_unusable(&hi, &key) ||
                                          sipc_tls_hello_curve_unlisted(&hi, &key));
#ifdef HAVE_MAX_FRAGMENT
    int small = hi.asks_max_fragment;
#else
    int small = 0;
#endif
    if (hi.offers_tls12 && !(no_group || no_sigalg || small))
        return 0;
    if (!explain_hello(t, 1) && small)
        snprintf(t->detail, sizeof t->detail,
                 "peer asks for TLS records smaller than 16 KiB (max_fragment_length, RFC "
                 "6066), which sipc does not grant: configure the client without it (OpenSSL: "
                 "without -maxfraglen)");
    send_plain_alert(t, hi.max_minor < 0 ? 0 : hi.max_minor < 3 ? hi.max_minor : 3,
                     hi.offers_tls12 ? 40 : 70);
    return 1;
}

/* Turns a wolfSSL failure into a sipc code and an operator-readable detail. */
/* A peer that restarted or reloaded no longer opens the tickets it issued,
 * and wolfSSL 5.5.4's client cannot go on with the full handshake the
 * server then starts: it fails with OUT_OF_ORDER_E and sends
 * unexpected_message. That is the normal sequel of a restart, not a TLS
 * failure: the client has dropped the session and redials at once with a
 * full handshake. Returns 1 (detail set) when the failure is this one. */
static int explain_resume_refused(sipc_tls *t, int e, int alert_rx)
{
#if SIPC_TLS_RESUME
    if (t->is_server ? !(t->ticket_refused && e == FATAL_ERROR && alert_rx == 10)
                     : !(t->offered && e == OUT_OF_ORDER_E))
        return 0;
    t->resume_refused = 1;
    snprintf(t->detail, sizeof t->detail, "%s",
             t->is_server ? "the client offered a TLS session ticket from before this node's restart "
                            "or reload and gave up when it was refused; it reconnects with a full "
                            "handshake"
                          : "the peer no longer knows the TLS session offered (it restarted or "
                            "reloaded its key pair or trust); reconnecting with a full handshake");
    return 1;
#else
    (void)t;
    (void)e;
    (void)alert_rx;
    return 0;
#endif
}

static void direct_alert(sipc_tls *t, int level, int desc);

/* wolfSSL failed on the peer's bytes (a malformed ClientHello, a record or
 * message out of place) and, as wolfSSL 5.5.4 mostly does, closed without a
 * word: the peer is sent the alert RFC 5246 names for it, so that it can
 * tell why, where this side can still send one: in the clear before its
 * ChangeCipherSpec, under sipc's record keys after an early one (a server
 * resuming). The detail says which alert went, wolfSSL's or this one. */
static void send_missing_alert(sipc_tls *t, int e, const WOLFSSL_ALERT_HISTORY *h)
{
    size_t rec_len = t->rx_scan.hdr_have == SIPC_REC_HEADER ? sipc_be16_get(t->rx_scan.hdr + 3) : 0;
    int a = sipc__tls_failure_alert(e, rec_len);
    if (!a)
        return;
    if (h->last_tx.level == alert_fatal)
        a = h->last_tx.code;
    else if (t->rec)
        direct_alert(t, 2, a);
    else if (!t->tx_scan.after_ccs)
        send_plain_alert(t, 3, (uint8_t)a);
    else
        return;
    size_t n = strlen(t->detail);
    snprintf(t->detail + n, sizeof t->detail - n, "; alert %s sent", sipc__tls_alert_text(a));
}

static int map_error(sipc_tls *t, int ret)
{
    int e = wolfSSL_get_error(t->ssl, ret);
    if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE)
        return 0;
    if (e == WOLFSSL_ERROR_ZERO_RETURN) {
        t->peer_closed = 1;
        return SIPC_ECLOSED;
    }
    if (t->tx_failed)
        return SIPC_ENOMEM;
    if (t->vfy_rejected)
        return SIPC_EPEERAUTH;
    if (e == NO_PEER_CERT) {
        /* wolfSSL closes without a word; the client's error should name the cause */
        if (t->is_server)
            send_plain_alert(t, 3, 40 /* handshake_failure */);
        sipc__tls_no_cert_text(t->hello, t->hello_len, t->detail, sizeof t->detail);
        return SIPC_ENOPEERCERT;
    }
    if (t->hs_done && e == DUPLICATE_MSG_E) {
        snprintf(t->detail, sizeof t->detail,
                 "peer tried to renegotiate the TLS session; sipc does not allow renegotiation "
                 "(reconnect instead)");
        return SIPC_ETLS;
    }
    WOLFSSL_ALERT_HISTORY h;
    memset(&h, 0, sizeof h);
    wolfSSL_get_alert_history(t->ssl, &h);
    if (explain_resume_refused(t, e, h.last_rx.code))
        return SIPC_ETLS;
    /* wolfSSL 5.5.4's TLS 1.2 server reports a ClientHello with no suite
     * it can use, or no signature algorithm its key can make for any (its
     * PickHashSigAlgo fails within MatchSuite), as UNSUPPORTED_SUITE; a
     * resumption whose signature algorithms it cannot pick from as
     * MATCH_SUITE_ERROR */
    if (explain_hello(t, e == UNSUPPORTED_SUITE || e == MATCH_SUITE_ERROR))
        return SIPC_ETLS;
    if (e == FATAL_ERROR && h.last_rx.code > 0) {
        int a = h.last_rx.code;
        const sipc_tls_config *cfg = t->cfg;
        if (a == 45 && (cfg->not_before || cfg->not_after)) {
            sipc__tls_expired_alert_words((int64_t)time(NULL), cfg->not_before, cfg->not_after,
                                          cfg->not_before_of, cfg->not_after_of, t->peer_name,
                                          t->detail, sizeof t->detail);
            return SIPC_ECERTREFUSED;
        }
        if (sipc__tls_alert_refuses_cert(a)) {
            sipc__tls_cert_alert_words(a, t->detail, sizeof t->detail);
            return SIPC_ECERTREFUSED;
        }
        if (t->hello_refused && a == 40) {
            /* wolfSSL offers what the configuration allows, all of it, so
             * the server found no version, suite, group or signature
             * algorithm of its own among them; only its log says which */
            snprintf(t->detail, sizeof t->detail,
                     "peer refused this side's ClientHello (alert handshake_failure): sipc offers "
                     "TLS 1.2 only, ECDHE suites with AES-GCM or ChaCha20-Poly1305, groups P-256 "
                     "and P-384, and ECDSA or RSA signatures with SHA-256 or stronger; for at least "
                     "one of these the peer accepts none of sipc's choices (its key may need "
                     "another signature algorithm), and its log says which");
            return SIPC_ETLS;
        }
        if (t->hello_refused && a == 70) {
            snprintf(t->detail, sizeof t->detail,
                     "peer refused this side's ClientHello (alert protocol_version): sipc speaks "
                     "TLS 1.2 only, and the peer does not (a TLS 1.3-only server?)");
            return SIPC_ETLS;
        }
        snprintf(t->detail, sizeof t->detail, "peer aborted the TLS handshake (alert %s)",
                 sipc__tls_alert_text(a));
        return SIPC_ETLS;
    }
    const char *why = sipc__tls_verify_error_text(e);
    if (why) {
        snprintf(t->detail, sizeof t->detail, "peer certificate rejected: %s", why);
        return SIPC_EPEERAUTH;
    }
    sipc__tls_failure_text(e, t->is_server, t->is_server && !t->tx_seen, t->hello, t->hello_len,
                           t->detail, sizeof t->detail);
    send_missing_alert(t, e, &h);
    return SIPC_ETLS;
}

/* The handshake completed: a resumed session's peer was judged when it was
 * first made (its print comes with the session); any other is judged now
 * if the verify callback has not done it. */
static int handshake_complete(sipc_tls *t)
{
#if SIPC_TLS_RESUME
    if (t->is_server)
        t->resumed = t->ticket_ok && wolfSSL_session_reused(t->ssl);
    else
        session_done(t);
    if (t->resumed)
        return 0;
#endif
    return verify_after_handshake(t);
}

/* A handshake failed: a client that offered a session forgets it, so the
 * next connection makes a full handshake. A server that has sealed early
 * records sends the alert wolfSSL meant to send (io_send dropped it) under
 * the record layer's next sequence number. */
static int handshake_failed(sipc_tls *t, int err)
{
#if SIPC_TLS_RESUME
    if (err != 0 && t->offered && !t->is_server)
        session_drop(t);
#endif
    if (err != 0)
        t->hs_failed = 1;
    if (err != 0 && t->early && !sipc_rec_failed(t->rec)) {
        /* only an alert wolfSSL tried to send: none after the peer's own
         * alert or close */
        WOLFSSL_ALERT_HISTORY h;
        memset(&h, 0, sizeof h);
        wolfSSL_get_alert_history(t->ssl, &h);
        if (h.last_tx.code > 0 && h.last_tx.level == 2)
            direct_alert(t, 2, h.last_tx.code);
    }
    return err;
}

int sipc_tls_start(sipc_tls *t)
{
    if (t->is_server)
        return 0;
#if SIPC_TLS_RESUME
    session_offer(t);
#endif
    int r = wolfSSL_connect(t->ssl);
    if (r == WOLFSSL_SUCCESS) {
        int v = handshake_complete(t);
        if (v == 0)
            t->hs_done = 1;
        return v;
    }
    return handshake_failed(t, map_error(t, r));
}

void sipc_tls_set_peer_key(sipc_tls *t, const char *key)
{
    sipc_str_copy(t->peer_key, sizeof t->peer_key, key ? key : "");
}

void sipc_tls_set_peer_name(sipc_tls *t, const char *name)
{
    sipc_str_copy(t->peer_name, sizeof t->peer_name, name ? name : "");
    /* a dialer's source port says nothing about where its clock is */
    char *colon = strrchr(t->peer_name, ':');
    if (t->is_server && colon && (t->peer_name[0] != '[' || colon[-1] == ']'))
        *colon = '\0';
}

int sipc_tls_resumed(const sipc_tls *t)
{
    return t->resumed;
}

int sipc_tls_resume_failed(const sipc_tls *t)
{
    return t->resume_failed;
}

int sipc_tls_resume_refused(const sipc_tls *t)
{
    return t->resume_refused;
}

/* ---- application data through tls_record.c ---- */

/* The negotiated keys for the record layer, once this side's Finished is out
 * (tx at a record boundary after its ChangeCipherSpec, one record sealed by
 * wolfSSL): 1 if rec now holds them. The peer's next record has sequence
 * number 1: its Finished is 0, whether wolfSSL has read it yet (early) or
 * not. Anything unexpected leaves the records with wolfSSL. */
static int direct_keys(sipc_tls *t, int early)
{
#if SIPC_TLS_DIRECT
    /* A ClientHello refuse_hello could not read whole (over 4 KiB, or split
     * across records) may have asked for smaller records
     * (max_fragment_length), which a wolfSSL with the extension grants and
     * only its own record layer keeps to. */
#ifdef HAVE_MAX_FRAGMENT
    int unseen_hello = t->is_server && !t->hello_checked;
#else
    int unseen_hello = 0;
#endif
    if (t->cfg->no_direct || !sipc_rec_scan_at_boundary(&t->tx_scan) || !t->tx_scan.after_ccs ||
        wolfSSL_GetAeadMacSize(t->ssl) != 16 || unseen_hello)
        return 0;
    sipc_rec_keys k = {.read_seq = 1};
    int bulk = wolfSSL_GetBulkCipher(t->ssl);
    if (bulk == wolfssl_aes_gcm && t->tx_scan.nonce_ok) {
        k.aead = SIPC_REC_AES_GCM;
        k.write_nonce = sipc_rec_scan_next_nonce(&t->tx_scan);
    } else if (bulk == wolfssl_chacha) {
        k.aead = SIPC_REC_CHACHA20_POLY1305;
    } else {
        return 0;
    }
    int server = wolfSSL_GetSide(t->ssl) == WOLFSSL_SERVER_END;
    k.write_key = server ? wolfSSL_GetServerWriteKey(t->ssl) : wolfSSL_GetClientWriteKey(t->ssl);
    k.read_key = server ? wolfSSL_GetClientWriteKey(t->ssl) : wolfSSL_GetServerWriteKey(t->ssl);
    k.write_iv = server ? wolfSSL_GetServerWriteIV(t->ssl) : wolfSSL_GetClientWriteIV(t->ssl);
    k.read_iv = server ? wolfSSL_GetClientWriteIV(t->ssl) : wolfSSL_GetServerWriteIV(t->ssl);
    k.key_len = (size_t)wolfSSL_GetKeySize(t->ssl);
    k.iv_len = (size_t)wolfSSL_GetIVSize(t->ssl);
    word64 ws = 0, rs = 0;
    (void)wolfSSL_GetSequenceNumber(t->ssl, &ws);
    (void)wolfSSL_GetPeerSequenceNumber(t->ssl, &rs);
    k.write_seq = ws;
    k.hello_request_reply = server ? NULL : t->tx;
    /* each side has sent its Finished under these keys, and nothing else
     * (early: the peer nothing yet) */
    if (!k.write_key || !k.read_key || !k.write_iv || !k.read_iv || ws != 1 ||
        rs != (early ? 0u : 1u))
        return 0;
    return sipc_rec_new(&t->rec, &k) == 0;
#else
    (void)t;
    (void)early;
    return 0;
#endif
}

/* A server resuming a session has sent its Finished and waits for the
 * client's: both directions' keys are known (wolfSSL derives them together),
 * so rec may seal this side's first data now, in the same flight. */
static void direct_early(sipc_tls *t)
{
#if SIPC_TLS_RESUME
    if (t->is_server && !t->rec && t->ticket_ok && wolfSSL_session_reused(t->ssl) &&
        direct_keys(t, 1))
        t->early = 1;
#else
    (void)t;
#endif
}

/* Right after the handshake, at a record boundary in both directions, the
 * negotiated keys go to the record layer; wolfSSL is not asked to read or
 * write again. Anything unexpected leaves the records with wolfSSL, except
 * after early records: then wolfSSL's sequence numbers are behind and the
 * connection cannot go on. */
static int direct_take_over(sipc_tls *t)
{
    t->rx_bounded = 0;
    int rx_ok = sipc_rec_scan_at_boundary(&t->rx_scan) && t->rx_scan.after_ccs &&
                wolfSSL_pending(t->ssl) == 0;
    if (!t->early) {
        if (rx_ok)
            (void)direct_keys(t, 0);
        return 0;
    }
    t->early = 0;
    word64 ws = 0, rs = 0;
    (void)wolfSSL_GetSequenceNumber(t->ssl, &ws);
    (void)wolfSSL_GetPeerSequenceNumber(t->ssl, &rs);
    if (rx_ok && ws == 1 && rs == 1)
        return 0; /* wolfSSL sent nothing more, and read the Finished only */
    snprintf(t->detail, sizeof t->detail,
             "the TLS session cannot go on: the handshake ended off a record boundary "
             "(sequence numbers %llu sent, %llu received)",
             (unsigned long long)ws, (unsigned long long)rs);
    direct_alert(t, 2, SIPC_ALERT_INTERNAL_ERROR);
    t->hs_failed = 1;
    return SIPC_ETLS;
}

/* Sends this side's alert under the record keys (the peer's own alerts and
 * close_notify get no answer). */
static void direct_alert(sipc_tls *t, int level, int desc)
{
    const uint8_t a[2] = {(uint8_t)level, (uint8_t)desc};
    if (sipc_rec_seal(t->rec, SIPC_REC_ALERT, a, sizeof a, t->tx) != 0)
        t->tx_failed = 1;
}

typedef struct direct_sink {
    sipc_tls *t;
    sipc_tls_data_fn fn;
    void *arg;
} direct_sink;

static uint8_t *direct_dest(void *arg, size_t n)
{
    sipc_tls *t = ((direct_sink *)arg)->t;
    uint8_t *w = NULL;
    if (t->window && t->window(t->window_arg, &w) >= n)
        return w; /* straight into the frame being reassembled */
    return NULL;
}

static int direct_data(void *arg, uint8_t *p, size_t n)
{
    direct_sink *d = arg;
    return d->fn(d->arg, p, n);
}

static int direct_input(sipc_tls *t, const uint8_t *data, size_t len, sipc_tls_data_fn fn, void *arg)
{
    if (sipc_rec_failed(t->rec))
        return SIPC_ETLS; /* said so already, with an alert */
    direct_sink d = {t, fn, arg};
    int alert = 0, peer_alert = 0;
    int r = sipc_rec_open(t->rec, data, len, direct_dest, direct_data, &d, &alert, &peer_alert);
    if (r == SIPC_ECLOSED) {
        t->peer_closed = 1;
        return r;
    }
    if (r != SIPC_ETLS)
        return r; /* 0, the callback's own result, or SIPC_ENOMEM */
    if (peer_alert) {
        snprintf(t->detail, sizeof t->detail, "peer closed the TLS session with alert %s",
                 sipc__tls_alert_text(alert));
        return SIPC_ETLS;
    }
    direct_alert(t, 2, alert);
    if (alert == SIPC_ALERT_NO_RENEGOTIATION)
        snprintf(t->detail, sizeof t->detail,
                 "peer tried to renegotiate the TLS session; sipc does not allow renegotiation "
                 "(reconnect instead)");
    else if (alert == SIPC_ALERT_BAD_RECORD_MAC)
        snprintf(t->detail, sizeof t->detail,
                 "a TLS record from the peer failed authentication (bad_record_mac): the data was "
                 "altered on the way or the peer is broken");
    else
        snprintf(t->detail, sizeof t->detail, "peer sent a malformed TLS record (%s)",
                 sipc__tls_alert_text(alert));
    return SIPC_ETLS;
}

int sipc_tls_input(sipc_tls *t, const uint8_t *data, size_t len, sipc_tls_data_fn fn, void *arg)
{
    if (t->rec && !t->early)
        return direct_input(t, data, len, fn, arg);
    t->in = data;
    t->in_len = len;
    int rc = 0;
    if (t->is_server && !t->hs_done && t->hello_len < SIPC_TLS_HELLO_KEEP) {
        if (!t->hello)
            t->hello = malloc(SIPC_TLS_HELLO_KEEP);
        if (t->hello) {
            size_t n = len < SIPC_TLS_HELLO_KEEP - t->hello_len ? len : SIPC_TLS_HELLO_KEEP - t->hello_len;
            memcpy(t->hello + t->hello_len, data, n);
            t->hello_len += n;
        }
    }
    if (!t->is_server && !t->hs_done && !t->rx_seen && len > 0) {
        t->rx_seen = 1;
        t->hello_refused = data[0] == 21; /* an alert record, not a ServerHello */
    }
    if (!t->hs_done && refuse_hello(t)) {
        rc = handshake_failed(t, SIPC_ETLS);
        goto out;
    }
    if (!t->hs_done) {
        int r = t->is_server ? wolfSSL_accept(t->ssl) : wolfSSL_connect(t->ssl);
        if (r != WOLFSSL_SUCCESS) {
            rc = handshake_failed(t, map_error(t, r));
            if (rc == 0 && !t->early)
                direct_early(t);
            goto out;
        }
        rc = handshake_complete(t);
        if (rc == 0)
            rc = direct_take_over(t);
        if (rc != 0)
            goto out;
        t->hs_done = 1;
        free(t->hello);
        t->hello = NULL;
        /* Application data may have come in the same read as Finished. */
        if (t->rec) {
            const uint8_t *rest = t->in;
            size_t rest_len = t->in_len;
            t->in = NULL;
            t->in_len = 0;
            return rest_len ? direct_input(t, rest, rest_len, fn, arg) : 0;
        }
    }
    /* wolfSSL_read returns at most one record per call: loop until it wants
     * more input, so nothing stays buffered inside wolfSSL unseen. */
    uint8_t pt[16384];
    for (;;) {
        uint8_t *dst = pt;
        size_t cap = sizeof pt;
        if (t->window) {
            uint8_t *w = NULL;
            size_t wn = t->window(t->window_arg, &w);
            if (wn > 0 && w) {
                dst = w; /* straight into the frame being reassembled */
                cap = wn < INT32_MAX ? wn : INT32_MAX;
            }
        }
        int n = wolfSSL_read(t->ssl, dst, (int)cap);
        if (n > 0) {
            t->wolf_records++; /* a record, or a part of one: never too few */
            rc = fn(arg, dst, (size_t)n);
            if (dst == pt) /* handed on: not left in a dead frame */
                explicit_bzero(pt, (size_t)n);
            if (rc)
                goto out;
            continue;
        }
        rc = map_error(t, n);
        break;
    }
out:
    t->in = NULL;
    t->in_len = 0;
    return rc;
}

int sipc_tls_write(sipc_tls *t, const uint8_t *data, size_t len)
{
    if (t->hs_failed)
        return SIPC_ETLS; /* an early server's handshake failed after its first data */
    if (t->rec)
        return sipc_rec_seal(t->rec, SIPC_REC_DATA, data, len, t->tx);
    while (len > 0) {
        int chunk = len > 16384 ? 16384 : (int)len;
        int r = wolfSSL_write(t->ssl, data, chunk);
        if (r <= 0) {
            int e = map_error(t, r);
            return e ? e : SIPC_ETLS;
        }
        t->wolf_records++;
        data += r;
        len -= (size_t)r;
    }
    return 0;
}

int sipc_tls_direct(const sipc_tls *t)
{
    return t->rec != NULL;
}

uint64_t sipc_tls_key_blocks(const sipc_tls *t)
{
    if (t->rec)
        return sipc_rec_key_blocks(t->rec);
    if (!t->hs_done || wolfSSL_GetBulkCipher(t->ssl) == wolfssl_chacha)
        return 0;
#if SIPC_TLS_DIRECT /* records of sizes unseen here: each full-size */
    word64 ws = 0, rs = 0; /* (their result says only whether the number is 0) */
    (void)wolfSSL_GetSequenceNumber(t->ssl, &ws);
    (void)wolfSSL_GetPeerSequenceNumber(t->ssl, &rs);
    return (ws > rs ? ws : rs) * SIPC_TLS_RECORD_BLOCKS;
#else
    return t->wolf_records * SIPC_TLS_RECORD_BLOCKS; /* both ways: never fewer than either */
#endif
}

size_t sipc_tls_buffered(const sipc_tls *t)
{
    return t->rec ? sipc_rec_buffered(t->rec) : 0;
}

size_t sipc_tls_trimmable(const sipc_tls *t)
{
    return t->rec ? sipc_rec_trimmable(t->rec) : 0;
}

size_t sipc_tls_trim(sipc_tls *t)
{
    return t->rec ? sipc_rec_trim(t->rec) : 0;
}

void sipc_tls_close_notify(sipc_tls *t)
{
    if (t->rec) {
        /* after a fatal alert, or a handshake that failed, nothing more */
        if (!sipc_rec_failed(t->rec) && !t->hs_failed)
            direct_alert(t, 1, SIPC_ALERT_CLOSE_NOTIFY);
    } else if (t->hs_done)
        (void)wolfSSL_shutdown(t->ssl); /* 0: sent, peer's not received yet */
}

void sipc_tls_describe(const sipc_tls *t, char *version, size_t vlen, char *cipher, size_t clen,
                       char *peer_fp, size_t fplen)
{
    const char *v = t->hs_done ? wolfSSL_get_version(t->ssl) : "";
    const char *c = t->hs_done ? wolfSSL_get_cipher_name(t->ssl) : "";
    sipc_str_copy(version, vlen, v ? v : "");
    sipc_str_copy(cipher, clen, c ? c : "");
    sipc_str_copy(peer_fp, fplen, t->peer_fp);
}

void sipc_tls_plaintext_alert(sipc_buf *tx)
{
    /* TLS 1.2 record: alert, fatal (2), unexpected_message (10) */
    static const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a};
    (void)sipc_buf_append(tx, alert, sizeof alert);
}
