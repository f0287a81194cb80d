/* test_keypair_wipe.c - a key pair loaded (from PEM text or from a node.crt
 * file, RSA and ECDSA) and freed leaves no copy of its private key in the
 * process heap: neither the joined Base64 (the PEM reader's whitespace-free
 * copy), nor a line of the file's text (a stdio buffer, a block a reallocation
 * moved away from), nor the DER.
 *
 * The heap is scanned in place: the [heap] range of /proc/self/maps, read
 * with read(2) into the stack. Everything the test itself holds is kept out
 * of that range, so only what the loader left can match: the PEM text is
 * mapped from its file, the needles are on the stack, and the pairs are made
 * by a child process (tu_make_pair copies the key through stdio, whose freed
 * buffers would otherwise be found here).
 *
 * Once every copy is wiped before it is freed the scan finds nothing whatever
 * malloc does. Without the wiping, a freed block keeps its bytes until malloc
 * hands it out again, so what could hide a copy is reuse; it is made
 * unlikely where it can be: main() re-executes the test with glibc's
 * per-thread cache off (GLIBC_TUNABLES) and turns the fast bins off (both
 * hand the block freed last straight to the next request of its size), heap
 * trimming off (it would unmap a freed top of the heap) and mmap for large
 * blocks off (they would leave the [heap] range); the needles lie past the
 * free-list pointers glibc writes at the start of a freed block, and the node.crt
 * file puts its key where glibc's fread passes it through the stdio buffer
 * (bytes 4096-8191). Measured without the wiping: every case finds the PEM
 * reader's copy, the file cases also the stdio buffer and the block the old
 * reader's realloc moved away from. Each case first checks that the scan
 * finds the live DER, so a scan of the wrong memory cannot pass.
 *
 * A home's pair loaded for TLS (sipc_security_load, as sipcd does on a
 * thread-pool worker at each reload) also leaves no copy of its private
 * value in the dead frames of that thread's stack: the load runs on a
 * thread whose stack the test maps itself, and once it has ended the whole
 * stack is scanned for the value, in the big-endian order of the key's
 * encoding and in the reversed (little-endian) order of wolfCrypt's digits.
 * Measured without the clearing, it is found there three times (16-32 KiB
 * below the load). (An RSA key's values were not found on the stack even
 * without it: no RSA case, which would pass either way.) The same load on a
 * thread of 96 KiB, with a guard page below: the clearing keeps within the
 * stack the thread has (it would clear 128 KiB on a large one), and the
 * value is gone there too.
 *
 * Under AddressSanitizer the allocator is not glibc's and the freed blocks
 * are not in [heap], and locals may live on ASan's own heap of frames: the
 * loads still run (for ASan's checks), the scans are skipped. */
#include <fcntl.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "certs/keypair.h"
#include "sipc/node.h"
#include "sipc/sipc.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define SCAN_HEAP 0
#else
#define SCAN_HEAP 1
#endif

static char *dir;

/* [*lo, *hi) of the [heap] mapping; 0, or -1 when there is none. */
static int heap_range(uintptr_t *lo, uintptr_t *hi)
{
    static char maps[1 << 16];
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    ssize_t r;
    while (n < sizeof maps - 1 && (r = read(fd, maps + n, sizeof maps - 1 - n)) > 0)
        n += (size_t)r;
    close(fd);
    maps[n] = '\0';
    for (char *line = maps; *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        if (strstr(line, "[heap]")) {
            unsigned long a, b;
            if (sscanf(line, "%lx-%lx", &a, &b) != 2)
                return -1;
            *lo = a;
            *hi = b;
            return 0;
        }
        if (!end)
            break;
        line = end + 1;
    }
    return -1;
}

static int copies_in_heap(const void *needle, size_t len)
{
    uintptr_t lo, hi;
    if (heap_range(&lo, &hi) != 0)
        return 0;
    int n = 0;
    const char *p = (const char *)lo, *end = (const char *)hi;
    while ((p = memmem(p, (size_t)(end - p), needle, len)) != NULL) {
        n++;
        p++;
    }
    return n;
}

/* A pair made in a child process, so that no copy of its text is left in
 * this process's heap by the making. */
static void make_pair(const char *name, const char *alg)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(tu_make_pair(dir, name, alg, 30, NULL, NULL) == 0 ? 0 : 1);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

typedef struct mapped {
    const char *text;
    size_t len;
} mapped;

static mapped map_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    assert_true(p != MAP_FAILED);
    return (mapped){p, (size_t)st.st_size};
}

