/* shown_text.h - text from outside (a path, a peer's words, a certificate's
 * name) as a terminal or a log may show it, and a path as one word to paste
 * into a shell: the library's messages that name a command to run, and the
 * programs' (services/common/shown_text.h gives them these under their own
 * names). */
#ifndef SIPC_BASE_SHOWN_TEXT_H
#define SIPC_BASE_SHOWN_TEXT_H

#include <stddef.h>

/* The n bytes at s (NULs allowed; s may be NULL when n is 0) in out, each
 * byte that is not part of a printable UTF-8 character (C0 and C1 controls,
 * DEL, invisible and text-direction characters, bytes that are not UTF-8:
 * utf8_text.h) as \xNN, so that no escape sequence reaches a terminal (cut
 * to len). Returns whether anything was escaped or cut. */
int sipc__shown_n(const void *s, size_t n, char *out, size_t len);

/* s as one word to paste into a shell (bash, zsh, ksh), which reads it back
 * as s, in out: as it is when it holds only letters, digits and "_./:@%+=,-";
 * else in '...' when it is all printable (a ' as '\''); else in $'...', where
 * each byte that is not printable reads \xNN as sipc__shown_n shows it (and
 * a ' or \ is escaped). out of 4 * strlen(s) + 4 bytes always holds it; a
 * smaller one cuts it (no longer a word to paste). Returns out. */
const char *sipc__shell_word(const char *s, char *out, size_t len);

#endif
