/* pb_budget.h - a protobuf message from the network decoded within a memory
 * budget proportional to its bytes.
 *
 * protobuf-c allocates a struct for every submessage and every non-empty
 * bytes field, and scanning bookkeeping for every field, unknown ones
 * included: a 2-byte empty attribute costs about 64 heap bytes held and 32
 * more while its record is scanned, so a 16 MiB payload can take 600 MB or
 * more. A request from the network is therefore decoded through an
 * allocator that counts what it holds and fails the unpack once the count
 * would pass the budget: the memory an unpack takes is at most the budget,
 * whatever the payload holds.
 *
 * The budget, sipc_pb_budget(): 4 bytes per payload byte, plus 384 bytes per
 * record, attribute or filter the service's limits allow in one request,
 * plus 64 KiB. A request within the limits always fits: each such item
 * costs protobuf-c at most its struct (80 bytes for a record, 56 for an
 * attribute), a pointer, two rounded-up strings and its share of the
 * scanning bookkeeping, under 384 bytes, and what is left is at most 4
 * times its bytes (measured, docs/services.md: 2.5 to 4.3 times in all for
 * typical records, 17.4 times in all for records of 64 one-letter
 * attributes). Only what the limits would refuse anyway (attributes beyond
 * the limit, unknown fields, empty records beyond the batch) can reach it.
 */
#ifndef SIPC_PB_BUDGET_H
#define SIPC_PB_BUDGET_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#define SIPC_PB_BUDGET_PER_BYTE 4
#define SIPC_PB_BUDGET_PER_ITEM 384
#define SIPC_PB_BUDGET_SLACK (64 * 1024)

/* The budget of a payload of len bytes whose service's limits allow at most
 * items records, attributes and filters in one request (saturating). */
size_t sipc_pb_budget(size_t len, size_t items);

/* Decodes data (len bytes) as desc's message with at most budget heap bytes
 * held at any time. Returns 0 with *out set (free it with
 * protobuf_c_message_free_unpacked(*out, NULL): it is malloc'd) and *held the
 * heap bytes it holds; SIPC_ETOOBIG when the budget was reached (err names
 * it: nothing is held then); SIPC_EPROTO when the payload is not desc's
 * message (or malloc failed: protobuf-c does not tell them apart). held may
 * be NULL. */
int sipc_pb_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                   size_t budget, ProtobufCMessage **out, size_t *held, char *err, size_t errlen);

/* The most heap bytes any sipc_pb_unpack of this process held at once since
 * the last reset (reset: 1 sets it back to 0): how tests check that a
 * refused request took no more than its budget. */
size_t sipc_pb_unpack_peak(int reset);

#endif
