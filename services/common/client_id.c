/* client_id.c - see client_id.h. */
#include "services/common/client_id.h"

#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/str_copy.h"
#include "certs/keypair.h"

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

void sipc_cli_home_tag(const char *home, char out[5])
{
    char abs[PATH_MAX], hex[65];
    const char *path = realpath(home, abs) ? abs : home;
    sipc_fingerprint((const uint8_t *)path, strlen(path), hex);
    memcpy(out, hex[0] ? hex : "0000", 4);
    out[4] = '\0';
}

void sipc_cli_client_id(const char *tool, const char *home, char *out, size_t len)
{
    char user[17] = "", host[23] = "", tag[5];
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
    sipc_cli_home_tag(home, tag);
    /* at most 7 + 1 + 16 + 1 + 22 + 1 + 4 + 1 + 10 = 63 characters */
    snprintf(out, len, "%.7s:%s@%s/%s:%ld", tool, user, host, tag, (long)getpid());
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

int sipc_cli_client_peer(const char *node, char *out, size_t len)
{
    char tool[16];
    if (!sipc_cli_client_tool(node, tool, sizeof tool))
        return 0;
    /* "TOOL:USER@HOST[/TAG]" is everything before the last ':', the PID */
    const char *rest = node + strlen(tool) + 1, *pid = strrchr(rest, ':');
    int n = pid ? (int)(pid - node) : (int)strlen(node);
    const char *slash = memchr(rest, '/', (size_t)(node + n - rest));
    /* cut between characters: the peer is kept in state/peers as JSON text,
     * and a name cut inside one would read back as another peer */
    char whole[512];
    if (slash)
        snprintf(whole, sizeof whole, "%.*s home %.*s", (int)(slash - node), node,
                 (int)(node + n - slash - 1), slash + 1);
    else
        snprintf(whole, sizeof whole, "%.*s", n, node);
    (void)sipc_str_copy_utf8(out, len, whole);
    return 1;
}
