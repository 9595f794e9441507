#!/usr/bin/env python3
"""Measures envbook's search index on the standard corpus (issue 10).

Usage: bench/search.py [--pages 1000,10000] [--runs 11] [--mdbook-max 1000] [--build-in /dev/shm]

For each corpus size (generated as bench/build.py does, under target/bench/):
  * build time with the index and without it (`[search] enable = false` in a
    copy of the corpus), runs interleaved, medians of RUNS: wall time and
    CPU time (user + system, the steadier figure on a shared machine), cold
    (no build cache: every page rendered and indexed again) and warm (one
    page edited since the last build);
  * the index's size: files, total bytes, meta.json, the largest chunk, the
    median page fragment;
  * per query, the bytes a browser downloads for it (meta.json, the chunks
    of its words, the fragments of the results shown): `envbook search
    --json` runs the search box's algorithm and lists the files it reads;
    and, as a worst case, typed one key at a time with no pause (each
    keystroke's files, each file once, as a browser's cache keeps them; the
    box waits for a pause in typing, so a typist's download is in between);
  * at 1,000 pages, the preview's rebuild after a one-page edit, with the
    index and without (the times `envbook serve` prints);
  * mdBook's search index for the same corpus (its own flavour), up to
    --mdbook-max pages (mdBook is quadratic: minutes at 10,000 pages).

  * with Chromium installed, the time from a query to its results in the
    browser, fetching and then with the files at hand (the ignored test
    `bench_search_time_in_the_browser` of tests/it/search_browser.rs).

Python standard library only.
"""

import argparse
import glob
import re
import resource
import os
import shutil
import statistics
import subprocess
import sys
import time
import json

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build import ROOT, WORK, corpus, editor, uncached  # noqa: E402

ENVBOOK = os.path.join(ROOT, "target", "release", "envbook")
# The corpus's own words: a setting's label, value and key, a tool, a
# phrase, and the most common word.
QUERIES = ["stor", "storage size", "20Gi", "database.storage-size", "postgres",
           "roll back a bad", "\"on-call engineer\"", "kubectl", "the"]


