/* fuzz_config.c - libFuzzer target: the sipc.conf reader and what a node
 * decides from it. The input is written as sipc.conf into a private home
 * (made once per process, with the fuzz cluster's pair imported as
 * security/node.crt), then read with sipc_config_load exactly as sipcd,
 * sipcctl and tlstool read it; what loads is used the way they use it: ports,
 * the nodes' addresses, the effective TLS mode, the context options (a
 * context is made from them), the security of the node, of each service and
 * of a client. Then the file is edited the way `tlstool mode` does
 * (sipc_config_set): the edit must keep the file loadable and take effect. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs/tool/store.h"
#include "fuzz_common.h"
#include "sipc/node.h"

static char home[256];
static char conf[300], sec_dir[300], crt[320];
static uv_loop_t loop;

static void cleanup(void)
{
    unlink(conf);
    unlink(crt);
    rmdir(sec_dir);
    rmdir(home);
}

static void quiet(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    (void)arg, (void)level, (void)category, (void)msg;
}

static void setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(home, sizeof home, "%s/sipc-fuzz-config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(home)) {
        perror(home);
        abort();
    }
    snprintf(conf, sizeof conf, "%s/sipc.conf", home);
    snprintf(sec_dir, sizeof sec_dir, "%s/security", home);
    snprintf(crt, sizeof crt, "%s/node.crt", sec_dir);
    char *pem;
    size_t len;
    if (mkdir(sec_dir, 0700) != 0 || sipc_keypair_to_pem(fuzz_root_pair(), &pem, &len) != 0) {
        perror(sec_dir);
        abort();
    }
    FILE *fp = fopen(crt, "wb");
    if (!fp || fwrite(pem, 1, len, fp) != len || fclose(fp) != 0 || chmod(crt, 0600) != 0) {
        perror(crt);
        abort();
    }
    sipc_secure_free(pem, len);
    uv_loop_init(&loop);
    atexit(cleanup);
}

static void use_security(int r, sipc_security *sec)
{
    if (r == 0) {
        (void)sipc_security_mode(sec);
        (void)sipc_security_fingerprint(sec);
        sipc_security_release(sec);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!home[0])
        setup();
    FILE *fp = fopen(conf, "wb");
    if (!fp || fwrite(data, 1, size, fp) != size || fclose(fp) != 0) {
        perror(conf);
        abort();
    }
    sipc_config cfg;
    char err[512];
    if (sipc_config_load(&cfg, home, err, sizeof err) != 0)
        return 0;
    static const char *const services[] = {"data", "search", "management", "pipeline", "other"};
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        (void)sipc_config_port(&cfg, services[i]);
    for (int i = 0; i < cfg.nnodes; i++) {
        char host[160];
        int port;
        (void)sipc_parse_address(cfg.nodes[i], 23000, host, sizeof host, &port);
        (void)sipc_config_node(&cfg, i, host, sizeof host, &port);
    }
    sipc_tls_mode mode = sipc_config_effective_mode(&cfg);

    /* the node's security decisions, as sipcd and sipcctl make them */
    sipc_security *sec = NULL;
    int r = sipc_security_load(&sec, &cfg, err, sizeof err);
    if (r == 0 && sipc_security_mode(sec) != mode)
        abort(); /* the security must be in the mode the configuration says */
    use_security(r, sec);
    for (size_t i = 0; i < 4; i++) {
        r = sipc_security_load_service(&sec, &cfg, services[i], err, sizeof err);
        use_security(r, sec);
    }
    r = sipc_security_load_client(&sec, &cfg, err, sizeof err);
    use_security(r, sec);

    /* a context from the options, as sipcd makes one per service */
    sipc_options opts;
    sipc_options_from_config(&opts, &cfg);
    opts.log = quiet;
    sipc_security *plain;
    if (sipc_security_plain(&plain) == 0) {
        sipc_ctx *ctx;
        if (sipc_ctx_new(&ctx, &loop, &opts, plain) == 0) {
            sipc_ctx_close(ctx, NULL, NULL);
            uv_run(&loop, UV_RUN_DEFAULT);
        }
        sipc_security_release(plain);
    }

    /* tlstool's edit: the file keeps loading and the new value is in effect */
    const char *want = (size & 1) ? "permissive" : "strict";
    if (sipc_config_set(home, "tls", "mode", want, err, sizeof err) == 0) {
        sipc_config again;
        if (sipc_config_load(&again, home, err, sizeof err) != 0 ||
            again.tls_mode != ((size & 1) ? SIPC_TLS_PERMISSIVE : SIPC_TLS_STRICT)) {
            fprintf(stderr, "fuzz_config: after setting [tls] mode = %s: %s\n", want, err);
            abort();
        }
    }
    return 0;
}
