#!/usr/bin/env python3
"""Builds real mdBook books with `mdbook build` and `envbook build` and compares them.

Usage: bench/mdbook_compare.py [--envbook PATH] [--runs 3] [--keep DIR] BOOK...

Each BOOK is a folder holding an mdBook book.toml (e.g. rust-lang/mdBook's
`guide/`). Both tools build it in place, unchanged, with the book folder as
the current folder, into a temporary folder (kept under --keep DIR if
given); nothing is written into the book (checked with `git status` when the
book is in a git repository). For each book the script prints:

- build time (median of RUNS, after one warm-up run) and peak memory (max
  RSS over the runs) of each tool, from /usr/bin/time;
- pages: every `.html` file mdBook wrote but its theme assets must exist at
  the same path in envbook's output (its special pages, print.html, toc.html
  and 404.html, are not compared further);
- heading ids: the `id` of every h1-h6 inside mdBook's `<main>` must be an
  anchor (an `id`, or an `<a name>`) somewhere on envbook's page; mdBook's
  redirect pages count as pages without headings;
- unexpanded directives: `{{#` in a page's visible text (outside `<script>`
  and `<style>`); a page where envbook shows more of them than mdBook (which
  shows an escaped `\\{{#include}}` as `{{#include}}`, so equal counts are
  fine) is listed; how often each shows the backslash too is told;
- redirects (for information): mdBook's redirect pages and its `#fragment`
  redirects on existing pages, and whether envbook's page leads to the same
  place (URLs compared as paths from the site root);
- code blocks (for information): the text of each `<pre>` in `<main>`, so
  included files are checked line by line (mdBook's hidden `fn main`
  wrapper for the playground left aside);
- links from the server's root (for information): `href`/`src` starting
  with one `/`, which only work where the site is served at its base URL;
- `envbook check`: its exit code and its errors and warnings.

Last comes a markdown table of all books. The exit status is 1 if a build
failed, a page is missing, fewer than 99.9 % of the heading ids are equal, or
envbook leaves a directive unexpanded, so the script serves as an acceptance
check.

mdBook runs the book's own preprocessors; those given as `cargo run …` are
compiled in the warm-up run into CARGO_TARGET_DIR (target/mdbook-compare-cargo
by default, so not into the book). A book whose rust-toolchain names a
toolchain that is not installed makes such a preprocessor fail (mdBook then
skips it and says so on stderr, which the script shows); run the script with
RUSTUP_TOOLCHAIN=stable to use the installed one.
"""

