/* time_text.h - a moment as operators read it in sipc's messages. */
#ifndef SIPC_BASE_TIME_TEXT_H
#define SIPC_BASE_TIME_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* t as "2026-11-23 13:35:01 UTC" into out; "(invalid time)" when libc
 * cannot break it down (a certificate's date beyond what time_t holds). */
void sipc_time_str(time_t t, char out[32]);
/* A span of secs (0 or more) rounded down to its largest unit: "3 days",
 * "1 hour", "12 minutes", "40 seconds". */
void sipc_span_str(int64_t secs, char *out, size_t len);

#endif
