"""Seeds the app over HTTP only, so the same seeding works on the runner and on real Spin:
one user (and their personal team), a desktop key (bcd_) and an extension key (bgx_),
N profiles, launched profiles for heartbeats, profiles with a synced session, and captures.
"""

import collections
import concurrent.futures
import os
import time
from dataclasses import dataclass, field

import payloads
from client import Client, HttpError, bearer

PASSWORD = "bench password 123456"
# Profiles per role; the rest of the N profiles are only read.
HEARTBEAT_PROFILES = 256
SYNC_PROFILES = 64
CAPTURES = 16
HEARTBEAT_CLIENT = "bench-heartbeat"


@dataclass
class Seed:
    token: str = ""
    desktop_key: str = ""
    extension_key: str = ""
    profile_ids: list = field(default_factory=list)
    # Launched by HEARTBEAT_CLIENT, all holding the same lock token (see seed_heartbeats).
    heartbeat_ids: list = field(default_factory=list)
    heartbeat_token: int = 0
    # Pushed to around each sync case, to count the versions the case stored (cases.py).
    probe_id: str = ""
    # One per load worker, each with a 16 KiB session (launch returns it).
    launch_ids: list = field(default_factory=list)
    # Holding the 16 KiB session of variant 0, which the "unchanged" case pushes again.
    unchanged_ids: list = field(default_factory=list)
    changing_16k_ids: list = field(default_factory=list)
    changing_256k_ids: list = field(default_factory=list)
    capture_ids: list = field(default_factory=list)
    # Route -> why it is not measured (a 404 from an app that does not serve it yet).
    unavailable: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)


def minimum_profiles(workers):
    """The profiles the groups below take; the rest are only read."""
    return HEARTBEAT_PROFILES + workers + 3 * SYNC_PROFILES + 1


def parallel(fn, items, threads):
    """fn over items on `threads` threads (each with its own keep-alive connection), in order."""
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        return list(pool.map(fn, items))


def route_missing(e):
    """A 404/405 that says the route is not served, rather than that a row is not there."""
    return e.status in (404, 405) and e.code in (None, "route_not_found", "method_not_allowed")


def seed(base_url, profiles, workers, threads=16, log=print):
    api = Client(base_url)
    s = Seed()
    started = time.monotonic()
    email = f"bench-{os.getpid()}-{int(time.time())}@example.com"
    api.request("POST", "/auth/register", {"email": email, "password": PASSWORD, "name": "Bench"})
    s.token = api.request("POST", "/auth/login", {"email": email, "password": PASSWORD})["token"]
    for kind in ("desktop", "extension"):
        key = api.request(
            "POST", "/api/keys", {"name": f"bench {kind}", "kind": kind}, bearer(s.token)
        )["key"]
        setattr(s, f"{kind}_key", key)
    auth = bearer(s.desktop_key)
    template = api.request("GET", "/api/templates", headers=auth)["templates"][0]["id"]

    t = time.monotonic()

    def create(i):
        body = {"name": f"bench profile {i:05d}", "templateId": template, "tags": [f"t{i % 10}"]}
        return api.request("POST", "/api/profiles", body, auth)["id"]

    s.profile_ids = parallel(create, range(profiles), threads)
    s.seconds["profiles"] = time.monotonic() - t
    log(f"    {profiles} profiles in {s.seconds['profiles']:.1f} s")

    # Disjoint groups of profiles, so that no case disturbs another (a launched profile would
    # refuse pushes without its lock token, a changed session would no longer be "unchanged").
    pool = iter(s.profile_ids)

    def take(n):
        return [next(pool) for _ in range(n)]

    hb_candidates = take(HEARTBEAT_PROFILES)
    s.launch_ids = take(workers)
    s.unchanged_ids = take(SYNC_PROFILES)
    s.changing_16k_ids = take(SYNC_PROFILES)
    s.changing_256k_ids = take(SYNC_PROFILES)
    s.probe_id = take(1)[0]

    seed_heartbeats(api, s, hb_candidates, threads)
    seed_sessions(api, s, threads, log)
    seed_captures(api, s, threads, log)
    s.seconds["total"] = time.monotonic() - started
    return s


def seed_heartbeats(api, s, ids, threads):
    """Launches the heartbeat profiles from one client. A profile's first launch gets fencing
    token 1, so one X-Lock-Token header serves them all and oha can rotate over the profiles;
    only the profiles whose token is the most common one are kept, in case that ever changes."""
    headers = {**bearer(s.desktop_key), "X-Client-ID": HEARTBEAT_CLIENT}
    launch = lambda pid: api.request("POST", f"/api/profiles/{pid}/launch", headers=headers)  # noqa: E731
    tokens = {pid: r["lock"]["token"] for pid, r in zip(ids, parallel(launch, ids, threads))}
    s.heartbeat_token = collections.Counter(tokens.values()).most_common(1)[0][0]
    s.heartbeat_ids = [pid for pid, tok in tokens.items() if tok == s.heartbeat_token]


def seed_sessions(api, s, threads, log):
    """The 16 KiB session (variant 0) on the "unchanged" and the launch profiles; the first push
    also tells whether the app serves sync at all."""
    headers = {**bearer(s.desktop_key), "content-type": "application/json"}
    body = payloads.session(16 * 1024, 0)

    def push(pid):
        return api.request("POST", f"/api/sync/{pid}", headers=headers, body=body)

    ids = s.unchanged_ids + s.launch_ids
    try:
        push(ids[0])
    except HttpError as e:
        if not route_missing(e):
            raise
        s.unavailable["sync"] = f"POST /api/sync/:profileId answers {e.status} {e.code}"
        log(f"    sync: not available ({s.unavailable['sync']})")
        return
    parallel(push, ids[1:], threads)


def seed_captures(api, s, threads, log):
    headers = {"X-Api-Key": s.extension_key, "content-type": "image/png"}

    def upload(i):
        path = f"/api/v1/captures/upload?url=https%3A%2F%2Fexample.com%2Fpage{i}&title=bench"
        r = api.request("POST", path, headers=headers, body=payloads.png(seed=i))
        return r["data"]["capture"]["id"]

    try:
        s.capture_ids = parallel(upload, range(CAPTURES), threads)
    except HttpError as e:
        if not route_missing(e):
            raise
        s.unavailable["captures"] = f"POST /api/v1/captures/upload answers {e.status} {e.code}"
        log(f"    captures: not available ({s.unavailable['captures']})")
