/* data_validate.c - see data_validate.h. */
#include <stdio.h>
#include <string.h>

#include "data_validate.h"

int data_utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            need = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0; /* a continuation byte where a character starts, or 0xF8.. */
        }
        if (n - i - 1 < need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

int data_validate_id(const ProtobufCBinaryData *id, const sipc_data_options *o, char *err,
                     size_t errlen)
{
    if (id->len == 0) {
        snprintf(err, errlen, "id is empty");
        return SIPC_EINVAL;
    }
    if (id->len > o->max_id) {
        snprintf(err, errlen, "id of %zu bytes exceeds the maximum of %zu", id->len, o->max_id);
        return SIPC_ETOOBIG;
    }
    if (!data_utf8_valid(id->data, id->len)) {
        snprintf(err, errlen, "id is not valid UTF-8 (or contains U+0000)");
        return SIPC_EINVAL;
    }
    return 0;
}

int data_validate_record(const Sipc__Data__Record *r, const sipc_data_options *o, char *err,
                         size_t errlen)
{
    if (!r) {
        snprintf(err, errlen, "record is missing");
        return SIPC_EINVAL;
    }
    int rc = data_validate_id(&r->id, o, err, errlen);
    if (rc != 0)
        return rc;
    if (r->timestamp_ms < 0 || r->timestamp_ms > DATA_MAX_TIMESTAMP_MS) {
        snprintf(err, errlen, "timestamp_ms %lld is outside 0..%lld (Unix milliseconds)",
                 (long long)r->timestamp_ms, (long long)DATA_MAX_TIMESTAMP_MS);
        return SIPC_EINVAL;
    }
    if (r->body.len > o->max_body) {
        snprintf(err, errlen, "body of %zu bytes exceeds the maximum of %zu", r->body.len,
                 o->max_body);
        return SIPC_ETOOBIG;
    }
    if (r->n_attributes > o->max_attributes) {
        snprintf(err, errlen, "%zu attributes exceed the maximum of %zu", r->n_attributes,
                 o->max_attributes);
        return SIPC_ETOOBIG;
    }
    for (size_t i = 0; i < r->n_attributes; i++) {
        const Sipc__Data__Attribute *a = r->attributes[i];
        if (a->key.len == 0) {
            snprintf(err, errlen, "attribute %zu: key is empty", i);
            return SIPC_EINVAL;
        }
        if (a->key.len > o->max_key) {
            snprintf(err, errlen, "attribute %zu: key of %zu bytes exceeds the maximum of %zu", i,
                     a->key.len, o->max_key);
            return SIPC_ETOOBIG;
        }
        if (a->value.len > o->max_value) {
            snprintf(err, errlen, "attribute %zu: value of %zu bytes exceeds the maximum of %zu", i,
                     a->value.len, o->max_value);
            return SIPC_ETOOBIG;
        }
        if (!data_utf8_valid(a->key.data, a->key.len)) {
            snprintf(err, errlen, "attribute %zu: key is not valid UTF-8 (or contains U+0000)", i);
            return SIPC_EINVAL;
        }
        if (!data_utf8_valid(a->value.data, a->value.len)) {
            snprintf(err, errlen, "attribute %zu: value is not valid UTF-8 (or contains U+0000)", i);
            return SIPC_EINVAL;
        }
    }
    return 0;
}

int data_validate_status(int rc)
{
    return rc == SIPC_ETOOBIG ? SIPC_DATA_TOO_LARGE : SIPC_DATA_INVALID;
}
