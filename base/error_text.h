/* error_text.h - filling a caller's (char *err, size_t errlen) buffer, the
 * convention every sipc function that explains a failure follows. */
#ifndef SIPC_ERROR_TEXT_H
#define SIPC_ERROR_TEXT_H

#include <stddef.h>

/* printf into err (if err and errlen are non-zero); always terminated. */
void sipc__seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends to what err already holds, within errlen; nothing if there is no
 * room (err NULL or errlen 0 included). */
void sipc__adderr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
