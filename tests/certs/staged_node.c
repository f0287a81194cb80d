/* staged_node.c - what a node says of the pair staged in its home, for
 * test_tlstool_replaced.sh: is it the judgement `tlstool status` gives?
 *
 *   staged_node HOME
 *
 * Loads HOME's security as sipcd does (sipc_security_load) and prints one
 * JSON line of sipc_security_staged_verifies, the tls.rotation fields of
 * the node's status: {"verifies": B, "reason": S, "fix": S, "completable": B}.
 * Exit 0, or 2 when the security cannot be loaded (said on stderr). */
#include <stdio.h>

#include <jansson.h>

#include "sipc/node.h"
#include "sipc/sipc.h"

int main(int argc, char **argv)
{
    sipc_config cfg;
    sipc_security *sec = NULL;
    char err[1024], reason[1024], fix[1024];
    int completable;
    if (argc != 2) {
        fprintf(stderr, "usage: staged_node HOME\n");
        return 2;
    }
    if (sipc_config_load(&cfg, argv[1], err, sizeof err) != 0 ||
        sipc_security_load(&sec, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "staged_node: %s\n", err);
        return 2;
    }
    int ok = sipc_security_staged_verifies(sec, reason, sizeof reason, fix, sizeof fix,
                                           &completable);
    json_t *j = json_pack("{s:b, s:s, s:s, s:b}", "verifies", ok, "reason", reason, "fix", fix,
                          "completable", completable);
    json_dumpf(j, stdout, JSON_COMPACT);
    putchar('\n');
    json_decref(j);
    sipc_security_release(sec);
    return 0;
}
