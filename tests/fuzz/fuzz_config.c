/* fuzz_config.c - libFuzzer target: the sipc.conf reader. The input is
 * written as sipc.conf into a private home (made once per process), then
 * read with sipc_config_load exactly as sipcd, sipcctl and tlstool read it;
 * what loads is used the way they use it (ports, the nodes' addresses, the
 * effective TLS mode, the context options). */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sipc/node.h"

static char home[256];
static char conf[300];

static void cleanup(void)
{
    unlink(conf);
    rmdir(home);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!home[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(home, sizeof home, "%s/sipc-fuzz-config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(home)) {
            perror(home);
            abort();
        }
        snprintf(conf, sizeof conf, "%s/sipc.conf", home);
        atexit(cleanup);
    }
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
    }
    (void)sipc_config_effective_mode(&cfg);
    sipc_options opts;
    sipc_options_from_config(&opts, &cfg);
    return 0;
}
