#!/usr/bin/env bash
# Runs libiscsi's iscsi-test-cu (-d -S -t ALL, one process) against a tgtd
# bound to loopback, with one 1 GiB file-backed LUN (bstype rdwr).
# Usage: run-tgtd-baseline.sh OUTDIR [thin]
#   thin: export the LUN with thin_provisioning=1 on a sparse file.
# Env: PORT (3260), CTRL (tgtd control port, 7), IMG (/var/tmp/keel-tgt-baseline.img),
#      MODE (verbose|xml, default verbose), TIMEOUT (1800 s),
#      BSOFLAGS (tgtadm --bsoflags: sync, direct, sync:direct; empty = none; default sync),
#      EXTRA (more iscsi-test-cu options, e.g. -V to print libiscsi's verbose log too).
# Needs root and the Debian packages tgt and libiscsi-bin.
set -euo pipefail
out=${1:?OUTDIR}; thin=${2:-}
BSOFLAGS=${BSOFLAGS-sync}; PORT=${PORT:-3260}; CTRL=${CTRL:-7}; TIMEOUT=${TIMEOUT:-1800}; MODE=${MODE:-verbose}
IMG=${IMG:-/var/tmp/keel-tgt-baseline.img}
IQN=iqn.2024-01.org.keel.test:tgt-baseline
mkdir -p "$out"; out=$(cd "$out" && pwd)
{ date -u +%FT%TZ; dpkg-query -W tgt libiscsi-bin libiscsi7; tgtd -V 2>&1 | head -1; echo "bsoflags=${BSOFLAGS:-none} thin=${thin:-no} extra=${EXTRA:-}"; } >"$out/versions.txt"
iscsi-test-cu -l >"$out/test-list.txt" 2>&1

rm -f "$IMG"
if [ "$thin" = thin ]; then truncate -s 1G "$IMG"; else fallocate -l 1G "$IMG"; fi

tgtd -f -C "$CTRL" --iscsi portal=127.0.0.1:$PORT >"$out/tgtd.log" 2>&1 &
tgtd_pid=$!
# tgtd ignores SIGTERM while targets exist; shut it down through its control
# socket.  A session left half-closed by a killed initiator keeps the LU busy and
# the delete fails: then only SIGKILL ends it.
cleanup() {
  tgtadm -C "$CTRL" --lld iscsi --mode target --op delete --force --tid 1 >/dev/null 2>&1 || true
  tgtadm -C "$CTRL" --mode system --op delete >/dev/null 2>&1 || true
  for _ in $(seq 50); do kill -0 "$tgtd_pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$tgtd_pid" 2>/dev/null || true
  wait "$tgtd_pid" 2>/dev/null || true
  rm -f "$IMG"
}
trap cleanup EXIT
adm() { tgtadm -C "$CTRL" --lld iscsi "$@"; }
for _ in $(seq 50); do adm --mode target --op show >/dev/null 2>&1 && break; sleep 0.2; done
adm --mode target --op new --tid 1 --targetname "$IQN"
adm --mode logicalunit --op new --tid 1 --lun 1 --backing-store "$IMG" --bstype rdwr ${BSOFLAGS:+--bsoflags "$BSOFLAGS"}
if [ "$thin" = thin ]; then
  adm --mode logicalunit --op update --tid 1 --lun 1 --params thin_provisioning=1
fi
adm --mode target --op bind --tid 1 --initiator-address ALL
adm --mode target --op show >"$out/tgtadm-show.txt"

cd "$out"
flags=(-d -S -t ALL)
[ "$MODE" = xml ] && flags+=(-x)
# shellcheck disable=SC2206
flags+=(${EXTRA:-})
# Line-buffered so that iscsi-test-cu.ts (epoch seconds + line) shows which tests take long.
start=$(date +%s)
set +o pipefail
timeout "$TIMEOUT" stdbuf -oL iscsi-test-cu "${flags[@]}" "iscsi://127.0.0.1:$PORT/$IQN/1" \
  2>"$out/iscsi-test-cu.err" | tee "$out/iscsi-test-cu.out" |
  while IFS= read -r l; do printf '%(%s)T %s\n' -1 "$l"; done >"$out/iscsi-test-cu.ts"
rc=${PIPESTATUS[0]}
echo "iscsi-test-cu exit status: $rc after $(( $(date +%s) - start )) s" | tee -a "$out/iscsi-test-cu.err"
