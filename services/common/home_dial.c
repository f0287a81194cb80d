/* home_dial.c - see home_dial.h. */
#include <stdio.h>

#include "home_dial.h"
#include "ipc/node/home_lock_read.h"

static int runs_tls(int running)
{
    return running >= 0 && running != SIPC_TLS_OFF;
}

int sipc_cli_home_dial_security(const sipc_config *cfg, int home_node, int running, int unknown_off,
                                sipc_security **sec, char *err, size_t errlen)
{
    sipc_config cc = *cfg;
    if (home_node && runs_tls(running) && !cfg->tls_enable) {
        /* never plaintext toward a node known to run TLS: a TLS client
         * that cannot be loaded is the error */
        cc.tls_enable = 1;
        char why[900] = "";
        int r = sipc_security_load_client(sec, &cc, why, sizeof why);
        if (r != 0)
            snprintf(err, errlen,
                     "this home's node runs TLS %s (%s/%s), so it is dialed with TLS only, and "
                     "the TLS client cannot be loaded: %s; run the command as the node's account, "
                     "or fix what is named",
                     sipc_tls_mode_name((sipc_tls_mode)running), cfg->home, SIPC_HOME_TLS_FILE,
                     why);
        return r;
    }
    int off = running == SIPC_TLS_OFF || (running < 0 && unknown_off && home_node);
    if (!cfg->tls_enable || !off)
        return sipc_security_load_client(sec, cfg, err, errlen);
    /* the fallback would also take a home whose trust TLS refuses (a CA
     * without [tls] subject) as plaintext: that refusal is the reason */
    int r = sipc_security_load_client(sec, cfg, err, errlen);
    if (r == SIPC_ECONFIG)
        return r;
    if (r == 0)
        sipc_security_release(*sec);
    cc.tls_enable = 0;
    r = sipc_security_load_client(sec, &cc, err, errlen);
    return r == 0 ? 1 : r;
}

int sipc_cli_home_plaintext_impostor(const char *prog, const sipc_config *cfg, const char *target,
                                     const char *service, char *fix, size_t flen)
{
    int running = sipc__home_tls_running(cfg->home);
    if (!runs_tls(running))
        return 0;
    char why[900];
    long pid = sipc__home_lock_holder(cfg->home, why, sizeof why);
    snprintf(fix, flen,
             " (this home's node, sipcd pid %ld, runs TLS %s, as %s/%s says: what answered in "
             "plaintext at %s is not it, and %s does not fall back to plaintext toward it; "
             "compare [node] address and [%s] port in %s/sipc.conf with its log's `TLS Port:` "
             "lines)",
             pid, sipc_tls_mode_name((sipc_tls_mode)running), cfg->home, SIPC_HOME_TLS_FILE,
             target, prog, service, cfg->home);
    return 1;
}
