/* kv_server - a key-value service over mutual TLS.
 *
 *   kv_server --cert kv.crt [--key kv.key] [--address 127.0.0.1] [--port 0]
 *   kv_server [--home DIR] [--address A] [--port N]
 *   kv_server --version
 *
 * One sipc context on libuv's default loop, one router with the "kv"
 * service's put, get and delete handlers (kv.h) next to the built-in "sys"
 * service, one listener. Prints "kv_server: listening on ADDRESS:PORT ..."
 * once it listens (port 0 picks a free port); SIGINT or SIGTERM stops it
 * cleanly. The data lives in memory only. */
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "kv.h"

/* ------------------------------------------------------------ the store */

/* A chained hash table; enough for an example, bounded so a client cannot
 * make the server grow without limit. */
#define KV_BUCKETS 1024
#define KV_MAX_ENTRIES 100000

typedef struct kv_entry {
    struct kv_entry *next;
    size_t klen, vlen;
    char *val;
    char key[]; /* klen bytes, then the value */
} kv_entry;

typedef struct kv_store {
    kv_entry *bucket[KV_BUCKETS];
    size_t count;
} kv_store;

static uint32_t kv_hash(const char *k, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 16777619u;
    return h % KV_BUCKETS;
}

/* The slot that points at key's entry, or at the NULL ending its chain. */
static kv_entry **kv_find(kv_store *kv, const char *k, size_t n)
{
    kv_entry **p = &kv->bucket[kv_hash(k, n)];
    while (*p && !((*p)->klen == n && memcmp((*p)->key, k, n) == 0))
        p = &(*p)->next;
    return p;
}

/* 0, KV_FULL or SIPC_ENOMEM. */
static int kv_put(kv_store *kv, const char *k, size_t klen, const char *v, size_t vlen)
{
    kv_entry **p = kv_find(kv, k, klen);
    if (!*p && kv->count == KV_MAX_ENTRIES)
        return KV_FULL;
    kv_entry *e = malloc(sizeof *e + klen + vlen);
    if (!e)
        return SIPC_ENOMEM;
    e->klen = klen;
    e->vlen = vlen;
    e->val = e->key + klen;
    memcpy(e->key, k, klen);
    if (vlen)
        memcpy(e->val, v, vlen);
    if (*p) { /* replace: one allocation per entry, so swap the whole entry */
        e->next = (*p)->next;
        free(*p);
    } else {
        e->next = NULL;
        kv->count++;
    }
    *p = e;
    return 0;
}

static void kv_free(kv_store *kv)
{
    for (size_t i = 0; i < KV_BUCKETS; i++)
        while (kv->bucket[i]) {
            kv_entry *e = kv->bucket[i];
            kv->bucket[i] = e->next;
            free(e);
        }
    kv->count = 0;
}

/* ------------------------------------------------------------- handlers */

/* The key of a get or delete: the whole payload. NULL (and an answer sent)
 * when it is not a valid key. */
static const char *request_key(sipc_request *req, size_t *klen)
{
    const char *k = sipc_request_data(req, klen);
    if (*klen == 0 || *klen > KV_MAX_KEY || memchr(k, '\0', *klen)) {
        (void)sipc_respond_error(req, KV_BAD_REQUEST, "the payload must be a key of 1..256 bytes without NUL");
        return NULL;
    }
    return k;
}

/* sipc_respond*() fail only when the client has gone (the answer is dropped,
 * the request freed either way): nothing is left to do about it here. */

static void on_put(sipc_request *req, void *arg)
{
    kv_store *kv = arg;
    size_t len;
    const char *p = sipc_request_data(req, &len);
    const char *nul = len ? memchr(p, '\0', len) : NULL;
    if (!nul || nul == p || (size_t)(nul - p) > KV_MAX_KEY) {
        (void)sipc_respond_error(req, KV_BAD_REQUEST, "put wants KEY NUL VALUE, a key of 1..256 bytes");
        return;
    }
    size_t klen = (size_t)(nul - p);
    int r = kv_put(kv, p, klen, nul + 1, len - klen - 1);
    if (r != 0) {
        (void)sipc_respond_error(req, r, r == KV_FULL ? "the store is full" : sipc_strerror(r));
        return;
    }
    (void)sipc_respond(req, NULL, 0);
}

static void on_get(sipc_request *req, void *arg)
{
    size_t klen;
    const char *k = request_key(req, &klen);
    if (!k)
        return;
    kv_entry *e = *kv_find(arg, k, klen);
    if (!e)
        (void)sipc_respond_error(req, KV_NOT_FOUND, "no such key");
    else
        (void)sipc_respond(req, e->val, e->vlen);
}

static void on_delete(sipc_request *req, void *arg)
{
    kv_store *kv = arg;
    size_t klen;
    const char *k = request_key(req, &klen);
    if (!k)
        return;
    kv_entry **p = kv_find(kv, k, klen);
    if (!*p) {
        (void)sipc_respond_error(req, KV_NOT_FOUND, "no such key");
        return;
    }
    kv_entry *e = *p;
    *p = e->next;
    free(e);
    kv->count--;
    (void)sipc_respond(req, NULL, 0);
}

/* ----------------------------------------------------------------- main */

