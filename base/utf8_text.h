/* utf8_text.h - printable UTF-8: what text from a peer may show on a
 * terminal or in a name. */
#ifndef SIPC_BASE_UTF8_TEXT_H
#define SIPC_BASE_UTF8_TEXT_H

#include <stddef.h>

/* The length of the printable UTF-8 character at p, 0 when p starts no such
 * character: a C0 or C1 control (U+0080..U+009F, CSI among them: terminals
 * act on them), DEL, a byte that is not valid UTF-8, or the terminating
 * NUL. */
size_t sipc__utf8_printable_len(const unsigned char *p);

/* 1 when s is all printable UTF-8 (see above), else 0. */
int sipc__utf8_printable(const char *s);

#endif
