/* home_dir.c - see home_dir.h. */
#include "services/common/home_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sipc/node.h"

int sipc_cli_home_missing(const char *explicit_home, const char *given_as, int check_default,
                          char *err, size_t errlen)
{
    const char *env = getenv("SIPC_HOME");
    if (!(explicit_home && *explicit_home) && !(env && *env) && !check_default)
        return 0;
    return sipc_home_check(explicit_home, given_as ? given_as : "--home", err, errlen) != 0;
}

const char *sipc_cli_home_absolute(const char *home, char *buf, size_t len)
{
    if (home[0] == '/' || !getcwd(buf, len))
        return home;
    while (home[0] == '.' && home[1] == '/') {
        home += 2;
        while (*home == '/')
            home++;
    }
    if (!*home || !strcmp(home, "."))
        return buf;
    size_t cwd = strlen(buf);
    int n = snprintf(buf + cwd, len - cwd, "%s%s", cwd > 1 ? "/" : "", home);
    return n < 0 || (size_t)n >= len - cwd ? home : buf;
}

const char *sipc_cli_home_node_host(const struct sipc_config *cfg)
{
    const char *a = cfg->address;
    if (sipc_address_is_wildcard(a))
        return strchr(a, ':') ? "::1" : "127.0.0.1";
    return a;
}
