/* sipcctl - talk to the nodes of a sipc cluster: ping, info and call any
 * method, and the services' commands.
 *
 * It uses this machine's $SIPC_HOME as a client: the same key pair and
 * cluster name as a node, TLS whenever a pair is imported. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "services/common/core_dumps.h"
#include "services/common/exit_codes.h"
#include "services/common/home_dir.h"
#include "services/common/opt.h"
#include "services/common/std_fds.h"
#include "sipcctl.h"

int cmd_sys(void *o);
int cmd_call(void *o);
int cmd_status(void *o);
int cmd_metrics(void *o);
int cmd_put(void *o);
int cmd_get(void *o);
int cmd_list(void *o);
int cmd_delete(void *o);
int cmd_ingest(void *o);
int cmd_search(void *o);
int cmd_reload(void *o);
int cmd_ack(void *o);

static const cli_opt OPTS[] = {
    {"home", 'H', CLI_STRING, "DIR", "node home (default: $SIPC_HOME, else /var/lib/sipc)",
     offsetof(ctl, home), CLI_NONEMPTY, 0, 0, NULL},
    {"node", 'n', CLI_STRING, "HOST[:PORT]",
     "the node to talk to (default: this home's [node] address,\n"
     "loopback when it is a wildcard such as 0.0.0.0 or ::;\n"
     "without a port, the command's service port from this home's sipc.conf)",
     offsetof(ctl, node), CLI_NONEMPTY, 0, 0, NULL},
    {"timeout", 't', CLI_INT, "MS", "per call, default 5000", offsetof(ctl, timeout_ms), 0, 1,
     INT_MAX, "--timeout must be a number of milliseconds from 1 to 2147483647"},
    {"verbose", 'v', CLI_FLAG, NULL, "also print the library's warnings", offsetof(ctl, verbose),
     0, 0, 0, NULL},
    {"json", 'j', CLI_FLAG, NULL, "only JSON on stdout, for every command; a failure\n"
     "without an answer: {\"ok\": false, \"error\", \"exit_code\"}",
     offsetof(ctl, json), 0, 0, 0, NULL},
    {"version", 'V', CLI_FLAG, NULL, "print the sipc, wolfSSL and CPU feature versions and exit",
     offsetof(ctl, version), CLI_STOP, 0, 0, NULL},
    {"help", 'h', CLI_HELP, NULL, "this text", 0, CLI_STOP, 0, 0, NULL},
    {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};

static const cli_opt PING_OPTS[] = {
    {"count", 'c', CLI_INT, "N", "make the call N times (default 1)", offsetof(ctl, count), 0, 1,
     1000000, NULL},
    {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};

static const cli_opt STATUS_OPTS[] = {
    {"cluster", 0, CLI_FLAG, NULL,
     "every node of [cluster] nodes, and what is wrong in plain words:\n"
     "exit 0 nothing flagged; 2 MIGRATING: TLS on everywhere and the\n"
     "only findings are nodes still permissive (no plaintext peer left:\n"
     "going strict is safe), or TLS off on some nodes and permissive on\n"
     "the others (a roll-out or roll-back half done); 1 anything else",
     offsetof(ctl, cluster), 0, 0, 0, NULL},
    {"expect-mode", 0, CLI_STRING, "off|permissive|strict",
     "with --cluster: exit 0 only when every node runs TLS in this\n"
     "mode and nothing else is flagged, else 1 (the nodes in another\n"
     "mode are named)",
     offsetof(ctl, expect_mode), 0, 0, 0, NULL},
    {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};

static const cli_opt RELOAD_OPTS[] = {
    {"cluster", 0, CLI_FLAG, NULL, "ask every node of [cluster] nodes (at this home's\n"
     "management port), one after the other", offsetof(ctl, cluster), 0, 0, 0, NULL},
    {"force", 0, CLI_FLAG, NULL, "override the node's guards: go strict although plaintext\n"
     "peers were seen within [tls] strict_guard_window,\n"
     "cutting them off (the node logs it as forced; asked\n"
     "over TLS, it also stops counting them until they\n"
     "connect again), or take TLS off although other nodes\n"
     "run strict, cutting this node off from them (the\n"
     "answer names them); no effect on a reload that goes\n"
     "neither strict nor off",
     offsetof(ctl, force), 0, 0, 0, NULL},
    {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};

static const char RELOAD_ABOUT[] =
    "Asks the node (--node, default this home's [node] address at its [management]\n"
    "port) or, with --cluster, every node of [cluster] nodes, to re-read its sipc.conf\n"
    "and key pair without a restart (as SIGHUP does). New connections use the new TLS\n"
    "mode and pair; connections made before are replaced once answered. Prints per\n"
    "node what changed (\"TLS: off -> permissive\", \"key pair: sha256 ab12.. -> cd34..\",\n"
    "\"trust: +1 root\") or why nothing did. An invalid sipc.conf or pair is refused as a\n"
    "whole and the running setup stays. Ports, address, node id, cluster and limits\n"
    "need a restart: they are listed and not applied.\n"
    "\n"
    "The strict guard: a reload that would make a listener strict is refused while\n"
    "a peer's latest connection was plaintext within [tls] strict_guard_window\n"
    "(the answer names the peers). --force overrides it and cuts those peers off.\n"
    "\n"
    "The guard of going off: a reload that takes the [tls] listeners from TLS to off\n"
    "is refused while another [cluster] node runs strict, or ran strict at its last\n"
    "answer and cannot be asked now (the node asks every other node first, within the\n"
    "request's --timeout; the answer names them). --force goes off anyway.\n"
    "\n"
    "Exit codes: 0 every node reloaded or had nothing to change; 1 a node refused;\n"
    "3 a change needs a restart (the rest was applied); 69 a node could not be\n"
    "reached; 75 a node did not answer within --timeout (it may have reloaded all\n"
    "the same: its status shows what it runs; --json: result no_answer); 76, 77, 78\n"
    "as for every command. Any peer that passes mutual TLS with the cluster's pair\n"
    "may ask; in plaintext mode, anyone who reaches the port.\n";

static const char ACK_ABOUT[] =
    "Acknowledges what a node's status shows until the operator has dealt with it.\n"
    "records-lost: committed records a start of the node found gone (a lost or damaged\n"
    "records.db-wal, an older copy of records.db put back): `status` says\n"
    "\"storage: RECORDS LOST ...\", `status --cluster` has a records_lost problem and\n"
    "sipc_storage_records_lost_findings counts them until then. Send the records again\n"
    "first where their producer still has them (docs/operator-guide.md).\n"
    "\n"
    "Asks the node (--node, default this home's [node] address at its [management]\n"
    "port) for its status, prints the findings it shows, and asks it to remove exactly\n"
    "those from its state/records-lost (management.ack): a finding the node adds in\n"
    "between stays, and is named (\"stays ...\"). The node logs who asked. --json\n"
    "prints {\"node\", \"address\", \"result\" (acknowledged, nothing, refused, failed),\n"
    "\"message\", \"shown\" (the findings as the status gave them), \"removed\", \"kept\",\n"
    "\"gone\" (named but acknowledged meanwhile)}.\n"
    "\n"
    "Only a caller that passed mutual TLS with the cluster's pair may acknowledge (as\n"
    "only such a caller's reload --force leaves a lasting mark): in plaintext, anyone\n"
    "who reaches the port could, so the node refuses; then remove state/records-lost\n"
    "in the node's home instead.\n"
    "\n"
    "A finding the status cannot show finding by finding (state/records-lost too\n"
    "large, not a file, unreadable) has no line to name: it is not acknowledged (exit\n"
    "1, the reason said); remove the file in the node's home. A line longer than any\n"
    "sipcd writes is shown cut (\"...[cut: N bytes]\"), and named so.\n"
    "\n"
    "Exit codes: 0 acknowledged, or nothing to acknowledge (said so); 1 the node\n"
    "refused (plaintext) or could not remove them (the reason: state/records-lost\n"
    "unreadable, not a file, not replaceable), a finding shown could not be named,\n"
    "or findings stay although none was removed; 69 the node could not be reached;\n"
    "75 the request was sent but no answer came within --timeout, or the connection\n"
    "was lost before the answer: the node may have applied it (`sipcctl status\n"
    "--node ADDR` shows whether the findings are gone;\n"
    "running ack again is safe); 76, 77, 78 as for every command.\n";

static const cli_opt PUT_OPTS[] = {
    {"timestamp", 0, CLI_STRING, "T", "RFC 3339 UTC, e.g. 2026-11-23T10:00:00Z (default: now)",
     offsetof(ctl, timestamp), 0, 0, 0, NULL},
    {"attr", 'a', CLI_LIST, "KEY=VALUE", "an attribute (repeatable)", offsetof(ctl, attrs), 0, 0,
     0, NULL},
    {"body", 'b', CLI_STRING, "TEXT", "the record's body", offsetof(ctl, body), 0, 0, 0, NULL},
    {"body-file", 0, CLI_STRING, "F", "the record's body, from a file", offsetof(ctl, body_file),
     CLI_NONEMPTY, 0, 0, NULL},
    {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};

static const cli_opt LIST_OPTS[] = {
    {"since", 0, CLI_STRING, "T", "from this time on (RFC 3339 UTC)", offsetof(ctl, since), 0, 0,
     0, NULL},
    {"until", 0, CLI_STRING, "T", "before this time (RFC 3339 UTC)", offsetof(ctl, until), 0, 0,
     0, NULL},
    {"limit", 'l', CLI_INT, "N", "at most N records, default 1000, at most 1000000",
     offsetof(ctl, limit), 0, 1, 1000000, NULL},
    {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};

static const cli_opt INGEST_OPTS[] = {
    {"to", 0, CLI_STRING, "NODE",
     "send every record to this node's data service (its [cluster] nodes\n"
     "entry as host:port, or its node id) instead of by hash of the id",
     offsetof(ctl, to), CLI_NONEMPTY, 0, 0, NULL},
    {"failed-max", 0, CLI_INT, "N",
     "with --json: list at most N failed records (default 100000;\n"
     "failed_left_out counts the others)",
     offsetof(ctl, failed_max), 0, 1, 100000000, NULL},
    {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};
static const cli_opt SEARCH_OPTS[] = {
    {"attr", 'a', CLI_LIST, "K=V", "only records with attribute K equal to V\n"
     "(repeat it: every pair must match)", offsetof(ctl, attrs), 0, 0, 64,
     NULL},
    {"since", 0, CLI_STRING, "T", "only records at or after T: RFC 3339 UTC,\n"
     "e.g. 2026-11-23T10:00:00Z (or ...:00.250Z)", offsetof(ctl, since), 0, 0, 0, NULL},
    {"until", 0, CLI_STRING, "T", "only records before T (same form)", offsetof(ctl, until), 0, 0,
     0, NULL},
    {"limit", 'l', CLI_INT, "N", "at most N hits, default 100, at most 1000", offsetof(ctl, limit),
     0, 1, 1000, NULL},
    {"order", 0, CLI_STRING, "newest|rank", "newest first (default), or most relevant first",
     offsetof(ctl, order), 0, 0, 0, NULL},
    {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};

static const char SEARCH_ABOUT[] =
    "Full-text search over the records of every node of the cluster: the node asked\n"
    "(--node, default this home's [node] address at its [search] port) searches itself\n"
    "and every other node, and merges the hits. QUERY is FTS5 syntax over bodies and\n"
    "attributes: error, \"card declined\", pay*, error AND checkout, body:x NOT y,\n"
    "attributes:firefox. An empty QUERY ('') matches every record; \"\" typed as the\n"
    "query is an FTS5 phrase of no words and matches none. The answer comes within\n"
    "--timeout.\n"
    "\n"
    "Prints a table (node, time, id, rank, first line of the body) and \"N hits from K\n"
    "of M nodes\"; each node that did not answer gets a line \"PARTIAL: missing n3\n"
    "(10.0.0.3:23001): connection refused\". --json prints {\"hits\": [{\"id\",\n"
    "\"timestamp\" (RFC 3339 UTC), \"node\", \"attributes\" (an object, or an array of\n"
    "[key, value] pairs when a key repeats), \"body\", \"rank\"}], \"partial\",\n"
    "\"nodes_missing\": [{\"node\" (null if never reached), \"address\", \"reason\"}]}; a\n"
    "body that is not UTF-8 is base64 with \"body_encoding\": \"base64\", a body cut\n"
    "at 64 KiB has \"body_size\" (the whole size), and \"truncated\": true says the\n"
    "hits were cut below --limit to keep the answer's size bounded.\n"
    "\n"
    "Exit code 3: the answer is PARTIAL (the hits of the nodes that answered are\n"
    "printed). 0: every node answered. Otherwise as for every command.\n";

static const cli_cmd COMMANDS[] = {
    {"ping", "[ADDRESS[:PORT]]",
     "the round trip of sys.ping, and whether the link is TLS\n"
     "(version, cipher) or plaintext; ADDRESS: --node, else this home's node",
     NULL, PING_OPTS, cmd_sys, NULL},
    {"info", "[ADDRESS[:PORT]]", "the node's sys.info as JSON; ADDRESS as for ping", NULL, NULL,
     cmd_sys, NULL},
    {"call", "ADDRESS[:PORT] SERVICE METHOD [PAYLOAD]",
     "call any method and print the reply payload as it comes;\n"
     "PAYLOAD is sent as its bytes (text as given), none if left out",
     NULL, PING_OPTS, cmd_call, NULL},
    {"status", "[--cluster [--expect-mode MODE]] [--json]",
     "this node's status, or the cluster's (management channel)",
     "Shows the node's id, version, TLS mode, certificate and expiry, each service with\n"
     "its port and listener, its TLS and plaintext connections (naming plaintext peers),\n"
     "and the links to other nodes. --cluster asks every node and lists the problems:\n"
     "TLS not enabled everywhere, a different certificate (a key pair rotation whose\n"
     "pairs every node accepts is a note with its next step instead, naming a node whose\n"
     "staged pair does not verify and what completes it first), a certificate\n"
     "expiring within 30 days, an unreachable node, links between nodes down for more\n"
     "than 10 s, a peer still sending plaintext, a node whose [cluster] nodes differs.\n"
     "From a home whose own node refuses the connection, --cluster asks the other\n"
     "nodes of [cluster] nodes instead. The JSON schema is in docs/services.md\n"
     "(installed as PREFIX/share/doc/sipc/docs/services.md); with --json a failure prints\n"
     "{\"ok\": false, \"error\": ..., \"exit_code\": N} on stdout too, as every command\n"
     "does (a usage mistake, exit 64, only on stderr).\n"
     "\n"
     "Exit codes of --cluster, for scripts that wait for a stage of a migration to TLS:\n"
     "0 OK, nothing flagged; 2 MIGRATING: TLS is on everywhere and the only findings are\n"
     "nodes still in mode permissive, with no plaintext peer left (going strict cuts no\n"
     "one off; a node the strict guard held back counts once its plaintext peers are\n"
     "gone); also 2 when TLS is off on some nodes and permissive on the others, none\n"
     "strict (a roll-out or a roll-back half done: no node refuses another); 1 anything\n"
     "else. --expect-mode off|permissive|strict: 0 only when every node runs in that\n"
     "mode (off: TLS off) and nothing else is flagged (for permissive: no plaintext\n"
     "peer left either), else 1 (also when the answer lists no node); the headline\n"
     "then reads \"cluster IN MODE M\" or \"cluster NOT IN MODE M\", and --json adds\n"
     "expect_mode, expect_met, not_in_mode:\n"
     "  until sipcctl status --cluster --expect-mode permissive; do rc=$?\n"
     "      case $rc in 64|78) exit $rc;; esac; sleep 10; done\n"
     "(64 and 78, a usage mistake or a bad home or subject, never pass by waiting).\n",
     STATUS_OPTS, cmd_status, NULL},
    {"metrics", "", "the node's metrics in the Prometheus text format", NULL, NULL, cmd_metrics, NULL},
    {"put", "ID [--timestamp T] [--attr K=V]... (--body TEXT | --body-file F | -)",
     "store a record in the data service of the node\n"
     "asked (acknowledged once committed)",
     "Stores record ID in the data service of one node: --node, default this home's\n"
     "[node] address. get and list read that node only; search finds a record on\n"
     "any node. Prints \"ID: stored on node N\" (or \"already stored, unchanged\",\n"
     "\"stored, replacing the previous record\"); --json: {\"id\", \"result\" (created,\n"
     "unchanged, replaced), \"node\"}. Exit 66 when --body-file cannot be read.\n",
     PUT_OPTS, cmd_put, NULL},
    {"get", "ID", "print a record's body from the node asked\n(--json: the whole record)",
     "Prints the body of record ID from the data service of one node: --node,\n"
     "default this home's [node] address (search finds a record on any node). To a\n"
     "pipe or a file the body goes byte for byte (`sipcctl get ID > f` gives the\n"
     "body exactly, binary or not); on a terminal a newline is added when the body\n"
     "does not end with one. --json prints the whole record: {\"id\", \"timestamp\"\n"
     "(RFC 3339 UTC), \"attributes\", \"body\"}.\n"
     "Exit 1 when the node has no record with that id.\n",
     NULL, cmd_get, NULL},
    {"delete", "ID", "delete a record from the node asked",
     "Deletes record ID from the data service of one node: --node, default this home's\n"
     "[node] address. A record lives on the node that stored it (search names the node\n"
     "of every hit). Prints \"ID: deleted from node N\", or \"ID: not stored on node N\"\n"
     "(exit 0 too: it is not there); --json: {\"id\", \"deleted\", \"node\"}.\n",
     NULL, cmd_delete, NULL},
    {"list", "[--since T] [--until T] [--limit N]", "records in a time range, oldest first", NULL,
     LIST_OPTS, cmd_list, NULL},
    {"ingest", "FILE|-", "send NDJSON records (one a line) through the node's\n"
     "pipeline to the data services; print what was acknowledged",
     "Reads FILE (- for stdin), one JSON record a line:\n"
     "  {\"id\": \"s-1\", \"timestamp\": \"2026-11-23T10:00:00Z\",\n"
     "   \"attributes\": {\"user\": \"u1\"}, \"body\": \"...\"}\n"
     "(timestamp RFC 3339, or timestamp_ms in Unix milliseconds; attributes may\n"
     "also be an array of [key, value] pairs). Records go in batches of 500 to the\n"
     "pipeline of --node (default: this home's [node] address, port of [pipeline]),\n"
     "8 batches in flight; --timeout is per batch. A bad line is reported with its\n"
     "number and skipped. A record counts as acknowledged once its destination's\n"
     "data service committed it; sending a file again is safe (UNCHANGED).\n"
     "Exit codes: 0 every line was a record and every record was acknowledged;\n"
     "65 some lines were bad or rejected by the data service, all others were\n"
     "acknowledged; 69 some records were not acknowledged (pipeline or data service\n"
     "unreachable, deadline): send the file again; 66 FILE cannot be read; 64 usage\n"
     "(also an unknown --to: the summary says 'refused by the pipeline', and why);\n"
     "76, 77, 78 as for every command.\n",
     INGEST_OPTS, cmd_ingest, NULL},
    {"reload", "[--node ADDR | --cluster] [--force]", "re-read sipc.conf and the key pair\n"
     "without a restart (management channel)", RELOAD_ABOUT, RELOAD_OPTS, cmd_reload, NULL},
    {"ack", "records-lost [--node ADDR] [--json]", "acknowledge the findings of lost records a node\n"
     "shows (management channel)", ACK_ABOUT, NULL, cmd_ack, NULL},
    {"search", "QUERY", "search the records of every node (full text,\n"
     "attributes, time range)", SEARCH_ABOUT, SEARCH_OPTS, cmd_search, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL}};

static const cli_tool SIPCCTL = {
    "sipcctl", "Usage:", "[--home DIR] [--node HOST[:PORT]] [--timeout MS] COMMAND ARGS | --version",
    "Talks to the nodes of a sipc cluster with this machine's key pair: TLS whenever a\n"
    "pair is imported (plaintext toward a plaintext node only when this home is not\n"
    "enabled). Global options may also follow COMMAND. ADDRESS without :PORT: the\n"
    "data service port of this home's sipc.conf (23000).\n",
    "Exit codes: 0 success; 1 the call failed (remote error) or a problem was found;\n"
    "2 status --cluster: MIGRATING (the only findings are nodes still permissive,\n"
    "and nodes with TLS off beside them);\n"
    "3 partial success: search answered without some nodes (PARTIAL), or reload\n"
    "applied what it could but a change needs a restart; " SIPC_EXIT_HELP_USAGE "; 65 ingest: bad\n"
    "lines (the others were acknowledged); 66 an input file (ingest FILE, put\n"
    "--body-file) cannot be read; 69 the node could not be reached or timed out (the\n"
    "handshake too), or ingest: some records were not acknowledged; 75 ack, reload:\n"
    "sent, but not answered in time or the connection lost first (the node may\n"
    "have done it); 76 protocol or TLS-mode mismatch; 77 TLS or certificate\n"
    "failure; 78 the home missing or not a directory, or its configuration or key\n"
    "material bad.\n",
    OPTS, COMMANDS, CLI_HELP_WORD_COMMAND};

int ctl_usage(const ctl *o, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sipcctl: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    cli_help(stderr, &SIPCCTL, o->command);
    return SIPC_EXIT_USAGE;
}

int ctl_check_args(const ctl *o, int min, int max)
{
    if (o->nargs < min)
        return ctl_usage(o, "%s needs %s", o->cmd, o->command->args);
    /* one line, as for a mistaken option: the whole usage would bury it */
    char line[400];
    if (cli_extra_arg(&SIPCCTL, o->command, o->args, o->nargs, max, 1, line, sizeof line))
        return ctl_fail(SIPC_EXIT_USAGE, "%s", line);
    return 0;
}

