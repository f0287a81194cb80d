/* utf8_text.h - printable UTF-8: what text from a peer may show on a
 * terminal or in a name. */
#ifndef SIPC_BASE_UTF8_TEXT_H
#define SIPC_BASE_UTF8_TEXT_H

#include <stddef.h>

/* The length of the printable UTF-8 character at p, 0 when p starts no such
 * character: a C0 or C1 control (U+0080..U+009F, CSI among them: terminals
 * act on them), DEL, a character that shows nothing of its own yet changes
 * what is shown (the text-direction controls U+202A..U+202E, U+2066..U+2069,
 * U+200E, U+200F, U+061C; zero-width and other invisible ones: U+200B..U+200D,
 * U+2060, U+FEFF, the soft hyphen U+00AD, variation selectors, tags; the line
 * and paragraph separators U+2028, U+2029), a byte that is not valid UTF-8,
 * or the terminating NUL. Accented letters, CJK and other visible characters
 * are printable. */
size_t sipc__utf8_printable_len(const unsigned char *p);

/* The length of the valid UTF-8 character at p, printable or not (a control
 * counts), 0 when p starts none (a stray continuation byte, a character cut
 * short, an overlong form, a surrogate, above U+10FFFF: what jansson and any
 * strict reader refuse) or at the terminating NUL. */
size_t sipc__utf8_char_len(const unsigned char *p);

/* 1 when s is all printable UTF-8 (see above), else 0. */
int sipc__utf8_printable(const char *s);

/* The byte offset in s of its first character that is not printable, -1
 * when there is none; what (when not NULL) then names it for an error
 * message: "U+202E (an invisible or text-direction character)", "the
 * control character 0x1b", "the byte 0xff (not UTF-8)". */
long sipc__utf8_unprintable(const char *s, char *what, size_t len);

#endif
