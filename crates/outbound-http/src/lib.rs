//! One outbound HTTP request over Spin's outbound HTTP
//! (`wasi:http/outgoing-handler` through the raw wasi 0.2.0 bindings that
//! spin-sdk 5.2 is built on), bounded in time: the request carries connect,
//! first-byte and between-bytes timeouts, and the whole exchange (the answer
//! and the part of its body that is read) shares one deadline, after which
//! the request is dropped. The URL's host must be in the component's
//! `allowed_outbound_hosts` ([`Failure::Denied`] otherwise).
//!
//! ```text
//! let answer = outbound_http::post(&url, &[("content-type", "application/json".into())],
//!                                  b"{}", 5_000, 64 * 1024)?;
//! if (200..300).contains(&answer.status) { /* answer.body */ }
//! ```
//!
//! Used by `crates/webhooks` (a delivery: only the status matters, so the
//! body is not read), by the billing component (Stripe's API: the JSON
//! answer is read) and by the blobs component (S3: GET, HEAD, PUT, DELETE).

use url::Url;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, IncomingBody, IncomingResponse, Method, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme,
};
use wasi::io::poll::{Pollable, poll};
use wasi::io::streams::StreamError;

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// Header names as the host gives them (lowercase on Spin and the runner).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, up to the limit given to [`post`]; empty when it was not read.
    pub body: Vec<u8>,
}

impl Answer {
    /// The first value of header `name` (any case), when it is UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }
}

/// Why no answer came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The host refused the request: the URL's host is not in the
    /// component's `allowed_outbound_hosts`.
    Denied,
    /// Nothing (or not the whole answer) within the deadline or one of the
    /// request's timeouts; the text says which.
    Timeout(String),
    /// The answer's body is longer than the limit given to [`post`].
    TooLarge { limit: usize },
    /// Anything else: refused connection, DNS, TLS, a reset, a request that
    /// could not be built; the text says what.
    Failed(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Denied => f.write_str(
                "the outbound request was denied: the URL's host is not in the component's allowed_outbound_hosts",
            ),
            Failure::Timeout(why) | Failure::Failed(why) => f.write_str(why),
            Failure::TooLarge { limit } => {
                write!(f, "the answer's body is longer than {limit} bytes")
            }
        }
    }
}

impl std::error::Error for Failure {}

/// How a URL goes into a wasi request: scheme, `host[:port]`, path and query.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    https: bool,
    authority: String,
    path_with_query: String,
}

impl Target {
    fn of(url: &Url) -> Result<Self, Failure> {
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            other => return Err(Failure::Failed(format!("{other}: is not http(s)"))),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Failure::Failed("the URL has no host".into()))?;
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let path_with_query = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        Ok(Self {
            https,
            authority,
            path_with_query,
        })
    }
}

/// Milliseconds as the nanoseconds wasi takes (a negative value is 0).
fn nanos(ms: i64) -> u64 {
    u64::try_from(ms).unwrap_or(0).saturating_mul(1_000_000)
}

/// The request methods callers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Head,
    Put,
    Post,
    Delete,
}

impl Verb {
    fn method(self) -> Method {
        match self {
            Verb::Get => Method::Get,
            Verb::Head => Method::Head,
            Verb::Put => Method::Put,
            Verb::Post => Method::Post,
            Verb::Delete => Method::Delete,
        }
    }
}

/// POSTs `body` to `url`: [`send`] with [`Verb::Post`].
pub fn post(
    url: &Url,
    headers: &[(&str, String)],
    body: &[u8],
    timeout_ms: i64,
    max_body_bytes: usize,
) -> Result<Answer, Failure> {
    send(Verb::Post, url, headers, body, timeout_ms, max_body_bytes)
}

