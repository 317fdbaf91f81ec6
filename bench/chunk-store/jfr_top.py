#!/usr/bin/env python3
"""Summarises `jfr print --json --events jdk.ExecutionSample,jdk.NativeMethodSample` output: samples per thread group,
hottest leaf frames (self time), and hottest io.keel frames (the innermost Keel frame of each
stack, i.e. which Keel code the time is spent in or under)."""
import collections
import json
import re
import sys


def frame_name(frame):
    method = frame.get("method") or {}
    klass = (method.get("type") or {}).get("name", "?")
    return f"{klass}.{method.get('name', '?')}".replace("/", ".")


def thread_group(name):
    # chunk-worker-0, load-17, keel-bench-1 ... -> chunk-worker-N, load-N, keel-bench-N
    return re.sub(r"\d+", "N", name or "?")


def main(path):
    with open(path) as f:
        events = json.load(f)["recording"]["events"]
    for kind, title in (("jdk.ExecutionSample", "running Java code"),
                        ("jdk.NativeMethodSample", "in native code (I/O syscalls, parking)")):
        summarise([e for e in events if e.get("type") == kind], f"{kind}: threads {title}", path)
        print()


def summarise(events, heading, path):
    leaf = collections.Counter()
    keel = collections.Counter()
    threads = collections.Counter()
    stacks3 = collections.Counter()
    for event in events:
        values = event["values"]
        frames = (values.get("stackTrace") or {}).get("frames") or []
        thread = values.get("sampledThread") or {}
        threads[thread_group(thread.get("javaName") or thread.get("osName"))] += 1
        if not frames:
            continue
        leaf[frame_name(frames[0])] += 1
        stacks3[" <- ".join(frame_name(f) for f in frames[:3])] += 1
        for frame in frames:
            name = frame_name(frame)
            if name.startswith("io.keel."):
                keel[name] += 1
                break
    total = len(events)
    print(f"# {heading}: {total} samples ({path})")
    for title, counter, limit in (("samples by thread", threads, 12), ("hottest leaf frames (self)", leaf, 25),
                                  ("innermost io.keel frame", keel, 25), ("hottest 3-frame stacks", stacks3, 15)):
        print(f"\n## {title}")
        for name, count in counter.most_common(limit):
            print(f"{100.0 * count / max(total, 1):6.1f}%  {count:6d}  {name}")


if __name__ == "__main__":
    main(sys.argv[1])
