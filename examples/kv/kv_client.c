/* kv_client - puts, gets and deletes keys on a kv_server over mutual TLS.
 *
 *   kv_client --cert kv.crt [--key kv.key] HOST:PORT OP...
 *   kv_client [--home DIR] HOST[:PORT] OP...
 *   kv_client --version
 *   OP: put KEY VALUE | get KEY | delete KEY
 *
 * Opens a channel, runs the operations one after the other and prints one
 * line per answer on stdout:
 *   connected to HOST:PORT (node kv-server, TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256)
 *   put color: ok
 *   get color: blue
 *   get shape: not found
 * "not found" is an answer, not a failure. Exit status: 0 when every
 * operation was answered, 1 when one failed (the reason is on stderr; later
 * operations are not run), 64 usage, 78 identity. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "kv.h"

typedef struct client {
    sipc_ctx *ctx;
    sipc_channel *ch;
    char **ops; /* argv of the operations */
    int nops;
    int next;   /* index into ops of the operation in flight */
    int failed;
} client;

/* Number of arguments of operation op (its name included), 0 if unknown. */
static int op_args(const char *op)
{
    if (!strcmp(op, "put"))
        return 3;
    if (!strcmp(op, "get") || !strcmp(op, "delete"))
        return 2;
    return 0;
}

static void issue(client *c);

static void on_reply(int err, const sipc_reply *reply, void *arg)
{
    client *c = arg;
    const char *op = c->ops[c->next], *key = c->ops[c->next + 1];
    if (err == 0 && !strcmp(op, "get")) {
        printf("get %s: %.*s\n", key, (int)reply->len, (const char *)reply->data);
    } else if (err == 0) {
        printf("%s %s: ok\n", op, key);
    } else if (err == SIPC_EREMOTE && reply->status == KV_NOT_FOUND) {
        printf("%s %s: not found\n", op, key);
    } else {
        /* When the link failed, the reply's message is the channel's
         * operator-readable detail (e.g. why a certificate was rejected). */
        /* the message, when there is one, says the error in its own words
         * (and names the peer): printed alone, with the code's name */
        fprintf(stderr, "kv_client: %s %s: %s (%s)\n", op, key,
                reply->message[0] ? reply->message : sipc_strerror(err), sipc_err_name(err));
        c->failed = 1;
        sipc_ctx_close(c->ctx, NULL, NULL);
        return;
    }
    fflush(stdout);
    c->next += op_args(op);
    issue(c);
}

/* Starts the next operation, or closes the context after the last one. */
static void issue(client *c)
{
    if (c->next >= c->nops) {
        sipc_ctx_close(c->ctx, NULL, NULL);
        return;
    }
    const char *op = c->ops[c->next], *key = c->ops[c->next + 1];
    size_t klen = strlen(key);
    int r;
    if (!strcmp(op, "put")) {
        /* KEY '\0' VALUE: sipc_call copies the payload, so it can go at once. */
        const char *val = c->ops[c->next + 2];
        size_t vlen = strlen(val);
        char *buf = malloc(klen + 1 + vlen);
        if (!buf) {
            r = SIPC_ENOMEM;
        } else {
            memcpy(buf, key, klen + 1);
            memcpy(buf + klen + 1, val, vlen);
            r = sipc_call(c->ch, KV_SERVICE, "put", buf, klen + 1 + vlen, 10000, on_reply, c);
            free(buf);
        }
    } else {
        r = sipc_call(c->ch, KV_SERVICE, op, key, klen, 10000, on_reply, c);
    }
    if (r != 0) {
        fprintf(stderr, "kv_client: %s %s: %s (%s)\n", op, key, sipc_strerror(r), sipc_err_name(r));
        c->failed = 1;
        sipc_ctx_close(c->ctx, NULL, NULL);
    }
}

