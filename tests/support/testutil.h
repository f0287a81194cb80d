/* testutil.h - shared helpers for sipc tests: temp dirs, certificates made
 * with openssl at test time, bounded loop runs, a log capture sink, hex test
 * vectors, the CPU's flags, and a thread's dead stack to search. */
#ifndef SIPC_TESTUTIL_H
#define SIPC_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "sipc/node.h"

/* A fresh directory under $TMPDIR (0700); removed by tu_rmdir. */
char *tu_mkdtemp(const char *tag);
void tu_rmdir(const char *dir);

/* Runs argv (no shell), waits; returns its exit status or -1. Output goes
 * to /dev/null unless quiet is 0. */
int tu_run(char *const argv[], int quiet);

/* tu_run with the program's clock faked: libfaketime preloaded by
 * tests/support/faketime.sh (not the faketime wrapper), spec in its form,
 * such as "@2020-01-01 00:00:00" (the clock starts there). -1 too when the
 * program left libfaketime's pair in /dev/shm (it is removed). */
int tu_run_faked(const char *spec, char *const argv[], int quiet);

/* Self-signed pair as the cluster would use: DIR/NAME.crt, DIR/NAME.key and
 * DIR/NAME.pem (cert then key, the node.crt layout). key: "ec" or "rsa".
 * faketime_start: NULL, or a start such as "@2020-01-01 00:00:00"
 * (tu_run_faked's spec) to make the certificate's validity start then (with
 * days it expires accordingly). */
int tu_make_pair(const char *dir, const char *name, const char *key, int days,
                 const char *faketime_start, const char *cn);

/* Writes the files parts[0..n) one after the other into out (replaced):
 * 0 or -1. */
int tu_cat(const char *out, const char *const parts[], int n);

/* A security for tests: plaintext for SIPC_TLS_OFF, else the pair in the
 * PEM file pem (certificate then key) in mode. Aborts with the reason when it
 * cannot be made: a test cannot go on without it. */
sipc_security *tu_security(sipc_tls_mode mode, const char *pem);

/* A strict security of the pair in pem that also trusts the pair in other
 * (as a node in the middle of a key pair rotation does). Aborts with the
 * reason when it cannot be made. */
sipc_security *tu_security_trusting(const char *pem, const char *other);

/* A raw TCP client from the IPv4 address from (any port) connected to
 * to:port: the kernel completes it whether or not the server's loop runs.
 * Its descriptor, or -1. */
int tu_tcp_connect(const char *from, const char *to, int port);

/* Sleeps ms of real time, whatever signals interrupt it. */
void tu_sleep_ms(unsigned ms);

/* Runs the loop until *flag becomes non-zero or ms elapse. Returns 1 if the
 * flag was set, 0 on timeout. */
int tu_run_until(uv_loop_t *loop, const int *flag, unsigned ms);
/* Runs the loop until nothing is left, at most ms. Returns 1 if it drained. */
int tu_drain(uv_loop_t *loop, unsigned ms);

/* Segments with data that the socket fd received (Linux's TCP_INFO
 * tcpi_data_segs_in): 0, or -1 when the kernel does not count them. */
int tu_tcp_data_segs_in(int fd, uint32_t *n);

/* Log capture: a sipc_log_fn that appends "CATEGORY LEVEL msg\n" to a buffer. */
typedef struct tu_log {
    char *buf;
    size_t len, cap;
    int echo;
} tu_log;
void tu_log_sink(void *arg, sipc_log_level level, const char *category, const char *msg);
int tu_log_has(const tu_log *l, const char *needle);
void tu_log_free(tu_log *l);

/* n bytes from 2n hex digits; -1 if hex is not exactly that. */
int tu_unhex(const char *hex, uint8_t *out, size_t n);

/* Whether the kernel lists every flag of the NULL-terminated list for this
 * CPU (/proc/cpuinfo): 1 or 0; -1 when it cannot tell, or under valgrind,
 * which hides extensions from CPUID that the kernel still lists. */
int tu_cpu_has(const char *const flags[]);

/* Runs fn(arg) to its end on a thread whose stack, len bytes above a guard
 * page, is mapped here and left mapped in *stack: what the code left in its
 * dead frames can then be searched (tu_count_in). Give it back with
 * tu_stack_free. 0, or -1 when the thread could not run. */
int tu_run_on_stack(void *(*fn)(void *), void *arg, size_t len, uint8_t **stack);
void tu_stack_free(uint8_t *stack, size_t len);

/* How many times the len bytes of needle occur in p[0, n), overlaps too. */
int tu_count_in(const uint8_t *p, size_t n, const uint8_t *needle, size_t len);

#endif
