//! The HTTP trigger: a hyper server that routes each request to a component, instantiates
//! it in a fresh `Store`, and answers with what the guest wrote to its response outparam.

use crate::app::{App, LoadedComponent};
use crate::state::{Hooks, RequestState};
use anyhow::{Context, Result, anyhow};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use wasmtime::Store;
use wasmtime::component::ResourceTable;
use wasmtime::StoreLimitsBuilder;
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpView};

pub async fn serve(app: App, listener: TcpListener) -> Result<()> {
    let app = Arc::new(app);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
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
                let service = hyper::service::service_fn(move |req| {
                    let app = app.clone();
                    async move { Ok::<_, std::convert::Infallible>(handle(app, req, client).await) }
                });
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

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

fn empty(status: StatusCode) -> Response<HyperOutgoingBody> {
    let body = Empty::<Bytes>::new().map_err(|never| match never {}).boxed_unsync();
    let mut res = Response::new(body);
    *res.status_mut() = status;
    res
}

async fn handle(app: Arc<App>, req: Request<Incoming>, client: SocketAddr) -> Response<HyperOutgoingBody> {
    let path = req.uri().path().to_string();
    let Some(route) = app.router.route(&path) else {
        return empty(StatusCode::NOT_FOUND);
    };
    let Some(component) = app.components.get(&route.component).cloned() else {
        return empty(StatusCode::NOT_FOUND);
    };
    match invoke(&app, component, req, &route, client).await {
        Ok(res) => res,
        Err(e) => {
            tracing::error!(component = %route.component, "error processing request {path}: {e:?}");
            empty(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

async fn invoke(
    app: &App,
    component: Arc<LoadedComponent>,
    req: Request<Incoming>,
    route: &crate::routes::RouteMatch,
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
        hooks: Hooks { grants: component.grants.clone() },
        grants: component.grants.clone(),
        limits: StoreLimitsBuilder::new().memory_size(app.limits.max_memory_bytes).build(),
    };
    let mut store = Store::new(&app.engine, state);
    store.limiter(|s| s.limiter());
    store.set_epoch_deadline(app.limits.deadline_ticks());
    store.epoch_deadline_trap();

    let incoming = store.data_mut().http().new_incoming_request(Scheme::Http, req)?;
    let (tx, mut rx) = tokio::sync::oneshot::channel();
    let out = store.data_mut().http().new_response_outparam(tx)?;
    let pre = component.pre.clone();
    // The guest runs in this connection's task until it sets the response; only a guest still
    // writing its body after that moves to a task of its own. That saves a cross-thread hand-off
    // per request.
    let mut guest = Box::pin(async move {
        let proxy = pre.instantiate_async(&mut store).await?;
        proxy.wasi_http_incoming_handler().call_handle(&mut store, incoming, out).await
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
            finished.map_err(anyhow::Error::from).context("guest invocation failed")?;
            // The guest returned; a response set just before returning is still in the channel.
            match rx.try_recv() {
                Ok(Ok(response)) => Ok(response),
                Ok(Err(code)) => Err(anyhow!("guest answered with an error: {code:?}")),
                Err(_) => Err(anyhow!("guest returned without setting a response")),
            }
        }
    }
}

/// Spin hands the component an absolute URI and the original headers plus the `spin-*` ones.
fn prepare_request(
    req: Request<Incoming>,
    route: &crate::routes::RouteMatch,
    client: SocketAddr,
) -> Result<Request<Incoming>> {
    let (mut parts, body) = req.into_parts();
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
    let full_url = format!("http://{host}{path_and_query}");
    parts.uri = full_url.parse().with_context(|| format!("invalid request URL {full_url:?}"))?;
    for (name, value) in route.spin_headers(&full_url, client) {
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) else {
            continue;
        };
        parts.headers.insert(name, value);
    }
    Ok(Request::from_parts(parts, body))
}
