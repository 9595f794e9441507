#!/usr/bin/env python3
"""Times `envbook build` cold and warm on the standard corpus beside Hugo and mdBook.

Usage: bench/build.py [--pages 1000,10000] [--runs 5] [--mdbook-max 1000] [--in DIR]

Generates each corpus with bench/gen_corpus.py (once per size and
flavour, under target/bench/), copies it into DIR (default target/bench/run;
`--in /dev/shm/envbook-bench` puts everything on tmpfs), and builds it RUNS
times with each tool that is installed, the tools taking turns so that a
busy moment of the machine falls on all of them. Before each run, what the
runs before wrote is flushed to disk (`sync`), so that no run pays for
another's writing. It prints a markdown table:
median wall time, median CPU time (user + system), peak memory (max RSS over
the runs, from /usr/bin/time), and the ratio to Hugo's median wall time.

- envbook cold: its build cache (`.envbook-cache/`) deleted before each
  run, so every page is rendered and highlighted again, into the output and
  the spare its last run left, as Hugo and mdBook rebuild into theirs. The
  spare's stamps (what each file was made from) stay: a file made again
  from the same inputs is left as it is, not read back.
- envbook after an upgrade: the same, by a new envbook binary (a copy
  touched before each run): its cache entries and the stamps of the files
  it wrote are its own, so every file it makes is also read back and
  compared with the one there.
- envbook from nothing: its output, the spare beside it and its build
  cache deleted right before each run. On ext4, creating thousands of files
  where thousands were just deleted is slow in the kernel (it steps over
  the recently freed inodes), so this row measures the disk as much as
  envbook; a fresh clone, with nothing deleted, does not pay it.
- envbook warm: a build with the last output, the spare and the cache in
  place, after one page was edited (each run edits it again): the build a
  writer runs all day.
- Hugo and mdBook build into their usual output folder, left from the run
  before (what a user of theirs runs). mdBook is quadratic (minutes at
  10,000 pages), so it only runs up to --mdbook-max pages.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.path.join(ROOT, "bench", "gen_corpus.py")
WORK = os.path.join(ROOT, "target", "bench")
ENVBOOK = os.path.join(ROOT, "target", "release", "envbook")


def corpus(pages, flavor):
    """The generated corpus (made once, under target/bench/)."""
    made = os.path.join(WORK, f"{flavor}-{pages}")
    if not os.path.isdir(made):
        subprocess.run([sys.executable, GEN, "--pages", str(pages), "--out", made, "--flavor", flavor],
                       check=True, stdout=subprocess.DEVNULL)
    return made


def copy_of(pages, flavor, where, tag=""):
    """A fresh copy, in `where`, of the generated corpus, without what builds made."""
    copy = os.path.join(where, f"{flavor}-{pages}{tag}")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(corpus(pages, flavor), copy,
                    ignore=shutil.ignore_patterns("site", ".site.envbook", ".envbook-cache"))
    return copy


def uncached(src):
    """Forgets the build cache of `src`."""
    shutil.rmtree(os.path.join(src, ".envbook-cache"), ignore_errors=True)


def cold(src):
    """Forgets what earlier builds of `src` left: output, spare, build cache."""
    for made in ["site", ".site.envbook", ".envbook-cache"]:
        shutil.rmtree(os.path.join(src, made), ignore_errors=True)


def editor(src):
    """A function that edits one page of `src` again at each call."""
    page = first_page(os.path.join(src, "content"))
    with open(page) as f:
        text = f.read()
    edits = iter(range(1, 1 << 30))

    def edit():
        with open(page, "w") as f:
            f.write(f"{text}\nEdit {next(edits)}.\n")
    return edit


def timed(cmd):
    """(wall s, CPU s, peak RSS MiB) of one run of cmd."""
    with tempfile.NamedTemporaryFile("r") as f:
        subprocess.run(["/usr/bin/time", "-o", f.name, "-f", "%e %U %S %M"] + cmd, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall, user, system, rss = f.read().split()[-4:]
    return float(wall), float(user) + float(system), int(rss) / 1024


class Case:
    def __init__(self, name, cmd, before=None):
        self.name, self.cmd, self.before, self.runs = name, cmd, before, []

    def run(self, keep=True):
        if self.before:
            self.before()
        os.sync()
        result = timed(self.cmd)
        if keep:
            self.runs.append(result)


def envbook_cases(pages, where):
    """Cold, after an upgrade, from nothing and warm builds, each of its own copy."""
    copies = {tag: copy_of(pages, "envbook", where, f"-{tag}") for tag in ["cold", "upgrade", "nothing", "warm"]}
    build = lambda tag, binary=ENVBOOK: [binary, "build", "--quiet", copies[tag]]
    upgraded = os.path.join(where, "envbook-upgraded")
    shutil.copy2(ENVBOOK, upgraded)

    def upgrade():
        uncached(copies["upgrade"])
        os.utime(upgraded)  # a binary of another size or time is another envbook
    return [Case("envbook cold (no cache)", build("cold"), lambda: uncached(copies["cold"])),
            Case("envbook after an upgrade", build("upgrade", upgraded), upgrade),
            Case("envbook from nothing", build("nothing"), lambda: cold(copies["nothing"])),
            Case("envbook warm (one page edited)", build("warm"), editor(copies["warm"]))]


def first_page(content):
    for folder, dirs, files in sorted(os.walk(content)):
        dirs.sort()
        pages = sorted(f for f in files if f.endswith(".md") and f != "_index.md")
        if pages and folder != content:
            return os.path.join(folder, pages[0])
    raise SystemExit(f"no page in {content}")


def cases(pages, mdbook_max, where):
    yield from envbook_cases(pages, where)
    if shutil.which("hugo"):
        src = copy_of(pages, "hugo", where)
        yield Case("Hugo", ["hugo", "--quiet", "-s", src, "-d", os.path.join(where, f"out-hugo-{pages}")])
    if shutil.which("mdbook") and pages <= mdbook_max:
        src = copy_of(pages, "mdbook", where)
        yield Case("mdBook", ["mdbook", "build", src, "-d", os.path.join(where, f"out-mdbook-{pages}")])


def file_system(path):
    out = subprocess.run(["df", "--output=fstype", path], capture_output=True, text=True, check=True)
    kind = out.stdout.split()[-1]
    return f"{kind} ({'memory' if kind == 'tmpfs' else 'disk'})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", default="1000,10000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mdbook-max", type=int, default=1000)
    ap.add_argument("--in", dest="where", default=os.path.join(WORK, "run"))
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(args.where, exist_ok=True)
    print(f"Sources and outputs in {args.where}: {file_system(args.where)}; "
          f"median of {args.runs} runs; {os.cpu_count()} cores.\n")
    print("| pages | tool | median wall | median CPU | peak memory | wall vs Hugo |")
    print("|---:|---|---:|---:|---:|---:|")
    for pages in [int(p) for p in args.pages.split(",")]:
        todo = list(cases(pages, args.mdbook_max, args.where))
        # Two rounds untimed: they warm the page cache and leave the warm
        # copy an output and a spare.
        for _ in range(2):
            for case in todo:
                case.run(keep=False)
        for _ in range(args.runs):
            for case in todo:
                case.run()
        hugo = next((c for c in todo if c.name == "Hugo"), None)
        base = statistics.median(r[0] for r in hugo.runs) if hugo else None
        for case in todo:
            wall = statistics.median(r[0] for r in case.runs)
            cpu = statistics.median(r[1] for r in case.runs)
            rss = max(r[2] for r in case.runs)
            ratio = f"{wall / base:.2f}×" if base else "–"
            print(f"| {pages:,} | {case.name} | {wall:.2f} s | {cpu:.2f} s | {rss:.0f} MiB | {ratio} |",
                  flush=True)


if __name__ == "__main__":
    main()
