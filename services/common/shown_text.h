/* shown_text.h - text from outside (a path, a node's words, a certificate's
 * name) as a terminal or a log may show it, and a path as one word to paste
 * into a shell. Its own target, sipc_shown_text, so that the data service
 * (a library on the public API, which does not link the programs' sipc_cli)
 * and sipcd give their commands to paste in the same words as the programs.
 * The work is base's (base/shown_text.h), which the library's own messages
 * use too. */
#ifndef SIPC_CLI_SHOWN_TEXT_H
#define SIPC_CLI_SHOWN_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* s as it may be shown on a terminal, in out: every byte that is not part of
 * a printable UTF-8 character (C0 and C1 controls, DEL, invisible and
 * text-direction characters, bytes that are not UTF-8: base/utf8_text.h) as
 * \xNN, so that no escape sequence a peer sends reaches it (cut
 * to len). cli_err_line (err_line.h) does it to the detail. Returns whether
 * anything was escaped or cut. */
int cli_shown(const char *s, char *out, size_t len);
/* s as one word to paste into a shell (bash, zsh, ksh), which reads it back
 * as s, in out: as it is when it holds only letters, digits and "_./:@%+=,-";
 * else in '...' when it is all printable (a ' as '\''); else in $'...', where
 * each byte that is not printable reads \xNN as cli_shown shows it (and a '
 * or \ is escaped), so that a path shows as everywhere else and still pastes.
 * out of 4 * strlen(s) + 4 bytes always holds it; a smaller one cuts it (no
 * longer a word to paste). Returns out. */
const char *cli_shell_word(const char *s, char *out, size_t len);
/* cli_shown for n bytes at s that may hold NULs and need not end in one (a
 * record's id, which is bytes on the wire): a NUL is \x00. */
int cli_shown_n(const void *s, size_t n, char *out, size_t len);
/* n bytes of a node's text of several lines (its metrics, an answer's
 * payload) written to f as cli_shown_n shows each line, whole: its '\n's
 * kept, nothing cut. 0, or -1 when out of memory or f failed. */
int cli_shown_lines(FILE *f, const void *s, size_t n);

#endif
