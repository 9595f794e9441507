#!/usr/bin/env python3
"""Times edit-to-served latency of `envbook serve` beside `hugo server` and `mdbook serve`.

Usage: bench/serve.py [--pages 1000] [--edits 20] [--kinds body,title] [--envbook PATH]

Generates the corpus with bench/gen_corpus.py as bench/build.py does
(once per size and flavour, under target/bench/), starts each installed tool's
preview server on its own flavour of the same pages, and edits one page (the
middle one of corpus-manifest.json, the same file in every flavour) EDITS times
after one warm-up edit: each edit appends a new marker sentence to the page's
first paragraph with a plain write, and the latency runs from right after the
write to the first HTTP response of the page that contains the marker (polled
every --interval, on a new connection each time unless --keep-alive). Edits are
--pause apart, so each one is a rebuild of its own.

Two kinds of edit are timed, each after a warm-up edit of its kind, body
edits first: a body edit (the marker goes into the first paragraph: one page's
text changes) and, for envbook, a title edit (the marker goes at the end of the
page's `#` heading, its title: its neighbours' prev/next, its folder's
navigation and its section page's list change too). The other tools take a
page's title from elsewhere (Hugo's front matter, mdBook's SUMMARY.md), so
they are timed on body edits only. Prints a markdown table: median and p90
latency per tool and kind of edit and the ratio to envbook's, then what the
tools report about their rebuilds. The page's source is restored and every server
stopped at the end, also on errors. The tools run with their default settings
(Hugo's fast render and live reload, mdBook's polling watcher).

A new connection per request measures when the server has the page. On a kept-
alive connection, servers that write a response in several pieces without
TCP_NODELAY (envbook's tiny_http, mdBook's) add Linux's 40 ms delayed ACK to
most responses: --keep-alive shows what a browser that reuses its connection sees.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

# The corpus and its folders are shared with the build benchmark.
from build import ROOT, WORK, corpus  # noqa: E402  (bench/ is on sys.path: this script's folder)

MARKER = re.compile(r" Edit marker [0-9]+-(?:[a-z]+-)?[0-9]+\.")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A preview server in its own process group; its output is kept line by line."""

    def __init__(self, cmd):
        self.lines = []
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     text=True, errors="replace")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass


class Client:
    """GETs one path: on a new connection each time, or on one kept-alive connection."""

    def __init__(self, port, path, keep_alive, interval):
        self.port, self.path, self.keep_alive, self.interval = port, path, keep_alive, interval
        self.conn = None

    def get(self):
        """The body of a 200 response, or None (not served yet, or no connection)."""
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            self.conn.request("GET", self.path)
            resp = self.conn.getresponse()
            body = resp.read()
            if resp.will_close or not self.keep_alive:
                self.close()
            return body if resp.status == 200 else None
        except (OSError, http.client.HTTPException):
            self.close()
            return None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def wait_for(self, needle, timeout, server):
        """Polls until the body contains needle: the time it did, or None on timeout."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            body = self.get()
            if body is not None and needle in body:
                return time.perf_counter()
            if server.proc.poll() is not None:
                raise RuntimeError("the server exited:\n" + "\n".join(server.lines[-20:]))
            time.sleep(self.interval)
        return None


def tools(pages, page, envbook):
    """(name, flavour, command builder(dir, port), URL path of the page) per installed tool.
    envbook picks its own port (given None), the others are given a free one."""
    rel = page[len("content/"):-len(".md")]
    yield "envbook", "envbook", lambda d, p: [envbook, "serve", "--port", "0", d], f"/{rel}/"
    if shutil.which("hugo"):
        # hugo.toml sets no permalinks: a page is at its path, as a folder.
        yield "Hugo", "hugo", lambda d, p: ["hugo", "server", "--source", d, "--port", str(p),
                                            "--bind", "127.0.0.1"], f"/{rel}/"
    if shutil.which("mdbook"):
        dest = os.path.join(WORK, f"out-mdbook-serve-{pages}")
        yield "mdBook", "mdbook", lambda d, p: ["mdbook", "serve", d, "-p", str(p), "-n", "127.0.0.1",
                                                "-d", dest], f"/{rel}.html"


def title_line(lines):
    """Index of the page's `#` heading, its title."""
    return next(i for i, line in enumerate(lines) if line.startswith("# "))


def first_paragraph(lines):
    """Index of the first line of plain text after the page's `#` title."""
    for i, line in enumerate(lines):
        if i > 0 and line.strip() and not line.startswith(("#", "-", ">", "|", "`", " ")) \
                and not line[0].isdigit():
            return i
    raise ValueError("no paragraph in the page")


