/* hello.c - the hello a connection sends first (docs/protocol.md,
 * section 5): who this side is, and what the connection may carry. */
#include "ipc/internal.h"
#include "sipc.pb-c.h"

/* Our hello; retry: a plaintext dial after the address refused our TLS;
 * tls_accepted: a plaintext connection to a port that takes TLS too. */
size_t sipc__hello_pack(sipc_ctx *ctx, int retry, int tls_accepted, uint8_t *out, size_t cap)
{
    Sipc__Hello h = SIPC__HELLO__INIT;
    h.protocol_version = SIPC_PROTOCOL_VERSION;
    h.node_id = ctx->node_id;
    h.cluster = ctx->cluster;
    h.software = "sipc " SIPC_VERSION_STRING;
    h.plaintext_retry = retry;
    h.tls_accepted = tls_accepted;
    h.max_frame = (uint32_t)ctx->opts.max_frame;
    if (sipc__hello__get_packed_size(&h) > cap)
        return 0;
    return sipc__hello__pack(&h, out);
}
