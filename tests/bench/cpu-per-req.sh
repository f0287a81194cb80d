#!/usr/bin/env bash
# cpu-per-req.sh - CPU cost of one request, both ends, for one or more
# sipc-bench binaries: CPU time (perf stat task-clock) per echoed request of
# the server and of the client, over the client's whole run (warm-up
# included, divided by the requests of the whole run). CPU per request moves
# much less than requests per second when other jobs load the machine, so
# before/after of a change shows here first. (This VM has no hardware
# counters: no instruction counts.)
#
#   tests/bench/cpu-per-req.sh SIZE WINDOW MODE BIN [BIN...]
#
# MODE plain|tls. A BIN of "uv" is the kit's uv_echo (always plaintext): the
# limit's own cost, so sipc's CPU per request can be set against it (on a
# CPU-bound machine req/s ÷ uv = uv's CPU per request ÷ sipc's). Each line
# also splits both ends' CPU into user space and kernel (user_us, sys_us:
# the client's from perf, the server's from /proc/PID/stat, in 10 ms ticks):
# what a change to sipc's own code can reach. The server's split is the
# kernel's tick accounting: on a VM its kernel part can come out larger
# than the exact total (seen on an AMD EPYC VM, 4 Dec 2026), so read user_us
# against both_us and not sys_us alone. Knobs: SECS (2), REPS (3),
# WORKDIR (the kit's build and certs).
set -u
# shellcheck source=tests/bench/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"
SIZE=${1:?usage: cpu-per-req.sh SIZE WINDOW plain|tls BIN...} WIN=${2:?} MODE=${3:?}
shift 3
WORKDIR=${WORKDIR:-${TMPDIR:-/tmp}/sipc-bench-peers}
C=$WORKDIR/certs SECS=${SECS:-2} REPS=${REPS:-3} port=${PORT_BASE:-25700}
command -v perf >/dev/null || { echo "cpu-per-req.sh: perf is not installed" >&2; exit 64; }
args=()
[[ $MODE == tls ]] && args=("$C/ecdsa.crt" "$C/ecdsa.key")
T=$(mktemp -d "${TMPDIR:-/tmp}/cpu-per-req.XXXXXX")
trap 'rm -rf "$T"' EXIT
for rep in $(seq "$REPS"); do
  for bin in "$@"; do
    port=$((port + 1))
    if [[ $bin == uv ]]; then
      "$WORKDIR/build/uv_echo" server $port >/dev/null 2>&1 &
    else
      "$bin" server $port "$MODE" "${args[@]}" >/dev/null 2>&1 &
    fi
    srv=$!
    wait_port $port || { echo "cpu-per-req.sh: $bin server did not listen" >&2; kill $srv; exit 1; }
    perf stat -x, -e task-clock -p $srv -o "$T/srv" &
    ps=$!
    st0=(0 0 0 0 0 0 0 0 0 0 0 0 0)
    [[ -r /proc/$srv/stat ]] && read -r -a st0 < <(cut -d')' -f2 /proc/$srv/stat)
    if [[ $bin == uv ]]; then
      perf stat -x, -e task-clock,user_time,system_time -o "$T/cli" -- \
        "$WORKDIR/build/uv_echo" client $port "$SIZE" "$WIN" "$SECS" 0.5 >"$T/out"
    else
      perf stat -x, -e task-clock,user_time,system_time -o "$T/cli" -- \
        "$bin" client $port "$MODE" "$SIZE" "$WIN" "$SECS" 0.5 "${args[@]}" >"$T/out"
    fi
    st1=("${st0[@]}")
    [[ -r /proc/$srv/stat ]] && read -r -a st1 < <(cut -d')' -f2 /proc/$srv/stat)
    # fields 14 and 15 of stat (utime, stime) are 12 and 13 after the name
    echo "$((st1[11] - st0[11])) $((st1[12] - st0[12])) $(getconf CLK_TCK)" >"$T/srv_ticks"
    kill -INT $ps; wait $ps 2>/dev/null
    kill $srv; wait $srv 2>/dev/null
    python3 - "$T" "$bin" "$rep" "$SECS" "$SIZE" "$WIN" "$([[ $bin == uv ]] && echo plain || echo "$MODE")" <<'EOF'
import re, sys
t, binary, rep, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
out = open(t + '/out').read()
rps = float(re.search(r'rps=([0-9.]+)', out).group(1))
reqs = rps * (secs + 0.5)  # the warm-up's requests ran too
def stat(f):
    v = {}
    for line in open(f):
        p = line.strip().split(',')
        if len(p) > 2 and p[0] and p[0][0].isdigit():
            v[p[2]] = float(p[0])
    return v
sv, cv = stat(t + '/srv'), stat(t + '/cli')
sc, cc = sv.get('task-clock', 0), cv.get('task-clock', 0)
su, ss, hz = (int(x) for x in open(t + '/srv_ticks').read().split())
# milliseconds of user and kernel time, both ends (perf gives ns)
user = cv.get('user_time', 0) / 1e6 + su * 1000 / hz
kern = cv.get('system_time', 0) / 1e6 + ss * 1000 / hz
print(f"CPU bin={binary} size={sys.argv[5]} window={sys.argv[6]} mode={sys.argv[7]} rep={rep} rps={rps:.0f} srv_us_per_req={sc*1000/reqs:.2f} "
      f"cli_us_per_req={cc*1000/reqs:.2f} both_us_per_req={(sc+cc)*1000/reqs:.2f} "
      f"user_us={user*1000/reqs:.2f} sys_us={kern*1000/reqs:.2f}")
EOF
  done
done
