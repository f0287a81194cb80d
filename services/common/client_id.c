/* client_id.c - see client_id.h. */
#include "services/common/client_id.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The tools that name themselves this way; a node's own id may be anything,
 * so only these prefixes are read back as a tool. */
static const char *const tools[] = {"sipcctl", "tlstool"};

static void clean(char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            *s = '_';
    }
}

void sipc_cli_client_id(const char *tool, char *out, size_t len)
{
    char user[17] = "", host[25] = "";
    struct passwd *pw = getpwuid(geteuid());
    if (pw && pw->pw_name && pw->pw_name[0])
        snprintf(user, sizeof user, "%s", pw->pw_name);
    else
        snprintf(user, sizeof user, "uid%u", (unsigned)geteuid());
    char h[256] = "";
    if (gethostname(h, sizeof h - 1) != 0 || !h[0])
        snprintf(h, sizeof h, "localhost");
    h[strcspn(h, ".")] = '\0'; /* the host's own name, not its domain */
    snprintf(host, sizeof host, "%s", h);
    clean(user);
    clean(host);
    /* at most 7 + 1 + 16 + 1 + 24 + 1 + 10 = 60 characters */
    snprintf(out, len, "%.7s:%s@%s:%ld", tool, user, host, (long)getpid());
}

int sipc_cli_client_tool(const char *node, char *tool, size_t len)
{
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
        size_t n = strlen(tools[i]);
        if (!strncmp(node, tools[i], n) && node[n] == ':' && strchr(node + n, '@')) {
            snprintf(tool, len, "%s", tools[i]);
            return 1;
        }
    }
    return 0;
}
