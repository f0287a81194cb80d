/* mem_stream.h - a test-only implementation of transport/stream.h in memory:
 * pairs of streams whose bytes go from one end to the other when the test
 * pumps, with no socket and no clock. Linked in place of transport/stream.c,
 * so ipc/conn.c runs unchanged on top of it.
 *
 * One end of a pair usually belongs to a sipc_conn (events =
 * &sipc__conn_stream_events); the other may belong to a second connection,
 * or be a raw end the test reads and writes itself (events NULL). */
#ifndef SIPC_TEST_MEM_STREAM_H
#define SIPC_TEST_MEM_STREAM_H

#include <uv.h>

#include "transport/stream.h"

/* Two connected ends; ev_a/ev_b may be NULL for a raw end. */
void ms_pair(sipc_stream **a, const sipc_stream_events *ev_a, sipc_stream **b,
             const sipc_stream_events *ev_b);
/* The handshake is over: fires the ready event (what connect or the first
 * byte does for a socket stream). */
void ms_ready(sipc_stream *s);
/* Runs the loop without blocking and moves bytes, EOFs and close events
 * until nothing moves any more (bounded). */
void ms_pump(uv_loop_t *loop);
/* Raw end: appends bytes for the other end to read. */
void ms_write(sipc_stream *raw, const void *p, size_t n);
/* Raw end: takes everything the other end wrote (out is appended to). */
void ms_take(sipc_stream *raw, sipc_buf *out);
/* Raw end: takes at most the first n bytes the other end wrote (a peer
 * that reads slowly). */
void ms_take_some(sipc_stream *raw, sipc_buf *out, size_t n);
/* Raw end: closes; the other end reads EOF after the bytes already sent. */
void ms_close(sipc_stream *raw);
/* The next write with parts (sipc_stream_write_parts) takes the buffer's
 * bytes and then fails with err, as a TLS stream does that sealed them and
 * then could not seal the payload. */
void ms_fail_parts(sipc_stream *s, int err);
/* The stream holds n bytes of buffers that no trim can give back, as a TLS
 * stream holding half a record does. */
void ms_hold_stuck(sipc_stream *s, size_t n);
/* Bytes reached s at loop time when that make no plaintext yet (a TLS
 * record still arriving): what sipc_stream_last_read says; 0 before. */
void ms_arrived(sipc_stream *s, uint64_t when);
/* Reading stopped by the owner (backpressure)? */
int ms_paused(const sipc_stream *s);
/* Streams not yet freed (each is freed after its closed event). */
int ms_live(void);

#endif
