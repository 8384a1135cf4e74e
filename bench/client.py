"""A small JSON client over http.client: one keep-alive connection per thread.

Seeding and the Python load driver share it. Keep-alive matters: a new TCP connection per
request would make seeding 10,000 profiles measure connection set-up instead of the app.
"""

import http.client
import json
import threading
import urllib.parse


class HttpError(Exception):
    def __init__(self, method, path, status, body):
        self.status = status
        self.body = body
        try:
            self.code = json.loads(body).get("code")
        except (ValueError, AttributeError):
            self.code = None
        super().__init__(f"{method} {path} -> {status}: {body[:300]!r}")


class Client:
    """Requests against one base URL; each thread gets its own connection."""

    def __init__(self, base_url, timeout=60):
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme != "http":
            raise ValueError(f"only http:// base URLs are supported, not {base_url}")
        self.base_url = base_url.rstrip("/")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.timeout = timeout
        self.local = threading.local()

    def connection(self):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.local.conn = conn
        return conn

    def raw(self, method, path, body=None, headers=None):
        """(status, headers, body bytes); reconnects once if the server closed the connection."""
        headers = dict(headers or {})
        for attempt in (0, 1):
            conn = self.connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                if resp.getheader("connection", "").lower() == "close":
                    self.close()
                return resp.status, resp.headers, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def request(self, method, path, json_body=None, headers=None, body=None, expect=(200, 201)):
        """The decoded JSON answer; HttpError unless the status is one of `expect`."""
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode()
            headers["content-type"] = "application/json"
        status, _, data = self.raw(method, path, body, headers)
        if status not in expect:
            raise HttpError(method, path, status, data.decode("utf-8", "replace"))
        return json.loads(data) if data else None

    def close(self):
        conn = getattr(self.local, "conn", None)
        if conn is not None:
            conn.close()
            self.local.conn = None


def bearer(key):
    return {"authorization": f"Bearer {key}"}
