/* drop_judge.c - see drop_judge.h. */
#include "services/tlstool/drop_judge.h"

#include <string.h>

static cut_dial dial_of(const node_probe *p)
{
    return (cut_dial){p->up, p->info.tls, p->err};
}

cut_verdict drop_judge(const node_probe *first, const node_probe *second, const char *dropped)
{
    cut_dial now = dial_of(first), after;
    if (second)
        after = dial_of(second);
    /* one presenting the pair dropped is refused whatever the second
     * handshake says: that one only adds the nodes no fingerprint names */
    if (first->up && first->info.tls && dropped && dropped[0] &&
        !strcmp(first->live_fp, dropped))
        return CUT_REFUSED;
    return cut_judge(&now, second ? &after : NULL);
}
