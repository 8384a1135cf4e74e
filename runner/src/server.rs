//! The HTTP trigger: a hyper server that routes each request to a component, instantiates
//! it in a fresh `Store`, and answers with what the guest wrote to its response outparam.

use crate::app::{App, LoadedComponent};
use crate::routes::WELL_KNOWN_PREFIX;
use crate::state::{Hooks, RequestState};
use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use wasmtime::Store;
use wasmtime::StoreLimitsBuilder;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpView};

pub async fn serve(app: App, listener: TcpListener, mut shutdown: Shutdown) -> Result<()> {
    let app = Arc::new(app);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown.wait());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, client) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let service = hyper::service::service_fn(move |req| handle(app.clone(), req, client));
                let conn = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!("connection from {client}: {e}");
                    }
                });
            }
            _ = &mut shutdown => {
                tracing::info!("shutting down");
                break;
            }
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(10)) => tracing::warn!("in-flight requests still running after 10s; exiting"),
    }
    Ok(())
}

/// SIGINT and SIGTERM, registered with the OS when this is built — before the runner says it
/// is serving — so a signal that arrives right after start-up is never missed (an async
/// `ctrl_c()` only registers when first polled, which left a window for the default action).
pub struct Shutdown {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Shutdown {
    pub fn install() -> Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
            terminate: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
        })
    }

    async fn wait(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

fn empty(status: StatusCode) -> Response<HyperOutgoingBody> {
    let body = Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut res = Response::new(body);
    *res.status_mut() = status;
    res
}

fn full(content_type: Option<&'static str>, body: Bytes) -> Response<HyperOutgoingBody> {
    let mut res = Response::new(
        Full::new(body)
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    if let Some(ct) = content_type {
        res.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(ct),
        );
    }
    res
}

/// One request. An `Err` makes hyper close the connection without answering, which is what
/// Spin does when it cannot tell the request's authority.
async fn handle(
    app: Arc<App>,
    mut req: Request<Incoming>,
    client: SocketAddr,
) -> Result<Response<HyperOutgoingBody>> {
    strip_forbidden_headers(&mut req);
    // Spin answers these itself, before routing.
    if let Some(well_known) = req.uri().path().strip_prefix(WELL_KNOWN_PREFIX) {
        return Ok(match well_known {
            "health" => full(None, Bytes::from_static(b"OK")),
            "info" => full(Some("application/json"), app.info.clone()),
            _ => empty(StatusCode::NOT_FOUND),
        });
    }
    let Some(route) = app.router.route(req.uri().path()) else {
        return Ok(empty(StatusCode::NOT_FOUND));
    };
    let Some(component) = app.components.get(route.component()) else {
        return Ok(empty(StatusCode::NOT_FOUND));
    };
    // Owned from here on: the request is taken apart below.
    let path = req.uri().path().to_owned();
    set_req_uri(&mut req)?;
    match invoke(&app, component, req, &route, client).await {
        Ok(res) => Ok(res),
        Err(e) => {
            tracing::error!(component = %route.component(), "error processing request {path}: {e:?}");
            Ok(empty(StatusCode::INTERNAL_SERVER_ERROR))
        }
    }
}

/// A request whose `Host` is a service-chaining name (`*.spin.internal`) loses that header,
/// as in Spin: such names are only meaningful between components.
fn strip_forbidden_headers(req: &mut Request<Incoming>) {
    let chaining = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(crate::outbound::is_service_chaining_host);
    if chaining {
        req.headers_mut().remove(http::header::HOST);
    }
}

/// Spin's rule for the URI the component sees: `http://` plus the authority from the `Host`
/// header or from an absolute-form request target; if both are present they must agree, and
/// if neither is, the request is refused.
fn set_req_uri(req: &mut Request<Incoming>) -> Result<()> {
    let header_authority = req
        .headers()
        .get(http::header::HOST)
        .map(|h| -> Result<http::uri::Authority> {
            let host = h.to_str().context("'Host' header is not valid UTF-8")?;
            host.parse()
                .context("'Host' header contains an invalid authority")
        })
        .transpose()?;
    let mut parts = std::mem::take(req.uri_mut()).into_parts();
    let authority = match (header_authority, parts.authority.take()) {
        (None, None) => bail!("no 'Host' header present in request"),
        (None, Some(a)) | (Some(a), None) => a,
        (Some(a1), Some(a2)) => {
            if a1 != a2 {
                bail!("authority in 'Host' header does not match authority in URI");
            }
            a1
        }
    };
    parts.scheme = Some(http::uri::Scheme::HTTP);
    parts.authority = Some(authority);
    if parts.path_and_query.is_none() {
        parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    *req.uri_mut() = http::Uri::from_parts(parts).context("invalid request URI")?;
    Ok(())
}

async fn invoke(
    app: &App,
    component: &Arc<LoadedComponent>,
    req: Request<Incoming>,
    route: &crate::routes::RouteMatch<'_>,
    client: SocketAddr,
) -> Result<Response<HyperOutgoingBody>> {
    let req = prepare_request(req, route, client)?;

    let mut wasi = WasiCtx::builder();
    wasi.inherit_stdout().inherit_stderr();
    for (k, v) in &component.environment {
        wasi.env(k, v);
    }
    let state = RequestState {
        wasi: wasi.build(),
        http: WasiHttpCtx::new(),
        table: ResourceTable::new(),
        hooks: Hooks {
            grants: component.grants.clone(),
        },
        grants: component.grants.clone(),
        limits: StoreLimitsBuilder::new()
            .memory_size(app.limits.max_memory_bytes)
            .build(),
    };
    let mut store = Store::new(&app.engine, state);
    store.limiter(|s| s.limiter());
    store.set_epoch_deadline(app.limits.deadline_ticks());
    store.epoch_deadline_trap();

    let incoming = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, req)?;
    let (tx, mut rx) = tokio::sync::oneshot::channel();
    let out = store.data_mut().http().new_response_outparam(tx)?;
    let pre = component.pre.clone();
    // The guest runs in this connection's task until it sets the response; only a guest still
    // writing its body after that moves to a task of its own. That saves a cross-thread hand-off
    // per request.
    let mut guest = Box::pin(async move {
        let proxy = pre.instantiate_async(&mut store).await?;
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, incoming, out)
            .await
    });

    let timeout = app.limits.request_timeout;
    let id = component.grants.component_id.clone();
    let raced = tokio::time::timeout(timeout, async {
        tokio::select! {
            biased;
            response = &mut rx => Ok(response),
            finished = &mut guest => Err(finished),
        }
    })
    .await;
    match raced {
        Err(_) => Err(anyhow!("request exceeded the time limit of {timeout:?}")),
        Ok(Ok(Ok(Ok(response)))) => {
            tokio::spawn(async move {
                if let Err(e) = guest.await {
                    tracing::error!(component = %id, "guest failed after responding: {e:?}");
                }
            });
            Ok(response)
        }
        Ok(Ok(Ok(Err(code)))) => Err(anyhow!("guest answered with an error: {code:?}")),
        Ok(Ok(Err(_))) => Err(anyhow!("guest dropped its response outparam")),
        Ok(Err(finished)) => {
            finished
                .map_err(anyhow::Error::from)
                .context("guest invocation failed")?;
            // The guest returned; a response set just before returning is still in the channel.
            match rx.try_recv() {
                Ok(Ok(response)) => Ok(response),
                Ok(Err(code)) => Err(anyhow!("guest answered with an error: {code:?}")),
                Err(_) => Err(anyhow!("guest returned without setting a response")),
            }
        }
    }
}

/// Spin hands the component its request with the client's headers (each value must be
/// UTF-8, or the request fails) followed by the `spin-*` ones.
fn prepare_request(
    mut req: Request<Incoming>,
    route: &crate::routes::RouteMatch<'_>,
    client: SocketAddr,
) -> Result<Request<Incoming>> {
    for value in req.headers().values() {
        std::str::from_utf8(value.as_bytes()).context("request header value is not UTF-8")?;
    }
    let host = match req.headers().get(http::header::HOST) {
        Some(h) => std::str::from_utf8(h.as_bytes())?,
        None => "localhost",
    };
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut full_url = String::with_capacity(7 + host.len() + path_and_query.len());
    full_url.push_str("http://");
    full_url.push_str(host);
    full_url.push_str(path_and_query);
    route.append_spin_headers(req.headers_mut(), &full_url, client);
    Ok(req)
}
