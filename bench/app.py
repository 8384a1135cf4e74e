"""The app under test on the runner: start with a fresh state directory, stop, cold start,
peak RSS; and the description of the machine the figures come from."""

import ctypes
import datetime
import fnmatch
import http.client
import os
import platform
import signal
import subprocess
import tempfile
import time
import tomllib
from pathlib import Path

# Limits raised so that the load measures the app, not its 429s (rate limits per key, user and
# plan) or 409s (per-team and per-plan counts), matched against the variables spin.toml
# declares: a limit added later is raised too, and the runner, like Spin, refuses a --variable
# the manifest does not declare.
RAISED = {
    "rate_limit_*": "1000000000",
    "*_requests_per_minute": "1000000000",
    "max_*_per_team": "1000000",
    "billing_*_max_*": "1000000",
}


def raised_variables(manifest):
    declared = tomllib.loads(Path(manifest).read_text()).get("variables", {})
    return {name: value for name in declared for pattern, value in RAISED.items()
            if fnmatch.fnmatchcase(name, pattern)}


def _die_with_parent():
    # PR_SET_PDEATHSIG: the runner gets SIGKILL if this driver dies in any way, even by
    # SIGKILL, so that no benchmark ever leaves a server behind.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


class Runner:
    """One `runner up` process with its own state directory (and, optionally, cache)."""

    def __init__(self, binary, root, work, cache_dir=None):
        self.binary, self.root = binary, Path(root)
        self.work = Path(tempfile.mkdtemp(prefix="run-", dir=work))
        self.cache_dir = cache_dir
        self.proc = None
        self.base_url = None
        self.started_at = None

    def command(self):
        cmd = [self.binary, "up", "-f", str(self.root / "spin.toml"), "--listen", "127.0.0.1:0",
               "--state-dir", str(self.work / "state")]
        for migration in sorted((self.root / "migrations").glob("[0-9]*.sql")):
            cmd += ["--sqlite", f"@{migration}"]
        secret = os.urandom(24).hex()
        variables = raised_variables(self.root / "spin.toml")
        for name, value in {"jwt_secret": f"bench-{secret}", **variables}.items():
            cmd += ["--variable", f"{name}={value}"]
        return cmd

    def start(self, timeout=300):
        env = dict(os.environ)
        if self.cache_dir is not None:
            env["RUNNER_CACHE_DIR"] = str(self.cache_dir)
        self.out = self.work / "stdout"
        self.err = self.work / "stderr"
        self.started_at = time.monotonic()
        # stdout to a file, not a pipe: nothing reads a pipe after the banner, and a component
        # printing to stdout would block once the pipe is full.
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.proc = subprocess.Popen(self.command(), stdout=out, stderr=err,
                                         cwd=self.root, env=env, preexec_fn=_die_with_parent)
        while time.monotonic() - self.started_at < timeout:
            for line in self.out.read_text(errors="replace").splitlines():
                if line.startswith("Serving http://"):
                    self.base_url = line.split()[1]
                    return self.base_url
            if self.proc.poll() is not None:
                raise RuntimeError(f"runner exited with {self.proc.returncode}:\n{self.stderr_tail()}")
            time.sleep(0.002)
        raise RuntimeError(f"runner did not print Serving within {timeout} s")

    def stderr_tail(self, lines=30):
        return "\n".join(self.err.read_text(errors="replace").splitlines()[-lines:])

    def memory_kib(self):
        """VmHWM (peak resident set) and VmRSS of the runner, in KiB."""
        return proc_memory(self.proc.pid)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def proc_memory(pid):
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            found[key] = int(value.split()[0])
    return found


def first_health(base_url, since, timeout=300):
    """Seconds from `since` until GET /health answers 200 (polling every 2 ms)."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    while time.monotonic() - since < timeout:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return time.monotonic() - since
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.002)
    raise RuntimeError("no 200 from /health")


def cold_start(binary, root, work, repeats=5, log=print):
    """Process start to the first 200 on /health, each time with a fresh state directory (so
    the migrations run, as on a new deployment): once with an empty compile cache, which the
    runner fills, then `repeats` times with that cache (the median is reported)."""
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work))

    def once():
        r = Runner(binary, root, work, cache_dir=cache)
        try:
            r.start()
            serving = time.monotonic() - r.started_at
            return serving, first_health(r.base_url, r.started_at)
        finally:
            r.stop()

    serving, total = once()
    result = {"without_cache_ms": round(total * 1000, 1),
              "without_cache_serving_ms": round(serving * 1000, 1)}
    log(f"    without cache: {total * 1000:.0f} ms")
    runs = [once() for _ in range(repeats)]
    mid = sorted(runs, key=lambda r: r[1])[len(runs) // 2]
    result.update({"with_cache_ms": round(mid[1] * 1000, 1),
                   "with_cache_serving_ms": round(mid[0] * 1000, 1),
                   "with_cache_runs_ms": [round(r[1] * 1000, 1) for r in runs]})
    log(f"    with cache: {result['with_cache_runs_ms']} ms")
    return result


def _run(cmd, cwd=None):
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine(root):
    cpu = None
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    status = _run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "loadavg_before": os.getloadavg()[0],
        "commit": _run(["git", "rev-parse", "--short", "HEAD"], cwd=root),
        # Uncommitted changes to tracked files: the figures are not those of the commit alone.
        "dirty": bool(status),
        "rustc": _run(["rustc", "--version"], cwd=root),
        "oha": _run(["oha", "--version"]),
    }
