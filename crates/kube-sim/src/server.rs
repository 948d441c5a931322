//! HTTP/1.1 server and routing: URL → discovery, OpenAPI, or a resource verb.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use futures::StreamExt;
use http_body_util::{BodyExt, Full, StreamBody, combinators::UnsyncBoxBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

use crate::resources::{self, ResId};
use crate::status::ApiError;
use crate::{Shared, discovery, handlers, openapi};

pub type Body = UnsyncBoxBody<Bytes, Infallible>;

pub async fn serve(listener: TcpListener, tls: Option<TlsAcceptor>, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let shared = shared.clone();
        match &tls {
            None => {
                tokio::spawn(serve_connection(stream, shared));
            }
            Some(acceptor) => {
                // The handshake runs in the connection's task: a slow or broken client must not
                // hold up the accept loop.
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(s) = acceptor.accept(stream).await {
                        serve_connection(s, shared).await;
                    }
                });
            }
        }
    }
}

async fn serve_connection<S>(stream: S, shared: Arc<Shared>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut stop = shared.shutdown.subscribe();
    let svc = hyper::service::service_fn(move |req| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(handle(shared, req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).with_upgrades();
    tokio::select! {
        _ = conn => {}
        _ = stop.changed() => {}
    }
}

/// A parsed request, what handlers work from.
pub struct Req {
    pub method: Method,
    pub path: String,
    pub query: HashMap<String, String>,
    /// The undecoded query string (for repeated parameters such as exec's `command`).
    pub raw_query: String,
    pub content_type: String,
    pub accept: String,
    pub user_agent: String,
    pub body: Bytes,
    /// Kept for upgrades (exec over websocket).
    pub upgrade: Option<Request<Incoming>>,
}

impl Req {
    pub fn q(&self, k: &str) -> Option<&str> {
        self.query.get(k).map(String::as_str)
    }
    pub fn flag(&self, k: &str) -> bool {
        matches!(self.q(k), Some("true" | "1"))
    }
    pub fn dry_run(&self) -> bool {
        self.q("dryRun") == Some("All")
    }
    /// The field manager to record: `?fieldManager=`, else the user agent's program name, as the
    /// real server derives it.
    pub fn manager(&self) -> String {
        self.q("fieldManager").map(String::from).unwrap_or_else(|| self.user_agent.split('/').next().unwrap_or("unknown").to_string())
    }
}

pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                Ok(v) => {
                    out.push(v);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

pub fn json_response(code: u16, v: &Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("Content-Type", "application/json")
        .header("Cache-Control", "no-cache, private")
        .body(Full::new(Bytes::from(v.to_string())).boxed_unsync())
        .expect("static response parts")
}

pub fn text_response(code: u16, ct: &str, s: String) -> Response<Body> {
    Response::builder().status(code).header("Content-Type", ct).body(Full::new(Bytes::from(s)).boxed_unsync()).expect("static response parts")
}

pub fn error_response(e: &ApiError) -> Response<Body> {
    json_response(e.code, &e.to_status())
}

/// A chunked response fed by a channel (watches, followed logs).
pub fn stream_response(ct: &str) -> (mpsc::Sender<Bytes>, Response<Body>) {
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx)) });
    let body = StreamBody::new(stream.boxed());
    let resp = Response::builder()
        .status(200)
        .header("Content-Type", ct)
        .header("Cache-Control", "no-cache, private")
        .header("Transfer-Encoding", "chunked")
        .body(BodyExt::boxed_unsync(body))
        .expect("static response parts");
    (tx, resp)
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let raw_query = req.uri().query().unwrap_or("").to_string();
    let query = parse_query(&raw_query);
    let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (content_type, accept, user_agent) = (header("content-type"), header("accept"), header("user-agent"));
    if let Some(token) = &shared.token {
        // The real server authenticates before anything else, with a bare Status.
        if header("authorization").strip_prefix("Bearer ") != Some(token.as_str()) {
            return error_response(&ApiError::new(401, "Unauthorized", "Unauthorized"));
        }
    }
    let is_upgrade = req.headers().contains_key("upgrade");
    let (upgrade, body) = if is_upgrade {
        (Some(req), Bytes::new())
    } else {
        match req.into_body().collect().await {
            Ok(b) => (None, b.to_bytes()),
            Err(_) => return error_response(&ApiError::bad_request("unable to read the request body")),
        }
    };
    let log = shared.log_requests;
    let r = Req { method, path, query, raw_query, content_type, accept, user_agent, body, upgrade };
    let line = if log { Some(format!("{} {} ct={}", r.method, r.path, r.content_type)) } else { None };
    let mut resp = route(&shared, r).await;
    // The server's wall clock is the simulated one: a client that wants ages consistent with
    // the timestamps it reads (rather than its own clock) takes `now` from here, as from any
    // server's Date header.
    let date = shared.clock.now().strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(v) = hyper::header::HeaderValue::from_str(&date) {
        resp.headers_mut().insert(hyper::header::DATE, v);
    }
    if let Some(l) = line {
        eprintln!("kube-sim: {l} -> {}", resp.status().as_u16());
    }
    resp
}