def measure(name, cmd, port, book, page, url, kinds, edits, args):
    """Per kind of edit, its latencies in seconds (None for a timeout) and the
    server's output during those edits."""
    src = os.path.join(book, page)
    original = open(src, encoding="utf-8").read()
    clean = MARKER.sub("", original)  # a marker left by an interrupted run
    lines = clean.split("\n")
    edited_line = {"body": first_paragraph(lines), "title": title_line(lines)}
    nonce = os.getpid()
    # mdBook's watcher obeys the nearest .gitignore above the book, and this
    # repository's ignores target/, where the corpus is: without one of its own
    # (empty) the book would never rebuild. It goes again at the end.
    gitignore = os.path.join(book, ".gitignore")
    if name != "mdBook" or os.path.exists(gitignore):
        gitignore = None
    server = client = None
    try:
        if gitignore:
            open(gitignore, "w").close()
        server = Server(cmd)
        deadline = time.perf_counter() + args.start_timeout
        while port is None:
            if server.proc.poll() is not None:
                raise RuntimeError(f"{name} exited:\n" + "\n".join(server.lines[-20:]))
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{name} did not start in {args.start_timeout} s")
            for line in server.lines:  # envbook: `--port 0` picks one and prints it
                m = re.match(r"Serving .* at http://127\.0\.0\.1:(\d+)/", line)
                if m:
                    port = int(m.group(1))
            time.sleep(0.05)
        client = Client(port, url, args.keep_alive, args.interval)
        if client.wait_for(b"", args.start_timeout, server) is None:
            raise RuntimeError(f"{name} did not serve {url} in {args.start_timeout} s")
        results = {}
        for kind in kinds:
            before = len(server.lines)
            latencies = []
            for i in range(edits + 1):  # edit 0 warms up and is not counted
                marker = f"Edit marker {nonce}-{kind}-{i}."
                edited = list(lines)
                edited[edited_line[kind]] += " " + marker
                with open(src, "w", encoding="utf-8", newline="") as f:
                    f.write("\n".join(edited))
                t0 = time.perf_counter()
                t = client.wait_for(marker.encode(), args.timeout, server)
                if i > 0:
                    latencies.append(None if t is None else t - t0)
                time.sleep(args.pause)
            results[kind] = (latencies, server.lines[before:])
        return results
    finally:
        if client:
            client.close()
        if server:
            server.stop()
        with open(src, "w", encoding="utf-8", newline="") as f:
            f.write(clean)
        if gitignore and os.path.exists(gitignore):
            os.remove(gitignore)


def p90(values):
    values = sorted(values)
    return values[min(len(values) - 1, round(0.9 * (len(values) - 1)))]


def ms(seconds):
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def reported(name, output):
    """What the tool itself says about its rebuilds, when it says it."""
    if name == "envbook":
        found = [(int(n), int(t)) for n, t in re.findall(r"(\d+) pages? rendered in (\d+) ms", "\n".join(output))]
        if found:
            pages = statistics.median(n for n, _ in found)
            took = statistics.median(t for _, t in found)
            return f"{name} reports {pages:g} page(s) rendered per rebuild, median {took:g} ms"
    if name == "Hugo":
        found = [int(t) for t in re.findall(r"Total in (\d+) ms", "\n".join(output))]
        if found:
            return f"{name} reports rebuilds of median {statistics.median(found):g} ms"
    return None


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # still stop the servers
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--edits", type=int, default=20, help="edits of each kind")
    ap.add_argument("--kinds", default="body,title", help="which edits to time: body, title (envbook only)")
    ap.add_argument("--mdbook-edits", type=int, help="edits for mdBook (default: --edits); it rebuilds the whole book")
    ap.add_argument("--pause", type=float, default=0.3, help="seconds between an edit being served and the next")
    ap.add_argument("--timeout", type=float, default=30, help="seconds to wait for one edit")
    ap.add_argument("--interval", type=float, default=0.001, help="seconds between two requests of the page")
    ap.add_argument("--tools", default="envbook,hugo,mdbook", help="which of envbook, hugo, mdbook to run")
    ap.add_argument("--envbook", help="the envbook binary to time (default: this repository's, built in release)")
    ap.add_argument("--keep-alive", action="store_true",
                    help="poll over one kept-alive connection instead of a new connection per request")
    ap.add_argument("--start-timeout", type=float, default=120, help="seconds to wait for the first build")
    args = ap.parse_args()
    kinds = [k for k in ("body", "title") if k in args.kinds.split(",")]
    envbook = args.envbook
    if envbook is None:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        envbook = os.path.join(ROOT, "target", "release", "envbook")
    os.makedirs(WORK, exist_ok=True)
    manifest = json.load(open(os.path.join(corpus(args.pages, "envbook"), "corpus-manifest.json")))
    page = manifest["page_list"][len(manifest["page_list"]) // 2]["path"]
    print(f"Edited page: {page}\n", flush=True)
    print("| pages | tool | edit | median edit→served | p90 | vs envbook |")
    print("|---:|---|---|---:|---:|---:|", flush=True)
    base = {}
    notes = []
    for name, flavor, command, url in tools(args.pages, page, envbook):
        if flavor not in args.tools.split(","):
            continue
        d = corpus(args.pages, flavor)
        edits = args.mdbook_edits if name == "mdBook" and args.mdbook_edits else args.edits
        port = None if name == "envbook" else free_port()
        timed = kinds if name == "envbook" else [k for k in kinds if k == "body"]
        results = measure(name, command(d, port), port, d, page, url, timed, edits, args)
        for kind, (latencies, output) in results.items():
            done = [t for t in latencies if t is not None]
            label = name if edits == args.edits else f"{name} ({edits} edits)"
            missed = len(latencies) - len(done)
            if missed:
                label += f", {missed} timed out"
            if not done:
                print(f"| {args.pages:,} | {label} | {kind} | — | — | — |", flush=True)
                continue
            median = statistics.median(done)
            if name == "envbook":
                base[kind] = median
            ratio = f"{median / base[kind]:.1f}×" if kind in base else "—"
            print(f"| {args.pages:,} | {label} | {kind} | {ms(median)} | {ms(p90(done))} | {ratio} |",
                  flush=True)
            note = reported(name, output)
            if note:
                notes.append(f"{kind} edits: {note}")
    for note in notes:
        print(f"\n{note}.")


if __name__ == "__main__":
    main()
