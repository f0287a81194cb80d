/* time_text.h - a moment as operators read it in sipc's messages. */
#ifndef SIPC_BASE_TIME_TEXT_H
#define SIPC_BASE_TIME_TEXT_H

#include <time.h>

/* t as "2026-11-23 13:35:01 UTC" into out; "(invalid time)" when libc
 * cannot break it down (a certificate's date beyond what time_t holds). */
void sipc_time_str(time_t t, char out[32]);

#endif
