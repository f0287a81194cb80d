/* mgmt_health.c - see mgmt_health.h. */
#include <string.h>

#include "mgmt_health.h"

const char *sipc_mgmt_health(json_t *problems)
{
    if (json_array_size(problems) == 0)
        return "ok";
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        const char *kind = json_string_value(json_object_get(p, "kind"));
        if (!kind || strcmp(kind, "permissive") != 0)
            return "problems";
    }
    return "migrating";
}
