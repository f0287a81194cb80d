#!/usr/bin/env bash
# s7_pipeline_guard.sh - scenario 7: the pipeline's own TLS switch
# ([pipeline] tls) and the strict guard. On a plaintext cluster,
# `[pipeline] tls = 1` is judged by the pipeline's peers only: peers of the
# management and search services, which stay plaintext, among them the
# reloading command itself, do not refuse it; a plaintext peer of the
# pipeline still does.
. "$(dirname "$0")/scenario.sh"

records() { # N PREFIX: N records, one a line
    local i
    for i in $(seq 1 "$1"); do
        printf '{"id": "%s-%d", "timestamp": "2026-11-23T10:00:00Z", "attributes": {"src": "s7"}, "body": "b%d"}\n' "$2" "$i" "$i"
    done
}
set_pipeline_tls() { # NODE 0|1|-: the [pipeline] tls line of its sipc.conf (- removes it)
    local conf
    conf="$(node_home "$1")/sipc.conf"
    sed -i '/^# s7 pipeline$/,/^tls = [01]$/d' "$conf"
    [ "$2" = - ] || printf '# s7 pipeline\n[pipeline]\ntls = %s\n' "$2" >>"$conf"
}
reload_from_home() { "$BIN/sipcctl" --home "$(node_home "$1")" --timeout 5000 reload; }

section "a plaintext cluster; [pipeline] tls = 1 on n1"
cluster up -n 2 --tls off --base "$NET.0" || exit 1
records 5 a >"$work/a.ndjson"
n1=$(node_addr n1)
# a home without the pair: its sessions are plaintext and cannot offer TLS
bare=$work/bare
mport=$(jq -r ".nodes[0].ports.management" "$CL/cluster.json")
mkdir -p "$bare"
printf "[cluster]\nname = %s\n" "$(jq -r .name "$CL/cluster.json")" >"$bare/sipc.conf"
bctl() { "$BIN/sipcctl" --home "$bare" --timeout 5000 "$@"; }
bctl --node "$n1" search --limit 1 '' >/dev/null 2>&1
bctl --node "$n1:$mport" ping >/dev/null 2>&1
set_pipeline_tls n1 1
# asked from that home: the request itself is plaintext, on the management service
bctl --node "$n1:$mport" reload >"$work/r3.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "pipeline listener TLS: off -> strict" "$work/r3.out" &&
    ok "the pipeline alone goes TLS: plaintext peers of the other services and the reload's own command do not refuse it" ||
    { not_ok "[pipeline] tls = 1 on a plaintext n1 (exit $rc)"; cat "$work/r3.out"; }

section "the guard still judges the pipeline's own plaintext peers"
set_pipeline_tls n1 -
bctl --node "$n1:$mport" reload >/dev/null 2>&1
# another home without the pair uses n1's pipeline in plaintext
mkdir -p "$work/bare2"
cp "$bare/sipc.conf" "$work/bare2/"
"$BIN/sipcctl" --home "$work/bare2" --node "$n1" ingest "$work/a.ndjson" >/dev/null 2>&1
set_pipeline_tls n1 1
bctl --node "$n1:$mport" reload >"$work/r4.out" 2>&1
rc=$?
[ "$rc" != 0 ] && grep -q "reload refused: going strict would cut off peers still speaking plaintext: .*home .* on the pipeline service" "$work/r4.out" &&
    ok "a client without the pair that used n1's pipeline in plaintext holds [pipeline] tls = 1 back" ||
    { not_ok "reload with a plaintext pipeline peer (exit $rc)"; cat "$work/r4.out"; }
