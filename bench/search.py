#!/usr/bin/env python3
"""Measures envbook's search index on the standard corpus (issue 10).

Usage: bench/search.py [--pages 1000,10000] [--runs 5] [--mdbook-max 1000]

For each corpus size (generated as bench/build.py does, under target/bench/):
  * build time with the index and without it (`[search] enable = false` in a
    copy of the corpus), medians of RUNS, and the difference;
  * the index's size: files, total bytes, meta.json, the largest chunk, the
    median page fragment;
  * per query, the bytes a browser downloads for it (meta.json, the chunks
    of its words, the fragments of the results shown): `envbook search
    --json` runs the search box's algorithm and lists the files it reads;
    and, as a worst case, typed one key at a time with no pause (each
    keystroke's files, each file once, as a browser's cache keeps them; the
    box waits for a pause in typing, so a typist's download is in between);
  * mdBook's search index for the same corpus (its own flavour), up to
    --mdbook-max pages (mdBook is quadratic: minutes at 10,000 pages).

Speed of the script in the browser is measured by tests/it/search_browser.rs's
benchmark mode (see README). Python standard library only.
"""

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import time
import json

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build import ROOT, WORK, corpus  # noqa: E402

ENVBOOK = os.path.join(ROOT, "target", "release", "envbook")
# The corpus's own words: a setting's label, value and key, a tool, a
# phrase, and the most common word.
QUERIES = ["stor", "storage size", "20Gi", "database.storage-size", "postgres",
           "roll back the deployment", "\"roll back\"", "kubectl", "the"]


def median_build(src, runs):
    cmd = [ENVBOOK, "build", "--quiet", src]
    subprocess.run(cmd, check=True)  # warm the page cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def without_search(src):
    copy = src + "-nosearch"
    if not os.path.isdir(copy):
        shutil.copytree(src, copy, ignore=shutil.ignore_patterns("site"))
        with open(os.path.join(copy, "book.toml"), "a") as f:
            f.write("\n[search]\nenable = false\n")
    return copy


def sizes(index):
    files = [f for f in glob.glob(os.path.join(index, "**"), recursive=True) if os.path.isfile(f)]
    size = {os.path.relpath(f, index): os.path.getsize(f) for f in files}
    chunks = [n for p, n in size.items() if p.startswith("t/")]
    fragments = [n for p, n in size.items() if p.startswith("f/")]
    return {
        "files": len(size),
        "total": sum(size.values()),
        "meta": size.get("meta.json", 0),
        "chunks": len(chunks),
        "largest chunk": max(chunks, default=0),
        "median fragment": int(statistics.median(fragments)) if fragments else 0,
    }


def download(src, query, key_by_key):
    """(bytes, files, results) of `query`, at once or typed key by key."""
    seen = {}
    hits = 0
    for end in range(1 if key_by_key else len(query), len(query) + 1):
        out = subprocess.run([ENVBOOK, "search", "--json", query[:end], src],
                             check=True, capture_output=True, text=True).stdout
        found = json.loads(out)
        for f in found["fetched"]:
            seen[f["file"]] = f["bytes"]
        hits = len(found["hits"])
    return sum(seen.values()), len(seen), hits


def mdbook_index(pages):
    src = corpus(pages, "mdbook")
    out = os.path.join(WORK, f"out-mdbook-{pages}")
    subprocess.run(["mdbook", "build", src, "-d", out], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    found = glob.glob(os.path.join(out, "searchindex*.js")) + glob.glob(os.path.join(out, "searchindex*.json"))
    return max((os.path.getsize(f) for f in found), default=0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", default="1000,10000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mdbook-max", type=int, default=1000)
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(WORK, exist_ok=True)
    for pages in [int(p) for p in args.pages.split(",")]:
        src = corpus(pages, "envbook")
        with_index = median_build(src, args.runs)
        without = median_build(without_search(src), args.runs)
        print(f"\n## {pages:,} pages\n")
        print(f"build with the index {with_index:.3f} s, without {without:.3f} s: "
              f"+{(with_index - without) * 1000:.0f} ms ({(with_index / without - 1) * 100:+.0f} %)")
        s = sizes(os.path.join(src, "site", "search"))
        print("index: " + ", ".join(f"{k} {v:,}" for k, v in s.items()))
        if shutil.which("mdbook") and pages <= args.mdbook_max:
            print(f"mdBook's search index for the same corpus: {mdbook_index(pages):,} bytes, loaded whole")
        print("\n| query | results | downloaded (files) | typed key by key, no pause |")
        print("|---|---:|---:|---:|")
        for q in QUERIES:
            total, files, hits = download(src, q, False)
            typed, typed_files, _ = download(src, q, True)
            print(f"| `{q}` | {hits} | {total / 1000:,.0f} KB ({files}) | "
                  f"{typed / 1000:,.0f} KB ({typed_files}) |", flush=True)


if __name__ == "__main__":
    main()
