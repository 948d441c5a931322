//! `pods/exec` over WebSocket with the Kubernetes channel protocols (`v5.channel.k8s.io`,
//! `v4.channel.k8s.io`): each binary message starts with a channel byte — 0 stdin, 1 stdout,
//! 2 stderr, 3 status (a `Status` JSON), 255 close (v5). The command's result comes from the
//! test's exec responder.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use http_body_util::{BodyExt, Empty};
use hyper::Response;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::Shared;
use crate::server::{Body, Req, Target, error_response};
use crate::status::ApiError;
use crate::steering::{ExecRequest, ExecResponse};

const PROTOCOLS: [&str; 2] = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

/// SHA-1 (RFC 3174), needed only for the WebSocket handshake's Sec-WebSocket-Accept.
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([chunk[4 * i], chunk[4 * i + 1], chunk[4 * i + 2], chunk[4 * i + 3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, v) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&v.to_be_bytes());
    }
    out
}

pub fn accept_key(key: &str) -> String {
    let digest = sha1(format!("{key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => f.push(n as u8),
        n if n <= 0xffff => {
            f.push(126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(payload);
    f
}

/// Reads one client frame: (opcode, unmasked payload).
async fn read_frame<R: AsyncReadExt + Unpin>(r: &mut R) -> std::io::Result<(u8, Vec<u8>)> {
    let mut hdr = [0u8; 2];
    r.read_exact(&mut hdr).await?;
    let opcode = hdr[0] & 0x0f;
    let masked = hdr[1] & 0x80 != 0;
    let mut len = u64::from(hdr[1] & 0x7f);
    if len == 126 {
        let mut b = [0u8; 2];
        r.read_exact(&mut b).await?;
        len = u64::from(u16::from_be_bytes(b));
    } else if len == 127 {
        let mut b = [0u8; 8];
        r.read_exact(&mut b).await?;
        len = u64::from_be_bytes(b);
    }
    if len > 16 * 1024 * 1024 {
        return Err(std::io::Error::other("websocket frame too large"));
    }
    let mut mask = [0u8; 4];
    if masked {
        r.read_exact(&mut mask).await?;
    }
    let mut payload = vec![0u8; len as usize];
    r.read_exact(&mut payload).await?;
    if masked {
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= mask[i % 4];
        }
    }
    Ok((opcode, payload))
}

fn exit_status(resp: &ExecResponse, command: &[String]) -> Value {
    if resp.exit_code == 0 {
        return json!({"metadata": {}, "status": "Success"});
    }
    json!({
        "metadata": {},
        "status": "Failure",
        "message": format!("command terminated with non-zero exit code: error executing command [{}], exit code {}", command.join(" "), resp.exit_code),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": resp.exit_code.to_string()}]},
    })
}

/// `NAME=value` lines of a container's literal env (what `env` would print, minus the runtime's).
fn container_env(pod: &Value, container: &str) -> Vec<String> {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find(|c| c.get("name").and_then(Value::as_str) == Some(container)))
        .and_then(|c| c.get("env"))
        .and_then(Value::as_array)
        .map(|e| e.iter().filter_map(|v| Some(format!("{}={}", v.get("name")?.as_str()?, v.get("value").and_then(Value::as_str).unwrap_or("")))).collect())
        .unwrap_or_default()
}

/// Without a responder, a few commands behave as in a shell so demos work: echo, env /
/// printenv, hostname, true, false, cat (stdin).
fn builtin(r: &ExecRequest, env: &[String]) -> ExecResponse {
    let ok = |s: String| ExecResponse { stdout: s.into_bytes(), stderr: vec![], exit_code: 0 };
    match r.command.first().map(String::as_str) {
        Some("echo") => ok(format!("{}\n", r.command[1..].join(" "))),
        Some("env" | "printenv") if r.command.len() == 1 => ok(env.iter().map(|l| format!("{l}\n")).collect()),
        Some("printenv") => {
            ok(env.iter().filter_map(|l| l.split_once('=').filter(|(k, _)| r.command[1..].iter().any(|a| a == k)).map(|(_, v)| format!("{v}\n"))).collect())
        }
        Some("hostname") => ok(format!("{}\n", r.pod)),
        Some("true") => ok(String::new()),
        Some("false") => ExecResponse { exit_code: 1, ..Default::default() },
        Some("cat") if r.command.len() == 1 => ExecResponse { stdout: r.stdin.clone(), ..Default::default() },
        _ => ExecResponse { stdout: vec![], stderr: format!("kube-sim: no exec responder set for {:?}\n", r.command).into_bytes(), exit_code: 126 },
    }
}

pub async fn serve(shared: Arc<Shared>, req: Req, t: &Target, name: &str) -> Response<Body> {
    let ns = t.ns.clone().unwrap_or_default();
    let Some(pod) = shared.store().get(t.res, &ns, name).cloned() else {
        return error_response(&ApiError::not_found(crate::resources::def(t.res), name));
    };
    let names: Vec<String> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|c| c.get("name").and_then(Value::as_str).map(String::from)).collect())
        .unwrap_or_default();
    let container = req.q("container").map(String::from).or_else(|| names.first().cloned()).unwrap_or_default();
    if !names.contains(&container) {
        return error_response(&ApiError::bad_request(format!("container {container} is not valid for pod {name}")));
    }
    let running = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find(|c| c.get("name").and_then(Value::as_str) == Some(container.as_str())).cloned())
        .is_some_and(|c| c.pointer("/state/running").is_some());
    if !running {
        return error_response(&ApiError::bad_request(format!("unable to upgrade connection: container not found (\"{container}\")")));
    }
    // Repeated `command=` parameters: the query map kept only the last one, so re-parse.
    let command: Vec<String> = req.raw_query.split('&').filter_map(|p| p.strip_prefix("command=")).map(crate::server::percent_decode).collect();
    let want_stdin = req.flag("stdin");
    let Some(upgrade) = req.upgrade else {
        return error_response(&ApiError::bad_request("Upgrade request required"));
    };
    let header = |n: &str| upgrade.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if !header("upgrade").eq_ignore_ascii_case("websocket") {
        return error_response(&ApiError::bad_request("only websocket upgrades are supported by kube-sim (SPDY is not)"));
    }
    let offered = header("sec-websocket-protocol");
    let Some(proto) = PROTOCOLS.iter().find(|p| offered.split(',').any(|o| o.trim() == **p)) else {
        return error_response(&ApiError::bad_request(format!("unsupported exec subprotocols {offered:?}; supported: {}", PROTOCOLS.join(", "))));
    };
    let accept = accept_key(&header("sec-websocket-key"));
    let responder = shared.steering().exec.clone();
    let request = ExecRequest { namespace: ns, pod: name.to_string(), container, command: command.clone(), stdin: vec![] };
    let v5 = *proto == PROTOCOLS[0];
    let env = container_env(&pod, &request.container);
    tokio::spawn(async move {
        let Ok(upgraded) = hyper::upgrade::on(upgrade).await else { return };
        let mut io = TokioIo::new(upgraded);
        let mut request = request;
        if want_stdin {
            // Read stdin until the client closes it (v5 close signal or websocket close).
            loop {
                let Ok(Ok((op, payload))) = tokio::time::timeout(Duration::from_secs(5), read_frame(&mut io)).await else { break };
                match op {
                    8 => break,
                    2 if payload.first() == Some(&0) => request.stdin.extend_from_slice(&payload[1..]),
                    2 if v5 && payload.first() == Some(&255) && payload.get(1) == Some(&0) => break,
                    _ => {}
                }
            }
        }
        let resp = match responder {
            Some(f) => f(&request),
            None => builtin(&request, &env),
        };
        let mut out = Vec::new();
        for (ch, data) in [(1u8, &resp.stdout), (2u8, &resp.stderr)] {
            if !data.is_empty() {
                let mut p = vec![ch];
                p.extend_from_slice(data);
                out.extend(frame(2, &p));
            }
        }
        let mut st = vec![3u8];
        st.extend_from_slice(exit_status(&resp, &request.command).to_string().as_bytes());
        out.extend(frame(2, &st));
        out.extend(frame(8, &1000u16.to_be_bytes()));
        let _ = io.write_all(&out).await;
        let _ = io.flush().await;
        // Give the client a moment to read before the connection drops.
        let _ = tokio::time::timeout(Duration::from_secs(2), read_frame(&mut io)).await;
    });
    Response::builder()
        .status(101)
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Accept", accept)
        .header("Sec-WebSocket-Protocol", *proto)
        .body(Empty::<Bytes>::new().map_err(|never| match never {}).boxed_unsync())
        .expect("static response parts")
}

#[cfg(test)]
mod tests {
    #[test]
    fn handshake_key_rfc6455_example() {
        assert_eq!(super::accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
}
