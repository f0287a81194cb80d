/* data_validate.h - the checks a record, an id or a query must pass before
 * it reaches the database: lengths and counts against sipc_data_options,
 * UTF-8 text, timestamp range. Pure functions, no I/O. */
#ifndef SIPC_DATA_VALIDATE_H
#define SIPC_DATA_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "data.pb-c.h"
#include "data_service.h"

/* Largest timestamp accepted: 9999-12-31T23:59:59.999Z in Unix ms. */
#define DATA_MAX_TIMESTAMP_MS INT64_C(253402300799999)

/* 1 if p[0..n) is valid UTF-8 (no overlong forms, surrogates or code points
 * above U+10FFFF) and holds no U+0000. */
int data_utf8_valid(const uint8_t *p, size_t n);

/* An id: 1..max_id bytes of valid UTF-8. Returns 0, SIPC_EINVAL or
 * SIPC_ETOOBIG with the reason ("id is empty") in err. */
int data_validate_id(const ProtobufCBinaryData *id, const sipc_data_options *o, char *err,
                     size_t errlen);

/* A whole record: id, timestamp, attributes (count, key and value lengths,
 * UTF-8, non-empty keys) and body size. Returns 0, SIPC_EINVAL or
 * SIPC_ETOOBIG. NULL is SIPC_EINVAL ("record is missing"). */
int data_validate_record(const Sipc__Data__Record *r, const sipc_data_options *o, char *err,
                         size_t errlen);

/* The status a client sees for a validation result: SIPC_DATA_TOO_LARGE for
 * SIPC_ETOOBIG, SIPC_DATA_INVALID otherwise. */
int data_validate_status(int rc);

#endif
