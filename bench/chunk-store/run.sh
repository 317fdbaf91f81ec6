#!/usr/bin/env bash
# End-to-end benchmark of the chunk store against fio on the same disk, in the same run.
#
#   bench/chunk-store/run.sh [--quick] [--dir DIR] [--out DIR] [--sustained SECONDS] [--duration SECONDS]
#                            [--no-profile] [--no-build] [--keep]
#
# Targets (docs/benchmarks.md, "Chunk store vs fio"):
#   1. 4 KiB random write QD1, durable at ack   vs fio randwrite psync iodepth 1 --fdatasync=1 (write+fdatasync p50)
#   2. 4 KiB random write, 32 writers, sustained vs fio randwrite libaio iodepth 32 (no sync), IOPS
#      (beside it, not a target: fio with 32 writers each doing pwrite + fdatasync, the disk's durable ceiling)
#   3. 4 KiB random read QD32                   vs fio randread libaio iodepth 32, IOPS
#   4. 1 MiB sequential write QD4               vs fio write libaio iodepth 4, bandwidth
# fio and the store each get a file of the same size in DIR (real disk, O_DIRECT) and I/O over the
# same span (the store's extents). Each store workload runs three times: from plain JDK virtual threads,
# from virtual threads of a Keel pool context, and from platform threads (as the iSCSI target's reader
# threads call the store); random reads and the 32 random writers a fourth time, started without
# blocking from one thread (as the iSCSI target starts READs and WRITEs, and as fio's libaio engine
# submits). Targets 1 and 2 are then profiled with JFR.
# Every step is bounded in time; DIR's files are deleted at the end unless --keep.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DIR=/var/tmp/keel-bench
OUT=""
DURATION=20        # targets 1, 3 and 4
SUSTAINED=60       # target 2
RAMP=2
PROFILE_SECONDS=15
PROFILE=1
BUILD=1
KEEP=0
DEVICE_SIZE=5G     # both files
EXTENTS=16         # 16 x 256 MiB = the 4 GiB span both sides use
SPAN=4G
WORKERS=2

while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) DURATION=3; SUSTAINED=5; RAMP=1; PROFILE_SECONDS=3 ;;
        --dir) DIR="$2"; shift ;;
        --out) OUT="$2"; shift ;;
        --duration) DURATION="$2"; shift ;;
        --sustained) SUSTAINED="$2"; shift ;;
        --no-profile) PROFILE=0 ;;
        --no-build) BUILD=0 ;;
        --keep) KEEP=1 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

command -v fio >/dev/null || { echo "run.sh: fio is missing: apt-get update && apt-get install -y fio" >&2; exit 1; }
fstype="$(mkdir -p "$DIR" && stat -f -c %T "$DIR")"
[[ "$fstype" != tmpfs ]] || { echo "run.sh: $DIR is on tmpfs; use a directory on a real disk" >&2; exit 1; }
OUT="${OUT:-/var/tmp/keel-bench-results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
STORE="$DIR/store.dev"
FIOFILE="$DIR/fio.dat"
cleanup() { [[ "$KEEP" == 1 ]] || rm -f "$STORE" "$FIOFILE"; }
trap cleanup EXIT

if [[ "$BUILD" == 1 ]]; then
    (cd "$ROOT" && ./keel mvn -q -o package -pl bench/store -am -DskipTests)
fi
JAR="$ROOT/bench/store/target/keel-store-bench.jar"
[[ -f "$JAR" ]] || { echo "run.sh: $JAR is missing; drop --no-build" >&2; exit 1; }

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# keel NAME TIMEOUT [java options --] driver args...
keel() {
    local name="$1" limit="$2"; shift 2
    local jvm=()
    if [[ "${1:-}" == -X* ]]; then jvm+=("$1"); shift; fi
    log "keel $name: $*"
    timeout --kill-after=10 "$limit" "$ROOT/keel" java -Xms1g -Xmx1g "${jvm[@]}" -jar "$JAR" --file "$STORE" \
        --label "$name" "$@" >"$OUT/keel-$name.json" 2>"$OUT/keel-$name.log"
    tail -n +1 "$OUT/keel-$name.log" | grep -v '^ *fill:' | sed 's/^/    /' >&2
}

# fio NAME TIMEOUT fio args...
fio_() {
    local name="$1" limit="$2"; shift 2
    log "fio $name: $*"
    timeout --kill-after=10 "$limit" fio --name="$name" --filename="$FIOFILE" --direct=1 --norandommap \
        --randrepeat=0 --group_reporting --output-format=json "$@" >"$OUT/fio-$name.json"
}

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "host: $(uname -srm); $(nproc) vCPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "disk: $(df -h "$DIR" | tail -1 | awk '{print $1}') ($fstype) for $DIR"
    echo "fio: $(fio --version); java: $("$ROOT/keel" java -version 2>&1 | head -1)"
    echo "commit: $(cd "$ROOT" && git rev-parse --short HEAD)"
    echo "durations: ${DURATION}s (targets 1, 3, 4), ${SUSTAINED}s (target 2), ramp ${RAMP}s"
} | tee "$OUT/machine.txt" >&2