import argparse
import difflib
import html.parser
import os
import posixpath
import re
import shutil
import statistics
import subprocess
import sys
import urllib.parse
import tempfile
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPECIAL_PAGES = {"print.html", "toc.html", "404.html"}
ASSET_DIRS = {"FontAwesome", "fonts", "css"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
ID_TARGET = 99.9
LIST_MAX = 20


class PageScan(html.parser.HTMLParser):
    """What the comparison needs from one HTML page, in one pass."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.heading_ids = []  # ids of h1-h6 inside <main>, in order
        self.anchors = set()  # every id, and every <a name>
        self.directives = 0  # "{{#" in visible text
        self.escaped = 0  # of which "\\{{#" (mdBook drops the backslash)
        self.refresh = None  # the URL of a <meta http-equiv="refresh">
        self.root_links = 0  # href and src starting with a single "/"
        self.scripts = []  # text of the <script> elements
        self.code = []  # text of each <pre> inside <main>, buttons left out
        self._main = 0
        self._pre = 0
        self._button = 0
        self._hidden = None  # "script" or "style" while inside one
        self._text = []  # visible text, joined at the end

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.anchors.add(a["id"])
        if tag == "a" and a.get("name"):
            self.anchors.add(a["name"])
        for key in ("href", "src"):
            v = a.get(key) or ""
            if v.startswith("/") and not v.startswith("//"):
                self.root_links += 1
        if tag == "pre" and self._main:
            self._pre += 1
            if self._pre == 1:
                self.code.append([])
        elif tag == "button" and self._pre:
            self._button += 1
        if tag == "main":
            self._main += 1
        elif tag in HEADINGS and self._main and a.get("id"):
            self.heading_ids.append(a["id"])
        elif tag in ("script", "style"):
            self._hidden = tag
        elif tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            m = re.search(r"url\s*=\s*(.*)", a.get("content") or "", re.I)
            self.refresh = m.group(1).strip().strip("'\"") if m else ""

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._hidden = None

    def handle_endtag(self, tag):
        if tag == "pre" and self._pre:
            self._pre -= 1
        elif tag == "button" and self._button:
            self._button -= 1
        if tag == "main" and self._main:
            self._main -= 1
        elif tag == self._hidden:
            self._hidden = None

    def handle_data(self, data):
        if self._hidden == "script":
            self.scripts.append(data)
        elif self._hidden is None:
            self._text.append(data)
            if self._pre and not self._button:
                self.code[-1].append(data)

    def close(self):
        super().close()
        # Counted on the joined text: "{{" and "#" may come in two pieces.
        text = "".join(self._text)
        self.directives = text.count("{{#")
        self.escaped = text.count("\\{{#")
        self.code = ["".join(c).strip("\n") for c in self.code]

    def fragment_map(self):
        """mdBook's `#fragment` → URL redirects written into the page's script."""
        found = {}
        for s in self.scripts:
            for m in re.finditer(r"fragmentMap\s*=\s*(\{.*?\})\s*;", s, re.S):
                found.update(re.findall(r'"(#[^"]*)"\s*:\s*"([^"]*)"', m.group(1)))
        return found


# The lines mdBook adds around a Rust block without `fn main` (hidden, for
# the playground); envbook has no playground and does not add them.
PLAYGROUND_WRAP = {"#![allow(unused)]", "fn main() {", "}"}


def code_difference(md, env):
    """The first difference between two pages' code blocks, or None."""
    if len(md) != len(env):
        return f"{len(md)} code blocks in mdBook's page, {len(env)} in envbook's"
    for n, (a, b) in enumerate(zip(md, env), 1):
        if a == b:
            continue
        diff = [d for d in difflib.ndiff(a.split("\n"), b.split("\n")) if d[:1] in "+-"]
        # A block that ends with a blank line keeps it inside mdBook's
        # wrapper (Rust by Example's `if let` page).
        if all((d[0] == "-" and d[2:] in PLAYGROUND_WRAP) or not d[2:].strip() for d in diff):
            continue
        return f"block {n}: " + ", ".join(("mdBook " if d[0] == "-" else "envbook ") + repr(d[2:80])
                                          for d in diff[:2])
    return None


def scan(path):
    p = PageScan()
    with open(path, encoding="utf-8", errors="replace") as f:
        p.feed(f.read())
    p.close()
    return p


def html_files(root):
    """Relative paths (with /) of every .html file under root."""
    out = []
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith(".html"):
                out.append(os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/"))
    return sorted(out)


def resolve(page, url, base="/"):
    """url as written on page, as a path from the site root (keeping #fragment).

    Root-absolute URLs under the book's base URL lose the base; other
    absolute URLs are kept as they are.
    """
    if url.startswith(base) and base.endswith("/"):
        url, page = url[len(base):], ""
    elif re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I) or url.startswith("/"):
        return url
    path, _, frag = url.partition("#")
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(page), path)) if path else page
    if joined == ".":
        joined = ""
    return joined + ("#" + frag if frag else "")


def script_pairs(scan):
    """Every `"key": "value"` string pair in the page's scripts, keys without a leading #."""
    pairs = {}
    for s in scan.scripts:
        for k, v in re.findall(r'"([^"\\]*)"\s*:\s*"([^"\\]*(?:\\.[^"\\]*)*)"', s):
            pairs[k.lstrip("#")] = v.replace("\\/", "/")
    return pairs


class Timed:
    """One command run under /usr/bin/time."""

    def __init__(self, cmd, cwd, env, log_dir):
        with tempfile.NamedTemporaryFile("r", dir=log_dir) as t, \
                tempfile.NamedTemporaryFile("w+", dir=log_dir) as err:
            p = subprocess.run(["/usr/bin/time", "-o", t.name, "-f", "%e %M"] + cmd, cwd=cwd, env=env,
                               stdout=subprocess.DEVNULL, stderr=err)
            err.seek(0)
            self.stderr = err.read()
            fields = t.read().split()
        self.rc = p.returncode
        # /usr/bin/time writes "Command exited with non-zero status N" before its figures.
        self.wall = float(fields[-2]) if len(fields) >= 2 else float("nan")
        self.rss_mib = int(fields[-1]) / 1024 if len(fields) >= 2 else float("nan")


