"""Load generation: oha for every request it can express, a Python driver for the rest.

Both produce the same summary: 2xx responses per second, p50/p95/p99 in ms, and errors
(non-2xx responses plus transport errors). Both finish the requests under way when the
duration ends (oha -w); should oha still cut one off ("aborted due to deadline"), that is not
an error of the app and is not counted.
"""

import json
import math
import subprocess
import threading
import time

from client import Client

DEADLINE = "aborted due to deadline"


def summary(ok, seconds, latencies_s, statuses, errors):
    """The common result shape; latencies in seconds, sorted or not."""
    lat = sorted(latencies_s)

    def pct(p):
        if not lat:
            return None
        return round(lat[min(len(lat) - 1, math.ceil(p / 100 * len(lat)) - 1)] * 1000, 3)

    bad = sum(n for code, n in statuses.items() if not str(code).startswith("2"))
    return {
        "rps": round(ok / seconds, 1) if seconds else 0.0,
        "ok": ok,
        "seconds": round(seconds, 3),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "errors": bad + sum(errors.values()),
        "status_codes": {str(k): v for k, v in sorted(statuses.items())},
        "transport_errors": errors,
    }


def oha(target, seconds, connections, rate=None, method="GET", headers=(), body_file=None,
        body_lines_file=None, urls_file=False, content_type=None):
    """One oha run. `target` is a URL, or with urls_file a file of URLs (oha picks one at random
    per request); body_lines_file sends one random line of the file per request (-Z)."""
    # -w: requests under way at the end are finished and counted, not cut off, so every
    # request the server handled is in the figures (and a sync case can match its count
    # against the versions stored).
    cmd = ["oha", "--no-tui", "--output-format", "json", "-z", f"{seconds}s", "-w",
           "-c", str(connections), "-m", method]
    if rate:
        # Latency from when each request was due, not from when oha got to send it, so that a
        # stall counts in full (no coordinated omission).
        cmd += ["-q", f"{rate:.1f}", "--latency-correction"]
    for h in headers:
        cmd += ["-H", h]
    if content_type:
        cmd += ["-T", content_type]
    if body_file:
        cmd += ["-D", str(body_file)]
    if body_lines_file:
        cmd += ["-Z", str(body_lines_file)]
    if urls_file:
        cmd += ["--urls-from-file"]
    cmd.append(str(target))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    d = json.loads(out)
    statuses = {int(k): v for k, v in d.get("statusCodeDistribution", {}).items()}
    errors = {k: v for k, v in d.get("errorDistribution", {}).items() if k != DEADLINE}
    ok = sum(n for code, n in statuses.items() if 200 <= code < 300)
    s = d["summary"]
    result = summary(ok, s.get("total") or seconds, [], statuses, errors)
    # oha's own percentiles (it keeps every latency); its JSON gives seconds.
    p = d.get("latencyPercentiles", {})
    for name in ("p50", "p95", "p99"):
        v = p.get(name)
        result[f"{name}_ms"] = round(v * 1000, 3) if v is not None else None
    return result


def drive(base_url, make_step, seconds, workers, rate=None):
    """Runs `workers` threads, each calling its step (make_step(worker_index) -> step(client),
    returning an HTTP status or raising) in a loop for `seconds`. With `rate`, steps are due at
    fixed times shared by all workers (rate per second in total), and latency counts from when
    a step was due, as oha's --latency-correction does."""
    api = Client(base_url, timeout=30)
    lock = threading.Lock()
    latencies, statuses, errors = [], {}, {}
    slot = [0]
    start = time.monotonic() + 0.05
    end = start + seconds

    def worker(i):
        step = make_step(i)
        mine, my_status, my_err = [], {}, {}
        while True:
            if rate:
                with lock:
                    due = start + slot[0] / rate
                    slot[0] += 1
                if due >= end:
                    break
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
            else:
                due = time.monotonic()
                if due >= end:
                    break
            try:
                status = step(api)
                my_status[status] = my_status.get(status, 0) + 1
                mine.append(time.monotonic() - due)
            except Exception as e:  # noqa: BLE001 — a transport error of this request, counted
                name = type(e).__name__
                my_err[name] = my_err.get(name, 0) + 1
                api.close()
        with lock:
            latencies.extend(mine)
            for d, mine_d in ((statuses, my_status), (errors, my_err)):
                for k, v in mine_d.items():
                    d[k] = d.get(k, 0) + v
        api.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Unlike oha, steps under way at the end are finished, so they count over the real time.
    elapsed = time.monotonic() - start
    ok = sum(n for code, n in statuses.items() if 200 <= code < 300)
    return summary(ok, elapsed, latencies, statuses, errors)


def measure(run, seconds, connections, warmup=0):
    """Peak: as fast as `connections` can go for `seconds`. Then the latency at half of that
    peak, at a fixed rate, which is what a server sees when it is busy but not saturated."""
    warm = run(warmup, connections, None) if warmup else None
    peak = run(seconds, connections, None)
    half = None
    if peak["rps"] > 0:
        half = run(seconds, connections, peak["rps"] / 2)
        half["rate"] = round(peak["rps"] / 2, 1)
    return {"warmup": warm, "peak": peak, "half": half}
