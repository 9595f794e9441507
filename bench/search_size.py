#!/usr/bin/env python3
"""Measure what Pagefind would cost on an envbook site (issue 10, search).

Run:
    envbook build /tmp/corpus1k --output /tmp/site1k
    python3 bench/search_size.py /tmp/site1k [--no-run] [--query stor --query 20Gi ...]

It runs Pagefind on the built site (``pagefind`` or ``pagefind_extended`` on
PATH, else ``npx -y pagefind``), timing it, then prints:
  * the size of the ``pagefind/`` output (bytes, files), split into the entry
    file, the JS and wasm it ships, the meta file, ``index/`` chunks and
    ``fragment/`` files;
  * per query, the files a browser downloads: entry + pagefind.js +
    pagefind-worker.js + wasm + meta + the index chunk(s) the query's terms
    fall into (chosen from the meta file's from/to ranges, the way Pagefind's
    wasm does it) + 5 fragments (estimated at the median fragment size).
    Sizes are on-disk sizes, which are the transfer sizes: Pagefind gzips its
    .pf_meta / .pf_index / .pf_fragment / wasm files itself.
  * whether each query's normalised term(s) occur in the index as typed.

The chunk choice is a static estimate (Pagefind's wasm may pick a further
chunk, e.g. for a stemmed form): for exact figures, load pagefind.js in Node
with a logging fetch against the site served over HTTP.

``--no-run`` reuses an existing ``pagefind/`` folder. Python stdlib only.
"""
import argparse
import gzip
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time
import unicodedata

DEFAULT_QUERIES = ["stor", "storage size", "20Gi", "data-plane.storage-size",
                   "database.storage-size", "postgres"]


def cbor(b, i=0):
    """Minimal CBOR decoder, enough for Pagefind's meta and index files."""
    ib = b[i]
    mt, ai = ib >> 5, ib & 31
    i += 1
    if ai < 24:
        v = ai
    elif ai in (24, 25, 26, 27):
        n = 1 << (ai - 24)
        v = int.from_bytes(b[i:i + n], "big")
        i += n
    elif ai == 31:
        v = None
    else:
        raise ValueError("bad CBOR")
    if mt == 0:
        return v, i
    if mt == 1:
        return -1 - v, i
    if mt in (2, 3):
        s = b[i:i + v]
        return (s.decode() if mt == 3 else s), i + v
    if mt == 4:
        out = []
        if v is None:
            while b[i] != 0xFF:
                x, i = cbor(b, i)
                out.append(x)
            return out, i + 1
        for _ in range(v):
            x, i = cbor(b, i)
            out.append(x)
        return out, i
    if mt == 5:
        out = {}
        for _ in range(v):
            k, i = cbor(b, i)
            out[k], i = cbor(b, i)
        return out, i
    if mt == 6:
        return cbor(b, i)
    if ai == 26:
        return struct.unpack(">f", v.to_bytes(4, "big"))[0], i
    return {20: False, 21: True, 22: None}.get(ai, v), i


def load_pf(path):
    data = gzip.open(path).read()
    if not data.startswith(b"pagefind_dcd"):
        raise ValueError(f"{path}: not a Pagefind file")
    return cbor(data, len(b"pagefind_dcd"))[0]


def normalise(query, include=("_",)):
    """Pagefind's query normalisation (pagefind.js): lower-case, punctuation
    dropped (dashes, dots, quotes...), diacritics removed."""
    out = []
    for ch in query:
        if ch in include:
            out.append(ch)
        elif not unicodedata.category(ch).startswith("P"):
            out.append(ch.lower())
    text = " ".join("".join(out).split())
    text = "".join(c for c in unicodedata.normalize("NFD", text)
                   if unicodedata.category(c) != "Mn")
    return [t for t in text.split(" ") if t]


def chunk_for(term, chunks):
    for c_from, c_to, h in chunks:
        if c_from <= term <= c_to:
            return h
    for c_from, c_to, h in chunks:  # Pagefind's fallback: prefix-trimmed bounds
        a, z = min(len(term), len(c_from)), min(len(term), len(c_to))
        if term[:a] >= c_from[:a] and term[:z] <= c_to[:z]:
            return h
    return None