static sipc_ctx *ctx;
static uv_signal_t sig_int, sig_term;

static void on_signal(uv_signal_t *h, int signum)
{
    (void)h;
    fprintf(stderr, "kv_server: %s, stopping\n", signum == SIGINT ? "SIGINT" : "SIGTERM");
    uv_close((uv_handle_t *)&sig_int, NULL);
    uv_close((uv_handle_t *)&sig_term, NULL);
    /* Closes the listener and its connections; the loop ends once they are gone. */
    sipc_ctx_close(ctx, NULL, NULL);
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: kv_server --cert FILE [--key FILE] [--address A] [--port N]\n"
                 "       kv_server [--home DIR] [--address A] [--port N]\n"
                 "\n"
                 "A key-value service (put, get, delete) over mutual TLS.\n"
                 "  --cert FILE   PEM certificate (and key, unless --key): not a node; clients\n"
                 "                must present the same certificate\n"
                 "  --home DIR    a node home (default $SIPC_HOME, else /var/lib/sipc): sipc.conf\n"
                 "                and the pair imported with tlstool; the port is [kv] port\n"
                 "  --address A   listen address (default 127.0.0.1, or [node] address)\n"
                 "  --port N      listen port (default 0: any free port)\n"
                 "  -V, --version print the sipc version and build, and exit\n");
}

int main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL, *home = NULL, *address = NULL;
    int port = -1;
    static const struct option longopts[] = {
        {"cert", required_argument, 0, 'c'}, {"key", required_argument, 0, 'k'},
        {"home", required_argument, 0, 'H'}, {"address", required_argument, 0, 'a'},
        {"port", required_argument, 0, 'p'}, {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'}, {0, 0, 0, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "c:k:H:a:p:hV", longopts, NULL)) != -1) {
        char *end;
        switch (opt) {
        case 'c': cert = optarg; break;
        case 'k': key = optarg; break;
        case 'H': home = optarg; break;
        case 'a': address = optarg; break;
        case 'p':
            port = (int)strtol(optarg, &end, 10);
            if (*end || port < 0 || port > 65535) {
                fprintf(stderr, "kv_server: --port must be 0..65535\n");
                return 64;
            }
            break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("kv_server (sipc %s (protocol %d, build %s))\n", SIPC_VERSION_STRING,
                         SIPC_PROTOCOL_VERSION, sipc_build_id()); return 0;
        default: usage(stderr); return 64;
        }
    }
    if (optind != argc || (key && !cert)) {
        usage(stderr);
        return 64;
    }

    char err[1024] = "";
    kv_identity id;
    int r = kv_identity_load(&id, cert, key, home, "kv-server", 0, err, sizeof err);
    if (r != 0) {
        fprintf(stderr, "kv_server: %s (%s)\n", err[0] ? err : sipc_strerror(r), sipc_err_name(r));
        return 78;
    }
    if (!address)
        address = id.from_home ? id.cfg.address : "127.0.0.1";
    if (port < 0)
        port = id.from_home ? sipc_config_port(&id.cfg, KV_SERVICE) : 0;

    uv_loop_t *loop = uv_default_loop();
    kv_store kv;
    memset(&kv, 0, sizeof kv);
    sipc_router *router = NULL;
    sipc_server *srv = NULL;
    r = sipc_router_new(&router);
    if (r == 0)
        r = sipc_router_add(router, KV_SERVICE, "put", on_put, &kv);
    if (r == 0)
        r = sipc_router_add(router, KV_SERVICE, "get", on_get, &kv);
    if (r == 0)
        r = sipc_router_add(router, KV_SERVICE, "delete", on_delete, &kv);
    if (r == 0)
        r = sipc_ctx_new(&ctx, loop, &id.opts, id.sec);
    /* The context holds its own reference from here on. */
    sipc_security_release(id.sec);
    if (r == 0) {
        r = sipc_server_listen(&srv, ctx, "KV Service", address, port, router);
        if (r != 0)
            sipc_ctx_close(ctx, NULL, NULL);
    }
    if (r != 0) {
        fprintf(stderr, "kv_server: cannot serve on %s:%d: %s (%s)\n", address, port, sipc_strerror(r),
                sipc_err_name(r));
        uv_run(loop, UV_RUN_DEFAULT); /* lets a closing context finish */
        sipc_router_free(router);
        uv_loop_close(loop);
        return 71;
    }
    sipc_security *sec = sipc_ctx_security(ctx);
    printf("kv_server: listening on %s:%d (TLS %s%s%s)\n", address, sipc_server_port(srv),
           sipc_tls_mode_name(sipc_security_mode(sec)), sipc_security_mode(sec) == SIPC_TLS_OFF ? "" : ", fingerprint ",
           sipc_security_fingerprint(sec));
    fflush(stdout);

    uv_signal_init(loop, &sig_int);
    uv_signal_init(loop, &sig_term);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    uv_run(loop, UV_RUN_DEFAULT);

    /* The store outlives every connection whose handlers used it. (The
     * router could have gone right after listen: the server keeps its own
     * reference until it is closed.) */
    sipc_router_free(router);
    kv_free(&kv);
    return uv_loop_close(loop) == 0 ? 0 : 1;
}