/* The needles of one private key, on the stack. line: the start of the key's
 * Base64 line `at`, as the file holds it; joined: the end of line `at` - 1
 * and the start of line `at`, as only a whitespace-free copy holds them. */
typedef struct needles {
    char line[64];
    char joined[40];
    uint8_t der[32];
} needles;

static void base64_needles(const mapped *pem, int at, needles *nd)
{
    const char *b = memmem(pem->text, pem->len, "-----BEGIN PRIVATE KEY-----\n", 28);
    assert_non_null(b);
    const char *l0 = b + 28 + (size_t)(at - 1) * 65, *l1 = l0 + 65;
    assert_true(l1 + 64 <= pem->text + pem->len && l0[64] == '\n' && l1[64] == '\n');
    memcpy(nd->line, l1, 64);
    memcpy(nd->joined, l0 + 44, 20);
    memcpy(nd->joined + 20, l1, 20);
}

static void expect_no_copies(const needles *nd, const char *what)
{
    if (!SCAN_HEAP)
        return;
    int j = copies_in_heap(nd->joined, sizeof nd->joined);
    int l = copies_in_heap(nd->line, sizeof nd->line);
    int d = copies_in_heap(nd->der, sizeof nd->der);
    if (j || l || d)
        fail_msg("%s: after free the heap still holds the private key: %d joined Base64, "
                 "%d file text, %d DER",
                 what, j, l, d);
}

/* Takes the DER needle from the live pair (from its middle: past the
 * algorithm header, inside the private values) and checks that the scan
 * finds it there. */
static void der_needle(const sipc_keypair *kp, needles *nd)
{
    assert_true(kp->key.len >= 100);
    size_t off = kp->key_type == SIPC_KEY_ECC ? 36 : kp->key.len / 2;
    memcpy(nd->der, kp->key.data + off, sizeof nd->der);
    if (SCAN_HEAP)
        assert_int_equal(copies_in_heap(nd->der, sizeof nd->der), 1);
}

static void from_text(const char *name, int line)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s.pem", dir, name);
    mapped pem = map_file(path);
    needles nd;
    base64_needles(&pem, line, &nd);
    sipc_keypair kp;
    char err[256];
    assert_int_equal(sipc_keypair_from_pem(&kp, pem.text, pem.len, err, sizeof err), 0);
    der_needle(&kp, &nd);
    sipc_keypair_free(&kp);
    expect_no_copies(&nd, name);
    munmap((void *)pem.text, pem.len);
}

/* node.crt as a file of more than 8 KiB (so that the reader grows its buffer)
 * with text before and after the blocks: the key lies between bytes 4096 and
 * 8191, the part of the file glibc's fread reads through its stdio buffer
 * and the part a reader growing from 8 KiB holds in the block it grows out
 * of. */
static void from_file(const char *name, int line)
{
    char path[600], big[600];
    snprintf(path, sizeof path, "%s/%s.pem", dir, name);
    snprintf(big, sizeof big, "%s/%s.big.pem", dir, name);
    mapped pem = map_file(path);
    int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    static const char pad[] = "A line of text outside every block, which readers skip.......\n";
    for (int i = 0; i < 68; i++)
        assert_int_equal(write(fd, pad, sizeof pad - 1), (ssize_t)(sizeof pad - 1));
    assert_int_equal(write(fd, pem.text, pem.len), (ssize_t)pem.len);
    for (int i = 0; i < 68; i++)
        assert_int_equal(write(fd, pad, sizeof pad - 1), (ssize_t)(sizeof pad - 1));
    close(fd);
    const char *kb = memmem(pem.text, pem.len, "-----BEGIN PRIVATE KEY-----", 27);
    const char *ke = memmem(pem.text, pem.len, "-----END PRIVATE KEY-----", 25);
    assert_true(kb && ke);
    size_t before = 68 * (sizeof pad - 1);
    assert_true(before + (size_t)(kb - pem.text) >= 4096 && before + (size_t)(ke - pem.text) < 8192);
    needles nd;
    base64_needles(&pem, line, &nd);
    sipc_keypair kp;
    char err[256];
    assert_int_equal(sipc_keypair_load_pem(&kp, big, NULL, err, sizeof err), 0);
    der_needle(&kp, &nd);
    sipc_keypair_free(&kp);
    expect_no_copies(&nd, big);
    munmap((void *)pem.text, pem.len);
}

/* The lines: for P-256 line 1 starts at DER byte 48, inside the private
 * scalar (bytes 36-67 of the PKCS#8 key); for RSA-2048 line 6 lies in the
 * private exponent. */
