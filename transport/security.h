/* security.h - what sipc_security holds, for the layers that use it. */
#ifndef SIPC_SECURITY_H
#define SIPC_SECURITY_H

#include "sipc/sipc.h"
#include "transport/tls_engine.h"

/* NULL when the mode is SIPC_TLS_OFF. */
sipc_tls_config *sipc_security_tls(const sipc_security *sec);

#endif
