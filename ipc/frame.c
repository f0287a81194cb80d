/* frame.c - incremental length-prefixed frame decoder. Whole frames that lie
 * inside one read are handed up in place; only a frame split across reads is
 * copied, into a buffer sized by its (already checked) length, and only that
 * buffer (and the one kept between frames) is counted in the budget. */
#include <stdlib.h>
#include <string.h>

#include "base/endian.h"
#include "ipc/frame.h"
#include "sipc/sipc.h"

void sipc_frame_decoder_init(sipc_frame_decoder *d, size_t max)
{
    memset(d, 0, sizeof *d);
    d->max = max;
}

void sipc_frame_decoder_set_budget(sipc_frame_decoder *d, sipc_frame_budget *b)
{
    d->budget = b;
    d->held = 0;
}

/* Brings d's share of the budget up to what it holds now: its kept buffer
 * and a split frame's own buffer. Tells the budget's owner when bytes came
 * back while someone waits for them. */
static void dec_account(sipc_frame_decoder *d)
{
    sipc_frame_budget *b = d->budget;
    if (!b)
        return;
    size_t now = d->spare_cap + (d->body && d->body != d->spare ? d->body_len : 0);
    size_t was = d->held;
    b->used = b->used - was + now;
    d->held = now;
    if (now < was && b->waiting && b->released)
        b->released(b->arg);
}

void sipc_frame_decoder_free(sipc_frame_decoder *d)
{
    if (d->body != d->spare)
        free(d->body);
    free(d->spare);
    d->body = d->spare = NULL;
    d->spare_cap = 0;
    d->body_len = d->body_have = d->hdr_have = d->pending = 0;
    dec_account(d);
}

/* Whether grow more bytes of buffer fit d's budget now. One that is not
 * waiting yet does not go ahead of those that are. */
static int budget_fits(const sipc_frame_decoder *d, size_t grow)
{
    const sipc_frame_budget *b = d->budget;
    if (!b || grow == 0)
        return 1;
    if (!d->pending && b->waiting)
        return 0;
    return b->used <= b->cap && grow <= b->cap - b->used;
}

/* Bytes of buffer a split body of flen bytes adds to what d holds. */
static size_t body_grow(const sipc_frame_decoder *d, size_t flen)
{
    size_t cap = flen < 65536 ? 65536 : flen;
    return flen > SIPC_FRAME_KEEP ? flen : d->spare_cap < flen ? cap - d->spare_cap : 0;
}

int sipc_frame_pending_fits(const sipc_frame_decoder *d)
{
    if (!d->pending)
        return 0;
    size_t grow = body_grow(d, d->pending);
    if (d->pending > SIPC_FRAME_KEEP) /* body_buffer makes room with the kept one */
        grow = grow > d->spare_cap ? grow - d->spare_cap : 0;
    return budget_fits(d, grow);
}

/* A buffer for a split body of flen bytes: the kept one when it is small
 * enough to keep, else its own allocation. NULL with *wait set: the budget
 * has no room for it now; NULL alone: out of memory. */
static uint8_t *body_buffer(sipc_frame_decoder *d, size_t flen, int *wait)
{
    *wait = 0;
    size_t cap = flen < 65536 ? 65536 : flen;
    size_t grow = body_grow(d, flen);
    if (!budget_fits(d, grow) && d->spare && flen > SIPC_FRAME_KEEP) {
        /* the kept buffer is no use to this frame: make room with it first */
        free(d->spare);
        d->spare = NULL;
        d->spare_cap = 0;
        dec_account(d);
    }
    if (!budget_fits(d, grow)) {
        *wait = 1;
        return NULL;
    }
    if (flen > SIPC_FRAME_KEEP)
        return malloc(flen);
    if (d->spare_cap < flen) {
        uint8_t *n = malloc(cap);
        if (!n)
            return NULL;
        free(d->spare);
        d->spare = n;
        d->spare_cap = cap;
    }
    return d->spare;
}

void sipc_frame_decoder_release(sipc_frame_decoder *d)
{
    if (!sipc_frame_decoder_idle(d))
        return;
    free(d->spare);
    d->spare = NULL;
    d->spare_cap = 0;
    dec_account(d);
}

int sipc_frame_decoder_idle(const sipc_frame_decoder *d)
{
    return d->hdr_have == 0 && d->body == NULL && d->pending == 0;
}

void sipc_frame_put_header(uint8_t out[SIPC_FRAME_HEADER], uint32_t len)
{
    sipc_be32_put(out, len);
}