RUNTIME=(--time_based --runtime="$DURATION" --ramp_time="$RAMP" --size="$SPAN")
T=$((DURATION + RAMP + 120))
TS=$((SUSTAINED + RAMP + 180))

# --- preparation: both files written once, sequentially (reads then hit written data)
fio_ fill 600 --rw=write --bs=1m --ioengine=libaio --iodepth=4 --size="$DEVICE_SIZE"
# The store's file is written in full too (not sparse), so neither side pays for block allocation.
timeout --kill-after=10 600 fio --name=prewrite --filename="$STORE" --direct=1 --rw=write --bs=1m --ioengine=libaio \
    --iodepth=4 --size="$DEVICE_SIZE" --output-format=json >"$OUT/fio-prewrite-store.json"
keel format 120 --format "$DEVICE_SIZE" --extents "$EXTENTS" --workers "$WORKERS"
keel fill 900 --workload fill --bs 1M --threads 4

# --- target 4: 1 MiB sequential write QD4
fio_ seqwrite "$T" --rw=write --bs=1m --ioengine=libaio --iodepth=4 "${RUNTIME[@]}"
for th in jdk keel platform; do
    keel "seqwrite-$th" "$T" --workload seqwrite --bs 1M --threads 4 --duration "$DURATION" --ramp "$RAMP" \
        --threading "$th"
done

# --- target 3: 4 KiB random read QD32
fio_ randread "$T" --rw=randread --bs=4k --ioengine=libaio --iodepth=32 "${RUNTIME[@]}"
for th in jdk keel platform started; do
    keel "randread-$th" "$T" --workload randread --bs 4K --threads 32 --duration "$DURATION" --ramp "$RAMP" \
        --threading "$th"
done

# --- target 1: 4 KiB random write QD1, durable at acknowledgement
fio_ qd1sync "$T" --rw=randwrite --bs=4k --ioengine=psync --iodepth=1 --fdatasync=1 "${RUNTIME[@]}"
for th in jdk keel platform; do
    keel "qd1-$th" "$T" --workload randwrite --bs 4K --threads 1 --duration "$DURATION" --ramp "$RAMP" \
        --threading "$th"
done

# --- target 2: 4 KiB random write, 32 concurrent writers, sustained
fio_ qd32write "$TS" --rw=randwrite --bs=4k --ioengine=libaio --iodepth=32 --time_based --runtime="$SUSTAINED" \
    --ramp_time="$RAMP" --size="$SPAN"
# The disk's own ceiling for durable writes from 32 writers that each wait (not a target): every write
# followed by its own fdatasync, which the kernel merges with the other writers' flushes; no metadata,
# no checksums, nothing written twice, so no store can do better on this disk.
fio_ qd32durable "$TS" --rw=randwrite --bs=4k --ioengine=psync --numjobs=32 --fdatasync=1 --time_based \
    --runtime="$SUSTAINED" --ramp_time="$RAMP" --size="$SPAN"
for th in jdk keel platform started; do
    keel "qd32-$th" "$TS" --workload randwrite --bs 4K --threads 32 --duration "$SUSTAINED" --ramp "$RAMP" \
        --threading "$th"
done

# --- profiles of targets 1 and 2 (separate runs, so JFR does not disturb the numbers above)
if [[ "$PROFILE" == 1 ]]; then
    for spec in "qd1:1" "qd32:32"; do
        name="${spec%%:*}"; threads="${spec##*:}"
        keel "profile-$name" $((PROFILE_SECONDS + 120)) \
            "-XX:StartFlightRecording=filename=$OUT/profile-$name.jfr,settings=profile,dumponexit=true" \
            --workload randwrite --bs 4K --threads "$threads" --duration "$PROFILE_SECONDS" --ramp 1 --threading jdk
        jdk="$("$ROOT/keel" java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p')"
        "$jdk/bin/jfr" print --json --events jdk.ExecutionSample,jdk.NativeMethodSample "$OUT/profile-$name.jfr" \
            >"$OUT/profile-$name.samples.json"
        python3 "$HERE/jfr_top.py" "$OUT/profile-$name.samples.json" >"$OUT/profile-$name.txt"
        rm -f "$OUT/profile-$name.samples.json"
        log "profile $name: $OUT/profile-$name.txt"
        sed -n '1,40p' "$OUT/profile-$name.txt" >&2
    done
fi

python3 "$HERE/report.py" "$OUT" | tee "$OUT/report.md"
log "results in $OUT"
