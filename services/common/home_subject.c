/* home_subject.c - see home_subject.h. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "home_subject.h"

int sipc_cli_home_subject_wrong(const sipc_security *sec, const sipc_config *cfg, char *why,
                                size_t len)
{
    char own[600];
    if (!sec || sipc_security_check_own_subject(sec, own, sizeof own) == 0)
        return 0;
    char where[PATH_MAX + 32];
    snprintf(why, len, "this home's [tls] subject (%s) does not match this home's own "
                       "certificate: %s",
             sipc_config_where(cfg, cfg->subject_line, where, sizeof where), own);
    return 1;
}

int sipc_cli_home_subject_fault(const sipc_security *sec, const sipc_config *cfg, int err,
                                const char *peer_reason, char *why, size_t len)
{
    char own[600], text[1200];
    /* the node's certificate refused here for its subject, and this home's
     * own certificate (the cluster shares it) fails the same subject */
    if (err != SIPC_EPEERAUTH || !sec || sipc_security_subject_refusals(sec) == 0 ||
        !sipc_cli_home_subject_wrong(sec, cfg, text, sizeof text))
        return 0;
    if (!why)
        return 1;
    snprintf(why, len, "%s", text);
    sipc_security_check_own_subject(sec, own, sizeof own);
    /* the same pair on the node fails the same check: nothing to add */
    if (peer_reason && *peer_reason && !strstr(peer_reason, own)) {
        size_t n = strlen(why);
        snprintf(why + n, len - n, "; the node's certificate: %s", peer_reason);
    }
    return 1;
}
