/* fuzz_time.c - libFuzzer target: the text sipc reads as times and records
 * from files and command lines: RFC 3339 timestamps (services/common/
 * rfc3339.c), the command line's UTC form (search_time.c) and NDJSON record
 * lines (pipeline_ndjson.c, which uses the first). What parses must format
 * and parse back to the same instant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_ndjson.h"
#include "rfc3339.h"
#include "search_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char err[300], out[40];
    int64_t ms = -1, again = -1;
    if (sipc_rfc3339_ms(s, &ms, err, sizeof err) == 0) {
        if (ms < 0 || ms > 253402300799999LL)
            abort();
        sipc_rfc3339_format(ms, 1, out, sizeof out);
        if (sipc_rfc3339_ms(out, &again, err, sizeof err) != 0 || again != ms)
            abort(); /* what it writes it must read back as the same instant */
    }
    int64_t cli = -1;
    if (search_time_parse(s, &cli, err, sizeof err) == 0 &&
        (sipc_rfc3339_ms(s, &ms, err, sizeof err) != 0 || ms != cli))
        abort(); /* the command line's form is a subset with the same meaning */
    Sipc__Data__Record *r = NULL;
    if (sipc_ndjson_record(s, size, &r, err, sizeof err) == 0)
        sipc_ndjson_record_free(r);
    free(s);
    return 0;
}
