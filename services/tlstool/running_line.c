/* running_line.c - the mode of the sipcd running from this home, read
 * without a connection from the file it writes at its start and at each
 * reload it applies (state/tls-running); asked of the node as `tlstool
 * status` asks only when that file does not tell (a sipcd of an older
 * build, another account's state/). */
#include <stdio.h>
#include <string.h>

#include "ipc/node/home_lock_read.h"
#include "services/common/client_home.h"
#include "services/tlstool/running_line.h"

home_run say_running(const opts *o, const sipc_config *cfg, const char *until,
                     const char **mode)
{
    /* the words running_json gives, kept as static text */
    static const char *const words[] = {"off", "permissive", "strict"};
    *mode = NULL;
    if (sipc_cli_home_client_only(cfg))
        return HOME_RUN_CLIENT;
    char why[2400];
    long pid = sipc__home_lock_holder(o->home, why, sizeof why);
    int m = pid > 0 ? sipc__home_tls_running(o->home) : -1;
    if (pid == 0) {
        printf("running: no sipcd runs from this home: one started from it runs what sipc.conf "
               "says\n");
        return HOME_RUN_NONE;
    }
    if (m >= 0) {
        *mode = sipc_tls_mode_name((sipc_tls_mode)m);
    } else {
        json_t *scratch = json_array();
        json_t *r = running_json(o, cfg, NULL, scratch);
        const char *state = json_string_value(json_object_get(r, "state"));
        const char *asked = json_string_value(json_object_get(r, "tls_mode"));
        for (int i = 0; state && !strcmp(state, "asked") && asked && i < 3; i++)
            if (!strcmp(asked, words[i]))
                *mode = words[i];
        const char *reason = json_string_value(json_object_get(r, "reason"));
        if (!*mode)
            snprintf(why, sizeof why, "%s", reason ? reason : "its mode could not be read");
        json_decref(r);
        json_decref(scratch);
    }
    if (!*mode) {
        printf("running: unknown: %s\n", why);
        return HOME_RUN_UNKNOWN;
    }
    printf("running: %s (sipcd pid %ld) runs TLS %s: unchanged %s\n", cfg->node_id, pid, *mode,
           until);
    return HOME_RUN_MODE;
}
