/* reload_dials.h - the dials of a reload's trust guard (crl_guard.c): every
 * other [cluster] node asked sys.info at once, with up to four securities
 * each, within one timeout; what each dial found, and the name of each
 * node dialled. Private to sipcd's reload. */
#ifndef SIPCD_RELOAD_DIALS_H
#define SIPCD_RELOAD_DIALS_H

#include <stddef.h>
#include <stdint.h>

#include "host.h"
#include "reload_job.h"

typedef struct reload_dial {
    struct reload_dials *ask;
    sipc_channel *ch;
    int done, up, tls, err;
    char node[64]; /* the node id of its hello, "" when it did not come up */
    char fp[65];   /* the SHA-256 of the certificate it presented, "" when none */
    char detail[700];
} reload_dial;

/* [0]: the security that runs now, [1]: the reload's, [2] and [3]: the
 * reload's without revocation checks and with soft ones (j->probe_as) */
#define RELOAD_DIAL_SECS 4
typedef struct reload_dials {
    reload_job *j;
    void (*done)(reload_job *j);
    sipc_ctx *ctx[RELOAD_DIAL_SECS];
    int first; /* the securities dialled: first .. nsec - 1 */
    int nsec;
    int n, open, closing, started;
    char addr[SIPC_MAX_NODES][160];
    int entry[SIPC_MAX_NODES]; /* its index in [cluster] nodes */
    reload_dial dial[RELOAD_DIAL_SECS][SIPC_MAX_NODES];
} reload_dials;

/* Dials every other [cluster] node's management service once with each of
 * sec[first .. nsec - 1] (sec[0] only when first is 0), each dial within
 * timeout_ms, and keeps them in j->dials. done(j) runs on the loop once
 * every dial ended and their contexts closed. 0, or a negative SIPC_* code
 * without calling done. */
int reload_dials_start(reload_job *j, host *h, sipc_security *const sec[RELOAD_DIAL_SECS],
                       int first, int nsec, uint32_t timeout_ms, void (*done)(reload_job *j));

/* The name of node i of the dials, as the guard's words give it: the node
 * id its hello gave to one of these dials (kept in h->crl_node for later
 * ones, refused ones learning none), else to earlier dials, else to the
 * search's or pipeline's links the node keeps to it; "" when none knows. */
const char *reload_dials_node(const reload_dials *a, host *h, int i);

/* Frees j->dials. */
void reload_dials_free(reload_job *j);

#endif
