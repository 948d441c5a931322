//! `kube-sim --port N --kubeconfig PATH [--time-scale X] [--namespace NS]`: serves until
//! SIGINT/SIGTERM.

use std::path::PathBuf;

fn usage() -> ! {
    eprintln!("usage: kube-sim [--port N] [--kubeconfig PATH] [--namespace NS] [--time-scale X] [--log-requests]");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let mut opts = kube_sim::Options::default();
    let mut kubeconfig = PathBuf::from("kube-sim.kubeconfig");
    let mut namespace = "default".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--port" => opts.port = val().parse().unwrap_or_else(|_| usage()),
            "--kubeconfig" => kubeconfig = PathBuf::from(val()),
            "--namespace" => namespace = val(),
            "--time-scale" => opts.time_scale = val().parse().unwrap_or_else(|_| usage()),
            "--log-requests" => opts.log_requests = true,
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    let sim = match kube_sim::KubeSim::start(opts).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kube-sim: cannot listen: {e}");
            std::process::exit(1);
        }
    };
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
