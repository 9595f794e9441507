#!/usr/bin/env python3
"""What reading values `from` configuration files costs a build (issue 12).

Two sites, each built both ways, the builds taking turns:

- the example site (this repository's book.toml, content/, data/, and the
  deployment files under examples/deploy/ its data reads), against the same
  site with every value read from a file written inline instead (made from
  the environments.json a build writes: the same cells);
- a generated site with many settings (--sections × --settings, each read
  from a Helm values file per environment) and a page per section showing
  its matrix, against the same data written inline.

Each build is `envbook build --no-cache --quiet` (the data is read on every
build; the cache would hide the pages' rendering), timed as wall and CPU
time (user + system, the steadier figure on a shared machine); medians.

    bench/sources.py [--runs 30] [--sections 40] [--settings 25] [--envs 4]
"""

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "envbook")


def build(site):
    """Wall and CPU seconds of one build of `site`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([BIN, "build", "--no-cache", "--quiet", site], check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def example_sites(tmp):
    """The example site as it is, and with its file values written inline."""
    files = os.path.join(tmp, "example-files")
    for part in ["content", "data", "examples", "theme"]:
        if os.path.exists(os.path.join(ROOT, part)):
            shutil.copytree(os.path.join(ROOT, part), os.path.join(files, part))
    shutil.copy(os.path.join(ROOT, "book.toml"), files)
    build(files)
    with open(os.path.join(files, "site", "environments.json")) as f:
        settings = {s["key"]: s for s in json.load(f)["settings"]}
    inline = os.path.join(tmp, "example-inline")
    shutil.copytree(files, inline, ignore=shutil.ignore_patterns("site", "examples"))
    path = os.path.join(inline, "data", "environments.yaml")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(inline_data(text, settings))
    return files, inline


def inline_data(text, settings):
    """The data file with each `from:` replaced by the values it read."""
    out, section, setting = [], None, None
    blocks = re.split(r"(?m)^(?=      - id: |  - id: |environments:|sections:)", text)
    for block in blocks:
        m = re.match(r"  - id: (\S+)", block)
        if m:
            section = m.group(1)
        m = re.match(r"      - id: (\S+)", block)
        if not m or "\n        from:" not in block:
            out.append(block)
            continue
        setting = settings[f"{section}.{m.group(1)}"]
        lines = [
            f"          {env}: {json.dumps(setting['values'][env])}\n"
            for env in setting.get("sources", {})
        ]
        block = re.sub(r"(?m)^        from: .*\n", "", block)
        if "\n        values:\n" in block:
            block = block.replace("\n        values:\n", "\n        values:\n" + "".join(lines), 1)
        else:
            block = block.rstrip("\n") + "\n        values:\n" + "".join(lines) + "\n"
        out.append(block)
    return "".join(out)


def generated_sites(tmp, sections, settings, envs):
    """Many settings, each read from a Helm values file per environment, and
    the same written inline."""
    env_ids = [f"env{e}" for e in range(envs)]
    sites = {}
    for kind in ["files", "inline"]:
        site = os.path.join(tmp, f"generated-{kind}")
        os.makedirs(os.path.join(site, "content"))
        os.makedirs(os.path.join(site, "data"))
        os.makedirs(os.path.join(site, "deploy"))
        with open(os.path.join(site, "book.toml"), "w") as f:
            f.write('[book]\ntitle = "Generated"\n')
        data = ["environments:\n"]
        for env in env_ids:
            data.append(f"  - id: {env}\n")
            if kind == "files":
                data.append(f"    sources: {{ helm: deploy/values-{env}.yaml }}\n")
        data.append("sections:\n")
        for s in range(sections):
            data.append(f"  - id: s{s}\n    title: Section {s}\n    settings:\n")
            for k in range(settings):
                data.append(f"      - id: k{k}\n        label: Setting {k}\n")
                if kind == "files":
                    data.append(f"        from: {{ source: helm, path: s{s}.k{k}.value }}\n")
                else:
                    values = ", ".join(f"{env}: {value(s, k, env)}" for env in env_ids)
                    data.append(f"        values: {{ {values} }}\n")
            with open(os.path.join(site, "content", f"s{s}.md"), "w") as f:
                f.write(f"# Section {s}\n\n{{{{ matrix(section=\"s{s}\", all=true) }}}}\n")
        with open(os.path.join(site, "data", "environments.yaml"), "w") as f:
            f.write("".join(data))
        if kind == "files":
            for env in env_ids:
                with open(os.path.join(site, "deploy", f"values-{env}.yaml"), "w") as f:
                    for s in range(sections):
                        f.write(f"s{s}:\n")
                        for k in range(settings):
                            f.write(f"  k{k}:\n    value: {value(s, k, env)}\n    comment: unused\n")
        sites[kind] = site
    return sites["files"], sites["inline"]


def value(s, k, env):
    return f"v{s}-{k}-{env if k % 3 else 'same'}"


def compare(name, files, inline, runs):
    """Builds both sites `runs` times, taking turns; prints medians."""
    for site in (files, inline):
        build(site)
    times = {"files": [], "inline": []}
    for _ in range(runs):
        times["files"].append(build(files))
        times["inline"].append(build(inline))
    med = {k: [statistics.median(t[i] for t in v) for i in (0, 1)] for k, v in times.items()}
    (fw, fc), (iw, ic) = med["files"], med["inline"]
    print(
        f"| {name} | {iw * 1000:.1f} ms / {ic * 1000:.1f} ms | {fw * 1000:.1f} ms / {fc * 1000:.1f} ms "
        f"| {100 * (fw / iw - 1):+.1f} % / {100 * (fc / ic - 1):+.1f} % |"
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--sections", type=int, default=40)
    p.add_argument("--settings", type=int, default=25)
    p.add_argument("--envs", type=int, default=4)
    args = p.parse_args()
    if not os.path.exists(BIN):
        sys.exit(f"build the release binary first: cargo build --release ({BIN})")
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as tmp:
        print("| site | inline (wall / CPU) | from files (wall / CPU) | added |")
        print("|---|---:|---:|---:|")
        compare("example site", *example_sites(tmp), args.runs)
        cells = args.sections * args.settings * args.envs
        name = f"{args.sections}×{args.settings} settings × {args.envs} envs ({cells} cells)"
        compare(name, *generated_sites(tmp, args.sections, args.settings, args.envs), args.runs)


if __name__ == "__main__":
    main()
