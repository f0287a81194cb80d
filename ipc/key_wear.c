/* key_wear.c - new TLS keys on a new connection once a connection's keys
 * have encrypted enough. A connection keeps one AEAD key per direction for
 * its whole life: TLS 1.2 has no key update and sipc refuses renegotiation.
 * RFC 8446 section 5.5 limits AES-GCM to 2^24.5 full-size records per key,
 * where an attacker's advantage in telling the records from random stays
 * near 2^-57; a bulk channel at 1 GB/s passes it in minutes. That advantage
 * grows with the AES blocks encrypted under the key, not with the records
 * (draft-irtf-cfrg-aead-limits; sipc_tls_key_blocks), so the engine counts
 * blocks and a link of small records is not replaced every minute for
 * nothing. Once a key has encrypted as many blocks as 2^24 full-size
 * records hold, the connection is retired as a reload retires one
 * (sipc__conn_retire, GOAWAY: its calls answered, the peer's channel
 * dialing anew), well within the limit for what still moves on it meanwhile
 * (at most the 10 s grace). A plaintext connection has no keys to wear out,
 * and a ChaCha20-Poly1305 one none that wears within 2^64 records (the
 * engine counts 0 for it). */
#include <stdio.h>

#include "ipc/internal.h"

uint64_t sipc__key_records_max = SIPC__KEY_RECORDS_MAX;

/* The engine counts at most 33 full-size records' worth of blocks for each
 * byte of application data: a record carries a byte, but for 32 empty ones
 * in a row (sipc_tls_key_blocks), and a record whose size it does not see
 * counts as full-size. So many bytes cannot carry the blocks left, and the
 * stream is asked again only once they have moved, one question per few
 * hundred KiB far from the limit. */
#define BLOCKS_PER_BYTE (33 * SIPC_TLS_RECORD_BLOCKS)

void sipc__conn_keys_check(sipc_conn *c)
{
    if (c->state != SIPC_CONN_S_UP || !c->stream)
        return; /* asked again at the next flush, once up */
    if (!sipc_stream_is_tls(c->stream)) {
        c->key_budget = SIZE_MAX;
        return;
    }
    uint64_t used = sipc_stream_key_blocks(c->stream);
    uint64_t max = sipc__key_records_max * SIPC_TLS_RECORD_BLOCKS;
    if (used < max) {
        uint64_t left = (max - used) / BLOCKS_PER_BYTE;
        c->key_budget = left < SIZE_MAX ? (size_t)left : SIZE_MAX;
        return;
    }
    c->key_budget = SIZE_MAX; /* once: the replacement is under way */
    char why[200];
    snprintf(why, sizeof why,
             "replaced: its TLS keys have encrypted %llu AES blocks, as many as %llu full-size "
             "records hold; new keys on a new connection",
             (unsigned long long)used, (unsigned long long)(used / SIPC_TLS_RECORD_BLOCKS));
    sipc__conn_log_event(c, "TLS keys worn", why);
    (void)sipc__conn_retire(c, 0);
}
