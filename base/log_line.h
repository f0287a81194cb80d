/* log_line.h - the one writer of sipc's log line format
 *   2026-11-23T13:35:01.042+01:00 Service.Start INFO TLS Port: 23000
 * shared by a context's default stderr sink and the node's log files. */
#ifndef SIPC_BASE_LOG_LINE_H
#define SIPC_BASE_LOG_LINE_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

/* Longest record, newline included; longer messages are cut. */
#define SIPC__LOG_LINE_MAX 1400

/* Formats one record stamped with the local time of now (CLOCK_REALTIME,
 * to the millisecond, cut not rounded) and its offset from UTC into out (at
 * least SIPC__LOG_LINE_MAX bytes), ending in '\n'; returns its length. C0
 * controls and DEL in category or msg (a newline in a peer's error message,
 * say) become spaces, so nothing can forge or split a line; C1 controls,
 * invisible and text-direction characters (U+202E would show the rest of
 * the line reversed) and bytes that are not UTF-8 become \xNN, byte by
 * byte; printable UTF-8 stays as it is (base/utf8_text.h). */
size_t sipc__log_format(char *out, const struct timespec *now, const char *category,
                        const char *level, const char *msg);
/* The one clock reading a line is stamped with (CLOCK_REALTIME); a caller
 * that also needs the day (a logger's daily file) takes it from the same
 * reading, so a line is never stamped one day and filed under another. */
void sipc__log_now(struct timespec *now);
/* Formats one record and writes it with one fwrite (one write(2) on an
 * unbuffered stream such as stderr, not one per character). */
void sipc__log_line(FILE *fp, const struct timespec *now, const char *category,
                    const char *level, const char *msg);

#endif
