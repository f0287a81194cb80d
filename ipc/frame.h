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
 * Returning non-zero stops decoding and is returned by sipc_frame_decode. */
typedef int (*sipc_frame_fn)(void *arg, const uint8_t *data, size_t len);

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
} sipc_frame_decoder;

void sipc_frame_decoder_init(sipc_frame_decoder *d, size_t max);
void sipc_frame_decoder_free(sipc_frame_decoder *d);
/* Feeds bytes. Returns 0, SIPC_ETOOBIG (d->last_len says how big),
 * SIPC_ENOMEM, or the callback's non-zero result. After an error the decoder
 * must not be fed again. */
int sipc_frame_decode(sipc_frame_decoder *d, const uint8_t *data, size_t len, sipc_frame_fn fn,
                      void *arg);
/* The same, and *used tells how many bytes of data were consumed: all of
 * them unless the callback stopped the decoder, in which case decoding can go
 * on later from data + *used. */
int sipc_frame_decode_some(sipc_frame_decoder *d, const uint8_t *data, size_t len, sipc_frame_fn fn,
                           void *arg, size_t *used);
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