class Build:
    """A tool's build of one book: warm-up, RUNS timed runs, the last output kept."""

    def __init__(self, name, cmd_for, out, cwd, env, runs, log_dir):
        self.name, self.out = name, out
        self.runs = []
        first = self._run(cmd_for, cwd, env, log_dir)
        self.stderr = first.stderr
        self.ok = first.rc == 0
        if not self.ok:
            return
        for _ in range(runs):
            r = self._run(cmd_for, cwd, env, log_dir)
            if r.rc != 0:
                self.ok, self.stderr = False, r.stderr
                return
            self.runs.append(r)

    def _run(self, cmd_for, cwd, env, log_dir):
        shutil.rmtree(self.out, ignore_errors=True)
        return Timed(cmd_for(self.out), cwd, env, log_dir)

    @property
    def wall(self):
        return statistics.median(r.wall for r in self.runs) if self.runs else None

    @property
    def rss(self):
        return max(r.rss_mib for r in self.runs) if self.runs else None

    def figures(self):
        if not self.ok:
            return "FAILED"
        return f"{self.wall:.2f} s / {self.rss:.0f} MiB"


def tail(text, n=15):
    lines = text.rstrip().splitlines()
    return "\n".join("    " + l for l in lines[-n:])


def listed(items, n=LIST_MAX):
    items = list(items)
    shown = "\n".join("    " + i for i in items[:n])
    more = f"\n    … and {len(items) - n} more" if len(items) > n else ""
    return shown + more


def git_state(book):
    """The book's repository status (including ignored files), or None outside git. The
    build cache beside book.toml is left out: envbook keeps it there by design, as cargo
    keeps target/ (README: "Build cache")."""
    p = subprocess.run(["git", "-C", book, "status", "--porcelain", "--ignored", "--untracked-files=all", "."],
                       capture_output=True, text=True)
    # Paths are from the repository's root: a book in a subfolder (mdBook's
    # guide/, Cargo's src/doc/) has its cache at guide/.envbook-cache/.
    lines = [l for l in p.stdout.splitlines() if not re.search(r"(^|/)\.envbook-cache/", l[3:])]
    return "\n".join(lines) if p.returncode == 0 else None


