#!/usr/bin/env python3
"""The benchmark of issue 8: seed the app over HTTP, measure every case at its peak and at half
of it, cold start and peak RSS; write bench/results/latest.{json,md}. Run it through
scripts/bench, which builds the app and the runner first (see bench/README.md)."""

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import app
import cases as cases_mod
import load
import report
import seed as seed_mod

ROOT = Path(__file__).resolve().parent.parent


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--duration", type=float, default=10, help="seconds per phase (default 10)")
    p.add_argument("-c", "--connections", type=int, default=32, help="default 32")
    p.add_argument("--profiles", type=int, default=10_000, help="profiles to seed (default 10000)")
    p.add_argument("--warmup", type=float, default=1, help="seconds of unrecorded load per case")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 2 s phases, no warm-up")
    p.add_argument("--cases", help="comma-separated case ids to run (default: all)")
    p.add_argument("--base-url", default=os.environ.get("BASE_URL"),
                   help="an app already running on 127.0.0.1 (env BASE_URL); seeded over HTTP")
    p.add_argument("--pid", type=int, default=os.environ.get("BENCH_PID"),
                   help="with --base-url: the server's pid, for its peak RSS (env BENCH_PID)")
    p.add_argument("--runner", help="the runner binary (scripts/bench passes it)")
    p.add_argument("--no-cold-start", action="store_true", help="skip the cold start runs")
    p.add_argument("--out", default=ROOT / "bench" / "results", type=Path)
    p.add_argument("--update-readme", action="store_true",
                   help="replace the figures table in README.md (not with --quick)")
    a = p.parse_args()
    if a.quick:
        a.duration, a.warmup = min(a.duration, 2), 0
    if a.update_readme and a.quick:
        p.error("a --quick run's figures do not go into the README")
    if a.profiles < seed_mod.minimum_profiles(a.connections):
        p.error(f"--profiles must be at least {seed_mod.minimum_profiles(a.connections)}")
    if not a.base_url and not a.runner:
        p.error("give --runner (scripts/bench does) or --base-url")
    if a.base_url:
        host = urllib.parse.urlsplit(a.base_url).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            p.error(f"load goes to 127.0.0.1 only, not {host}")
    return a


def run_case(case, s, a):
    entry = {"id": case.id, "title": case.title, "method": case.method}
    if case.needs in s.unavailable:
        entry["unavailable"] = s.unavailable[case.needs]
        return entry
    print(f"==> {case.id}: {case.method}")
    try:
        before = case.counter() if case.counter else None
        entry.update(load.measure(case.run, a.duration, a.connections, a.warmup))
        if case.counter:
            phases = (entry["warmup"], entry["peak"], entry["half"])
            entry["stored_versions"] = case.counter() - before - 1
            entry["pushes_2xx"] = sum(ph["ok"] for ph in phases if ph)
            print(f"    {entry['stored_versions']:,} of {entry['pushes_2xx']:,} pushes stored "
                  "a new version")
    except Exception as e:  # noqa: BLE001 — one broken case must not lose the others
        entry["failed"] = f"{type(e).__name__}: {e}"
        print(f"    failed: {entry['failed']}")
        return entry
    peak, half = entry["peak"], entry["half"] or {}
    print(f"    peak {peak['rps']:,.0f}/s ({peak['errors']} errors); at {half.get('rate', 0):,.0f}/s: "
          f"p50 {half.get('p50_ms')} p95 {half.get('p95_ms')} p99 {half.get('p99_ms')} ms "
          f"({half.get('errors')} errors)")
    if any(code == "429" for ph in (peak, half) for code in ph.get("status_codes", {})):
        print("    warning: 429s — the app's rate limits were not raised")
    return entry


def main():
    a = parse_args()
    # SIGTERM/SIGHUP end the run through `finally`, which stops the runner.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))
    work = Path(tempfile.mkdtemp(prefix="browsercloud-bench-"))
    runner = None
    try:
        result = {"machine": app.machine(ROOT),
                  "config": {"duration": a.duration, "connections": a.connections,
                             "profiles": a.profiles, "warmup": a.warmup, "quick": a.quick}}
        if a.base_url:
            base_url = a.base_url.rstrip("/")
            result["target"] = f"{base_url} (already running)"
        else:
            print("==> starting the app on the runner (fresh state directory)")
            runner = app.Runner(a.runner, ROOT, work)
            base_url = runner.start()
            result["target"] = "the runner, `runner up` on 127.0.0.1, fresh state directory"
            result["config"]["raised_variables"] = app.raised_variables(ROOT / "spin.toml")
        print(f"==> seeding {base_url}")
        s = seed_mod.seed(base_url, a.profiles, a.connections)
        result["seed"] = {"profiles": len(s.profile_ids), "seconds": s.seconds,
                          "heartbeat_profiles": len(s.heartbeat_ids), "unavailable": s.unavailable}

        wanted = set(a.cases.split(",")) if a.cases else None
        result["cases"] = [run_case(case, s, a) for case in cases_mod.build(base_url, s, work)
                           if not wanted or case.id in wanted]

        pid = runner.proc.pid if runner else a.pid
        if pid:
            result["memory"] = app.proc_memory(pid)
        if runner:
            runner.stop()
            if not a.no_cold_start:
                print("==> cold start")
                result["cold_start"] = app.cold_start(a.runner, ROOT, work)
        md = report.write(result, a.out)
        print()
        print(md)
        print(f"written: {a.out / 'latest.json'}, {a.out / 'latest.md'}")
        if a.update_readme:
            report.update_readme(ROOT / "README.md", md)
            print("README.md: figures table replaced")
    except Exception:
        if runner and runner.proc:
            print(f"runner stderr (last lines):\n{runner.stderr_tail()}", file=sys.stderr)
        raise
    finally:
        if runner:
            runner.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    start = time.monotonic()
    main()
    print(f"done in {time.monotonic() - start:.0f} s")
