#!/usr/bin/env python3
"""Reads a run.sh result directory (fio-*.json, keel-*.json) and prints the markdown table of
docs/benchmarks.md: fio's value, the store's (from JDK virtual threads, from Keel virtual threads,
from platform threads, and for random reads and writes started without blocking from one thread,
the way the iSCSI target's readers start READs and WRITEs), the ratio of the best one to fio, and
whether each target is met."""
import json
import os
import sys


THREADINGS = ("jdk", "keel", "platform", "started")


def load(out, name):
    path = os.path.join(out, name)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    with open(path) as f:
        text = f.read()
    try:
        return json.loads(text[text.index("{"):])
    except ValueError:
        return None


def pct(stats, p):
    return (stats.get("percentile") or {}).get(p, 0) / 1e3 if stats else 0


def fio(out, name):
    data = load(out, f"fio-{name}.json")
    if data is None:
        return None
    job = data["jobs"][0]
    side = job["read"] if job["read"]["io_bytes"] > 0 else job["write"]
    sync = (job.get("sync") or {}).get("lat_ns") or {}
    return {
        "iops": side["iops"], "mib_s": side["bw_bytes"] / 2**20,
        "p50_us": pct(side.get("clat_ns"), "50.000000"), "p99_us": pct(side.get("clat_ns"), "99.000000"),
        "sync_p50_us": pct(sync, "50.000000"), "sync_p99_us": pct(sync, "99.000000"),
    }


def keel(out, name):
    return {th: load(out, f"keel-{name}-{th}.json") for th in THREADINGS}


def fmt_lat(d):
    return f"p50 {d['p50_us']:.0f} µs, p99 {d['p99_us']:.0f} µs"


def row(target, goal, fio_text, variants, value, fio_value, higher_is_better, limit):
    cells, ratios = [], {}
    for th in THREADINGS:
        d = variants.get(th)
        if d is None:
            cells.append("—")
            continue
        v = value(d)
        ratios[th] = v / fio_value if fio_value else float("nan")
        cells.append(f"{fmt(v, higher_is_better, d)}")
    if not ratios:
        best = None
    elif higher_is_better:
        best = max(ratios, key=ratios.get)
    else:
        best = min(ratios, key=ratios.get)
    if best is None:
        verdict, ratio_text = "not run", "—"
    else:
        r = ratios[best]
        met = r >= limit if higher_is_better else r <= limit
        verdict = "**met**" if met else "**not met**"
        ratio_text = " / ".join(f"{ratios[t]:.3f}×" if t in ratios else "—" for t in THREADINGS)
    print(f"| {target} | {goal} | {fio_text} | {' | '.join(cells)} | {ratio_text} | {verdict} |")


def cpu(d):
    """The bench process's CPU per operation (store and load threads), when the run measured it."""
    us = d.get("cpu_us_per_op", -1)
    return f", CPU {us:.1f} µs/op" if us >= 0 else ""


def fmt(v, higher_is_better, d):
    if not higher_is_better:
        return f"p50 **{v:.0f} µs** (p99 {d['p99_us']:.0f} µs, {d['iops']:.0f} IOPS{cpu(d)})"
    if d["bs"] >= 2**20:
        return f"**{d['mib_s']:.0f} MiB/s** (p50 {d['p50_us']:.0f} µs, p99 {d['p99_us']:.0f} µs{cpu(d)})"
    extra = f", slowest second {d['min_second_iops']}" if d["workload"] == "randwrite" else ""
    return f"**{d['iops']:.0f} IOPS** (p50 {d['p50_us']:.0f} µs, p99 {d['p99_us']:.0f} µs{extra}{cpu(d)})"


def main(out):
    print("| # | target | fio | Keel, JDK virtual threads | Keel, Keel virtual threads | Keel, platform threads"
          " | Keel, started requests | ratio (JDK / Keel vthreads / platform / started) | verdict |")
    print("|---|---|---|---|---|---|---|---|---|")
    f = fio(out, "qd1sync")
    if f:
        both = f["p50_us"] + f["sync_p50_us"]
        row(1, "4 KiB rand write QD1 durable, p50 ≤ 1.2× fio",
            f"write p50 {f['p50_us']:.0f} µs + fdatasync p50 {f['sync_p50_us']:.0f} µs = **{both:.0f} µs** "
            f"({1e6 / f['iops']:.0f} µs mean cycle, {f['iops']:.0f} IOPS)",
            keel(out, "qd1"), lambda d: d["p50_us"], both, False, 1.2)
    f = fio(out, "qd32write")
    if f:
        row(2, "4 KiB rand write 32 writers durable, sustained, ≥ 0.8× fio IOPS",
            f"**{f['iops']:.0f} IOPS** (libaio QD32, no sync; {fmt_lat(f)})",
            keel(out, "qd32"), lambda d: d["iops"], f["iops"], True, 0.8)
    f = fio(out, "randread")
    if f:
        row(3, "4 KiB rand read QD32, ≥ 0.9× fio IOPS", f"**{f['iops']:.0f} IOPS** ({fmt_lat(f)})",
            keel(out, "randread"), lambda d: d["iops"], f["iops"], True, 0.9)
    f = fio(out, "seqwrite")
    if f:
        row(4, "1 MiB seq write QD4, ≥ 0.8× fio bandwidth", f"**{f['mib_s']:.0f} MiB/s** ({fmt_lat(f)})",
            keel(out, "seqwrite"), lambda d: d["mib_s"], f["mib_s"], True, 0.8)
    f, d = fio(out, "qd32write"), fio(out, "qd32durable")
    if f and d:
        stores = [v["iops"] for v in keel(out, "qd32").values() if v]
        best = f", the store's best {max(stores) / d['iops']:.3f}× of it" if stores else ""
        print(f"\nThe disk's durable ceiling for target 2 (not a target): fio, 32 writers each doing `pwrite` + "
              f"`fdatasync` (no metadata, no checksums, each write once): **{d['iops']:.0f} IOPS** "
              f"(write p50 {d['p50_us']:.0f} µs, fdatasync p50 {d['sync_p50_us']:.0f} µs), "
              f"{d['iops'] / f['iops']:.3f}× fio's no-sync QD32{best}.")
    f, k = fio(out, "fill"), load(out, "keel-fill.json")
    if f and k:
        print(f"\nPreparation (not a target): first sequential write of each file, 1 MiB QD4 — fio "
              f"{f['mib_s']:.0f} MiB/s, Keel {k['mib_s']:.0f} MiB/s ({k['mib_s'] / f['mib_s']:.3f}×).")


if __name__ == "__main__":
    main(sys.argv[1])