/* Says once, on the first connection, whom we talk to and how. */
static void on_conn(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    static int said;
    (void)arg;
    (void)err;
    sipc_peer_info pi;
    if (ev != SIPC_CONN_UP || said || sipc_conn_info(conn, &pi) != 0)
        return;
    said = 1;
    if (pi.tls)
        printf("connected to %s (node %s, %s %s)\n", pi.address, pi.peer_node, pi.tls_version, pi.tls_cipher);
    else
        printf("connected to %s (node %s, plaintext)\n", pi.address, pi.peer_node);
    fflush(stdout);
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: kv_client --cert FILE [--key FILE] HOST:PORT OP...\n"
                 "       kv_client [--home DIR] HOST[:PORT] OP...\n"
                 "OP: put KEY VALUE | get KEY | delete KEY (run in order)\n"
                 "  --cert FILE   PEM certificate (and key, unless --key): the server's pair\n"
                 "  --home DIR    a node home (default $SIPC_HOME, else /var/lib/sipc); the\n"
                 "                default port is its [kv] port\n"
                 "  -V, --version print the sipc version and build, and exit\n");
}

int main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL, *home = NULL;
    static const struct option longopts[] = {{"cert", required_argument, 0, 'c'},
                                             {"key", required_argument, 0, 'k'},
                                             {"home", required_argument, 0, 'H'},
                                             {"help", no_argument, 0, 'h'},
                                             {"version", no_argument, 0, 'V'},
                                             {0, 0, 0, 0}};
    int opt;
    /* "+": stop at the first operand, so a VALUE may start with '-'. */
    while ((opt = getopt_long(argc, argv, "+c:k:H:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': cert = optarg; break;
        case 'k': key = optarg; break;
        case 'H': home = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("kv_client (sipc %s (protocol %d, build %s))\n", SIPC_VERSION_STRING,
                         SIPC_PROTOCOL_VERSION, sipc_build_id()); return 0;
        default: usage(stderr); return 64;
        }
    }
    if (argc - optind < 3 || (key && !cert)) {
        usage(stderr);
        return 64;
    }
    client c = {.ops = argv + optind + 1, .nops = argc - optind - 1};
    for (int i = 0; i < c.nops;) {
        int n = op_args(c.ops[i]);
        if (n == 0 || i + n > c.nops) {
            fprintf(stderr, "kv_client: '%s' is not put KEY VALUE, get KEY or delete KEY\n", c.ops[i]);
            return 64;
        }
        if (strlen(c.ops[i + 1]) == 0 || strlen(c.ops[i + 1]) > KV_MAX_KEY) {
            fprintf(stderr, "kv_client: a key is 1..%d bytes\n", KV_MAX_KEY);
            return 64;
        }
        i += n;
    }

    char err[1024] = "";
    kv_identity id;
    int r = kv_identity_load(&id, cert, key, home, "kv-client", 1, err, sizeof err);
    if (r != 0) {
        fprintf(stderr, "kv_client: %s (%s)\n", err[0] ? err : sipc_strerror(r), sipc_err_name(r));
        return 78;
    }
    char host[160];
    int port;
    /* Without a port, a node's own [kv] port; from PEM files there is none. */
    int default_port = id.from_home ? sipc_config_port(&id.cfg, KV_SERVICE) : 0;
    if (sipc_parse_address(argv[optind], default_port, host, sizeof host, &port) != 0 || port == 0) {
        fprintf(stderr, "kv_client: '%s' is not HOST:PORT\n", argv[optind]);
        sipc_security_release(id.sec);
        return 64;
    }

    uv_loop_t *loop = uv_default_loop();
    r = sipc_ctx_new(&c.ctx, loop, &id.opts, id.sec);
    sipc_security_release(id.sec);
    if (r == 0) {
        r = sipc_channel_open(&c.ch, c.ctx, host, port, NULL);
        if (r != 0)
            sipc_ctx_close(c.ctx, NULL, NULL);
    }
    if (r != 0) {
        fprintf(stderr, "kv_client: %s (%s)\n", sipc_strerror(r), sipc_err_name(r));
        uv_run(loop, UV_RUN_DEFAULT);
        uv_loop_close(loop);
        return 1;
    }
    /* A command-line client should report a refused or failed connection at
     * once rather than keep redialling until the call's deadline. */
    sipc_channel_set_fail_fast(c.ch, 1);
    sipc_channel_set_conn_cb(c.ch, on_conn, &c);
    issue(&c);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return c.failed ? 1 : 0;
}
