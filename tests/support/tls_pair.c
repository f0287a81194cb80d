/* tls_pair.c - a handshake between two in-memory ends of the TLS engine
 * (see tls_pair.h). */
#include "tls_pair.h"

#include <string.h>

static int ignore_plain(void *arg, const uint8_t *p, size_t n)
{
    (void)arg;
    (void)p;
    (void)n;
    return 0;
}

static void deliver(tu_tls_end *from, tu_tls_end *to)
{
    sipc_buf in = from->tx;
    memset(&from->tx, 0, sizeof from->tx);
    int r = sipc_tls_input(to->t, in.data, in.len, ignore_plain, NULL);
    sipc_buf_free(&in);
    if (r != 0 && to->err == 0)
        to->err = r;
}

int tu_tls_pair_handshake(tu_tls_end *c, tu_tls_end *s, sipc_tls_config *ccfg,
                          sipc_tls_config *scfg)
{
    memset(c, 0, sizeof *c);
    memset(s, 0, sizeof *s);
    if (sipc_tls_new(&c->t, ccfg, 0, &c->tx) != 0 || sipc_tls_new(&s->t, scfg, 1, &s->tx) != 0) {
        tu_tls_pair_free(c, s);
        return -1;
    }
    c->err = sipc_tls_start(c->t);
    /* a TLS 1.2 handshake takes two round trips; bounded */
    for (int i = 0; i < 20 && !c->err && !s->err && (c->tx.len || s->tx.len); i++) {
        if (c->tx.len)
            deliver(c, s);
        if (s->tx.len && !s->err)
            deliver(s, c);
    }
    if (c->tx.len && !s->err)
        deliver(c, s);
    if (s->tx.len && !c->err)
        deliver(s, c);
    return 0;
}

void tu_tls_pair_free(tu_tls_end *c, tu_tls_end *s)
{
    sipc_tls_free(c->t);
    sipc_tls_free(s->t);
    sipc_buf_free(&c->tx);
    sipc_buf_free(&s->tx);
    memset(c, 0, sizeof *c);
    memset(s, 0, sizeof *s);
}
