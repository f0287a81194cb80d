/* tls_pair.h - both ends of the TLS engine in memory, no sockets: each end's
 * ciphertext goes into its tx buffer and is carried to the other end. */
#ifndef SIPC_TLS_PAIR_H
#define SIPC_TLS_PAIR_H

#include "base/buf.h"
#include "transport/tls_engine.h"

typedef struct tu_tls_end {
    sipc_tls *t;
    sipc_buf tx;
    int err; /* the first error sipc_tls_start/sipc_tls_input returned */
} tu_tls_end;

/* Makes both ends (client of ccfg, server of scfg) and runs the handshake,
 * bounded; the alert of a refusing side still reaches the other. 0 when
 * both ends were made (whatever the handshake did: see the ends' err and
 * sipc_tls_handshake_done), else -1. Free with tu_tls_pair_free. */
int tu_tls_pair_handshake(tu_tls_end *c, tu_tls_end *s, sipc_tls_config *ccfg,
                          sipc_tls_config *scfg);
void tu_tls_pair_free(tu_tls_end *c, tu_tls_end *s);

#endif