static void rsa_text(void **s)
{
    (void)s;
    from_text("rsa", 6);
}
static void ec_text(void **s)
{
    (void)s;
    from_text("ec", 1);
}
static void rsa_file(void **s)
{
    (void)s;
    from_file("rsa", 6);
}
static void ec_file(void **s)
{
    (void)s;
    from_file("ec", 1);
}

typedef struct stack_load {
    const sipc_config *cfg;
    int rc;
    char err[512];
} stack_load;

static void *load_on_thread(void *arg)
{
    stack_load *l = arg;
    sipc_security *sec = NULL;
    l->rc = sipc_security_load(&sec, l->cfg, l->err, sizeof l->err);
    sipc_security_release(sec);
    return NULL;
}

/* name's pair as a home's node.crt, TLS enabled; loaded on a thread with a
 * stack of the test's own, stack_len bytes above a guard page; then that
 * stack is searched for the private value. */
static void from_home_on_thread(const char *name, size_t stack_len)
{
    char home[600], path[700];
    snprintf(home, sizeof home, "%s/home-%s-%zu", dir, name, stack_len);
    assert_int_equal(mkdir(home, 0700), 0);
    snprintf(path, sizeof path, "%s/sipc.conf", home);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    static const char conf[] = "[node]\nid = a\n[tls]\nenable = 1\n";
    assert_int_equal(write(fd, conf, sizeof conf - 1), (ssize_t)(sizeof conf - 1));
    close(fd);
    snprintf(path, sizeof path, "%s/security", home);
    assert_int_equal(mkdir(path, 0700), 0);
    char pem_path[600];
    snprintf(pem_path, sizeof pem_path, "%s/%s.pem", dir, name);
    mapped pem = map_file(pem_path);
    snprintf(path, sizeof path, "%s/security/node.crt", home);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_int_equal(write(fd, pem.text, pem.len), (ssize_t)pem.len);
    close(fd);
    munmap((void *)pem.text, pem.len);

    /* the value, from a pair loaded here (it is freed and wiped again) */
    sipc_keypair kp;
    char err[256];
    assert_int_equal(sipc_keypair_load_pem(&kp, path, NULL, err, sizeof err), 0);
    uint8_t be[32], le[32];
    size_t off = kp.key_type == SIPC_KEY_ECC ? 36 : kp.key.len / 2;
    memcpy(be, kp.key.data + off, sizeof be);
    sipc_keypair_free(&kp);
    for (size_t i = 0; i < sizeof le; i++)
        le[i] = be[sizeof be - 1 - i];

    static sipc_config cfg;
    char cerr[256];
    assert_int_equal(sipc_config_load(&cfg, home, cerr, sizeof cerr), 0);
    stack_load l = {.cfg = &cfg};
    uint8_t *stack;
    assert_int_equal(tu_run_on_stack(load_on_thread, &l, stack_len, &stack), 0);
    if (l.rc != 0)
        fail_msg("%s: the home's pair was not loaded: %s", name, l.err);
    if (SCAN_HEAP) {
        int b = tu_count_in(stack, stack_len, be, sizeof be);
        int e = tu_count_in(stack, stack_len, le, sizeof le);
        if (b || e)
            fail_msg("%s: the loading thread's stack still holds the private key: %d copies in "
                     "the key's byte order, %d reversed",
                     name, b, e);
    }
    tu_stack_free(stack, stack_len);
}

static void ec_home_stack(void **s)
{
    (void)s;
    from_home_on_thread("ec", 4u << 20);
}
static void ec_home_small_stack(void **s)
{
    (void)s;
#ifdef SIPC_TEST_SYSTEM_WOLFSSL
    skip(); /* Debian's wolfSSL needs more than 96 KiB to load a key */
#endif
    from_home_on_thread("ec", 96u << 10);
}

static int setup(void **s)
{
    (void)s;
    dir = tu_mkdtemp("keywipe");
    if (!dir)
        return -1;
    make_pair("rsa", "rsa");
    make_pair("ec", "ec");
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    tu_rmdir(dir);
    free(dir);
    return 0;
}

int main(int argc, char **argv)
{
    (void)argc;
    if (SCAN_HEAP && !getenv("SIPC_TEST_TCACHE_OFF")) {
        setenv("SIPC_TEST_TCACHE_OFF", "1", 1);
        setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1);
        execv("/proc/self/exe", argv);
        perror("re-executing with the malloc cache off");
        return 1;
    }
    mallopt(M_MXFAST, 0);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 16 << 20);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rsa_text),
        cmocka_unit_test(ec_text),
        cmocka_unit_test(rsa_file),
        cmocka_unit_test(ec_file),
        cmocka_unit_test(ec_home_stack),
        cmocka_unit_test(ec_home_small_stack),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
