//! A fake of Stripe's API on 127.0.0.1 for the billing tests: it records every request
//! (method, path, headers, the form body decoded here) and answers like Stripe, a Checkout
//! Session (`cs_test_…`) for `POST /v1/checkout/sessions` and a Customer Portal session
//! (`bps_…`) for `POST /v1/billing_portal/sessions`, or, while a script is queued, the next
//! scripted answer (a status and body, or no answer at all). Give the app
//! `stripe_api_base = fake.base_url` and the component reaches it over real outbound HTTP.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// One request the fake got.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Lowercase names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body read as `application/x-www-form-urlencoded`, in order.
    pub fn form(&self) -> Vec<(String, String)> {
        decode_form(&String::from_utf8_lossy(&self.body))
    }

    /// The one value of form field `name` (panics when it appears twice).
    pub fn field(&self, name: &str) -> Option<String> {
        let values: Vec<String> = self
            .form()
            .into_iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v)
            .collect();
        assert!(values.len() <= 1, "{name} sent {} times", values.len());
        values.into_iter().next()
    }
}

/// What the fake answers next.
#[derive(Debug, Clone)]
pub enum Reply {
    /// This status and JSON body.
    Json(u16, Value),
    /// Reads the request and never answers (until the connection is dropped).
    Hang,
}

pub struct FakeStripe {
    /// `http://127.0.0.1:<port>`: the value of `stripe_api_base`.
    pub base_url: String,
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
}

impl FakeStripe {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::new()));
        let (seen, queued) = (got.clone(), script.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (seen, queued) = (seen.clone(), queued.clone());
                std::thread::spawn(move || serve(stream, &seen, &queued));
            }
        });
        Self {
            base_url: format!("http://127.0.0.1:{port}"),
            got,
            script,
        }
    }

    /// Queues the answers of the next requests (the default answers once these are used up).
    pub fn reply(&self, replies: impl IntoIterator<Item = Reply>) {
        self.script.lock().expect("lock").extend(replies);
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    /// The last request, which must exist.
    pub fn last(&self) -> Received {
        self.received()
            .pop()
            .expect("the fake Stripe got a request")
    }
}

/// A base URL where nothing listens: Stripe down.
pub fn closed_base_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn serve(mut stream: TcpStream, seen: &Mutex<Vec<Received>>, script: &Mutex<VecDeque<Reply>>) {
    let Some(request) = read_request(&mut stream) else {
        return;
    };
    let reply = script
        .lock()
        .ok()
        .and_then(|mut s| s.pop_front())
        .unwrap_or_else(|| default_reply(&request));
    if let Ok(mut g) = seen.lock() {
        g.push(request);
    }
    match reply {
        Reply::Hang => {
            // Keep the connection open, unanswered, until the client gives up.
            let mut sink = [0u8; 64];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
            let _ = stream.read(&mut sink);
        }
        Reply::Json(status, body) => {
            let body = body.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} Fake\r\ncontent-type: application/json\r\n\
                 request-id: req_fake\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n{body}",
                len = body.len()
            );
            let _ = stream.flush();
        }
    }
}

/// Stripe's answer to a well-formed request: the session object (the fields that matter and
/// some that do not).
fn default_reply(request: &Received) -> Reply {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/v1/checkout/sessions") => {
            let id = format!("cs_test_a1{n}");
            Reply::Json(
                200,
                json!({
                    "id": id,
                    "object": "checkout.session",
                    "mode": "subscription",
                    "status": "open",
                    "livemode": false,
                    "client_reference_id": request.field("client_reference_id"),
                    "customer": request.field("customer"),
                    "url": format!("https://checkout.stripe.com/c/pay/{id}#fidkdWxOYHwnPyd1blpxYHZxWjA0"),
                }),
            )
        }
        ("POST", "/v1/billing_portal/sessions") => {
            let id = format!("bps_1Fake{n}");
            Reply::Json(
                200,
                json!({
                    "id": id,
                    "object": "billing_portal.session",
                    "customer": request.field("customer"),
                    "return_url": request.field("return_url"),
                    "livemode": false,
                    "url": format!("https://billing.stripe.com/p/session/test_{id}"),
                }),
            )
        }
        _ => Reply::Json(
            404,
            json!({ "error": {
                "type": "invalid_request_error",
                "message": format!("Unrecognized request URL ({} {}).", request.method, request.path),
            }}),
        ),
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Received> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        method,
        path,
        headers,
        body,
    })
}

/// `a=1&b%5B0%5D=x+y` -> `[("a", "1"), ("b[0]", "x y")]`: written here, apart from the
/// component's encoder, so the test checks what any server would read.
pub fn decode_form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_like_a_server_reads_them() {
        assert_eq!(
            decode_form(
                "a=1&line_items%5B0%5D%5Bprice%5D=p&u=https%3A%2F%2Fx%2F%3Fs%3D%7BID%7D+y&e="
            ),
            vec![
                ("a".to_owned(), "1".to_owned()),
                ("line_items[0][price]".to_owned(), "p".to_owned()),
                ("u".to_owned(), "https://x/?s={ID} y".to_owned()),
                ("e".to_owned(), String::new()),
            ]
        );
        assert_eq!(percent_decode("%C3%A9%2"), "é%2");
    }
}
