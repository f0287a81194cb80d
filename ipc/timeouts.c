/* timeouts.c - see timeouts.h. */
#include <stdio.h>

#include "ipc/timeouts.h"

int sipc__timeouts_check(uint32_t k, uint32_t t, uint32_t i, unsigned given, const char *p,
                         char *why, size_t len, unsigned *fields)
{
    *fields = 0;
    if (len)
        why[0] = '\0';
    if (k && i && k >= i) {
        /* the PING is due no sooner than the idle close: healthy quiet links
         * are closed (and a node's links redialed) every idle_timeout_ms */
        *fields = SIPC__TO_KEEPALIVE | SIPC__TO_IDLE;
        snprintf(why, len,
                 "%skeepalive_ms (%u) is not below %sidle_timeout_ms (%u): every connection quiet "
                 "for %u ms is closed as idle (SIPC_EIDLE) before its PING could keep it open; "
                 "make keepalive_ms smaller, idle_timeout_ms larger, or keepalive_ms 0 (keepalive off)",
                 p, k, p, i, i);
        return -1;
    }
    if (k && t && i && (uint64_t)k + t >= i) {
        *fields = SIPC__TO_KEEPALIVE | SIPC__TO_KEEPALIVE_TIMEOUT | SIPC__TO_IDLE;
        snprintf(why, len,
                 "%skeepalive_ms + %skeepalive_timeout_ms (%u + %u) is not below "
                 "%sidle_timeout_ms (%u): an unanswered PING is closed as idle (SIPC_EIDLE) "
                 "%u ms after it went, before keepalive_timeout_ms passes",
                 p, p, k, t, p, i, i - k);
        return 1;
    }
    if (!i && (!k || !t)) {
        *fields = SIPC__TO_IDLE | (k ? SIPC__TO_KEEPALIVE_TIMEOUT : SIPC__TO_KEEPALIVE);
        snprintf(why, len,
                 "%sidle_timeout_ms and %s%s are 0: nothing closes a connection whose peer "
                 "went silent (a host powered off or cut off without a reset)",
                 p, p, k ? "keepalive_timeout_ms" : "keepalive_ms");
        return 1;
    }
    if (!k && t && (given & SIPC__TO_KEEPALIVE_TIMEOUT)) {
        /* a timeout chosen for PINGs that are never sent: whoever set it
         * expects a silent peer to be noticed that soon */
        *fields = SIPC__TO_KEEPALIVE | SIPC__TO_KEEPALIVE_TIMEOUT;
        snprintf(why, len,
                 "%skeepalive_timeout_ms (%u) is set while %skeepalive_ms is 0 (keepalive off): "
                 "no PING awaits an answer, so a silent peer is closed only by idle_timeout_ms%s; "
                 "it only sets how often PINGs go while reading is held back. Set keepalive_ms to "
                 "turn keepalive on, or remove keepalive_timeout_ms",
                 p, t, p, i ? "" : " (0: never)");
        return 1;
    }
    return 0;
}
