/* mgmt_pair.h - two nodes on one loop for the management.cluster tests: b,
 * a sipc server whose management.status is the test's handler, and a, a
 * management service with b as its one peer (cluster timeout 3 s), which a
 * channel from a third context asks. Plaintext, over real TCP on the test's
 * address. */
#ifndef SIPC_TEST_MGMT_PAIR_H
#define SIPC_TEST_MGMT_PAIR_H

#include "management_service.h"
#include "testutil.h"

#define MGMT_PAIR_CLUSTER_TIMEOUT_MS 3000

typedef struct mgmt_pair {
    uv_loop_t loop;
    sipc_ctx *actx, *bctx, *cctx;
    sipc_router *ar, *br;
    sipc_server *asrv, *bsrv;
    sipc_mgmt *m;
    sipc_channel *ch; /* to a's management service */
} mgmt_pair;

/* Opens the pair on net; b's status questions go to on_status(req, arg).
 * log: where the contexts log (NULL: the library's default). */
void mgmt_pair_open(mgmt_pair *p, const char *net, sipc_handler_fn on_status, void *arg,
                    tu_log *log);
/* Closes everything mgmt_pair_open made, the loop too. */
void mgmt_pair_close(mgmt_pair *p);

#endif