FILE *ctl_open_input(const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    struct stat st;
    int e = !f ? errno : fstat(fileno(f), &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (!e)
        return f;
    if (f && f != stdin)
        fclose(f);
    ctl_fail(SIPC_EXIT_NOINPUT, "cannot read %s: %s", path, strerror(e));
    return NULL;
}

int main(int argc, char **argv)
{
    /* before anything is opened: a key file or a connection must not
     * take the number of a closed stdout or stderr */
    sipc_cli_std_fds_open();
    /* first: with a pair imported, every command holds the node's private key */
    char cerr[300];
    if (sipc_cli_core_dumps_off(cerr, sizeof cerr) != 0)
        fprintf(stderr, "sipcctl: warning: a crash may write a core file holding key material: %s\n",
                cerr);
    ctl o;
    memset(&o, 0, sizeof o);
    o.count = 1;
    o.timeout_ms = 5000;
    cli_parsed p;
    char err[300];
    if (cli_parse(&SIPCCTL, argc, argv, &o, &p, err, sizeof err) != 0) {
        cli_usage_error(&SIPCCTL, &p, err);
        return SIPC_EXIT_USAGE;
    }
    if (o.version) {
        printf("sipcctl (%s)\n", sipc_version_string());
        return 0;
    }
    /* options without a command: one line; sipcctl alone shows the usage */
    if (!p.help && !p.cmd && argc > 1)
        return ctl_fail(SIPC_EXIT_USAGE, "no command given (see sipcctl --help)");
    if (p.help || !p.cmd) {
        cli_help(p.help ? stdout : stderr, &SIPCCTL, p.cmd);
        return p.help ? 0 : SIPC_EXIT_USAGE;
    }
    /* a home given by name must be there; without one, sipcctl is a client
     * with the built-in defaults (plaintext, cluster "sipc") */
    o.command = p.cmd;
    o.cmd = p.cmd->name;
    char as[40];
    if (sipc_cli_home_missing(o.home, cli_given_as(&p, "home", as, sizeof as), 0, err,
                              sizeof err)) {
        /* a script parsing --json gets its object for this too */
        return ctl_json_outcome(&o, ctl_fail(SIPC_EXIT_CONFIG, "%s", err));
    }
    o.args = p.args;
    o.nargs = p.nargs;
    return ctl_json_outcome(&o, p.cmd->run(&o));
}
