/* busy_pipeline.c - a pipeline in front of a real node's, for
 * test_ingest_order: it answers BUSY to the first request it gets, again on
 * every resend of it, until AFTER other requests were answered or HOLD_MS
 * passed since it came; every other request (and that one, then) is passed
 * to the node's pipeline and its answer passed back. So a producer's first
 * batch is sent again, deterministically, while the batches after it are
 * stored, which a real pipeline does only under load.
 *
 *     busy_pipeline LISTEN_ADDRESS NODE_ADDRESS NODE_PORT CLUSTER AFTER HOLD_MS
 *
 * Plaintext. Listens at a port of the kernel's choice, printed first; logs
 * one line per event on stderr ("busy 1", "released after 1 others",
 * "forwarded 5"); exits after 60 s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "sipc/sipc.h"

static sipc_channel *node;
static uint8_t *first;
static size_t first_len;
static uint64_t first_at;
static int released;
static unsigned busy, answered_others, forwarded, after, hold_ms;
static uv_loop_t *loop;

typedef struct fwd {
    sipc_request *req;
    int is_first;
} fwd;

static void on_node(int err, const sipc_reply *rep, void *arg)
{
    fwd *f = arg;
    if (err == 0) {
        sipc_respond(f->req, rep->data, rep->len);
        if (!f->is_first)
            answered_others++;
    } else {
        sipc_respond_error(f->req, rep->status ? rep->status : err,
                           rep->message && *rep->message ? rep->message : sipc_strerror(err));
    }
    fprintf(stderr, "answered%s: %d\n", f->is_first ? " (the first)" : "", err);
    free(f);
}

static void on_ingest(sipc_request *req, void *arg)
{
    (void)arg;
    size_t len;
    const void *data = sipc_request_data(req, &len);
    uint64_t now = uv_now(loop);
    if (!first) {
        first = malloc(len ? len : 1);
        if (!first) {
            sipc_respond_error(req, SIPC_ENOMEM, "out of memory");
            return;
        }
        memcpy(first, data, len);
        first_len = len;
        first_at = now;
    }
    int is_first = len == first_len && memcmp(data, first, len) == 0;
    if (is_first && !released) {
        if (answered_others < after && now - first_at < hold_ms) {
            busy++;
            fprintf(stderr, "busy %u\n", busy);
            sipc_respond_error(req, 5 /* SIPC_PIPELINE_BUSY */, "held back by the test");
            return;
        }
        released = 1;
        fprintf(stderr, "released after %u others, %llu ms\n", answered_others,
                (unsigned long long)(now - first_at));
    }
    fwd *f = malloc(sizeof *f);
    if (!f) {
        sipc_respond_error(req, SIPC_ENOMEM, "out of memory");
        return;
    }
    f->req = req;
    f->is_first = is_first;
    int64_t left = sipc_request_deadline_ms(req);
    fprintf(stderr, "forwarded %u\n", ++forwarded);
    int e = sipc_call(node, "pipeline", "ingest", data, len, left > 0 ? (uint32_t)left : 10000,
                      on_node, f);
    if (e != 0) {
        sipc_respond_error(req, e, sipc_strerror(e));
        free(f);
    }
}

static void on_end(uv_timer_t *t)
{
    (void)t;
    exit(0);
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: busy_pipeline LISTEN_ADDRESS NODE_ADDRESS NODE_PORT CLUSTER AFTER "
                        "HOLD_MS\n");
        return 2;
    }
    after = (unsigned)atoi(argv[5]);
    hold_ms = (unsigned)atoi(argv[6]);
    loop = uv_default_loop();
    sipc_security *sec;
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "busy";
    o.cluster = argv[4];
    sipc_ctx *ctx;
    sipc_router *r;
    sipc_server *srv;
    if (sipc_security_plain(&sec) != 0 || sipc_ctx_new(&ctx, loop, &o, sec) != 0 ||
        sipc_router_new(&r) != 0 || sipc_router_add(r, "pipeline", "ingest", on_ingest, NULL) != 0 ||
        sipc_channel_open(&node, ctx, argv[2], atoi(argv[3]), NULL) != 0 ||
        sipc_server_listen(&srv, ctx, "busy pipeline", argv[1], 0, r) != 0) {
        fprintf(stderr, "busy_pipeline: cannot start\n");
        return 1;
    }
    printf("%d\n", sipc_server_port(srv));
    fflush(stdout);
    uv_timer_t end;
    uv_timer_init(loop, &end);
    uv_timer_start(&end, on_end, 60000, 0);
    uv_run(loop, UV_RUN_DEFAULT);
    return 0;
}
