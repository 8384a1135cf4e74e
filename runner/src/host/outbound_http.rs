//! `wasi:http/outgoing-handler`, filtered by the component's `allowed_outbound_hosts`.
//! A refused request fails with `HttpRequestDenied`, as it does on Spin.

use crate::state::Hooks;
use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

type SendResult = wasmtime_wasi_http::Result<(
    http::Response<WasiBody>,
    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
)>;

impl WasiHttpHooks for Hooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        drop(fut);
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("https").to_string();
        let host = uri.host().unwrap_or_default().to_string();
        let port = uri.port_u16();
        let allowed = self.grants.outbound.allows(&scheme, &host, port);
        let component = self.grants.component_id.clone();
        Box::new(async move {
            if !allowed {
                tracing::warn!(
                    component = %component,
                    "outbound request to {scheme}://{host}{} denied: not in allowed_outbound_hosts",
                    port.map(|p| format!(":{p}")).unwrap_or_default()
                );
                return Err(Error::HttpRequestDenied);
            }
            let (res, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                res.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}
