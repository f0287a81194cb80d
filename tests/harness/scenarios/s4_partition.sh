#!/usr/bin/env bash
# s4_partition.sh - scenario 4: a three-node TLS cluster in network
# namespaces (each node a host of its own behind a bridge), loaded by
# sipc-load from the client namespace through every node's pipeline (the
# generator passes over n3's once it is silent); n3 is cut off by nftables drop rules
# (packets dropped, as a broken network does), then the partition heals.
# The records acknowledged per second meanwhile are a figure: n3's records
# are answered UNAVAILABLE after a few seconds of its silence (and sent
# again), the others' flow.
# During the partition, cluster searches are partial and name n3; after
# healing, every acknowledged record is found (0 lost), none is stored twice
# (records resent across the cut were answered UNCHANGED, not stored again),
# the generator saw no error. Skipped (77) where namespaces are unavailable.
. "$(dirname "$0")/scenario.sh"
. "$BIN/sipc-cluster.d/cluster.sh"
RATE=${SIPC_SCENARIO_RATE:-200}
CUT_S=${SIPC_SCENARIO_CUT:-6}

why=$(sc_netns_unavailable) && skip "network namespaces unavailable: $why"

cluster up -n 3 --netns --tls strict --base "$NET.0" || exit 1
ns_list=$(ip netns list | awk '{print $1}' | grep -c "^sipc-$(sc_dir_hash "$CL")-")
[ "$ns_list" = 5 ] && ok "5 namespaces (bridge, client, n1..n3)" || not_ok "$ns_list namespaces"
ctl ping "$(node_addr n3)" 2>&1 | grep -q "over TLSv1.2" && ok "the client namespace reaches n3 ($(node_addr n3)) over TLS" || not_ok "ping n3 from the client namespace"

section "load ($RATE records/s through every node), then n3 cut off for ${CUT_S}s"
cluster load start --rate "$RATE" >/dev/null || { not_ok "load start"; exit 1; }
sleep 3
t_cut=$(date +%s%3N)
cluster partition n3 && ok "n3 partitioned" || not_ok "partition n3"
ctl ping "$(node_addr n3)" --timeout 1000 >/dev/null 2>&1 && not_ok "the client still reaches n3" || ok "the client no longer reaches n3"
partial=0 named=0
for _ in 1 2; do
    ctl search 'load' --node "$(node_addr n1)" --json >"$work/s.json" 2>/dev/null
    rc=$?
    if [ "$rc" = 3 ]; then
        partial=$((partial + 1))
        jq -e '[.nodes_missing[] | select(.node == "n3" or (.address | startswith("'"$(node_addr n3)"':")))] | length == 1' "$work/s.json" >/dev/null &&
            named=$((named + 1))
    fi
done
jq -c '.nodes_missing' "$work/s.json"
[ "$partial" = 2 ] && [ "$named" = 2 ] && ok "searches during the partition: partial (exit 3), naming n3" ||
    not_ok "searches during the partition: $partial of 2 partial, $named naming n3"
while [ "$(($(date +%s%3N) - t_cut))" -lt $((CUT_S * 1000)) ]; do sleep 0.2; done
t_heal=$(date +%s%3N)
cluster heal && ok "healed after $((t_heal - t_cut)) ms" || not_ok "heal"
healthy_all() { cluster status >/dev/null 2>&1; }
wait_for 60 healthy_all && ok "every node healthy again $(ms_since "$t_heal") ms after the heal" || { not_ok "not healthy after the heal"; cluster status; }
t_ok=$(date +%s%3N)
sleep 2
load_verify
[ "$(jq -r .duplicated "$work/report.json")" = 0 ] && ok "no record stored twice ($(jq -r .retries "$work/report.json") resends)" ||
    not_ok "$(jq -r .duplicated "$work/report.json") records stored twice"
jq -e '.partial_nodes | tostring | test("n3")' "$work/report.json" >/dev/null &&
    ok "the generator's own searches were partial naming n3 ($(jq -r .searches_partial "$work/report.json") of $(jq -r .searches "$work/report.json"))" ||
    not_ok "the generator's searches did not name n3: $(jq -c '{searches, searches_partial, partial_nodes}' "$work/report.json")"

figure searches_partial "$(jq -r .searches_partial "$work/report.json")"
figure "partition ms" "$((t_heal - t_cut))"
# what the healthy nodes took meanwhile: the partition's cost to the whole
# ingest (a silent node's records are answered at once after a few seconds,
# not held with the others')
figure "acked/s during the partition" "$(($(acked_between "$t_cut" "$t_heal") * 1000 / (t_heal - t_cut))) (asked $RATE/s)"
figure "heal to healthy ms" "$((t_ok - t_heal))"

cluster down >/dev/null
left=$(ip netns list | awk '{print $1}' | grep -c "^sipc-$(sc_dir_hash "$CL")-")
[ "$left" = 0 ] && ok "down removed every namespace" || not_ok "$left namespaces left after down"
