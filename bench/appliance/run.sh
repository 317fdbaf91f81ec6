#!/usr/bin/env bash
# Measures the one-node appliance against issue 4's targets: `./keel demo` ready (REST answering,
# meta leader elected) within 15 s of the command after the first build; resident memory at idle
# <= 1 GiB; CPU at idle <= 2 % of one core. Prints a Markdown table for docs/benchmarks.md.
#
#   bench/appliance/run.sh [--idle-seconds N] [--runs N] [--keep]
#
# --keep leaves the data directories (with each node's logs) in place for a look afterwards.
# Do not edit sources while it runs: `./keel demo` rebuilds when sources are newer than the jar.
#
# Each run uses a fresh data directory (so the first-start path: formatting the device, creating
# the cluster) and then a second start on the same data (the restart path). The demo binds the
# template's ports (8080, 8081, 7400, 2181): nothing else may hold them.
set -euo pipefail
# Job control: without it bash starts background jobs with SIGINT ignored, the JVM then installs
# no handler for it, and the Ctrl-C this script sends would never reach the node.
set -m

KEEL_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
IDLE_SECONDS=60
RUNS=3
KEEP=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --idle-seconds) IDLE_SECONDS="$2"; shift 2 ;;
        --runs) RUNS="$2"; shift 2 ;;
        --keep) KEEP=1; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

"$KEEL_HOME/keel" build -q > /dev/null
TICKS_PER_SECOND="$(getconf CLK_TCK)"
WORK="$(mktemp -d)"
PID=""
cleanup() {
    if [[ -n "$PID" ]]; then kill -INT "$PID" 2>/dev/null || true; fi
    wait 2>/dev/null || true
    if [[ -n "$KEEP" ]]; then echo "logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

start_demo() { # data dir -> sets PID and READY_MS
    local data="$1" begin
    begin="$(now_ms)"
    KEEL_DATA_DIR="$data" "$KEEL_HOME/keel" demo > "$data.console" 2>&1 &
    PID=$!
    if curl -sf http://127.0.0.1:8080/api/v1/health > /dev/null && ! kill -0 "$PID" 2>/dev/null; then
        echo "something else answers on port 8080; stop it first" >&2; exit 1
    fi
    until curl -sf http://127.0.0.1:8080/api/v1/health | grep -q '"leader":"'; do
        kill -0 "$PID" 2>/dev/null || { echo "demo exited; see $data.console" >&2; exit 1; }
        (( $(now_ms) - begin < 120000 )) || { echo "demo not ready in 120 s" >&2; exit 1; }
        sleep 0.05
    done
    READY_MS=$(( $(now_ms) - begin ))
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

stop_demo() {
    kill -INT "$PID"
    local code=0
    wait "$PID" 2>/dev/null || code=$?
    PID=""
    STOP_CODE="$code"
    # The JVM exits with 130 after SIGINT whatever its hooks did; the node's log says whether
    # every part stopped.
    if tail -n "+$(( LOG_LINES + 1 ))" "$1/logs/keel.log" | grep -q "node stopped cleanly"; then
        STOPPED=clean
    else
        STOPPED=unclean
    fi
}

echo "| run | start | ready (ms) | RSS after ${IDLE_SECONDS}s idle (MiB) | idle CPU (% of one core) | Ctrl-C: exit code, stop |"
echo "|---|---|---|---|---|---|"
for run in $(seq 1 "$RUNS"); do
    data="$WORK/demo-$run"
    for start in first restart; do
        start_demo "$data"
        ready_ms="$READY_MS"
        sleep 5 # let start-up work (JIT, first heartbeats, checkpoints) settle before measuring idle
        t0="$(cpu_ticks "$PID")"
        sleep "$IDLE_SECONDS"
        t1="$(cpu_ticks "$PID")"
        rss="$(rss_kib "$PID")"
        cpu="$(awk -v d=$((t1 - t0)) -v hz="$TICKS_PER_SECOND" -v s="$IDLE_SECONDS" \
            'BEGIN {printf "%.2f", 100 * d / hz / s}')"
        LOG_LINES="$(wc -l < "$data/logs/keel.log")" # only this start's stop counts
        stop_demo "$data"
        echo "| $run | $start | $ready_ms | $((rss / 1024)) | $cpu | $STOP_CODE, $STOPPED |"
    done
done
