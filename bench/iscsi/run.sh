#!/usr/bin/env bash
# End-to-end iSCSI benchmark: a one-node Keel appliance against tgtd, on files of the same size in
# the same directory, in the same run, with the same durability (Keel: O_DIRECT device, write cache
# reported off, a write acknowledged once durable; tgtd: --bstype rdwr --bsoflags sync:direct).
#
#   bench/iscsi/run.sh [--duration SECONDS] [--rounds N] [--warmup SECONDS] [--size GIB] [--dir DIR]
#                      [--out DIR] [--thin] [--node-jvm-opts "OPTS"] [--no-build] [--keep]
#
# Initiators: `qemu-img bench` over iscsi:// (libiscsi) and libiscsi's `iscsi-perf`, on loopback.
# Workloads, each measured in --rounds rounds (default 3) that run it against both targets back to
# back, which one goes first alternating from round to round, so that drift in the shared disk hits
# both; the table shows each side's median and the median of the rounds' ratios:
#   4 KiB read  QD1, QD32     qemu-img bench -s 4096 -d 1|32 -S STEP        (IOPS; QD1: mean latency)
#   4 KiB write QD1, QD32     qemu-img bench -w -s 4096 -d 1|32 -S STEP
#   4 KiB write QD128         qemu-img bench -w -s 4096 -d 128 -S STEP     (no target: what deeper queues get)
#   1 MiB sequential write    qemu-img bench -w -s 1M -d 4                  (MB/s)
#   1 MiB sequential read     qemu-img bench -s 1M -d 4
#   4 KiB random read QD32    iscsi-perf -r -b 8 -m 32 -t SECONDS           (IOPS)
# STEP is 1 MiB + 4 KiB: offsets stride over the whole LUN (qemu-img wraps them modulo its size)
# and, 257 blocks being prime to any power of two, visit every 4 KiB block before repeating one.
# Request counts are sized from --duration (default 10 s per run) by a short calibration run on each
# target. Before a workload's first measured qemu-img run, the same workload runs on each target for
# about --warmup seconds (default 5; 0 for none), unmeasured: a JVM target compiles its hot paths
# under load, and tgtd gets the same treatment.
# Both LUNs are written in full once (1 MiB sequential) before anything is measured, so reads
# hit written data on both (a thin Keel volume answers unwritten extents with zeros from memory).
#
# Targets (issue text): 4 KiB read and write IOPS at QD32 >= 1.2x tgtd; QD1 latency <= tgtd's;
# sequential >= tgtd. Prints a Markdown table and the commands used; raw outputs, both servers'
# logs and the table go to --out (default /var/tmp/keel-bench-results/iscsi-<time>). A second table
# gives the CPU each request cost the target's process (all its threads, from /proc/PID/stat) and
# the initiator (/usr/bin/time): on a hyper-converged node the guests share those CPUs.
#
# Needs root (tgtd), Debian packages tgt, libiscsi-bin, qemu-utils, qemu-block-extra and time, and a
# directory on a real disk (default /var/tmp/keel-bench-iscsi; its files are deleted at the end
# unless --keep). Every step is bounded in time; only loopback and free ports are used; every
# process the script started is stopped on exit, Ctrl-C and errors included.
set -euo pipefail
# Background jobs (the two servers, each initiator, which the script then waits for) start with job
# control on: each gets a process group of its own and SIGINT not ignored, so a Ctrl-C at the
# terminal reaches only this script, whose trap then stops them in order (tgtd through its control
# socket). Job control is off otherwise, so that the terminal never passes to a foreground command
# (a Ctrl-C that only killed, say, a curl would let the script go on).
spawn() { set -m; "$@" & SPAWNED=$!; set +m; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION=10
ROUNDS=3
WARMUP=5
SIZE_GIB=2
DIR=/var/tmp/keel-bench-iscsi
OUT=""
THIN=0
NODE_JVM_OPTS_OVERRIDE=""
BUILD=1
KEEP=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --duration) DURATION="$2"; shift ;;
        --rounds) ROUNDS="$2"; shift ;;
        --warmup) WARMUP="$2"; shift ;;
        --size) SIZE_GIB="$2"; shift ;;
        --dir) DIR="$2"; shift ;;
        --out) OUT="$2"; shift ;;
        --thin) THIN=1 ;;
        --node-jvm-opts) NODE_JVM_OPTS_OVERRIDE="$2"; shift ;;
        --no-build) BUILD=0 ;;
        --keep) KEEP=1 ;;
        -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --duration takes whole seconds" >&2; exit 2; }
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --rounds takes a positive number" >&2; exit 2; }
[[ "$WARMUP" =~ ^[0-9]+$ ]] || { echo "run.sh: --warmup takes whole seconds" >&2; exit 2; }
[[ "$SIZE_GIB" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --size takes whole GiB" >&2; exit 2; }

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

[[ "$(id -u)" == 0 ]] || die "tgtd needs root"
for tool in tgtd tgtadm qemu-img iscsi-perf iscsi-readcapacity16 curl python3 fallocate /usr/bin/time; do
    command -v "$tool" >/dev/null \
        || die "$tool is missing: apt-get install -y tgt libiscsi-bin qemu-utils qemu-block-extra curl python3 time"
done
mkdir -p "$DIR"; DIR="$(cd "$DIR" && pwd)"
fstype="$(stat -f -c %T "$DIR")"
[[ "$fstype" != tmpfs ]] || die "$DIR is on tmpfs; use a directory on a real disk (--dir)"
OUT="${OUT:-/var/tmp/keel-bench-results/iscsi-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT/raw"; OUT="$(cd "$OUT" && pwd)"

LUN_BYTES=$(( SIZE_GIB << 30 ))
# The Keel device holds the LUN plus room for the chunk store's own journals and metadata.
HEADROOM=$(( LUN_BYTES / 4 > (1 << 30) ? LUN_BYTES / 4 : (1 << 30) ))
DEVICE_BYTES=$(( LUN_BYTES + HEADROOM ))
need_kib=$(( (DEVICE_BYTES + LUN_BYTES) / 1024 + (1 << 20) ))
avail_kib="$(df -Pk "$DIR" | awk 'NR == 2 {print $4}')"
(( avail_kib > need_kib )) || die "$DIR has $((avail_kib >> 20)) GiB free; needs $((need_kib >> 20)) GiB"

KEEL_DIR="$DIR/keel"            # the node's data directory (device file, metadata, logs)
TGT_IMG="$DIR/tgtd.img"         # tgtd's backing file, next to Keel's device file
KEEL_IQN=iqn.2026-12.io.keel:bench
TGT_IQN=iqn.2026-12.io.keel.bench:tgtd
VOLUME=bench
STEP=$(( (1 << 20) + 4096 ))
QIMG=(qemu-img bench -f raw -t none -n)

# ---------------------------------------------------------------- process bookkeeping and cleanup
NODE_PID=""
TGTD_PID=""
TGT_CTRL=""
CLIENT_PID=""
stop_node() {
    [[ -n "$NODE_PID" ]] || return 0
    kill -TERM "$NODE_PID" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
    NODE_PID=""
}
stop_tgtd() {
    [[ -n "$TGTD_PID" ]] || return 0
    # tgtd ignores SIGTERM while it has targets: delete them, then the daemon, through its control
    # socket. A session a killed initiator left half-open keeps the LU busy: then only SIGKILL.
    tgtadm -C "$TGT_CTRL" --lld iscsi --mode target --op delete --force --tid 1 >/dev/null 2>&1 || true
    tgtadm -C "$TGT_CTRL" --mode system --op delete >/dev/null 2>&1 || true
    for _ in $(seq 100); do kill -0 "$TGTD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$TGTD_PID" 2>/dev/null || true
    wait "$TGTD_PID" 2>/dev/null || true
    rm -f "/var/run/tgtd/socket.$TGT_CTRL" "/var/run/tgtd/socket.$TGT_CTRL.lock"
    TGTD_PID=""
}
cleanup() {
    local code=$?
    trap - EXIT INT TERM
    if [[ -n "$CLIENT_PID" ]]; then
        kill -TERM "$CLIENT_PID" 2>/dev/null || true
        wait "$CLIENT_PID" 2>/dev/null || true
    fi
    stop_tgtd
    stop_node
    if [[ -d "$KEEL_DIR/logs" ]]; then cp -f "$KEEL_DIR/logs/keel.log" "$KEEL_DIR/console.log" "$OUT/" 2>/dev/null || true; fi
    if [[ "$KEEP" == 1 ]]; then
        log "kept $KEEL_DIR and $TGT_IMG"
    else
        rm -rf "$KEEL_DIR" "$TGT_IMG"
    fi
    exit "$code"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# Free loopback TCP ports (free when asked; the servers bind them moments later), never one twice.
declare -A HANDED_OUT=()
free_port() {
    local port
    while :; do
        port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
        [[ -z "${HANDED_OUT[$port]:-}" ]] && break
    done
    HANDED_OUT[$port]=1
    echo "$port"
}

COMMANDS=()   # what the measured runs executed, printed at the end
record() { local q; q="$(printf '%q ' "$@")"; echo "${q% }" >> "$OUT/commands.txt"; }

# run_client NAME LIMIT command... : runs an initiator (bounded by LIMIT seconds) with its output in
# raw/NAME.txt; sets CLIENT_CPU to the CPU seconds (user + system) it used; returns its exit code.
run_client() {
    local name="$1" limit="$2"; shift 2
    record "$@"
    spawn timeout --kill-after=10 "$limit" /usr/bin/time -f "%U %S" -o "$OUT/raw/$name.cpu" "$@" \
        < /dev/null > "$OUT/raw/$name.txt" 2>&1
    CLIENT_PID=$SPAWNED
    local code=0
    wait "$CLIENT_PID" || code=$?
    CLIENT_PID=""
    CLIENT_CPU="$(tail -n 1 "$OUT/raw/$name.cpu" 2>/dev/null | awk 'NF == 2 {print $1 + $2}')"
    return "$code"
}

# ---------------------------------------------------------------- build, machine, versions
if [[ "$BUILD" == 1 ]]; then
    log "building (./keel build -q)"
    (cd "$ROOT" && ./keel build -q) > "$OUT/build.log" 2>&1 || { tail -n 40 "$OUT/build.log" >&2; die "build failed; see $OUT/build.log"; }
fi
NODE_JAR="$ROOT/appliance-ui/target/keel-node.jar"
[[ -f "$NODE_JAR" ]] || die "$NODE_JAR is missing; drop --no-build"
JAVA_HOME_KEEL="$("$ROOT/keel" java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p')"
[[ -x "$JAVA_HOME_KEEL/bin/java" ]] || die "could not find the JDK the keel launcher uses"
# The node's JVM options: the launcher's own (`./keel node` runs a node with them), unless overridden.
read -r -a KEEL_JVM_OPTS <<< "$(sed -n 's/^KEEL_JVM_OPTS=(\(.*\))$/\1/p' "$ROOT/keel")"
if [[ -n "$NODE_JVM_OPTS_OVERRIDE" ]]; then
    read -r -a NODE_JVM_OPTS <<< "$NODE_JVM_OPTS_OVERRIDE"
else
    read -r -a NODE_JVM_OPTS <<< "$(sed -n 's/^NODE_JVM_OPTS=(\(.*\))$/\1/p' "$ROOT/keel")"
fi
(( ${#KEEL_JVM_OPTS[@]} > 0 && ${#NODE_JVM_OPTS[@]} > 0 )) || die "could not read the node's JVM options from $ROOT/keel"

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(uname -srm); $(nproc) vCPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "disk: $(df -P "$DIR" | awk 'NR == 2 {print $1}') ($fstype) for $DIR"
    echo "keel: commit $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- . ':!bench' || echo ' (+ local changes)'); java: $("$JAVA_HOME_KEEL/bin/java" -version 2>&1 | head -1)"
    echo "node JVM options: ${KEEL_JVM_OPTS[*]} ${NODE_JVM_OPTS[*]}"
    echo "tgt: $(dpkg-query -W -f '${Version}' tgt 2>/dev/null); libiscsi-bin: $(dpkg-query -W -f '${Version}' libiscsi-bin 2>/dev/null); $(qemu-img --version | head -1)"
    echo "LUNs: ${SIZE_GIB} GiB each ($([[ "$THIN" == 1 ]] && echo "Keel thin" || echo "Keel thick")); Keel device $((DEVICE_BYTES >> 20)) MiB; duration ${DURATION}s per measured run, each after ${WARMUP}s of warm-up"
} | tee "$OUT/machine.txt" >&2

# ---------------------------------------------------------------- Keel
start_keel() {
    local rest admin rpc zk iscsi
    rest="$(free_port)"; admin="$(free_port)"; rpc="$(free_port)"; zk="$(free_port)"; iscsi="$(free_port)"
    KEEL_PORT="$iscsi"
    KEEL_REST="http://127.0.0.1:$rest/api/v1"
    rm -rf "$KEEL_DIR"; mkdir -p "$KEEL_DIR"
    cat > "$KEEL_DIR/keel.yml" <<EOF
node:
  name: bench
  dataDir: $KEEL_DIR
  roles: [meta, chunk, access]
  advertiseHost: 127.0.0.1
  rpcPort: $rpc
zookeeper:
  mode: embedded
  clientPort: $zk
chunk:
  devices: [{path: devices/data-0.img, sizeBytes: $DEVICE_BYTES, createFile: true}]
iscsi:
  listen: ["127.0.0.1:$iscsi"]
cluster:
  defaultPool: {name: default, replicationFactor: 1}
server:
  applicationConnectors: [{type: http, bindHost: 127.0.0.1, port: $rest}]
  adminConnectors: [{type: http, bindHost: 127.0.0.1, port: $admin}]
  requestLog: {appenders: []}
logging:
  level: INFO
  appenders:
    - type: file
      currentLogFilename: $KEEL_DIR/logs/keel.log
      archive: false
    - type: console
      threshold: ERROR
EOF
    cp "$KEEL_DIR/keel.yml" "$OUT/keel.yml"
    local cmd=("$JAVA_HOME_KEEL/bin/java" "${KEEL_JVM_OPTS[@]}" "${NODE_JVM_OPTS[@]}" -jar "$NODE_JAR" server "$KEEL_DIR/keel.yml")
    record "${cmd[@]}"
    COMMANDS+=("$(printf '%q ' "${cmd[@]}")")
    log "starting the Keel node (REST $rest, iSCSI $iscsi)"
    spawn "${cmd[@]}" < /dev/null > "$KEEL_DIR/console.log" 2>&1
    NODE_PID=$SPAWNED
    local begin=$SECONDS
    until curl -sf --max-time 2 "$KEEL_REST/health" 2>/dev/null | grep -q '"leader":"'; do
        kill -0 "$NODE_PID" 2>/dev/null || { tail -n 30 "$KEEL_DIR/console.log" >&2; die "the Keel node exited; see $KEEL_DIR/console.log"; }
        (( SECONDS - begin < 180 )) || die "the Keel node was not ready in 180 s"
        sleep 0.2
    done
    until [[ -s "$KEEL_DIR/admin-password" ]]; do
        (( SECONDS - begin < 200 )) || die "no $KEEL_DIR/admin-password"
        sleep 0.2
    done
    KEEL_AUTH="admin:$(tr -d '[:space:]' < "$KEEL_DIR/admin-password")"
    until [[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -u "$KEEL_AUTH" "$KEEL_REST/pools")" == 200 ]]; do
        (( SECONDS - begin < 220 )) || die "the admin account did not work in time"
        sleep 0.2
    done
    log "Keel node ready after $((SECONDS - begin)) s"
}

# rest_post PATH JSON : POST with the admin account; dies unless 201.
rest_post() {
    local status
    record curl -u admin:PASSWORD -H 'Content-Type: application/json' -d "$2" "$KEEL_REST$1"
    status="$(curl -s --max-time 60 -o "$OUT/raw/rest-reply.json" -w '%{http_code}' -u "$KEEL_AUTH" \
        -H 'Content-Type: application/json' -d "$2" "$KEEL_REST$1")"
    [[ "$status" == 201 ]] || die "POST $1 $2 -> $status: $(cat "$OUT/raw/rest-reply.json")"
}

export_keel_volume() {
    local pool=default
    if [[ "$THIN" == 0 ]]; then
        pool=bench-thick
        rest_post /pools "{\"name\":\"$pool\",\"replicationFactor\":1,\"provisioning\":\"THICK\"}"
    fi
    rest_post /volumes "{\"name\":\"$VOLUME\",\"pool\":\"$pool\",\"sizeBytes\":$LUN_BYTES}"
    rest_post /targets "{\"iqn\":\"$KEEL_IQN\",\"luns\":[{\"lun\":0,\"volume\":\"$VOLUME\"}],\"allowedInitiators\":[],\"anyInitiator\":true}"
    KEEL_URL="iscsi://127.0.0.1:$KEEL_PORT/$KEEL_IQN/0"
}

# ---------------------------------------------------------------- tgtd
start_tgtd() {
    local port ctrl
    port="$(free_port)"
    # The control port names a UNIX socket, /var/run/tgtd/socket.N: take one no tgtd uses.
    for _ in $(seq 100); do
        ctrl=$(( 1000 + RANDOM % 9000 ))
        [[ -e "/var/run/tgtd/socket.$ctrl" || -e "/var/run/tgtd/socket.$ctrl.lock" ]] || break
    done
    TGT_CTRL="$ctrl"
    rm -f "$TGT_IMG"
    fallocate -l "$LUN_BYTES" "$TGT_IMG"
    local cmd=(tgtd -f -C "$TGT_CTRL" --iscsi "portal=127.0.0.1:$port")
    record "${cmd[@]}"
    COMMANDS+=("$(printf '%q ' "${cmd[@]}")")
    log "starting tgtd (iSCSI $port, control $TGT_CTRL)"
    spawn "${cmd[@]}" < /dev/null > "$OUT/tgtd.log" 2>&1
    TGTD_PID=$SPAWNED
    local adm=(tgtadm -C "$TGT_CTRL" --lld iscsi)
    for _ in $(seq 100); do "${adm[@]}" --mode target --op show >/dev/null 2>&1 && break; sleep 0.1; done
    kill -0 "$TGTD_PID" 2>/dev/null || { cat "$OUT/tgtd.log" >&2; die "tgtd exited"; }
    local steps=(
        "--mode target --op new --tid 1 --targetname $TGT_IQN"
        "--mode logicalunit --op new --tid 1 --lun 1 --backing-store $TGT_IMG --bstype rdwr --bsoflags sync:direct"
        "--mode target --op bind --tid 1 --initiator-address ALL"
    )
    local step
    for step in "${steps[@]}"; do
        # shellcheck disable=SC2086
        record "${adm[@]}" $step
        COMMANDS+=("${adm[*]} $step")
        # shellcheck disable=SC2086
        "${adm[@]}" $step
    done
    "${adm[@]}" --mode target --op show > "$OUT/tgtadm-show.txt"
    TGT_URL="iscsi://127.0.0.1:$port/$TGT_IQN/1"
}

# Waits until the LUN at URL answers READ CAPACITY(16) with the expected size.
await_lun() {
    local url="$1" begin=$SECONDS out
    while :; do
        out="$(timeout 10 iscsi-readcapacity16 -s "$url" 2>&1 || true)"
        [[ "$out" =~ (^|[^0-9])$LUN_BYTES([^0-9]|$) ]] && return 0
        (( SECONDS - begin < 60 )) || die "$url not served in 60 s (last answer: $out)"
        sleep 0.5
    done
}

start_keel
export_keel_volume
start_tgtd
await_lun "$KEEL_URL"
await_lun "$TGT_URL"
declare -A URL=([keel]="$KEEL_URL" [tgtd]="$TGT_URL")
declare -A SERVER_PID=([keel]="$NODE_PID" [tgtd]="$TGTD_PID")
log "Keel: $KEEL_URL"
log "tgtd: $TGT_URL"

alive() { # target: dies when its server is gone
    kill -0 "${SERVER_PID[$1]}" 2>/dev/null || die "the $1 server exited (see $OUT)"
}

CLK_TCK="$(getconf CLK_TCK)"
# server_ticks TARGET -> user + system clock ticks its server's process (every thread) has used so far.
# Fields 14 and 15 of /proc/PID/stat, counted after the command name, which may hold spaces.
server_ticks() {
    local stat="/proc/${SERVER_PID[$1]}/stat"
    [[ -r "$stat" ]] || { echo 0; return; } # the server is gone: the next alive() says so
    sed 's/^.*) //' "$stat" | awk '{print $12 + $13}'
}

KEEL_LOG="$KEEL_DIR/logs/keel.log"
log_lines() { if [[ -f "$KEEL_LOG" ]]; then wc -l < "$KEEL_LOG"; else echo 0; fi; }
# keel_log_since NAME LINE : saves what the node logged after line LINE (while run NAME ran) to
# raw/NAME.keel.log and shows its WARN/ERROR lines.
keel_log_since() {
    local name="$1" from="$2" found
    tail -n "+$(( from + 1 ))" "$KEEL_LOG" > "$OUT/raw/$name.keel.log" 2>/dev/null || true
    found="$(grep -E '^(WARN|ERROR) ' "$OUT/raw/$name.keel.log" || true)"
    if [[ -n "$found" ]]; then
        log "  the Keel node logged $(grep -c . <<< "$found") WARN/ERROR lines during $name (raw/$name.keel.log):"
        head -n 5 <<< "$found" | cut -c 1-300 | sed 's/^/    /' >&2
    else
        rm -f "$OUT/raw/$name.keel.log"
    fi
}

# ---------------------------------------------------------------- measurement helpers
# Where each target's next qemu-img run starts: each run continues the previous run's offsets, so
# a run does not re-read blocks a run just before it touched.
declare -A CURSOR=([keel]=0 [tgtd]=0)
declare -A RESULT=()  # [WORKLOAD,TARGET,ROUND] a run's outcome; [WORKLOAD,TARGET] "failed" if any step failed
declare -A COUNT=()   # [WORKLOAD,TARGET] requests per measured qemu-img run
declare -A CPU=()     # [WORKLOAD,TARGET,ROUND] "requests server-ticks client-seconds" of a measured run
NOTES=()      # failures worth a line under the table
SECONDS_RUN=""
RUN_CPU=""    # "server-ticks client-seconds" of the last qimg or iscsi-perf run

# run_client_with_cpu NAME TARGET LIMIT command... : run_client, and RUN_CPU for it
run_client_with_cpu() {
    local name="$1" t="$2" limit="$3" before code=0; shift 3
    before="$(server_ticks "$t")"
    run_client "$name" "$limit" "$@" || code=$?
    RUN_CPU="$(( $(server_ticks "$t") - before )) ${CLIENT_CPU:-0}"
    return "$code"
}

# qimg NAME TARGET COUNT LIMIT BS STEP (bytes) qemu-img-bench-options... : runs one qemu-img bench from the
# target's cursor; sets SECONDS_RUN (empty on failure).
qimg() {
    local name="$1" t="$2" count="$3" limit="$4" bs="$5" step="$6"; shift 6
    # Requests are aligned to their size: qemu-img wraps an offset past the end to the start, but a
    # request that straddles the end fails.
    local offset=$(( CURSOR[$t] / bs * bs ))
    SECONDS_RUN=""
    alive "$t"
    local mark; mark="$(log_lines)"
    if run_client_with_cpu "$name" "$t" "$limit" "${QIMG[@]}" -c "$count" -s "$bs" -S "$step" -o "$offset" "$@" \
        "${URL[$t]}"; then
        SECONDS_RUN="$(sed -n 's/^Run completed in \([0-9.]*\) seconds\.$/\1/p' "$OUT/raw/$name.txt")"
    fi
    CURSOR[$t]=$(( (offset + count * step) % LUN_BYTES ))
    [[ "$t" != keel ]] || keel_log_since "$name" "$mark"
    if [[ -z "$SECONDS_RUN" ]]; then
        log "  $name FAILED:"; sed 's/^/    /' "$OUT/raw/$name.txt" | tail -n 15 >&2
    fi
}

# scaled_count COUNT SECONDS TARGET_SECONDS -> the request count that lasts about TARGET_SECONDS at
# the rate of COUNT requests in SECONDS (at least 1).
scaled_count() {
    awk -v c="$1" -v s="$2" -v d="$3" 'BEGIN {n = int(c * d / (s > 0.001 ? s : 0.001)); print (n < 1 ? 1 : n)}'
}

# prepare_qimg WORKLOAD TARGET START_COUNT BS STEP options... : calibrates the request count on the
# target (x8 until a run takes 0.5 s), warms up for about WARMUP seconds (whose rate then sizes the
# measured runs); sets COUNT[WORKLOAD,TARGET] to the count for about DURATION seconds, or RESULT[WORKLOAD,TARGET]
# to "failed".
prepare_qimg() {
    local w="$1" t="$2" count="$3" bs="$4" step="$5"; shift 5
    local max_count=$(( 1 << 30 )) i
    for i in 1 2 3 4 5; do
        qimg "$w-$t-calibrate$i" "$t" "$count" $(( DURATION * 3 + 60 )) "$bs" "$step" "$@"
        if [[ -z "$SECONDS_RUN" ]]; then
            RESULT[$w,$t]=failed
            NOTES+=("$w on $t failed (calibration run $i): $(grep -m1 -i 'failed' "$OUT/raw/$w-$t-calibrate$i.txt" || echo "see raw/$w-$t-calibrate$i.txt")")
            return
        fi
        awk -v s="$SECONDS_RUN" 'BEGIN {exit !(s >= 0.5)}' && break
        (( i < 5 && count * 8 <= max_count )) || break
        count=$(( count * 8 ))
    done
    if (( WARMUP > 0 )); then
        count="$(scaled_count "$count" "$SECONDS_RUN" "$WARMUP")"
        qimg "$w-$t-warmup" "$t" "$count" $(( WARMUP * 4 + 60 )) "$bs" "$step" "$@"
        if [[ -z "$SECONDS_RUN" ]]; then
            RESULT[$w,$t]=failed
            NOTES+=("$w on $t failed (warm-up): $(grep -m1 -i 'failed' "$OUT/raw/$w-$t-warmup.txt" || echo "see raw/$w-$t-warmup.txt")")
            return
        fi
    fi
    COUNT[$w,$t]="$(scaled_count "$count" "$SECONDS_RUN" "$DURATION")"
}

# measure_qimg WORKLOAD TARGET ROUND BS STEP options... : one measured run of COUNT[WORKLOAD,TARGET]
# requests; sets RESULT[WORKLOAD,TARGET,ROUND] to "count seconds" (a failure marks the workload failed).
measure_qimg() {
    local w="$1" t="$2" r="$3" bs="$4" step="$5"; shift 5
    [[ "${RESULT[$w,$t]:-}" != failed ]] || return 0
    local count="${COUNT[$w,$t]}"
    qimg "$w-$t-$r" "$t" "$count" $(( DURATION * 4 + 60 )) "$bs" "$step" "$@"
    COMMANDS+=("$(tail -n 1 "$OUT/commands.txt")")
    if [[ -n "$SECONDS_RUN" ]]; then
        RESULT[$w,$t,$r]="$count $SECONDS_RUN"
        CPU[$w,$t,$r]="$count $RUN_CPU"
        log "  $t, round $r: $count requests in $SECONDS_RUN s"
    else
        RESULT[$w,$t]=failed
        NOTES+=("$w on $t failed in round $r: $(grep -m1 -i 'failed' "$OUT/raw/$w-$t-$r.txt" || echo "see raw/$w-$t-$r.txt")")
    fi
}

measure_perf() { # WORKLOAD TARGET ROUND
    local w="$1" t="$2" r="$3" iops="" mark
    [[ "${RESULT[$w,$t]:-}" != failed ]] || return 0
    alive "$t"
    mark="$(log_lines)"
    if run_client_with_cpu "$w-$t-$r" "$t" $(( DURATION + 60 )) iscsi-perf -r -b 8 -m 32 -t "$DURATION" "${URL[$t]}"; then
        iops="$(tr '\r' '\n' < "$OUT/raw/$w-$t-$r.txt" | sed -n 's/^ *iops average \([0-9]*\) .*/\1/p' | tail -n 1)"
    fi
    [[ "$t" != keel ]] || keel_log_since "$w-$t-$r" "$mark"
    COMMANDS+=("$(tail -n 1 "$OUT/commands.txt")")
    if [[ -n "$iops" ]]; then
        RESULT[$w,$t,$r]="$iops"
        CPU[$w,$t,$r]="$(( iops * DURATION )) $RUN_CPU"  # requests: its average rate over the run
        log "  $t, round $r: $iops IOPS"
    else
        RESULT[$w,$t]=failed
        NOTES+=("$w on $t failed in round $r: see raw/$w-$t-$r.txt")
        log "  $w-$t-$r FAILED:"; tr '\r' '\n' < "$OUT/raw/$w-$t-$r.txt" | tail -n 15 | sed 's/^/    /' >&2
    fi
}

# ---------------------------------------------------------------- fill: every block written once
BENCH_MARK="$(log_lines)"   # the node's log from here on is the benchmark's
FILL_COUNT=$(( LUN_BYTES >> 20 ))
for t in keel tgtd; do
    log "fill $t: $FILL_COUNT x 1 MiB sequential writes"
    CURSOR[$t]=0
    qimg "fill-$t" "$t" "$FILL_COUNT" $(( 60 + FILL_COUNT )) $(( 1 << 20 )) $(( 1 << 20 )) -d 4 -w
    if [[ -z "$SECONDS_RUN" ]]; then
        # A failed write is a finding, reported at the end; a second pass (over blocks and extents
        # the first one partly created) still gets every block written, so the rest can be measured.
        NOTES+=("the fill pass on $t failed: $(grep -m1 -i 'failed' "$OUT/raw/fill-$t.txt" || echo 'see raw/fill-'"$t"'.txt'); a second fill pass followed (raw/fill-$t.txt, raw/fill-$t-again.txt)")
        log "fill $t again"
        CURSOR[$t]=0
        qimg "fill-$t-again" "$t" "$FILL_COUNT" $(( 60 + FILL_COUNT )) $(( 1 << 20 )) $(( 1 << 20 )) -d 4 -w
        [[ -n "$SECONDS_RUN" ]] || die "the fill pass on $t failed twice; see $OUT/raw/fill-$t*.txt"
    fi
    RESULT[fill,$t,1]="$FILL_COUNT $SECONDS_RUN"
    log "  $t: $SECONDS_RUN s"
    CURSOR[$t]=0
done

# ---------------------------------------------------------------- workloads
# name | kind | start count | block | step | options
WORKLOADS=(
    "read4k-qd32|qimg|1000|4096|$STEP|-d 32"
    "write4k-qd32|qimg|1000|4096|$STEP|-d 32 -w"
    "write4k-qd128|qimg|1000|4096|$STEP|-d 128 -w"
    "read4k-qd1|qimg|100|4096|$STEP|-d 1"
    "write4k-qd1|qimg|100|4096|$STEP|-d 1 -w"
    "seqwrite1m|qimg|16|$(( 1 << 20 ))|$(( 1 << 20 ))|-d 4 -w"
    "seqread1m|qimg|16|$(( 1 << 20 ))|$(( 1 << 20 ))|-d 4"
    "perf-randread|perf||||"
)
order=(keel tgtd)
for spec in "${WORKLOADS[@]}"; do
    IFS='|' read -r w kind count bs step opts <<< "$spec"
    log "$w"
    if [[ "$kind" == qimg ]]; then
        for t in "${order[@]}"; do
            # shellcheck disable=SC2086
            prepare_qimg "$w" "$t" "$count" "$bs" "$step" $opts
        done
    fi
    for r in $(seq "$ROUNDS"); do
        for t in "${order[@]}"; do
            if [[ "$kind" == perf ]]; then
                measure_perf "$w" "$t" "$r"
            else
                # shellcheck disable=SC2086
                measure_qimg "$w" "$t" "$r" "$bs" "$step" $opts
            fi
        done
        order=("${order[1]}" "${order[0]}")
    done
done

# ---------------------------------------------------------------- report
# value RUN KIND -> the number a run's outcome gives (IOPS, MB/s or microseconds), unrounded
value() {
    case "$2" in
        iops) awk -v r="$1" 'BEGIN {split(r, a, " "); printf "%.4f", a[1] / a[2]}' ;;
        lat)  awk -v r="$1" 'BEGIN {split(r, a, " "); printf "%.4f", a[2] / a[1] * 1e6}' ;;
        mbps) awk -v r="$1" 'BEGIN {split(r, a, " "); printf "%.4f", a[1] * 1048576 / a[2] / 1e6}' ;;
        perf) echo "$1" ;;
    esac
}
# shown KIND NUMBERS... -> the numbers as the tables show them: IOPS whole, latency and MB/s to 0.1,
# ratios (KIND "ratio") to 0.001
shown() {
    local kind="$1" f=%.0f; shift
    case "$kind" in lat|mbps) f=%.1f ;; ratio) f=%.3f ;; esac
    awk -v f="$f" 'BEGIN {for (i = 1; i < ARGC; i++) printf (i > 1 ? " " : "") f, ARGV[i]}' "$@"
}
# values WORKLOAD TARGET KIND -> the value of each round, space-separated, or "failed"
values() {
    local rounds="$ROUNDS" r out=()
    [[ "$1" != fill ]] || rounds=1
    [[ "${RESULT[$1,$2]:-}" != failed ]] || { echo failed; return; }
    for r in $(seq "$rounds"); do
        [[ -n "${RESULT[$1,$2,$r]:-}" ]] || { echo failed; return; }
        out+=("$(value "${RESULT[$1,$2,$r]}" "$3")")
    done
    echo "${out[*]}"
}
median() { # numbers... -> their median
    printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {printf "%.6f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
ROUND_ROWS=()   # each workload's rounds, for the table under the summary
# row LABEL WORKLOAD KIND GOAL(min ratio, or "max:R" for an upper bound; "-" for none)
row() {
    local k tg ratio exact met target ks ts kv tv ratios=() i
    ks="$(values "$2" keel "$3")"; ts="$(values "$2" tgtd "$3")"
    if [[ "$ks" == failed || "$ts" == failed ]]; then
        k="—"; tg="—"
        [[ "$ks" != failed ]] || k=failed
        [[ "$ts" != failed ]] || tg=failed
        ratio="—"; met="no (run failed)"
    else
        read -r -a kv <<< "$ks"; read -r -a tv <<< "$ts"
        for i in "${!kv[@]}"; do
            ratios+=("$(awk -v a="${kv[$i]}" -v b="${tv[$i]}" 'BEGIN {printf "%.6f", (b > 0 ? a / b : 0)}')")
        done
        k="$(shown "$3" "$(median "${kv[@]}")")"; tg="$(shown "$3" "$(median "${tv[@]}")")"
        # The verdict compares the exact ratio: a rounded 1.00 may be 0.996 (sequential reads) or 1.004 (latency).
        exact="$(median "${ratios[@]}")"
        ratio="$(shown ratio "$exact")"
        ROUND_ROWS+=("| $1 | $(shown "$3" "${kv[@]}") | $(shown "$3" "${tv[@]}") | $(shown ratio "${ratios[@]}") |")
    fi
    case "$4" in
        -) target="—"; met="${met:-—}" ;;
        max:*) target="≤ ${4#max:}×"
               [[ -n "${met:-}" ]] || met="$(awk -v r="$exact" -v g="${4#max:}" 'BEGIN {print (r <= g ? "yes" : "no")}')" ;;
        *) target="≥ $4×"
           [[ -n "${met:-}" ]] || met="$(awk -v r="$exact" -v g="$4" 'BEGIN {print (r >= g ? "yes" : "no")}')" ;;
    esac
    echo "| $1 | $k | $tg | $ratio | $target | $met |"
}
# cpu_us WORKLOAD TARGET SIDE (server|client) -> the median over the rounds of the CPU µs per request
cpu_us() {
    local r ops ticks client out=()
    for r in $(seq "$ROUNDS"); do
        [[ -n "${CPU[$1,$2,$r]:-}" ]] || { echo "—"; return; }
        read -r ops ticks client <<< "${CPU[$1,$2,$r]}"
        out+=("$(awk -v o="$ops" -v s="$3" -v t="$ticks" -v hz="$CLK_TCK" -v c="$client" \
            'BEGIN {printf "%.4f", (s == "server" ? t / hz : c) / (o > 0 ? o : 1) * 1e6}')")
    done
    shown lat "$(median "${out[@]}")"
}
# cpu_row LABEL WORKLOAD
cpu_row() {
    echo "| $1 | $(cpu_us "$2" keel server) | $(cpu_us "$2" keel client) | $(cpu_us "$2" tgtd server) |" \
        "$(cpu_us "$2" tgtd client) |"
}
{
    echo "| workload | Keel | tgtd | Keel/tgtd | target | met? |"
    echo "|---|---|---|---|---|---|"
    row "4 KiB random read, QD32 (IOPS, qemu-img)" read4k-qd32 iops 1.2
    row "4 KiB random write, QD32 (IOPS, qemu-img)" write4k-qd32 iops 1.2
    row "4 KiB random write, QD128 (IOPS, qemu-img)" write4k-qd128 iops -
    row "4 KiB random read, QD32 (IOPS, iscsi-perf)" perf-randread perf 1.2
    row "4 KiB random read, QD1 (mean latency, µs)" read4k-qd1 lat max:1.00
    row "4 KiB random write, QD1 (mean latency, µs)" write4k-qd1 lat max:1.00
    row "1 MiB sequential write, QD4 (MB/s)" seqwrite1m mbps 1.00
    row "1 MiB sequential read, QD4 (MB/s)" seqread1m mbps 1.00
    row "first fill, 1 MiB sequential write, QD4 (MB/s)" fill mbps -
    echo
    echo "Rounds (Keel and tgtd back to back in each; the table above shows the medians and the median ratio):"
    echo
    echo "| workload | Keel | tgtd | Keel/tgtd |"
    echo "|---|---|---|---|"
    printf '%s\n' "${ROUND_ROWS[@]}"
    echo
    echo "CPU per request (µs, median of the rounds): the target's process, all its threads, and the initiator's:"
    echo
    echo "| workload | Keel | its initiator | tgtd | its initiator |"
    echo "|---|---|---|---|---|"
    cpu_row "4 KiB random read, QD32 (qemu-img)" read4k-qd32
    cpu_row "4 KiB random write, QD32 (qemu-img)" write4k-qd32
    cpu_row "4 KiB random write, QD128 (qemu-img)" write4k-qd128
    cpu_row "4 KiB random read, QD32 (iscsi-perf)" perf-randread
    cpu_row "4 KiB random read, QD1" read4k-qd1
    cpu_row "4 KiB random write, QD1" write4k-qd1
    cpu_row "1 MiB sequential write, QD4" seqwrite1m
    cpu_row "1 MiB sequential read, QD4" seqread1m
    if (( ${#NOTES[@]} > 0 )); then
        echo
        printf -- '- %s\n' "${NOTES[@]}"
    fi
} > "$OUT/report.md"

# Keel's own complaints during the run (a target error under load shows up here first).
stop_tgtd
stop_node
cp -f "$KEEL_LOG" "$KEEL_DIR/console.log" "$OUT/" 2>/dev/null || true
tail -n "+$(( BENCH_MARK + 1 ))" "$OUT/keel.log" > "$OUT/keel-during-bench.log" 2>/dev/null || true
problems="$(grep -c -E '^(WARN|ERROR) ' "$OUT/keel-during-bench.log" 2>/dev/null || true)"
grep -q "node stopped cleanly" "$OUT/keel-during-bench.log" 2>/dev/null || problems_stop=1

echo
echo "Keel vs tgtd over iSCSI, ${SIZE_GIB} GiB LUNs, ${ROUNDS} rounds of ${DURATION} s per run after ${WARMUP} s of warm-up ($(date -u +%Y-%m-%d), $(nproc) vCPUs; details in $OUT/machine.txt)"
echo
cat "$OUT/report.md"
echo
echo "Commands (measured runs; every command, calibration runs included, in $OUT/commands.txt):"
echo
echo '```sh'
printf '%s\n' "${COMMANDS[@]}" | sed 's/ $//'
echo '```'
if [[ "${problems:-0}" != 0 ]]; then
    echo
    echo "The Keel node logged $problems WARN/ERROR lines from the fill pass to its stop"
    echo "($OUT/keel-during-bench.log; the whole log is $OUT/keel.log); the first:"
    echo
    grep -E '^(WARN|ERROR) ' "$OUT/keel-during-bench.log" | head -n 10 | cut -c 1-400 | sed 's/^/    /'
fi
if [[ -n "${problems_stop:-}" ]]; then
    echo
    echo "The Keel node did not log \"node stopped cleanly\" when stopped (SIGTERM); see $OUT/keel.log."
fi
log "results in $OUT"
