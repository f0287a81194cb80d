/* x509_text.h - a certificate's names as text, shown one way in every
 * output (the logs, the programs' text and JSON): printable UTF-8 as it is,
 * every other byte as \xNN, RFC 4514's specials escaped; cut between
 * characters, ending in "...", when the buffer cannot hold it all. Internal
 * to certs/ (x509_info.c, x509_name.c, name_constraints.c). */
#ifndef SIPC_CERTS_X509_TEXT_H
#define SIPC_CERTS_X509_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "certs/x509_info.h"

/* Whether byte c at index i of an n-byte value is one RFC 4514 escapes with
 * a backslash: , + " \ < > ; anywhere, '#' or a blank first, a blank last.
 * The one rule of sipc_subject_escape and of subjects as displayed. */
bool sipc__dn_special(unsigned char c, size_t i, size_t n);
/* A Name (its whole DER) as "C=US, O=Org, CN=x", in certificate order, and
 * its last CN in cn (when not NULL). 0 or SIPC_EFORMAT. */
int sipc__name_text(const sipc_bytes *name_tlv, char *out, size_t outlen, char *cn, size_t cnlen);
/* A subjectAltName's GeneralNames (the SEQUENCE's contents) as
 * "DNS:a, IP:127.0.0.1, email:x, URI:y, other". 0 or SIPC_EFORMAT. */
int sipc__san_text(const sipc_bytes *seq, char *out, size_t outlen);
/* v's bytes as the names of a subjectAltName show them (DNS names, e-mail
 * addresses, URIs; a name a name constraint refused). */
void sipc__value_text(const sipc_bytes *v, char *out, size_t outlen);

#endif
