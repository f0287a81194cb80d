/* client_home.c - see client_home.h. */
#include "services/common/client_home.h"

#include <stdio.h>
#include <sys/stat.h>

#include "ipc/node/home_lock_read.h"

int sipc_cli_home_client_only(const sipc_config *cfg)
{
    if (cfg->node_line || cfg->nnodes == 0)
        return 0;
    /* a node may rely on [node]'s defaults (127.0.0.1, the host name as its
     * id): one of its [cluster] entries is then itself */
    for (int i = 0; i < cfg->nnodes; i++)
        if (sipc_config_node_is_self(cfg, i))
            return 0;
    char state_dir[sizeof cfg->home + 8];
    struct stat st;
    snprintf(state_dir, sizeof state_dir, "%s/state", cfg->home);
    if (lstat(state_dir, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    char why[900];
    return sipc__home_lock_holder(cfg->home, why, sizeof why) == 0;
}

sipc_cli_home_words sipc_cli_home_words_of(const sipc_config *cfg)
{
    sipc_cli_home_words w = {0, "this node", "this node's", "this node"};
    if (sipc_cli_home_client_only(cfg))
        w = (sipc_cli_home_words){1, "this home", "this home's", "this home's clients"};
    return w;
}

sipc_cli_home_words sipc_cli_home_words_at(const char *home)
{
    sipc_config cfg;
    /* a home whose sipc.conf cannot be read is no client's (the rule) */
    if (sipc_config_load_or_defaults(&cfg, home, NULL, 0) != 0)
        cfg.node_line = 1;
    return sipc_cli_home_words_of(&cfg);
}