def files_under(d):
    out = []
    for root, _, names in os.walk(d):
        out += [os.path.join(root, n) for n in names]
    return out


def size(paths):
    return sum(os.path.getsize(p) for p in paths)


def run_pagefind(site):
    exe = shutil.which("pagefind") or shutil.which("pagefind_extended")
    cmd = [exe] if exe else ["npx", "-y", "pagefind"]
    cmd += ["--site", site]
    t = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return " ".join(cmd), time.monotonic() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("site", help="a built site folder (envbook build --output)")
    ap.add_argument("--no-run", action="store_true", help="reuse SITE/pagefind")
    ap.add_argument("--query", action="append", help="query (repeatable)")
    a = ap.parse_args()
    pf = os.path.join(a.site, "pagefind")
    if not a.no_run:
        cmd, secs = run_pagefind(a.site)
        print(f"ran: {cmd}  ({secs:.2f} s)")
    allf = files_under(pf)
    entry = json.load(open(os.path.join(pf, "pagefind-entry.json")))
    lang, info = next(iter(entry["languages"].items()))
    meta_p = os.path.join(pf, f"pagefind.{info['hash']}.pf_meta")
    wasm_p = os.path.join(pf, f"wasm.{info['wasm']}.pagefind")
    idx = files_under(os.path.join(pf, "index"))
    frag = files_under(os.path.join(pf, "fragment"))
    js = [os.path.join(pf, n) for n in ("pagefind.js", "pagefind-worker.js")
          if os.path.exists(os.path.join(pf, n))]
    ui = [p for p in allf if os.path.basename(p).startswith("pagefind-")
          and "ui" in os.path.basename(p)]
    rows = [
        ("pagefind/ total", size(allf), len(allf)),
        ("pagefind-entry.json", size([os.path.join(pf, "pagefind-entry.json")]), 1),
        ("pagefind.js + pagefind-worker.js", size(js), len(js)),
        (f"wasm.{info['wasm']}.pagefind", size([wasm_p]), 1),
        ("meta (.pf_meta)", size([meta_p]), 1),
        ("index/ chunks", size(idx), len(idx)),
        ("  largest chunk", max(map(os.path.getsize, idx)), 1),
        ("fragment/", size(frag), len(frag)),
        ("UI js/css (optional)", size(ui), len(ui)),
    ]
    print(f"\nPagefind {entry.get('version')} output of {a.site} "
          f"({info.get('page_count')} pages, language {lang})")
    for name, b, n in rows:
        print(f"  {name:34} {b:>12,} B  {n:>6} files")

    meta = load_pf(meta_p)
    chunks = [tuple(c[:3]) for c in meta[2]]
    frag_median = int(statistics.median(map(os.path.getsize, frag)))
    fixed = size([os.path.join(pf, "pagefind-entry.json")]) + size(js) + \
        os.path.getsize(wasm_p) + os.path.getsize(meta_p)
    words_cache = {}

    def words_in(h):
        if h not in words_cache:
            words_cache[h] = {w[0] for w in load_pf(
                os.path.join(pf, "index", h + ".pf_index"))[0]}
        return words_cache[h]

    print(f"\nPer query (fixed part entry+JS+wasm+meta = {fixed:,} B; "
          f"5 fragments estimated at median {frag_median:,} B each):")
    print(f"  {'query':26} {'terms':28} {'chunks B':>9} {'first query B':>14} "
          f"{'further B':>10}  as typed in index?")
    for q in a.query or DEFAULT_QUERIES:
        terms = normalise(q, tuple(entry.get("include_characters", ["_"])))
        hs = sorted({h for h in (chunk_for(t, chunks) for t in terms) if h})
        cb = size([os.path.join(pf, "index", h + ".pf_index") for h in hs])
        found = []
        for t in terms:
            h = chunk_for(t, chunks)
            ws = words_in(h) if h else set()
            exact = t in ws
            pref = sum(1 for w in ws if w.startswith(t))
            found.append(f"{t}:{'yes' if exact else 'no'}/{pref} prefixed")
        print(f"  {q:26} {' '.join(terms):28} {cb:>9,} {fixed + cb + 5 * frag_median:>14,} "
              f"{cb + 5 * frag_median:>10,}  {', '.join(found)}")


if __name__ == "__main__":
    sys.exit(main())
