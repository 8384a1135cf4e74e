//! One delivery attempt: a POST over Spin's outbound HTTP
//! (`wasi:http/outgoing-handler`, so the URL's host must be in the
//! component's `allowed_outbound_hosts`), bounded in time: the request
//! carries connect / first-byte / between-bytes timeouts, and the answer is
//! waited for no longer than the deadline (the request is dropped then).
//! Only the status matters; the answer's body is not read.

use std::time::Instant;

use url::Url;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};

/// What came of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    /// Why it failed (no answer, or a status that is not 2xx); `None` on success.
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}

/// POSTs `body` to `url` with `headers`, waiting at most `timeout_ms`.
pub fn post(url: &Url, headers: &[(&str, String)], body: &[u8], timeout_ms: i64) -> Attempt {
    let started = Instant::now();
    let result = send(url, headers, body, timeout_ms);
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    match result {
        Ok(status) if (200..300).contains(&status) => Attempt {
            status: Some(status),
            error: None,
            duration_ms,
        },
        Ok(status) => Attempt {
            status: Some(status),
            error: Some(format!("the receiver answered HTTP {status}")),
            duration_ms,
        },
        Err(error) => Attempt {
            status: None,
            error: Some(error),
            duration_ms,
        },
    }
}

fn send(
    url: &Url,
    headers: &[(&str, String)],
    body: &[u8],
    timeout_ms: i64,
) -> Result<u16, String> {
    let timeout_ns = u64::try_from(timeout_ms)
        .unwrap_or(0)
        .saturating_mul(1_000_000);
    let mut entries: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
        .collect();
    entries.push(("content-length".into(), body.len().to_string().into_bytes()));
    let fields = Fields::from_list(&entries).map_err(|e| format!("a header was refused: {e:?}"))?;
    let request = OutgoingRequest::new(fields);
    let scheme = match url.scheme() {
        "https" => Scheme::Https,
        _ => Scheme::Http,
    };
    let authority = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let built = request.set_method(&Method::Post).is_ok()
        && request.set_scheme(Some(&scheme)).is_ok()
        && request.set_authority(Some(&authority)).is_ok()
        && request.set_path_with_query(Some(&path)).is_ok();
    if !built {
        return Err("the request could not be built from the URL".into());
    }
    let outgoing = request.body().map_err(|()| "no request body".to_string())?;
    let options = RequestOptions::new();
    // A host that does not support a timeout says so; the deadline below still holds.
    let _ = options.set_connect_timeout(Some(timeout_ns));
    let _ = options.set_first_byte_timeout(Some(timeout_ns));
    let _ = options.set_between_bytes_timeout(Some(timeout_ns));
    let future = outgoing_handler::handle(request, Some(options)).map_err(describe)?;
    {
        let stream = outgoing
            .write()
            .map_err(|()| "no request body stream".to_string())?;
        for chunk in body.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| format!("sending the body: {e:?}"))?;
        }
    }
    OutgoingBody::finish(outgoing, None).map_err(describe)?;
    let ready = future.subscribe();
    let deadline = wasi::clocks::monotonic_clock::subscribe_duration(timeout_ns);
    loop {
        if let Some(answer) = future.get() {
            return match answer {
                Ok(Ok(response)) => Ok(response.status()),
                Ok(Err(code)) => Err(describe(code)),
                Err(()) => Err("the answer was already taken".into()),
            };
        }
        let which = wasi::io::poll::poll(&[&ready, &deadline]);
        if which.contains(&1) && !which.contains(&0) {
            return Err(format!("no answer within {timeout_ms} ms"));
        }
    }
}

fn describe(code: ErrorCode) -> String {
    match code {
        ErrorCode::HttpRequestDenied => {
            "the outbound request was denied: the URL's host is not in the component's allowed_outbound_hosts (webhook_allowed_hosts)".into()
        }
        ErrorCode::ConnectionRefused => "the connection was refused".into(),
        ErrorCode::ConnectionTimeout => "no connection within the timeout".into(),
        ErrorCode::ConnectionReadTimeout => "no answer within the timeout".into(),
        ErrorCode::DnsError(e) => format!("DNS error: {:?}", e.rcode),
        other => format!("the request failed: {other:?}"),
    }
}
