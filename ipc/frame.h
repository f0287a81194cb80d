/* frame.h - length-prefixed frames: 4-byte big-endian length, then that many
 * bytes. The decoder is incremental (any split of the byte stream gives the
 * same frames) and checks every length against the maximum before it
 * allocates anything. */
#ifndef SIPC_FRAME_H
#define SIPC_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define SIPC_FRAME_HEADER 4
#define SIPC_FRAME_KEEP (1u << 20)
/* The ceiling of every node's max_frame: a plaintext sipc stream therefore
 * begins with a byte of at most SIPC_FRAME_MAX >> 24 (protocol.md, 3). */
#define SIPC_FRAME_MAX (256u << 20)
/* The smallest max_frame a context accepts ([limits] max_frame's range). */
#define SIPC_FRAME_MIN 1024u

/* Called once per complete frame; data is valid only during the call.
 * Returning non-zero stops decoding and is returned by sipc_frame_decode.
 * It must not return SIPC_FRAME_WAIT. */
typedef int (*sipc_frame_fn)(void *arg, const uint8_t *data, size_t len);

/* What sipc_frame_decode returns (not an error) when the buffer a split
 * frame needs does not fit its budget: the header is consumed, the frame's
 * length is in d->pending, and decoding goes on from the next byte (or with
 * no bytes at all, to ask again) once the budget has room. */
#define SIPC_FRAME_WAIT 0x57414954

/* Reassembly memory shared by the decoders of a context: every byte of
 * buffer a decoder holds (its kept buffer and a split frame's own) is
 * counted in used. A decoder that needs more than cap - used for a new
 * frame waits (SIPC_FRAME_WAIT); so does one that is not waiting yet while
 * others are (waiting > 0: they go first). Frames that lie whole in one read
 * are handed up in place and never counted. */
typedef struct sipc_frame_budget {
    size_t used;
    size_t cap;
    unsigned waiting;  /* decoders with a pending frame; kept by the owner */
    /* called when a decoder gives bytes back while waiting > 0 (may be NULL) */
    void (*released)(void *arg);
    void *arg;
} sipc_frame_budget;

typedef struct sipc_frame_decoder {
    size_t max;        /* largest accepted frame body */
    uint8_t hdr[SIPC_FRAME_HEADER];
    size_t hdr_have;   /* header bytes collected of a frame split across reads */
    uint8_t *body;     /* partial body, allocated only once its length is accepted */
    size_t body_len;
    size_t body_have;
    uint8_t *spare;    /* reassembly buffer kept between frames (up to
                          SIPC_FRAME_KEEP bytes), so a stream of split frames
                          does not fault in fresh memory for every message */
    size_t spare_cap;
    uint8_t *cur;      /* the reassembled body being handed up, until taken */
    size_t last_len;   /* the length that was refused, for error messages */
    sipc_frame_budget *budget; /* NULL: not counted */
    size_t held;       /* its share of budget->used */
    size_t pending;    /* a split frame of this length waits for the budget */
    uint64_t started;  /* split frames begun, so the owner can tell a new one */
} sipc_frame_decoder;

void sipc_frame_decoder_init(sipc_frame_decoder *d, size_t max);
/* Counts d's buffers in b from now on (before the first byte is fed). */
void sipc_frame_decoder_set_budget(sipc_frame_decoder *d, sipc_frame_budget *b);
/* Frees every buffer (its share of the budget goes back); not inside the
 * callback of a reassembled frame. */
void sipc_frame_decoder_free(sipc_frame_decoder *d);
/* Feeds bytes. Returns 0, SIPC_ETOOBIG (d->last_len says how big),
 * SIPC_ENOMEM, SIPC_FRAME_WAIT, or the callback's non-zero result. After an
 * error the decoder must not be fed again. With a frame pending, len may be
 * 0: only the budget is asked again. */
int sipc_frame_decode(sipc_frame_decoder *d, const uint8_t *data, size_t len, sipc_frame_fn fn,
                      void *arg);
/* The same, and *used tells how many bytes of data were consumed: all of
 * them unless the callback stopped the decoder, in which case decoding can go
 * on later from data + *used. */
int sipc_frame_decode_some(sipc_frame_decoder *d, const uint8_t *data, size_t len, sipc_frame_fn fn,
                           void *arg, size_t *used);
/* Whether the buffer of the pending frame would fit the budget now. */
int sipc_frame_pending_fits(const sipc_frame_decoder *d);
/* 1 if no partial frame is buffered (a close here loses nothing). */
int sipc_frame_decoder_idle(const sipc_frame_decoder *d);
/* Where the next bytes of a frame split across reads go, and how many it
 * still needs (0 when no body is being reassembled). Bytes the caller puts
 * there itself and then feeds from that same address are not copied. */
size_t sipc_frame_window(const sipc_frame_decoder *d, uint8_t **p);
/* Only inside the callback for a frame that was reassembled (data is the
 * decoder's buffer): takes that buffer over, returns it (its size in *cap)
 * or NULL if data is not such a buffer. Give it back with
 * sipc_frame_give_back() (kept for the next frame) or free() it. */
uint8_t *sipc_frame_take(sipc_frame_decoder *d, const uint8_t *data, size_t *cap);
void sipc_frame_give_back(sipc_frame_decoder *d, uint8_t *buf, size_t cap);
/* Frees the kept reassembly buffer if no partial frame is in it (an idle
 * connection's memory goes back to what it was before a large message). */
void sipc_frame_decoder_release(sipc_frame_decoder *d);
void sipc_frame_put_header(uint8_t out[SIPC_FRAME_HEADER], uint32_t len);

#endif
