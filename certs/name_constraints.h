/* name_constraints.h - RFC 5280 nameConstraints (4.2.1.10, 6.1.3 (b)-(c))
 * for directoryName, dNSName, rfc822Name, iPAddress and (by its host)
 * uniformResourceIdentifier. An organisation CA
 * constrained to its own names must not be able to vouch for others. */
#ifndef SIPC_CERTS_NAME_CONSTRAINTS_H
#define SIPC_CERTS_NAME_CONSTRAINTS_H

#include <stddef.h>

#include "certs/x509_info.h"

/* Are the names of x (its subject, the emailAddress attributes in it and
 * its subjectAltName) within the NameConstraints TLV nc of a CA above it?
 * 0 when they are; SIPC_EPEERAUTH when one is not (why names it and the
 * subtree); SIPC_ENOTSUP when nc constrains a name form sipc does not check
 * (otherName, x400Address, ediPartyName, registeredID) and x has a name of
 * that form; SIPC_EFORMAT when nc
 * is malformed. */
int sipc_nc_check(const sipc_bytes *nc, const sipc_x509 *x, char *why, size_t whylen);

#endif