int sipc_frame_decode(sipc_frame_decoder *d, const uint8_t *data, size_t len, sipc_frame_fn fn,
                      void *arg)
{
    size_t used;
    return sipc_frame_decode_some(d, data, len, fn, arg, &used);
}

int sipc_frame_decode_some(sipc_frame_decoder *d, const uint8_t *data, size_t len, sipc_frame_fn fn,
                           void *arg, size_t *used)
{
    const uint8_t *start = data;
    *used = 0;
    while (len > 0 || d->pending) {
        if (d->body) {
            /* continue a split body */
            size_t take = d->body_len - d->body_have;
            if (take > len)
                take = len;
            if (data != d->body + d->body_have) /* else already in place (window) */
                memcpy(d->body + d->body_have, data, take);
            d->body_have += take;
            data += take;
            len -= take;
            if (d->body_have < d->body_len) {
                *used = (size_t)(data - start);
                return 0;
            }
            uint8_t *body = d->body;
            size_t blen = d->body_len;
            d->body = NULL;
            d->body_len = d->body_have = 0;
            d->cur = body;
            int r = fn(arg, body, blen);
            if (!d->cur)
                ; /* the callback took the buffer */
            else if (body != d->spare)
                free(body);
            else if (d->budget && d->budget->waiting) {
                /* others wait for room: the kept buffer is not kept */
                free(d->spare);
                d->spare = NULL;
                d->spare_cap = 0;
            }
            d->cur = NULL;
            dec_account(d);
            if (r) {
                *used = (size_t)(data - start);
                return r;
            }
            continue;
        }
        uint32_t flen;
        if (d->pending) {
            flen = (uint32_t)d->pending; /* its header came before a wait */
        } else if (d->hdr_have == 0 && len >= SIPC_FRAME_HEADER) {
            flen = sipc_be32_get(data);
            data += SIPC_FRAME_HEADER;
            len -= SIPC_FRAME_HEADER;
        } else {
            size_t take = SIPC_FRAME_HEADER - d->hdr_have;
            if (take > len)
                take = len;
            memcpy(d->hdr + d->hdr_have, data, take);
            d->hdr_have += take;
            data += take;
            len -= take;
            if (d->hdr_have < SIPC_FRAME_HEADER) {
                *used = (size_t)(data - start);
                return 0;
            }
            flen = sipc_be32_get(d->hdr);
            d->hdr_have = 0;
        }
        if (!d->pending && flen > d->max) {
            d->last_len = flen;
            *used = (size_t)(data - start);
            return SIPC_ETOOBIG;
        }
        if (len >= flen) {
            /* whole body present: no copy, nothing counted */
            d->pending = 0;
            int r = fn(arg, data, flen);
            data += flen;
            len -= flen;
            if (r) {
                *used = (size_t)(data - start);
                return r;
            }
            continue;
        }
        int wait;
        d->body = body_buffer(d, flen, &wait);
        if (!d->body) {
            *used = (size_t)(data - start);
            if (!wait)
                return SIPC_ENOMEM;
            d->pending = flen;
            return SIPC_FRAME_WAIT;
        }
        d->pending = 0;
        d->body_len = flen;
        d->body_have = 0;
        d->started++;
        dec_account(d);
    }
    *used = (size_t)(data - start);
    return 0;
}

size_t sipc_frame_window(const sipc_frame_decoder *d, uint8_t **p)
{
    if (!d->body)
        return 0;
    *p = d->body + d->body_have;
    return d->body_len - d->body_have;
}

uint8_t *sipc_frame_take(sipc_frame_decoder *d, const uint8_t *data, size_t *cap)
{
    if (!d->cur || data != d->cur)
        return NULL;
    uint8_t *b = d->cur;
    d->cur = NULL;
    if (b == d->spare) {
        *cap = d->spare_cap;
        d->spare = NULL;
        d->spare_cap = 0;
        dec_account(d); /* the taker holds it now, a complete frame */
    } else {
        *cap = 0; /* a one-off buffer beyond SIPC_FRAME_KEEP: not to be kept */
    }
    return b;
}

void sipc_frame_give_back(sipc_frame_decoder *d, uint8_t *buf, size_t cap)
{
    const sipc_frame_budget *bg = d->budget;
    if (!d->spare && cap && cap <= SIPC_FRAME_KEEP &&
        (!bg || (!bg->waiting && bg->used <= bg->cap && cap <= bg->cap - bg->used))) {
        d->spare = buf;
        d->spare_cap = cap;
        dec_account(d);
    } else {
        free(buf);
    }
}