def build_once(src):
    """(wall seconds, CPU seconds) of one `envbook build` of `src`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([ENVBOOK, "build", "--quiet", src], check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def compare_builds(on, off, runs, warm):
    """Medians of (wall, CPU) with the index and without, runs interleaved
    so that the machine's drift falls on both alike. Cold: without the build
    cache (every page rendered and indexed again, into the output and spare
    the last build left); warm: one page edited since the last build, as a
    writer builds all day."""
    before = {src: (editor(src) if warm else lambda src=src: uncached(src)) for src in (on, off)}
    for src in (on, off, on, off):  # warm the page cache; leave an output and a spare
        before[src]()
        build_once(src)
    times = {on: [], off: []}
    for _ in range(runs):
        for src in (on, off):
            before[src]()
            times[src].append(build_once(src))
    med = lambda src, i: statistics.median(t[i] for t in times[src])  # noqa: E731
    return (med(on, 0), med(on, 1)), (med(off, 0), med(off, 1))


def without_search(src):
    copy = src + "-nosearch"
    if not os.path.isdir(copy):
        shutil.copytree(src, copy, ignore=shutil.ignore_patterns("site", ".site.envbook", ".envbook-cache"))
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


def preview_rebuilds(src, edits):
    """Median ms of `envbook serve`'s rebuild after an edit of one page (as it
    prints them), over `edits` edits after a warm-up one."""
    # The page bench/serve.py edits: the middle one of the corpus's list.
    with open(os.path.join(src, "corpus-manifest.json")) as f:
        pages = json.load(f)["page_list"]
    page = os.path.join(src, pages[len(pages) // 2]["path"])
    with open(page) as f:
        original = f.read()
    server = subprocess.Popen([ENVBOOK, "serve", "--port", "0", src], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    times = []
    try:
        server.stdout.readline()  # Serving … at …
        for n in range(edits + 1):
            with open(page, "w") as f:
                f.write(original.replace("\n\n", f"\n\nEdit number {n}.\n\n", 1))
            while True:
                line = server.stdout.readline()
                found = re.search(r"rendered in (\d+) ms", line)
                if found or not line:
                    break
            if found and n > 0:
                times.append(int(found.group(1)))
            time.sleep(0.3)
    finally:
        server.kill()
        server.wait()
        with open(page, "w") as f:
            f.write(original)
    return statistics.median(times) if times else float("nan")


def browser_times(site):
    """The browser benchmark's table (tests/it/search_browser.rs, an ignored
    test): each query's time to results in Chromium, fetching, then cached."""
    env = dict(os.environ, ENVBOOK_BENCH_SITE=site, ENVBOOK_BENCH_QUERIES="|".join(QUERIES))
    run = subprocess.run(["cargo", "test", "--quiet", "--test", "it", "bench_search_time_in_the_browser",
                          "--", "--ignored", "--nocapture"], cwd=ROOT, env=env, capture_output=True, text=True)
    return "\n".join(line for line in run.stdout.splitlines() if line.startswith("|")) or run.stdout + run.stderr


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
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--mdbook-max", type=int, default=1000)
    ap.add_argument("--build-in", metavar="DIR",
                    help="time the builds on copies of the corpora in DIR (/dev/shm: without the disk's cost of the files)")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(WORK, exist_ok=True)
    for pages in [int(p) for p in args.pages.split(",")]:
        src = corpus(pages, "envbook")
        timed = src
        if args.build_in:
            timed = os.path.join(args.build_in, f"envbook-{pages}")
            if not os.path.isdir(timed):
                shutil.copytree(src, timed, ignore=shutil.ignore_patterns("site", ".site.envbook", ".envbook-cache"))
        print(f"\n## {pages:,} pages\n")
        print(f"builds timed in {os.path.dirname(timed)}")
        for warm in (False, True):
            (wall_on, cpu_on), (wall_off, cpu_off) = compare_builds(timed, without_search(timed), args.runs, warm)
            print(f"build {'warm (one page edited)' if warm else 'cold'}, median of {args.runs} (interleaved): "
                  f"with the index {wall_on:.3f} s, without {wall_off:.3f} s ({(wall_on / wall_off - 1) * 100:+.0f} %); "
                  f"CPU {cpu_on:.2f} s against {cpu_off:.2f} s ({(cpu_on / cpu_off - 1) * 100:+.0f} %)")
        if pages <= 1000:
            on, off = preview_rebuilds(src, 15), preview_rebuilds(without_search(src), 15)
            print(f"preview, one page edited, median of 15 rebuilds: {on:.0f} ms with the index, "
                  f"{off:.0f} ms without")
        # The site the timed builds left: this envbook's index.
        s = sizes(os.path.join(timed, "site", "search"))
        print("index: " + ", ".join(f"{k} {v:,}" for k, v in s.items()))
        if shutil.which("mdbook") and pages <= args.mdbook_max:
            print(f"mdBook's search index for the same corpus: {mdbook_index(pages):,} bytes, loaded whole")
        print("\n| query | results | downloaded (files) | typed key by key, no pause |")
        print("|---|---:|---:|---:|")
        for q in QUERIES:
            total, files, hits = download(timed, q, False)
            typed, typed_files, _ = download(timed, q, True)
            print(f"| `{q}` | {hits} | {total / 1000:,.0f} KB ({files}) | "
                  f"{typed / 1000:,.0f} KB ({typed_files}) |", flush=True)
        if os.path.exists("/usr/bin/chromium"):
            print("\nIn Chromium (search.js), from the query to its results:\n")
            print(browser_times(os.path.join(timed, "site")), flush=True)


if __name__ == "__main__":
    main()
