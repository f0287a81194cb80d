/* search_time.h - timestamps as people write them: RFC 3339 in UTC, to and
 * from Unix milliseconds (what records and queries carry). For sipcctl's
 * --since/--until and its output. */
#ifndef SIPC_SEARCH_TIME_H
#define SIPC_SEARCH_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Parses exactly YYYY-MM-DDTHH:MM:SS[.f{1,3}]Z (the T and Z also in lower
 * case) with a real date and time of day (no leap second), years 1970..9999.
 * Anything else, offsets other than Z included, is SIPC_EINVAL with the
 * reason in err. */
int search_time_parse(const char *s, int64_t *ms, char *err, size_t errlen);

/* "2026-11-23T10:00:00.000Z": always three fraction digits, so that the
 * strings sort as the times do. ms must be 0..253402300799999; out holds at
 * least 25 bytes. */
void search_time_format(int64_t ms, char *out, size_t outlen);

#endif
