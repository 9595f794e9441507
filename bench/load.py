#!/usr/bin/env python3
"""Load on the preview server: wrk against `envbook serve` (and `hugo server`,
`mdbook serve` when installed) on the standard corpus.

Usage: bench/load.py [--pages 1000] [--duration 30] [--threads 2] [--connections 64]

Starts each tool's preview server on its flavour of the corpus (generated as
bench/build.py does) and runs `wrk -tT -cC -dDs --latency` with keep-alive
connections, each request a page of the corpus in turn (100 pages, the same in
every flavour, each asked for once before the run). Then asks for a page on a new connection, which must be
answered: a server that stops accepting after load fails the run. Prints a
markdown table: requests/s, p50 and p99 latency, errors (socket errors and
non-2xx/3xx answers) and the ratio of requests/s to envbook's.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from build import ROOT, WORK, corpus  # noqa: E402  (bench/ is on sys.path: this script's folder)
from serve import Server, free_port, tools  # noqa: E402


def wait_for_port(server, port, timeout):
    """The server's port, once it answers (envbook prints the one it picked)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if port is None:
            for line in server.lines:
                m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
                if m:
                    port = int(m.group(1))
        if port is not None and answered(port, "/"):
            return port
        if server.proc.poll() is not None:
            sys.exit("the server exited:\n" + "\n".join(server.lines))
        time.sleep(0.1)
    sys.exit("the server did not start:\n" + "\n".join(server.lines))


def answered(port, path):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status < 500
    except OSError:
        return False


def script(paths):
    """A wrk script that asks for `paths` in turn."""
    f = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    f.write("local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n")
    f.write("local i = 0\nrequest = function()\n  i = (i % #paths) + 1\n"
            "  return wrk.format(\"GET\", paths[i])\nend\n")
    f.close()
    return f.name


def parse(out):
    number = lambda pattern: float(re.search(pattern, out).group(1)) if re.search(pattern, out) else 0
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    errors += int(number(r"Non-2xx or 3xx responses: (\d+)"))
    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "p50": latency(out, "50%"),
        "p99": latency(out, "99%"),
        "requests": int(number(r"(\d+) requests in")),
        "errors": errors,
    }


def latency(out, pct):
    m = re.search(rf"{pct}\s+([\d.]+)(us|ms|s)\b", out)
    if not m:
        return None
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]


def servers(pages, page):
    """The servers of bench/serve.py, and Hugo once more without its fast render
    mode, which renders every page again when it is asked for (~35 ms each here)."""
    for name, flavor, command, _ in tools(pages, page):
        yield name, flavor, command
        if name == "Hugo":
            yield ("Hugo --disableFastRender", flavor,
                   lambda d, p, c=command: c(d, p) + ["--disableFastRender"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--duration", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--tools", default="envbook,hugo,mdbook")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(WORK, exist_ok=True)
    manifest = json.load(open(os.path.join(corpus(args.pages, "envbook"), "corpus-manifest.json")))
    pages = [p["path"][len("content/"):-len(".md")] for p in manifest["page_list"][:100]]
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency, "
          f"{len(pages)} pages of the {args.pages:,}-page corpus in turn\n")
    print("| tool | requests/s | p50 | p99 | requests | errors | answers afterwards | vs envbook |")
    print("|---|---:|---:|---:|---:|---:|---|---:|", flush=True)
    base = None
    for name, flavor, command in servers(args.pages, manifest["page_list"][0]["path"]):
        if flavor not in args.tools.split(","):
            continue
        port = None if name == "envbook" else free_port()
        server = Server(command(corpus(args.pages, flavor), port))
        try:
            port = wait_for_port(server, port, 300)
            suffix = ".html" if name == "mdBook" else "/"
            paths = [f"/{p}{suffix}" for p in pages]
            # Every page once first: Hugo's fast render mode renders a page on its first visit.
            missing = [p for p in paths if not answered(port, p)]
            if missing:
                sys.exit(f"{name} does not serve {missing[0]}")
            lua = script(paths)
            out = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}",
                                  f"-d{args.duration}s", "--latency", "-s", lua,
                                  f"http://127.0.0.1:{port}/"],
                                 capture_output=True, text=True, check=True).stdout
            os.unlink(lua)
            r = parse(out)
            after = "yes" if answered(port, f"/{pages[0]}{suffix}") else "**no**"
        finally:
            server.stop()
        if name == "envbook":
            base = r["rps"]
        ratio = f"{r['rps'] / base:.2f}×" if base else "—"
        p50 = f"{r['p50']:.2f} ms" if r["p50"] is not None else "—"
        p99 = f"{r['p99']:.2f} ms" if r["p99"] is not None else "—"
        print(f"| {name} | {r['rps']:,.0f} | {p50} | {p99} | {r['requests']:,} | {r['errors']} "
              f"| {after} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
