/* cluster_hint.c - what a client home changes to reach a node of another
 * cluster: see cluster_hint.h. */
#include "services/common/cluster_hint.h"

#include <stdio.h>
#include <string.h>

/* Why `name = <name>` in sipc.conf would not read back as name, or NULL.
 * The syntax (docs/configuration.md) has no quoting: values are trimmed, and
 * a ';' after white space starts a comment; '#' inside a value is kept. */
static const char *unwritable(const char *name)
{
    size_t n = strlen(name);
    if (strchr(" \t", name[0]) || strchr(" \t", name[n - 1]))
        return "white space at its start or end, which sipc.conf trims";
    if (name[0] == ';') /* after "name = ": a comment */
        return "a ';' first, which starts a comment in sipc.conf";
    for (const char *p = name; *p; p++) {
        if ((*p == ' ' || *p == '\t') && p[1] == ';')
            return "' ;' in it, which starts a comment in sipc.conf";
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "a control character in it";
    }
    return NULL;
}

const char *sipc_cli_cluster_fix(const sipc_config *cfg, const char *theirs, char *fix,
                                 size_t len)
{
    char line[96];
    if (theirs && *theirs) {
        const char *why = unwritable(theirs);
        if (why) {
            snprintf(fix, len,
                     "; the node's cluster name '%s' cannot be written in sipc.conf (%s): no "
                     "home can name it; rename that cluster",
                     theirs, why);
            return fix;
        }
        snprintf(line, sizeof line, "name = %s", theirs);
    } else {
        /* the node refused before its hello said its name */
        snprintf(line, sizeof line, "name = <the node's cluster name>");
    }
    char where[400]; /* a home path longer than that is cut */
    sipc_config_where(cfg, cfg->cluster_line, where, sizeof where);
    if (cfg->cluster_line > 0)
        snprintf(fix, len,
                 "; this home's [cluster] name is '%s' (%s): write `%s` on that line to reach "
                 "the node",
                 cfg->cluster, where, line);
    else
        snprintf(fix, len,
                 "; this home's [cluster] name is not set (the default '%s'): add `%s` under "
                 "[cluster] in %s to reach the node",
                 cfg->cluster, line, where);
    return fix;
}
