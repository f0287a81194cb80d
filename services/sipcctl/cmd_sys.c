/* cmd_sys.c - `sipcctl ping|info [ADDRESS[:PORT]]` and `sipcctl call
 * ADDRESS[:PORT] SERVICE METHOD [PAYLOAD]`: the built-in sys service, or any
 * method. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <uv.h>

#include "sipcctl.h"

/* Makes the call o->count times and prints each answer. */
static int call_repeatedly(ctl *o, const char *target, const char *service, const char *method,
                           const char *payload)
{
    ctl_client cl;
    int rc = ctl_connect(o, target, "data", &cl);
    if (rc != 0)
        return rc;
    cl.announce = 1;
    int is_ping = !strcmp(service, "sys") && !strcmp(method, "ping");
    for (int i = 0; i < o->count && rc == 0; i++) {
        ctl_reply rep;
        uint64_t t0 = uv_hrtime();
        int was_up = cl.up;
        if (ctl_call(&cl, service, method, payload, payload ? strlen(payload) : 0, &rep) != 0) {
            rc = ctl_report_failure(&cl, service, method, &rep);
        } else if (is_ping) {
            /* the first round trip excludes connection set-up: time it again */
            if (!was_up) {
                ctl_reply_free(&rep);
                t0 = uv_hrtime();
                if (ctl_call(&cl, service, method, NULL, 0, &rep) != 0) {
                    rc = ctl_report_failure(&cl, service, method, &rep);
                    ctl_reply_free(&rep);
                    break;
                }
            }
            printf("Reply from %s: time=%.3f ms\n", cl.target, (double)(uv_hrtime() - t0) / 1e6);
        } else {
            fwrite(rep.data, 1, rep.len, stdout);
            if (rep.len && rep.data[rep.len - 1] != '\n')
                putchar('\n');
        }
        ctl_reply_free(&rep);
    }
    ctl_disconnect(&cl);
    return rc;
}

int cmd_sys(void *arg)
{
    ctl *o = arg;
    int rc = ctl_check_args(o, 0, 1);
    if (rc != 0)
        return rc;
    /* no address: --node, else this home's node, as every other command */
    if (o->nargs && o->node)
        return ctl_fail(EX_USAGE, "%s: give ADDRESS or --node, not both (see sipcctl %s --help)",
                        o->cmd, o->cmd);
    return call_repeatedly(o, o->nargs ? o->args[0] : NULL, "sys", o->cmd, NULL);
}

int cmd_call(void *arg)
{
    ctl *o = arg;
    int rc = ctl_check_args(o, 3, 4);
    if (rc != 0)
        return rc;
    if (o->node)
        return ctl_fail(EX_USAGE, "call: ADDRESS names the node; leave out --node (see sipcctl "
                                  "call --help)");
    return call_repeatedly(o, o->args[0], o->args[1], o->args[2], o->nargs == 4 ? o->args[3] : NULL);
}
