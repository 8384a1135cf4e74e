"""What is measured, and how: one Case per row of the table.

oha measures every request that is the same each time (URLs may rotate: `--urls-from-file`
picks one of the file's URLs at random per request; bodies may rotate: `-Z` picks one line of
a file at random per request). Launch + release needs the token the launch returns, which oha
cannot carry over, so a Python driver runs it (see load.drive).
"""

import itertools
import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import load
import payloads
from client import Client, bearer
from seed import HEARTBEAT_CLIENT

# Distinct bodies per changing-push case. oha picks a line at random, so a push repeats the
# profile's current session (and is answered "skipped") with probability about 1/lines.
LINES_16K = 256
LINES_256K = 128


@dataclass
class Case:
    id: str
    title: str
    method: str
    run: object  # (seconds, connections, rate) -> load.summary
    needs: str = None  # a route group the seed may have found missing ("sync", "captures")
    counter: object = None  # () -> a number that grows by one per stored session version


def write_lines(path, bodies):
    with open(path, "wb") as f:
        for body in bodies:
            f.write(body + b"\n")
    return path


def urls(path, base_url, paths):
    Path(path).write_text("".join(f"{base_url}{p}\n" for p in paths))
    return path


def oha_case(target, **kw):
    return lambda seconds, connections, rate: load.oha(target, seconds, connections, rate, **kw)


def launch_release_step(key, profile_ids, i):
    """Worker i launches its own profile and releases it with the token the launch returned;
    a step is the pair. Every launch is a new holder (the release before freed the lock), so
    each acquires with a new fencing token, as a desktop client opening a profile does."""
    pid = profile_ids[i % len(profile_ids)]
    headers = {**bearer(key), "X-Client-ID": f"bench-launch-{i}"}

    def step(api):
        status, _, body = api.raw("POST", f"/api/profiles/{pid}/launch", b"", headers)
        if status != 200:
            return status
        token = json.loads(body)["lock"]["token"]
        release = {**headers, "X-Lock-Token": str(token)}
        status, _, _ = api.raw("POST", f"/api/profiles/{pid}/release", b"", release)
        return status

    return step


def version_counter(base_url, s):
    """The newest session version number of the app, read by pushing new data to the probe
    profile. Version numbers come from one AUTOINCREMENT sequence over all profiles, so the
    difference between two reads around a case, minus one, is the number of its pushes that
    stored a new version (the others were answered `skipped`)."""
    api = Client(base_url)
    headers = {**bearer(s.desktop_key), "content-type": "application/json"}
    variants = itertools.count()

    def read():
        body = payloads.session(1024, f"probe-{next(variants)}")
        return api.request("POST", f"/api/sync/{s.probe_id}", headers=headers, body=body)["version"]

    return read


def health_step(i):
    return lambda api: api.raw("GET", "/health")[0]


def build(base_url, s, files):
    files = Path(files)
    desktop = f"authorization: Bearer {s.desktop_key}"
    sync_headers = [desktop]
    json_type = "application/json"

    def drive(make_step):
        return lambda seconds, connections, rate: load.drive(
            base_url, make_step, seconds, connections, rate)

    versions = version_counter(base_url, s)
    cases = [
        Case("health", "`GET /health`", "oha", oha_case(f"{base_url}/health")),
        Case("profile_get", "`GET /api/profiles/:id`",
             f"oha, random one of {len(s.profile_ids):,} profiles per request",
             oha_case(urls(files / "profiles.urls", base_url,
                           [f"/api/profiles/{p}" for p in s.profile_ids]),
                      urls_file=True, headers=[desktop])),
        Case("heartbeat", "`POST /api/profiles/:id/heartbeat`",
             f"oha, random one of {len(s.heartbeat_ids)} launched profiles per request",
             oha_case(urls(files / "heartbeat.urls", base_url,
                           [f"/api/profiles/{p}/heartbeat" for p in s.heartbeat_ids]),
                      urls_file=True, method="POST",
                      headers=[desktop, f"X-Client-ID: {HEARTBEAT_CLIENT}",
                               f"X-Lock-Token: {s.heartbeat_token}"])),
        Case("launch_release", "launch + release (one pair)",
             "Python driver, one profile per connection; a pair is one request",
             drive(partial(launch_release_step, s.desktop_key, s.launch_ids))),
        Case("sync_16k", "sync push, 16 KiB, changed",
             f"oha -Z, random one of {LINES_16K} bodies and of {len(s.changing_16k_ids)} profiles",
             oha_case(urls(files / "sync16.urls", base_url,
                           [f"/api/sync/{p}" for p in s.changing_16k_ids]),
                      urls_file=True, method="POST", headers=sync_headers, content_type=json_type,
                      body_lines_file=files / "sync16.lines"),
             needs="sync", counter=versions),
        Case("sync_256k", "sync push, 256 KiB, changed",
             f"oha -Z, random one of {LINES_256K} bodies and of {len(s.changing_256k_ids)} profiles",
             oha_case(urls(files / "sync256.urls", base_url,
                           [f"/api/sync/{p}" for p in s.changing_256k_ids]),
                      urls_file=True, method="POST", headers=sync_headers, content_type=json_type,
                      body_lines_file=files / "sync256.lines"),
             needs="sync", counter=versions),
        Case("sync_unchanged", "sync push, 16 KiB, unchanged",
             f"oha -D, the stored session again, {len(s.unchanged_ids)} profiles",
             oha_case(urls(files / "unchanged.urls", base_url,
                           [f"/api/sync/{p}" for p in s.unchanged_ids]),
                      urls_file=True, method="POST", headers=sync_headers, content_type=json_type,
                      body_file=files / "unchanged.json"),
             needs="sync", counter=versions),
        Case("capture_image", "`GET /api/v1/captures/:id/image`",
             f"oha, random one of {len(s.capture_ids)} PNGs of {len(payloads.png()) // 1024} KiB",
             oha_case(urls(files / "captures.urls", base_url,
                           [f"/api/v1/captures/{c}/image" for c in s.capture_ids]),
                      urls_file=True, headers=[f"X-Api-Key: {s.extension_key}"]),
             needs="captures"),
        Case("health_driver", "`GET /health` (Python driver)",
             "calibration: the driver's own ceiling, to compare with the oha row",
             drive(health_step)),
    ]
    if "sync" not in s.unavailable:
        write_lines(files / "sync16.lines",
                    (payloads.session(16 * 1024, v) for v in range(1, LINES_16K + 1)))
        write_lines(files / "sync256.lines",
                    (payloads.session(256 * 1024, v) for v in range(1, LINES_256K + 1)))
        (files / "unchanged.json").write_bytes(payloads.session(16 * 1024, 0))
    return cases
