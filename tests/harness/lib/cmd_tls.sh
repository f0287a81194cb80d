# cmd_tls.sh - `sipc-cluster tls enable|disable|rotate --rolling`.

SC_HELP_TLS='usage: sipc-cluster tls enable --rolling [--dir DIR]
       sipc-cluster tls disable --rolling [--dir DIR]
       sipc-cluster tls rotate --rolling NEW.pfx --password-file F [--dir DIR]

Changes TLS on a running cluster node by node with the operator'"'"'s commands
(docs/operator-guide.md), printing each step, waiting until each node is
healthy in its new mode before the next:
  enable:  tlstool enable --mode permissive --reload on every node; then, once
           no peer speaks plaintext any more, tlstool mode strict --reload on
           every node
  disable: tlstool mode permissive --reload on every node, then tlstool
           disable --reload on every node
  rotate:  tlstool rotate stage NEW.pfx --reload on every node (and the client
           home), rotate commit --reload node by node, rotate finish --reload
           on every node; the new pair becomes DIR/cluster.pfx. Run again
           after a stop, it skips each step a home has done already
A node that refuses (the strict guard: a peer still speaks plaintext), or
tlstool'"'"'s own guard (disable: another node runs strict; rotate finish:
another node still presents the pair dropped; nothing changed on that node),
stops the procedure there, with its reason (exit 1); nothing is forced, and a
refused mode step sets that node'"'"'s sipc.conf back to the mode it runs
(tlstool mode MODE, no reload), so that no later reload applies it unasked.
Guard entries of the cluster'"'"'s own homes (sipcctl run from a node'"'"'s home or
the client home while plaintext) are cleared by one sipcctl ping from that
home over TLS, and said. After a
refusal by the guard it says what to do: TLS on the peers it names, or, only
to cut them off, tlstool mode strict --reload --force on that node (what it
does is said there, and in docs/operator-guide.md 1.5). A node that
dies or is SIGSTOPped meanwhile stops it at once (exit 69), naming that node
and the links it took down ("stopped after n1: n3 is not running (pid N
exited); n1 runs permissive but its links to n3 are down"). Interrupted
(Ctrl-C), it says at which step; every change runs the same command again
from where it stopped.

enable and rotate need the key pair in every node'"'"'s home and the client
home: on a cluster made with up --no-pair they stop before any step until it
is imported there, naming those homes and the commands that create and
import it (exit 78, nothing changed).

Exit: 0 done; 1 a node refused; 69 a node unreachable or not healthy in time;
78 no key pair yet in a home.'

sc_cmd_tls() {
    local what=${1:-} rolling=0 pfx="" pwf=""
    case $what in
    enable | disable | rotate) shift ;;
    -h | --help) echo "$SC_HELP_TLS"; return 0 ;;
    *) sc_usage "$SC_HELP_TLS" "tls needs enable, disable or rotate" ;;
    esac
    while [ $# -gt 0 ]; do
        case $1 in
        --rolling) rolling=1 ;;
        --password-file | --password-file=*) sc_value "$SC_HELP_TLS" --password-file "$@"; pwf=$SC_VALUE; shift "$SC_USED" ;;
        -h | --help) echo "$SC_HELP_TLS"; return 0 ;;
        -*) sc_usage "$SC_HELP_TLS" "unknown option '$1'" ;;
        *) [ "$what" = rotate ] && [ -z "$pfx" ] || sc_usage "$SC_HELP_TLS" "unexpected argument '$1'"; pfx=$1 ;;
        esac
        shift
    done
    [ $rolling = 1 ] || sc_usage "$SC_HELP_TLS" "only --rolling changes are supported (node by node, the cluster stays up)"
    if [ "$what" = rotate ]; then
        [ -n "$pfx" ] && [ -n "$pwf" ] || sc_usage "$SC_HELP_TLS" "rotate needs NEW.pfx and --password-file F"
        pfx=$(realpath "$pfx") pwf=$(realpath "$pwf")
    fi
    sc_open_or_die "$SC_ARG_DIR"
    sc_lock
    sc_interruptible sc_tls_interrupted sc_tls_run
}

# sc_tls_run: the rolling change sc_cmd_tls was asked for (its locals: what,
# pfx, pwf), as the work sc_interruptible waits for.
sc_tls_run() {
    SC_BIN=$(sc_q .bin)
    local t0
    t0=$(sc_now_ms)
    case $what in
    enable) sc_tls_enable_rolling; sc_update '.tls = "strict"' ;;
    disable) sc_tls_disable_rolling; sc_update '.tls = "off"' ;;
    rotate) sc_tls_rotate_rolling "$pfx" "$pwf" ;;
    esac
    echo "took $(($(sc_now_ms) - t0)) ms"
    # Links the reloads replace (GOAWAY) redial for a while after the last
    # step: the status printed is the first that finds every node healthy, or
    # the one after 30 s.
    local out rc deadline
    deadline=$(($(sc_now_ms) + 30000))
    while :; do
        out=$(sc_status_lines)
        rc=$?
        [ "$rc" = 0 ] || [ "$(sc_now_ms)" -ge "$deadline" ] && break
        sleep 0.5
    done
    printf '%s\n' "$out"
    return "$rc"
}

# What an interrupted rolling change leaves: every node as the steps done
# left it, running on; the same command goes on from there.
sc_tls_interrupted() {
    if [ "$SC_STEP" = 0 ]; then
        echo "before the first step: nothing was changed"
        return
    fi
    echo "at step $SC_STEP ($SC_STEP_TEXT): every node runs on as the steps done left it" \
        "(sipc-cluster --dir $SC_DIR status shows each one's mode and certificate);" \
        "run the same command again: it skips the nodes already done"
}
