//! `kube-sim --port N --kubeconfig PATH [--time-scale X] [--namespace NS] [--registry HOST:PORT]
//! [--tls-cert PEM --tls-key PEM [--tls-ca PEM]] [--token TOKEN]`: serves until SIGINT/SIGTERM.
//!
//! `--registry` makes the simulated kubelet "pull" images of that registry for real: a tag the
//! registry does not have leaves its pods in ImagePullBackOff, as on a real cluster. That is
//! what makes the demo honest about `lain deploy` without `--build`.

use std::path::PathBuf;

fn usage() -> ! {
    eprintln!(
        "usage: kube-sim [--port N] [--kubeconfig PATH] [--namespace NS] [--time-scale X] [--registry HOST:PORT] [--tls-cert PEM --tls-key PEM [--tls-ca PEM]] [--token TOKEN] [--log-requests]"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let mut opts = kube_sim::Options::default();
    let mut kubeconfig = PathBuf::from("kube-sim.kubeconfig");
    let mut namespace = "default".to_string();
    let mut registry: Option<String> = None;
    let (mut cert, mut key, mut ca): (Option<PathBuf>, Option<PathBuf>, Option<PathBuf>) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--port" => opts.port = val().parse().unwrap_or_else(|_| usage()),
            "--kubeconfig" => kubeconfig = PathBuf::from(val()),
            "--namespace" => namespace = val(),
            "--time-scale" => opts.time_scale = val().parse().unwrap_or_else(|_| usage()),
            "--log-requests" => opts.log_requests = true,
            "--registry" => registry = Some(val()),
            "--tls-cert" => cert = Some(PathBuf::from(val())),
            "--tls-key" => key = Some(PathBuf::from(val())),
            "--tls-ca" => ca = Some(PathBuf::from(val())),
            "--token" => opts.token = Some(val()),
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    match (cert, key) {
        (Some(cert), Some(key)) => {
            let read = |p: &PathBuf| {
                std::fs::read_to_string(p).unwrap_or_else(|e| {
                    eprintln!("kube-sim: cannot read {}: {e}", p.display());
                    std::process::exit(1)
                })
            };
            let cert_chain = read(&cert);
            let ca = ca.as_ref().map(read).unwrap_or_else(|| cert_chain.clone());
            opts.tls = Some(kube_sim::Tls { key: read(&key), cert_chain, ca });
        }
        (None, None) => {}
        _ => usage(),
    }
    let sim = match kube_sim::KubeSim::start(opts).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kube-sim: cannot listen: {e}");
            std::process::exit(1);
        }
    };
    if let Some(r) = registry {
        sim.add_rule(kube_sim::steering::Rule::image_not_in_registry(move |image| image_present(&r, image)));
    }
    if let Err(e) = sim.write_kubeconfig(&kubeconfig, &namespace) {
        eprintln!("kube-sim: cannot write {}: {e}", kubeconfig.display());
        std::process::exit(1);
    }
    println!("{}", kubeconfig.display());
    eprintln!("kube-sim: serving {} (kubeconfig {})", sim.url(), kubeconfig.display());
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kube-sim: cannot install SIGTERM handler: {e}");
            std::process::exit(1);
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    sim.shutdown().await;
    eprintln!("kube-sim: stopped");
}

/// Whether `image` can be pulled: images of other registries are assumed present; for `registry`
/// a `HEAD /v2/NAME/manifests/TAG` decides (a plain-HTTP registry on a local address, as in the
/// demo and tests).
fn image_present(registry: &str, image: &str) -> bool {
    use std::io::{Read, Write};
    let Some(rest) = image.strip_prefix(registry).and_then(|r| r.strip_prefix('/')) else {
        return true;
    };
    let (name, reference) = match rest.rsplit_once('@') {
        Some((n, d)) => (n, d),
        None => match rest.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n, t),
            _ => (rest, "latest"),
        },
    };
    let Ok(addr) = registry.parse::<std::net::SocketAddr>() else { return true };
    let timeout = std::time::Duration::from_secs(1);
    let Ok(mut conn) = std::net::TcpStream::connect_timeout(&addr, timeout) else { return false };
    let _ = conn.set_read_timeout(Some(timeout));
    let req = format!(
        "HEAD /v2/{name}/manifests/{reference} HTTP/1.1\r\nHost: {registry}\r\nAccept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json\r\nConnection: close\r\n\r\n"
    );
    if conn.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    let n = conn.read(&mut buf).unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]);
    head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200")
}
