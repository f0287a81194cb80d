/* link_down.c - see link_down.h. */
#include <stdint.h>
#include <stdio.h>

#include "link_down.h"
#include "rfc3339.h"

int sipc_link_known_down(const sipc_channel *ch, uint64_t down_ms, char *why, size_t n)
{
    uint64_t ms;
    sipc_link_info li;
    if (!sipc_channel_is_down(ch, &ms) || ms < down_ms ||
        sipc_channel_info(ch, &li) != 0 || li.peer_seen_ms < down_ms)
        return 0;
    char since[32];
    sipc_rfc3339_format((int64_t)li.since_ms, 0, since, sizeof since);
    /* no "for N s": the records of one outage carry one reason, which a
     * summary groups (a duration would split it into a group a second) */
    snprintf(why, n, "its link is down since %s", since);
    return 1;
}