/// Where a resource URL points.
pub struct Target {
    pub res: ResId,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
}

fn parse_target(group: &str, version: &str, segs: &[&str]) -> Option<Target> {
    let lookup = |plural: &str| resources::find(group, version, plural);
    let s = |x: &&str| x.to_string();
    match segs {
        ["namespaces", ns, plural, rest @ ..] if !(group.is_empty() && matches!(*plural, "status" | "finalize")) => {
            let res = lookup(plural)?;
            if !resources::def(res).namespaced {
                return None;
            }
            match rest {
                [] => Some(Target { res, ns: Some(ns.to_string()), name: None, sub: None }),
                [name] => Some(Target { res, ns: Some(ns.to_string()), name: Some(s(name)), sub: None }),
                [name, sub] => Some(Target { res, ns: Some(ns.to_string()), name: Some(s(name)), sub: Some(s(sub)) }),
                _ => None,
            }
        }
        [plural, rest @ ..] => {
            let res = lookup(plural)?;
            match rest {
                [] => Some(Target { res, ns: None, name: None, sub: None }),
                [name] if !resources::def(res).namespaced => Some(Target { res, ns: None, name: Some(s(name)), sub: None }),
                [name, sub] if !resources::def(res).namespaced => Some(Target { res, ns: None, name: Some(s(name)), sub: Some(s(sub)) }),
                _ => None,
            }
        }
        _ => None,
    }
}

async fn route(shared: &Arc<Shared>, req: Req) -> Response<Body> {
    let path = req.path.trim_end_matches('/').to_string();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let get = req.method == Method::GET;
    match segs.as_slice() {
        ["version"] if get => json_response(200, &discovery::version()),
        ["healthz" | "readyz" | "livez", ..] if get => text_response(200, "text/plain", "ok".into()),
        ["api"] if get => json_response(200, &discovery::api_versions(&shared.addr.to_string())),
        ["apis"] if get => json_response(200, &discovery::api_group_list()),
        ["apis", g] if get => match discovery::api_group(g) {
            Some(v) => json_response(200, &v),
            None => error_response(&ApiError::no_route()),
        },
        ["api", v] if get => match discovery::resource_list("", v) {
            Some(d) => json_response(200, &d),
            None => error_response(&ApiError::no_route()),
        },
        ["apis", g, v] if get => match discovery::resource_list(g, v) {
            Some(d) => json_response(200, &d),
            None => error_response(&ApiError::no_route()),
        },
        ["openapi", "v3"] if get => json_response(200, &openapi::index()),
        ["openapi", "v3", rest @ ..] if get => match openapi::document_for_path(&rest.join("/")) {
            Some(d) => json_response(200, &d),
            None => error_response(&ApiError::no_route()),
        },
        ["api", v, rest @ ..] => match parse_target("", v, rest) {
            Some(t) => handlers::resource(shared, req, t).await,
            None => error_response(&ApiError::no_route()),
        },
        ["apis", g, v, rest @ ..] => match parse_target(g, v, rest) {
            Some(t) => handlers::resource(shared, req, t).await,
            None => error_response(&ApiError::no_route()),
        },
        _ => error_response(&ApiError::no_route()),
    }
}
