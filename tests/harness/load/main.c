/* sipc-load - a load generator for a running sipc cluster that keeps a
 * ledger of every record: sent through the pipeline, acknowledged, retried,
 * failed, found again by get and by search. This file holds the command line
 * (one option table per command, which also writes --help) and the dispatch;
 * each command has its own cmd_*.c. See docs/testing-load.md. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "load.h"
#include "sipc/node.h"
#include "services/common/opt.h"
#include "services/common/std_fds.h"

int cmd_start(void *o);
int cmd_stop(void *o);
int cmd_report(void *o);
int cmd_run(void *o);

#define INT_OPT(name, arg, field, lo, hi, help)                                                 \
    {name, 0, CLI_INT, arg, help, offsetof(load_opts, field), 0, lo, hi, NULL}
#define FLAG(name, field, help)                                                                 \
    {name, 0, CLI_FLAG, NULL, help, offsetof(load_opts, field), 0, 0, 0, NULL}
#define END {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}

static const cli_opt GLOBAL_OPTS[] = {
    {"dir", 'd', CLI_STRING, "DIR", "the cluster's directory: DIR/cluster.json is read, the\n"
     "ledger, log, pid and report are kept in DIR/load/", offsetof(load_opts, dir), 0, 0, 0, NULL},
    {"help", 'h', CLI_HELP, NULL, "this text; `sipc-load COMMAND --help` explains a command", 0,
     0, 0, 0, NULL},
    {"version", 'V', CLI_FLAG, NULL, "print the sipc version and build, and exit",
     offsetof(load_opts, version), CLI_STOP, 0, 0, NULL},
    END};

#define SEND_OPTS                                                                               \
    INT_OPT("rate", "N", rate, 1, 100000, "records per second (default 200), spread over\n"    \
            "the nodes' pipelines in small batches"),                                              \
    {"nodes", 0, CLI_STRING, "n1,n2", "only these nodes' pipelines get records (default:\n"    \
     "every node of cluster.json); records still land where the\n"                             \
     "pipeline routes them", offsetof(load_opts, nodes), 0, 0, 0, NULL},                        \
    INT_OPT("deadline", "S", deadline, 1, 3600, "a record not acknowledged within S seconds\n"   \
            "of its first send is an error (default 30); until then it\n"                      \
            "is sent again with the same id"),                                                    \
    INT_OPT("batch", "N", batch, 1, 1000, "records in one ingest call at most (default 20)"),    \
    INT_OPT("reconnect", "S", reconnect, 0, 86400, "new connections to the pipelines every S\n"  \
            "seconds (the old ones close once answered), to exercise\n"                       \
            "connection churn (default 0: keep them; a reload moves them\n"                   \
            "by itself, with GOAWAY)")

static const cli_opt START_OPTS[] = {
    SEND_OPTS,
    INT_OPT("duration", "S", duration, 0, 604800, "stop sending after S seconds (default 0:\n"
            "until `sipc-load stop`)"),
    END};

static const cli_opt STOP_OPTS[] = {
    INT_OPT("timeout", "S", timeout, 1, 3600, "seconds for the drain, and again for the\n"
            "verification (default 60)"),
    FLAG("json", json, "print the report as one JSON object"),
    END};

static const cli_opt REPORT_OPTS[] = {
    FLAG("json", json, "one JSON object instead of name: value lines"),
    FLAG("check", check, "exit 1 unless the run is verified from a whole ledger\n"
         "with lost, unverified, errors and pending 0"),
    END};

static const cli_opt RUN_OPTS[] = {
    SEND_OPTS,
    {"count", 'c', CLI_INT, "N", "send N records (required)", offsetof(load_opts, count), 0, 1,
     10000000, NULL},
    INT_OPT("timeout", "S", timeout, 1, 3600, "seconds for the verification (default 60)"),
    FLAG("json", json, "print the report as one JSON object"),
    FLAG("check", check, "the check stop makes too (always made; kept for the\n"
         "scripts that give it)"),
    END};

static const char REPORT_LINES[] =
    "The report: sent, acknowledged, found, lost (acknowledged and not found),\n"
    "duplicated (stored on more than one node, or twice in one search answer),\n"
    "errors (records that failed for good), longest_stall_ms (the longest time\n"
    "with records outstanding and no acknowledgement), one `name: N` a line in\n"
    "that order, then longest_slow_ms (the longest run of whole seconds that\n"
    "acknowledged fewer records than half the --rate asked: an outage through\n"
    "which a few trickle in, which longest_stall_ms understates), retries,\n"
    "pending, unverified, errors_stored (errors found stored after all),\n"
    "max_latency_ms, searches, searches_partial, partial_nodes,\n"
    "unverified_nodes, rate (with the --rate asked), seconds, state,\n"
    "incomplete, run.\n"
    "lost counts only records proven lost: those only a node that could not be\n"
    "asked (unverified_nodes) may hold are unverified, not lost, and the state\n"
    "is then verified-partial. --check fails on either and its message says\n"
    "which: \"N acknowledged record(s) unverified (n3 could not be asked), M\n"
    "proven lost, E error(s)\". A ledger known to miss events (the generator\n"
    "could not write it, or ended without its last line: killed) makes the\n"
    "state incomplete, its reason in incomplete: its counts cover part of the\n"
    "run only, and --check fails saying so.\n"
    "\n"
    "After `stop`: DIR/load/report.json. While a generator runs (state: running),\n"
    "or when a run was never verified (state: stopped), the counts rebuilt from\n"
    "the ledger; lost is then 0, as nothing was looked for yet.\n"
    "\n"
    "Exit codes: 0 printed (with --check: verified from a whole ledger, lost,\n"
    "unverified, errors and pending 0); 1 --check failed; " SIPC_EXIT_HELP_USAGE ";\n"
    "70 the report or ledger cannot be read;\n"
    "78 DIR missing or not a folder, or no run in DIR (no DIR/load/ledger).\n";

static const cli_cmd COMMANDS[] = {
    {"start", "[--rate N] [--duration S] [--nodes n1,n2]",
     "send records in the background until stopped",
     "Detaches (the pid in DIR/load/pid, the log in DIR/load/load.log) once a\n"
     "pipeline answers, and sends records through the pipelines of the nodes in\n"
     "turn, every ledger event appended to DIR/load/ledger. Records are sent with\n"
     "the security of cluster.json's client_home: TLS whenever a pair is imported,\n"
     "plaintext toward a plaintext node, so the same run spans a rolling TLS\n"
     "change. Every second a cluster search for the run's recent records\n"
     "notes whether the answer was partial and which node was missing.\n"
     "\n"
     "A ledger line that cannot be written (a full disk) stops the generator at\n"
     "once: the run then reads as incomplete, never as verified.\n"
     "\n"
     "Exit codes: 0 started; " SIPC_EXIT_HELP_USAGE "; 69 no pipeline answered within\n"
     "15 s; 70 internal; 73 the ledger cannot be written; 75 a generator already\n"
     "runs in DIR; 78 DIR, cluster.json or the client home is missing or bad.\n",
     START_OPTS, cmd_start, NULL},
    {"stop", "[--timeout S] [--json]", "stop sending, drain, verify, print the report",
     "Signals the generator to stop sending, waits until every record sent is\n"
     "acknowledged or has failed for good (a line every 5 s while it waits;\n"
     "SIGKILL after --timeout), then verifies every acknowledged record with a\n"
     "get (the node that acknowledged it, then the others; found only when\n"
     "stored as sent: timestamp, attributes, body), looks the errors up too (one\n"
     "stored after all is counted in errors_stored), lists every node's records\n"
     "of the run to count duplicates, searches the cluster once, writes\n"
     "DIR/load/report.json, prints it, and checks it as report --check does. A\n"
     "generator that is gone (killed) is said, its pid file removed.\n"
     "\n"
     "Exit codes: 0 verified from a whole ledger with lost, unverified, errors\n"
     "and pending 0; 1 the check failed (why, on stderr); " SIPC_EXIT_HELP_USAGE "; 69 a node\n"
     "could not be asked (its records count as not found and unverified); 70\n"
     "internal; 73 the ledger or report.json cannot be written; 78 DIR or\n"
     "cluster.json missing or bad, or no run in DIR.\n",
     STOP_OPTS, cmd_stop, NULL},
    {"report", "[--json] [--check]", "print the last report, or the live counters",
     REPORT_LINES, REPORT_OPTS, cmd_report, NULL},
    {"run", "--count N [--rate N] [--check]",
     "in the foreground: send N records, drain, verify, report",
     "As start, then stop, without detaching (for tests and quick checks).\n"
     "Exit codes as for stop (1 when the check fails), and 73 when the ledger\n"
     "cannot be written: sending stops at once, and nothing is verified.\n",
     RUN_OPTS, cmd_run, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL}};

static const cli_tool SIPC_LOAD = {
    "sipc-load", "Usage:", "--dir DIR COMMAND [OPTIONS] | --version",
    "Load for a running sipc cluster (described by DIR/cluster.json) with a ledger of\n"
    "every record: sent through a pipeline, acknowledged (committed on its node),\n"
    "retried, failed, and found again by get and by search.\n",
    "Exit codes: 0 ok; 1 the check failed (lost, unverified, errors or pending\n"
    "above 0, not verified, or an incomplete ledger: stop, run, report --check);\n"
    SIPC_EXIT_HELP_USAGE "; 69 the cluster could not be reached; 70 internal; 73 the\n"
    "ledger or report cannot be written; 78 DIR (missing or not a folder) or\n"
    "DIR/cluster.json missing or bad, or no run in DIR (report, stop: no\n"
    "DIR/load/ledger).\n",
    GLOBAL_OPTS, COMMANDS, CLI_HELP_WORD_COMMAND};

int main(int argc, char **argv)
{
    /* its ledger and connections must not take a closed stdout's number */
    sipc_cli_std_fds_open();
    load_opts o;
    memset(&o, 0, sizeof o);
    o.rate = 200;
    o.timeout = 60;
    o.deadline = 30;
    o.batch = 20;
    o.reconnect = 0;
    cli_parsed p;
    char err[300];
    if (cli_parse(&SIPC_LOAD, argc, argv, &o, &p, err, sizeof err) != 0) {
        cli_usage_error(&SIPC_LOAD, &p, err);
        return SIPC_EXIT_USAGE;
    }
    if (o.version) {
        printf("sipc-load (%s)\n", sipc_version_string());
        return 0;
    }
    if (p.help || !p.cmd) {
        cli_help(p.help ? stdout : stderr, &SIPC_LOAD, p.cmd);
        return p.help ? 0 : SIPC_EXIT_USAGE;
    }
    if (p.nargs != 0)
        return load_fail(SIPC_EXIT_USAGE, "unexpected argument '%s' (see sipc-load %s --help)",
                         p.args[0], p.cmd->name);
    if (!o.dir || !*o.dir)
        return load_fail(SIPC_EXIT_USAGE, "--dir DIR is required (see sipc-load --help)");
    o.cmd = p.cmd->name;
    return p.cmd->run(&o);
}
