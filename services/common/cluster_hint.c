/* cluster_hint.c - what a client home changes to reach a node of another
 * cluster: see cluster_hint.h. */
#include "services/common/cluster_hint.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "services/common/shown_text.h"

/* Why the line `name=<name>` would not read back as name, or NULL. The
 * syntax (docs/configuration.md) has no quoting: values are trimmed, and a
 * ';' after white space starts a comment ("name = ;x" is empty, "name=;x"
 * is ";x"); '#' inside a value is kept. */
static const char *unwritable(const char *name, int escaped)
{
    size_t n = strlen(name);
    if (strchr(" \t", name[0]) || strchr(" \t", name[n - 1]))
        return "white space at its start or end, which sipc.conf trims";
    for (const char *p = name; *p; p++)
        if ((*p == ' ' || *p == '\t') && p[1] == ';')
            return "' ;' in it, which starts a comment in sipc.conf";
    if (escaped)
        return "a control character or a byte that is not printable UTF-8 in it, shown as \\xNN";
    return NULL;
}

/* Whether HOME/sipc.conf exists (1), and holds a [cluster] section (2); 0
 * when there is no file. The configuration keeps no record of an empty
 * section, so the file is looked at as the parser reads section lines. */
static int conf_state(const sipc_config *cfg)
{
    char path[600], line[512];
    snprintf(path, sizeof path, "%s/sipc.conf", cfg->home);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int state = 1;
    while (state == 1 && fgets(line, sizeof line, f)) {
        const char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (!strncmp(p, "[cluster]", 9))
            state = 2;
    }
    fclose(f);
    return state;
}

const char *sipc_cli_cluster_fix(const sipc_config *cfg, const char *theirs, int theirs_cut,
                                 char *fix, size_t len)
{
    char line[96], safe[4 * 64 + 8];
    if (theirs && *theirs) {
        int escaped = cli_shown(theirs, safe, sizeof safe);
        if (theirs_cut) {
            /* its start only: a line with it would never match */
            snprintf(fix, len,
                     "; the node's cluster name is longer than %zu bytes ('%s...'), too long to "
                     "suggest: no home can name it (sipc.conf holds at most %zu); rename that "
                     "cluster",
                     sizeof cfg->cluster - 1, safe, sizeof cfg->cluster - 1);
            return fix;
        }
        const char *why = unwritable(theirs, escaped);
        if (why) {
            snprintf(fix, len,
                     "; the node's cluster name '%s' cannot be written in sipc.conf (%s): no "
                     "home can name it; rename that cluster",
                     safe, why);
            return fix;
        }
        /* no space after '=': a ';' first is then kept, not a comment */
        snprintf(line, sizeof line, theirs[0] == ';' ? "name=%s" : "name = %s", theirs);
    } else {
        /* the node refused before its hello said its name */
        snprintf(line, sizeof line, "name = <the node's cluster name>");
    }
    char where[400]; /* a home path longer than that is cut */
    sipc_config_where(cfg, cfg->cluster_line, where, sizeof where);
    if (cfg->cluster_line > 0 && theirs && *theirs)
        /* a home that names its cluster reaches another cluster's node
         * mostly by a wrong address: renaming the home would move it out
         * of its own cluster, so the address comes first */
        snprintf(fix, len,
                 "; is it the node you meant? It is in cluster '%s': if not, correct the "
                 "address; if so, this home's [cluster] name is '%s' (%s): write `%s` on that "
                 "line to reach the node",
                 safe, cfg->cluster, where, line);
    else if (cfg->cluster_line > 0)
        snprintf(fix, len,
                 "; this home's [cluster] name is '%s' (%s): write `%s` on that line to reach "
                 "the node",
                 cfg->cluster, where, line);
    else {
        /* what to add depends on what is there: the line, the section, the file */
        int st = conf_state(cfg);
        snprintf(fix, len,
                 st == 2   ? "; this home's [cluster] name is not set (the default '%s'): add `%s` "
                             "under [cluster] in %s to reach the node"
                 : st == 1 ? "; this home's [cluster] name is not set (the default '%s'): add a "
                             "[cluster] section with `%s` to %s to reach the node"
                           : "; this home's [cluster] name is not set (the default '%s'): create "
                             "%s with a [cluster] section holding `%s` to reach the node",
                 cfg->cluster, st ? line : where, st ? where : line);
    }
    return fix;
}
