/* attr_arg.c - the k=v attributes sipcctl's commands take (RFC 3339 times
 * are read by services/search/search_time.h). */
#include <stdio.h>
#include <string.h>

#include "sipcctl.h"

int ctl_attr_split(const char *kv, char *key, size_t keylen, const char **value)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv || (size_t)(eq - kv) >= keylen)
        return SIPC_EINVAL;
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    *value = eq + 1;
    return 0;
}
