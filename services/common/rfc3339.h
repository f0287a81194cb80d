/* rfc3339.h - RFC 3339 date-times to and from Unix milliseconds, the one
 * reader and writer of timestamps as people write them, for every service
 * and command (records' timestamps, --since/--until, status times). Exact
 * proleptic Gregorian arithmetic: no time zone database, locale or timegm. */
#ifndef SIPC_SERVICES_RFC3339_H
#define SIPC_SERVICES_RFC3339_H

#include <stddef.h>
#include <stdint.h>

/* YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|+HH:MM|-HH:MM), a real date and
 * time of day (no leap second), 1970 .. 9999 once converted to UTC; digits
 * of the fraction below a millisecond are dropped. 0, or SIPC_EINVAL with
 * the reason in err. */
int sipc_rfc3339_ms(const char *s, int64_t *ms, char *err, size_t errlen);

/* ms (negative: 0) as "2026-11-23T10:00:00Z", with with_ms
 * "2026-11-23T10:00:00.000Z" (three digits always, so strings sort as the
 * times do). outlen of at least 25 is enough. */
void sipc_rfc3339_format(int64_t ms, int with_ms, char *out, size_t outlen);

/* Now, as Unix milliseconds (the wall clock those times are on; 0 if it
 * cannot be read). */
int64_t sipc_rfc3339_now_ms(void);

#endif
