/* json_text.h - text from outside (a path, a certificate's subject, a peer's
 * reason, an error that names a file) as a JSON string. jansson refuses a
 * string that is not UTF-8: json_string() gives NULL, so
 * json_object_set_new() drops the key and json_pack() fails whole. Every
 * JSON answer of the services and programs builds such text here. */
#ifndef SIPC_SERVICES_JSON_TEXT_H
#define SIPC_SERVICES_JSON_TEXT_H

#include <jansson.h>

/* A new JSON string of s: valid UTF-8 as it is (controls too: the JSON
 * writer escapes them), and each byte that starts no valid UTF-8 character
 * (a Latin-1 byte, a character cut short) as the four characters \xNN, NN
 * its value in lowercase hex, as the text output and the logs show it (a
 * Latin-1 'é' is "\xe9"). NULL for s NULL (so json_pack's "o?" gives null)
 * or when out of memory. */
json_t *sipc_json_text(const char *s);

#endif