/// Sends `body` to `url` with `headers` (a `content-length` is added, so
/// the body is never streamed chunked: S3 refuses a chunked PutObject),
/// waiting at most `timeout_ms` for the answer and the first
/// `max_body_bytes` of its body (0: the body is not read). Any status is an
/// [`Answer`]; the caller decides what a 4xx or 5xx means.
pub fn send(
    verb: Verb,
    url: &Url,
    headers: &[(&str, String)],
    body: &[u8],
    timeout_ms: i64,
    max_body_bytes: usize,
) -> Result<Answer, Failure> {
    let target = Target::of(url)?;
    let timeout_ns = nanos(timeout_ms);
    let mut entries: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
        .collect();
    entries.push(("content-length".into(), body.len().to_string().into_bytes()));
    let fields = Fields::from_list(&entries)
        .map_err(|e| Failure::Failed(format!("a header was refused: {e:?}")))?;
    let request = OutgoingRequest::new(fields);
    let scheme = if target.https {
        Scheme::Https
    } else {
        Scheme::Http
    };
    let built = request.set_method(&verb.method()).is_ok()
        && request.set_scheme(Some(&scheme)).is_ok()
        && request.set_authority(Some(&target.authority)).is_ok()
        && request
            .set_path_with_query(Some(&target.path_with_query))
            .is_ok();
    if !built {
        return Err(Failure::Failed(
            "the request could not be built from the URL".into(),
        ));
    }
    let outgoing = request
        .body()
        .map_err(|()| Failure::Failed("no request body".into()))?;
    let options = RequestOptions::new();
    // A host that does not support a timeout says so; the deadline below still holds.
    let _ = options.set_connect_timeout(Some(timeout_ns));
    let _ = options.set_first_byte_timeout(Some(timeout_ns));
    let _ = options.set_between_bytes_timeout(Some(timeout_ns));
    // The one deadline of the whole exchange, from now.
    let deadline = wasi::clocks::monotonic_clock::subscribe_duration(timeout_ns);
    let future = outgoing_handler::handle(request, Some(options)).map_err(describe)?;
    {
        let stream = outgoing
            .write()
            .map_err(|()| Failure::Failed("no request body stream".into()))?;
        for chunk in body.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| Failure::Failed(format!("sending the body: {e:?}")))?;
        }
    }
    OutgoingBody::finish(outgoing, None).map_err(describe)?;
    let response = {
        let ready = future.subscribe();
        loop {
            if let Some(answer) = future.get() {
                break match answer {
                    Ok(Ok(response)) => response,
                    Ok(Err(code)) => return Err(describe(code)),
                    Err(()) => return Err(Failure::Failed("the answer was already taken".into())),
                };
            }
            if expired(&ready, &deadline) {
                return Err(Failure::Timeout(format!(
                    "no answer within {timeout_ms} ms"
                )));
            }
        }
    };
    let status = response.status();
    let headers = response.headers().entries();
    let body = if max_body_bytes == 0 || verb == Verb::Head {
        Vec::new()
    } else {
        read_body(&response, &deadline, timeout_ms, max_body_bytes)?
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Waits for `ready` or the deadline; true when only the deadline came.
fn expired(ready: &Pollable, deadline: &Pollable) -> bool {
    let which = poll(&[ready, deadline]);
    which.contains(&1) && !which.contains(&0)
}

/// Reads the answer's body, at most `limit` bytes, before the deadline.
fn read_body(
    response: &IncomingResponse,
    deadline: &Pollable,
    timeout_ms: i64,
    limit: usize,
) -> Result<Vec<u8>, Failure> {
    let incoming: IncomingBody = response
        .consume()
        .map_err(|()| Failure::Failed("the answer's body was already taken".into()))?;
    let mut body = Vec::new();
    {
        let stream = incoming
            .stream()
            .map_err(|()| Failure::Failed("no answer body stream".into()))?;
        let ready = stream.subscribe();
        loop {
            let room = limit
                .saturating_add(1)
                .saturating_sub(body.len())
                .min(64 * 1024);
            match stream.read(room as u64) {
                Ok(chunk) if chunk.is_empty() => {
                    if expired(&ready, deadline) {
                        return Err(Failure::Timeout(format!(
                            "the answer's body did not arrive within {timeout_ms} ms"
                        )));
                    }
                }
                Ok(chunk) => {
                    body.extend_from_slice(&chunk);
                    if body.len() > limit {
                        return Err(Failure::TooLarge { limit });
                    }
                }
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(Failure::Failed(format!(
                        "reading the answer's body: {}",
                        e.to_debug_string()
                    )));
                }
            }
        }
    }
    // The trailers are not wanted; finishing releases the body.
    drop(IncomingBody::finish(incoming));
    Ok(body)
}

fn describe(code: ErrorCode) -> Failure {
    match code {
        ErrorCode::HttpRequestDenied => Failure::Denied,
        ErrorCode::ConnectionRefused => Failure::Failed("the connection was refused".into()),
        ErrorCode::ConnectionTimeout => Failure::Timeout("no connection within the timeout".into()),
        ErrorCode::ConnectionReadTimeout => Failure::Timeout("no answer within the timeout".into()),
        ErrorCode::DnsError(e) => Failure::Failed(format!("DNS error: {:?}", e.rcode)),
        other => Failure::Failed(format!("the request failed: {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Result<Target, Failure> {
        Target::of(&Url::parse(url).expect("url"))
    }

    #[test]
    fn a_url_becomes_scheme_authority_and_path() {
        assert_eq!(
            target("https://api.stripe.com/v1/checkout/sessions"),
            Ok(Target {
                https: true,
                authority: "api.stripe.com".into(),
                path_with_query: "/v1/checkout/sessions".into(),
            })
        );
        assert_eq!(
            target("http://127.0.0.1:8080/hooks/in?src=test"),
            Ok(Target {
                https: false,
                authority: "127.0.0.1:8080".into(),
                path_with_query: "/hooks/in?src=test".into(),
            })
        );
        // The default port is left out, as a browser would.
        assert_eq!(
            target("https://example.com:443/").map(|t| t.authority),
            Ok("example.com".into())
        );
        assert!(matches!(
            target("ftp://example.com/x"),
            Err(Failure::Failed(_))
        ));
    }

    #[test]
    fn timeouts_are_nanoseconds_and_never_negative() {
        assert_eq!(nanos(5_000), 5_000_000_000);
        assert_eq!(nanos(-1), 0);
        assert_eq!(nanos(i64::MAX), u64::MAX);
    }

    #[test]
    fn failures_say_what_happened() {
        assert!(
            Failure::Denied
                .to_string()
                .contains("allowed_outbound_hosts")
        );
        assert_eq!(
            Failure::TooLarge { limit: 10 }.to_string(),
            "the answer's body is longer than 10 bytes"
        );
        assert_eq!(
            Failure::Timeout("no answer within 5 ms".into()).to_string(),
            "no answer within 5 ms"
        );
    }

    #[test]
    fn answer_headers_are_found_in_any_case() {
        let a = Answer {
            status: 200,
            headers: vec![("request-id".into(), b"req_1".to_vec())],
            body: Vec::new(),
        };
        assert_eq!(a.header("Request-Id"), Some("req_1"));
        assert_eq!(a.header("x"), None);
    }
}
