#!/usr/bin/env python3
"""Times `envbook build` on the standard corpus beside Hugo and mdBook.

Usage: bench/build.py [--pages 1000,10000] [--runs 5] [--mdbook-max 1000]

Generates each corpus with ../shared/bench/gen_corpus.py (once per size and
flavour, under target/bench/), builds it RUNS times with each tool that is
installed, and prints a markdown table: median wall time, peak memory (max
RSS over the runs, from /usr/bin/time), and the ratio to `envbook build`. mdBook is
quadratic (minutes at 10,000 pages), so it only runs up to --mdbook-max pages.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(ROOT, "..", "shared", "bench", "gen_corpus.py")
WORK = os.path.join(ROOT, "target", "bench")


def corpus(pages, flavor):
    out = os.path.join(WORK, f"{flavor}-{pages}")
    if not os.path.isdir(out):
        subprocess.run([sys.executable, GEN, "--pages", str(pages), "--out", out, "--flavor", flavor],
                       check=True, stdout=subprocess.DEVNULL)
    return out


def timed(cmd):
    """(wall seconds, peak RSS in MiB) of one run of cmd."""
    with tempfile.NamedTemporaryFile("r") as f:
        subprocess.run(["/usr/bin/time", "-o", f.name, "-f", "%e %M"] + cmd, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall, rss = f.read().split()[-2:]
    return float(wall), int(rss) / 1024


def tools(pages, mdbook_max):
    envbook = os.path.join(ROOT, "target", "release", "envbook")
    src = corpus(pages, "envbook")
    yield "envbook", [envbook, "build", "--quiet", src]
    # The same work without writing: separates CPU time from the disk's.
    yield "envbook check (writes nothing)", [envbook, "check", "--quiet", src]
    if shutil.which("hugo"):
        src = corpus(pages, "hugo")
        yield "Hugo", ["hugo", "--quiet", "-s", src, "-d", os.path.join(WORK, f"out-hugo-{pages}")]
    if shutil.which("mdbook") and pages <= mdbook_max:
        src = corpus(pages, "mdbook")
        yield "mdBook", ["mdbook", "build", src, "-d", os.path.join(WORK, f"out-mdbook-{pages}")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", default="1000,10000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mdbook-max", type=int, default=1000)
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(WORK, exist_ok=True)
    print("| pages | tool | median wall | peak memory | time vs envbook |")
    print("|---:|---|---:|---:|---:|")
    for pages in [int(p) for p in args.pages.split(",")]:
        base = None
        for name, cmd in tools(pages, args.mdbook_max):
            timed(cmd)  # warm the page cache
            runs = [timed(cmd) for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            base = base or wall
            print(f"| {pages:,} | {name} | {wall:.2f} s | {rss:.0f} MiB | {wall / base:.1f}× |", flush=True)


if __name__ == "__main__":
    main()
