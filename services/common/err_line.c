/* err_line.c - see err_line.h. */
#include "err_line.h"

#include <stdio.h>
#include <string.h>

#include "services/common/shown_text.h"
#include "sipc/errno.h"

const char *cli_err_detail(int err, const char *detail)
{
    const char *plain = sipc_strerror(err);
    size_t n = strlen(plain);
    if (!detail)
        detail = "";
    /* a failed dial's detail names the address the caller's line already
     * names ("cannot connect to HOST:PORT: connection refused"): only what
     * follows it is said, so the error is not said twice; a source address
     * ("... from ADDRESS: ...") is news, and kept */
    static const char *const dialed[] = {"cannot connect to ", "no connection to "};
    for (size_t i = 0; i < sizeof dialed / sizeof dialed[0]; i++) {
        size_t p = strlen(dialed[i]);
        const char *end = strncmp(detail, dialed[i], p) ? NULL : strstr(detail + p, ": ");
        if (end && !memchr(detail + p, ' ', (size_t)(end - detail - p))) {
            detail = end + 2;
            break;
        }
    }
    if (n && !strncmp(detail, plain, n) && (!detail[n] || detail[n] == ':')) {
        detail += n;
        while (*detail == ':' || *detail == ' ')
            detail++;
    }
    return detail;
}

const char *cli_err_reason(int err, const char *detail, int *len)
{
    detail = cli_err_detail(err, detail);
    const char *cut = strstr(detail, "; fix: ");
    *len = cut ? (int)(cut - detail) : (int)strlen(detail);
    return detail;
}

const char *cli_err_line(char *buf, size_t len, int err, const char *detail)
{
    const char *plain = sipc_strerror(err);
    detail = cli_err_detail(err, detail);
    int w = snprintf(buf, len, "%s [%s, %s]", plain, sipc_err_name(err),
                     sipc_err_class_name(sipc_err_classify(err)));
    if (w < 0 || !*detail || (size_t)w + 2 >= len)
        return buf;
    /* a peer's words (its names, its error's message) reach a terminal,
     * escaped straight into what is left of buf: a cut falls between
     * characters, never inside one */
    memcpy(buf + w, ": ", 3);
    cli_shown(detail, buf + w + 2, len - (size_t)w - 2);
    if (!buf[w + 2])
        buf[w] = '\0';
    return buf;
}

int cli_call_maybe_applied(int err, int sent)
{
    return sent && (err == SIPC_ETIMEDOUT || sipc_err_classify(err) == SIPC_CLASS_IO);
}
