#!/usr/bin/env python3
"""Times what the search index adds to `envbook build` of the standard corpus.

Usage: bench/search_overhead.py [--pages 1000] [--runs 9] [--in DIR] [BINARY ...]

Builds two copies of the corpus (made by bench/build.py's generator), one
as generated and one with `[search] enable = false`, in DIR (default
target/bench/run; `--in /dev/shm/...` puts them on tmpfs), cold (output,
spare and build cache deleted) and warm (one page edited, all else kept),
with each BINARY (default target/release/envbook, unbuilt). All builds take
turns, so that a busy moment of the machine falls on all of them; it prints
the median wall and CPU (user + system) time with and without search and
what search adds. Several binaries compare a change to the index.
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import time

from build import ENVBOOK, WORK, cold, corpus, editor


def copies(pages, where, tag):
    """Two copies of the corpus in `where`: with search, and without."""
    made = {}
    for search in (True, False):
        copy = os.path.join(where, f"search-{tag}-{'on' if search else 'off'}")
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(corpus(pages, "envbook"), copy,
                        ignore=shutil.ignore_patterns("site", ".site.envbook", ".envbook-cache"))
        if not search:
            with open(os.path.join(copy, "book.toml"), "a") as f:
                f.write("\n[search]\nenable = false\n")
        made[search] = copy
    return made


def once(binary, src):
    """(wall s, CPU s) of one build."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run([binary, "build", "--quiet", src], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return time.perf_counter() - start, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--in", dest="where", default=os.path.join(WORK, "run"))
    ap.add_argument("binaries", nargs="*", default=[ENVBOOK])
    args = ap.parse_args()
    os.makedirs(args.where, exist_ok=True)
    builds = [(b, search, src) for i, b in enumerate(args.binaries)
              for search, src in copies(args.pages, args.where, i).items()]
    print("| binary | build | with search | without | added (wall) | added (CPU) |")
    print("|---|---|---:|---:|---:|---:|")
    for mode in ("cold", "warm"):
        before = {src: editor(src) if mode == "warm" else (lambda s=src: cold(s)) for _, _, src in builds}
        times = {src: [] for _, _, src in builds}
        for run in range(args.runs + 2):  # two to warm up, not kept
            for binary, _, src in builds:
                before[src]()
                result = once(binary, src)
                if run >= 2:
                    times[src].append(result)
        median = {src: [statistics.median(t[i] for t in runs) for i in (0, 1)] for src, runs in times.items()}
        for binary in args.binaries:
            mine = {search: median[src] for b, search, src in builds if b == binary}
            on, off = mine[True], mine[False]
            print(f"| {binary} | {mode} | {on[0]:.3f} s | {off[0]:.3f} s | {(on[0] / off[0] - 1) * 100:+.0f} % "
                  f"| {on[1]:.2f} / {off[1]:.2f} s, {(on[1] / off[1] - 1) * 100:+.0f} % |", flush=True)


if __name__ == "__main__":
    main()