def book_toml(book):
    try:
        with open(os.path.join(book, "book.toml"), "rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def book_title(book):
    return book_toml(book).get("book", {}).get("title") or book


def base_url(book):
    """The URL path the site is written for: mdBook's site-url, or envbook's base-url."""
    toml = book_toml(book)
    base = toml.get("output", {}).get("html", {}).get("site-url") or toml.get("build", {}).get("base-url") or "/"
    # Its path: rustup's book gives a whole URL (`https://rust-lang.github.io/rustup/`).
    base = urllib.parse.urlsplit(base).path or "/"
    return base if base.endswith("/") else base + "/"


class Row:
    """One book's figures, for the closing table."""

    def __init__(self, book):
        self.book = book_title(book)
        self.pages = self.missing = self.ids_total = self.ids_equal = None
        self.unexpanded = self.unexpanded_pages = 0
        self.check = "-"
        self.envbook = self.mdbook = None
        self.failed = False

    def id_share(self):
        return 100.0 * self.ids_equal / self.ids_total if self.ids_total else 100.0

    def passed(self):
        return (not self.failed and self.missing == 0 and self.id_share() >= ID_TARGET
                and self.unexpanded == 0)

    def cells(self):
        ratio = "-"
        if self.envbook and self.mdbook and self.envbook.ok and self.mdbook.ok and self.mdbook.wall:
            ratio = f"{self.envbook.wall / self.mdbook.wall:.2f}×"
        ids = "-" if self.ids_total is None else f"{self.ids_equal:,}/{self.ids_total:,} ({self.id_share():.2f} %)"
        unexp = "-" if self.pages is None or self.missing is None else (
            "0" if not self.unexpanded else f"{self.unexpanded:,} on {self.unexpanded_pages} pages")
        return [self.book, "-" if self.pages is None else f"{self.pages:,}",
                "-" if self.missing is None else f"{self.missing:,}", ids, unexp, self.check,
                self.envbook.figures() if self.envbook else "-",
                self.mdbook.figures() if self.mdbook else "-", ratio]


def compare_pages(row, md_out, env_out, base):
    """Pages, heading ids, directives and redirects of the two outputs."""
    md_all = html_files(md_out)
    special = [p for p in md_all if p in SPECIAL_PAGES]
    assets = [p for p in md_all if p.split("/")[0] in ASSET_DIRS]
    pages = [p for p in md_all if p not in special and p not in assets]
    env_pages = set(html_files(env_out))
    # The special pages must exist too; their content is not compared.
    missing = [p for p in pages + special if p not in env_pages]
    row.pages, row.missing = len(pages) + len(special), len(missing)
    print(f"  pages: {row.pages} written by mdBook, {row.pages - len(missing)} of them by envbook, "
          f"{len(missing)} missing; envbook wrote {len(env_pages)} .html files")
    print(f"  mdBook's special pages (must exist; content not compared): {', '.join(special) or 'none'}"
          + (f"; {len(assets)} .html files among its assets" if assets else ""))
    if missing:
        print("  missing in envbook's output:\n" + listed(missing))

    total = equal = 0
    differing, unexpanded, redirects, code_differing = [], [], [], []
    fragment_total = fragment_kept = redirect_pages = md_abs = env_abs = escaped_md = escaped_env = 0
    for page in (p for p in pages if p not in missing):
        md, env = scan(os.path.join(md_out, page)), scan(os.path.join(env_out, page))
        total += len(md.heading_ids)
        for i in md.heading_ids:
            if i in env.anchors:
                equal += 1
            else:
                differing.append(f"{page}#{i}")
        why = code_difference(md.code, env.code)
        if why:
            code_differing.append(f"{page}: {why}")
        escaped_md += md.escaped
        escaped_env += env.escaped
        if env.directives > md.directives:
            unexpanded.append((page, env.directives - md.directives))
        if md.refresh is not None:
            redirect_pages += 1
            want = resolve(page, md.refresh, base)
            got = None if env.refresh is None else resolve(page, env.refresh, base)
            if got != want:
                redirects.append(f"{page}: mdBook → {want}, envbook → {got or 'no redirect'}")
        fragments = md.fragment_map()
        fragment_total += len(fragments)
        env_map = script_pairs(env)
        for frag, target in fragments.items():
            # Kept if envbook's page maps the fragment (in any script) to the same place.
            want = resolve(page, target, base)
            got = env_map.get(frag[1:])
            if got is not None and resolve(page, got, base) == want:
                fragment_kept += 1
            else:
                got = "not kept" if got is None else "→ " + resolve(page, got, base)
                redirects.append(f"{page}{frag}: mdBook → {want}, envbook {got}")
        md_abs += md.root_links
        env_abs += env.root_links
    row.ids_total, row.ids_equal = total, equal
    row.unexpanded = sum(n for _, n in unexpanded)
    row.unexpanded_pages = len(unexpanded)
    print(f"  heading ids: {equal:,}/{total:,} equal ({row.id_share():.2f} %)")
    if differing:
        print("  mdBook heading ids that envbook's page lacks:\n" + listed(differing))
    print(f"  unexpanded {{{{#: {row.unexpanded} more in envbook's visible text than mdBook's, "
          f"on {len(unexpanded)} pages")
    if unexpanded:
        print(listed(f"{p}: {n} more" for p, n in unexpanded))
    print(f"  code blocks (information): equal on {len(pages) - len(missing) - len(code_differing)} "
          f"of {len(pages) - len(missing)} pages (mdBook's hidden playground `fn main` wrapper left aside)")
    if code_differing:
        print(listed(code_differing))
    print(f"  \\{{{{# shown with its backslash (information): mdBook {escaped_md}, envbook {escaped_env}")
    print(f"  redirects (information): {redirect_pages} redirect pages, "
          f"{fragment_kept}/{fragment_total} #fragment redirects kept; differing: {len(redirects)}")
    if redirects:
        print(listed(redirects))
    print(f"  links from the server's root (href/src starting with one /; information): "
          f"mdBook {md_abs:,}, envbook {env_abs:,}, with base URL {base}")


def run_check(row, envbook, book, env, log_dir):
    with tempfile.TemporaryFile("w+", dir=log_dir) as err:
        p = subprocess.run([envbook, "check", "."], cwd=book, env=env, stdout=subprocess.DEVNULL, stderr=err)
        err.seek(0)
        lines = err.read().splitlines()
    summary = re.compile(r"^error: \d+ problems? found$")
    errors = [i for i, l in enumerate(lines) if l.startswith("error:") and not summary.match(l)]
    warnings = [l for l in lines if l.startswith("warning:")]
    row.check = f"{len(errors)}" + (f" ({len(warnings)} warnings)" if warnings else "")
    print(f"  envbook check: exit {p.returncode}, {len(errors)} errors, {len(warnings)} warnings")
    for i in errors[:30]:
        # The message and the line that names file:line:col.
        where = next((l.strip() for l in lines[i + 1:i + 3] if l.strip().startswith("-->")), "")
        print(f"    {lines[i]}" + (f"  {where}" if where else ""))
    if len(errors) > 30:
        print(f"    … and {len(errors) - 30} more")


def compare(book, envbook, runs, work, env):
    book = os.path.abspath(book)
    row = Row(book)
    print(f"\n## {row.book} ({book})", flush=True)
    if not os.path.isfile(os.path.join(book, "book.toml")):
        print("  FAILED: no book.toml in this folder")
        row.failed = True
        return row
    out = os.path.join(work, re.sub(r"[^A-Za-z0-9]+", "-", book).strip("-"))
    os.makedirs(out, exist_ok=True)
    before = git_state(book)

    row.mdbook = Build("mdbook", lambda d: ["mdbook", "build", "-d", d], os.path.join(out, "mdbook"),
                       book, env, runs, out)
    md_errors = [l for l in row.mdbook.stderr.splitlines() if re.search(r"\berror\b", l, re.I)]
    if md_errors:
        print("  mdBook's stderr names errors (a preprocessor may have been skipped):\n" + listed(md_errors, 5))
    # Built as mdBook builds it, whatever its links: a broken one is counted by `envbook check` below.
    row.envbook = Build("envbook", lambda d: [envbook, "build", "--quiet", "--links", "warn", "--output", d, "."],
                        os.path.join(out, "envbook"), book, env, runs, out)
    for b in (row.mdbook, row.envbook):
        print(f"  {b.name} build: {b.figures()}" + ("" if b.ok else f"; its stderr ends:\n{tail(b.stderr)}"))
    row.failed = not (row.mdbook.ok and row.envbook.ok)
    # With more than one renderer (`[output.linkcheck]` too), mdBook writes
    # its HTML in `html/` under the build folder; `--output` is envbook's
    # HTML folder itself.
    md_out = row.mdbook.out
    if not os.path.exists(os.path.join(md_out, "index.html")) and os.path.isdir(os.path.join(md_out, "html")):
        md_out = os.path.join(md_out, "html")
    if row.mdbook.ok and row.envbook.ok:
        compare_pages(row, md_out, row.envbook.out, base_url(book))
    elif row.mdbook.ok:
        row.pages = len([p for p in html_files(md_out)
                         if p not in SPECIAL_PAGES and p.split("/")[0] not in ASSET_DIRS])
    run_check(row, envbook, book, env, out)

    if before is not None and git_state(book) != before:
        print("  WARNING: the book's folder changed during the run (git status differs)")
        row.failed = True
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("books", nargs="+", metavar="BOOK", help="a folder holding an mdBook book.toml")
    ap.add_argument("--envbook", default=os.path.join(ROOT, "target", "release", "envbook"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", metavar="DIR", help="build into DIR and keep the outputs")
    args = ap.parse_args()
    envbook = os.path.abspath(args.envbook)
    if not os.path.isfile(envbook):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    if not shutil.which("mdbook"):
        sys.exit("mdbook is not on PATH")
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", os.path.join(ROOT, "target", "mdbook-compare-cargo"))

    work = os.path.abspath(args.keep) if args.keep else tempfile.mkdtemp(prefix="mdbook-compare-")
    os.makedirs(work, exist_ok=True)
    try:
        rows = [compare(b, envbook, args.runs, work, env) for b in args.books]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nmedian of {args.runs} runs after a warm-up; peak memory is the max RSS; "
          f"ratio is envbook's time over mdBook's\n")
    print("| book | pages (mdBook) | missing in envbook | heading ids equal | unexpanded {{# "
          "| check errors | envbook time/RSS | mdbook time/RSS | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| " + " | ".join(r.cells()) + " |")
    failed = [r.book for r in rows if not r.passed()]
    print("\n" + (f"FAILED: {', '.join(failed)}" if failed else "all books pass"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
