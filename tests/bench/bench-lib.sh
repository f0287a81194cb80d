# bench-lib.sh - what the benchmark scripts share; sourced, not run.

# wait_port PORT [SECS]: until something listens on it (at most SECS, 5 by
# default; a server under valgrind needs longer); 1 if never.
wait_port() {
  local _
  for _ in $(seq $((${2:-5} * 20))); do
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
    sleep 0.05
  done
  return 1
}

# load1: the 1-minute load average, for the record of every measurement.
load1() {
  cut -d' ' -f1 /proc/loadavg
}
