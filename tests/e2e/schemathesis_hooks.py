"""Schemathesis hooks for tests/e2e/tests/schemathesis.rs.

A header value that is not UTF-8 never reaches a component: Spin 4.0.2 fails such a request in
its HTTP trigger (crates/trigger-http/src/headers.rs, answered 500) and the runner does the same,
so no code of ours could answer it. Schemathesis sends header strings as Latin-1, so any
non-ASCII header value would be such a request: those headers are replaced by an ASCII value.
Everything else (paths, queries, bodies) is generated as schemathesis likes.
"""

import schemathesis


@schemathesis.hook
def map_headers(ctx, headers):
    if not headers:
        return headers
    return {
        name: value if value.isascii() else value.encode("ascii", "backslashreplace").decode()
        for name, value in headers.items()
    }
