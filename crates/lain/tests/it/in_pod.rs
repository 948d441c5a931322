//! `lain wait` as a helm test pod runs it (the seeds' `values.tests` example): no `~/.kube`, no
//! chart, only the pod's service account, against an API server that, like every real one,
//! speaks HTTPS with its own CA and refuses a request without the right bearer token. The same
//! server also carries the whole deploy over TLS, with helm and kube-rs reading the CA from the
//! kubeconfig's certificate-authority-data.

use std::path::Path;
use std::process::Command;

use kube_sim::{Options, Tls};

use crate::both_helms;
use crate::support::{Out, lain_bin, setup_with};

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.sa-token-of-dummy";

/// A throwaway CA and a server certificate for 127.0.0.1 signed by it (what a cluster's
/// bootstrap makes), generated with the openssl CLI.
fn pki(dir: &Path) -> Tls {
    let run = |args: &[&str]| {
        let o = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
        assert!(o.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run(&[&["req", "-x509"][..], &ec, &["-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=kube-sim-ca"]].concat());
    run(&[&["req"][..], &ec, &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=kube-apiserver"]].concat());
    std::fs::write(dir.join("ext"), "subjectAltName=IP:127.0.0.1,DNS:kubernetes.default.svc\n").unwrap();
    run(&["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext"]);
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    Tls { cert_chain: read("server.crt"), key: read("server.key"), ca: read("ca.crt") }
}

/// The files the kubelet mounts at /var/run/secrets/kubernetes.io/serviceaccount.
fn service_account(dir: &Path, token: &str, ca: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("token"), token).unwrap();
    std::fs::write(dir.join("ca.crt"), ca).unwrap();
    std::fs::write(dir.join("namespace"), "default").unwrap();
}

/// lain in a bare pod: an empty home and working directory, the service variables, the SA.
async fn lain_in_pod(port: u16, sa: &Path, extra: &[(&str, &str)], args: &[&str]) -> Out {
    let empty = tempfile::tempdir().unwrap();
    let mut c = Command::new(lain_bin());
    c.args(args)
        .current_dir(empty.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", empty.path())
        .env("NO_COLOR", "1")
        .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", port.to_string())
        .env("LAIN_SERVICEACCOUNT_DIR", sa);
    for (k, v) in extra {
        c.env(k, v);
    }
    let o = tokio::task::spawn_blocking(move || c.output().expect("lain runs")).await.unwrap();
    if std::env::var_os("LAIN_TEST_SHOW").is_some() {
        eprintln!(
            "--- lain (in a pod) {} (exit {:?})\n{}{}",
            args.join(" "),
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    Out::from(o)
}

async fn wait_in_a_test_pod(helm: &str) {
    let certs = tempfile::tempdir().unwrap();
    let tls = pki(certs.path());
    let ca = tls.ca.clone();
    let opts = Options { time_scale: 20.0, tls: Some(tls), token: Some(TOKEN.into()), ..Options::default() };
    let t = setup_with(helm, crate::support::VALUES, opts).await;
    assert!(t.sim.url().starts_with("https://"), "{}", t.sim.url());
    // The deploy itself, through helm and kube-rs, over TLS with the kubeconfig's CA and token.
    t.lain(&["deploy"]).await.ok();
    let port = t.sim.addr().port();

    let sa = t.home.path().join("serviceaccount");
    service_account(&sa, TOKEN, &ca);
    // What the chart gives a test pod: LAIN_RELEASE (and LAIN_CLUSTER, K8S_NAMESPACE, unused).
    let out = lain_in_pod(port, &sa, &[("LAIN_RELEASE", "dummy"), ("LAIN_CLUSTER", "test")], &["wait", "--timeout", "30s"]).await;
    out.ok();
    assert!(out.all().contains("dummy is green: 3 pods Running and Ready"), "{}", out.all());
    // A release named on the command line, without LAIN_RELEASE.
    let out = lain_in_pod(port, &sa, &[], &["wait", "dummy", "--timeout", "30s"]).await;
    out.ok();
    assert!(out.all().contains("dummy is green"), "{}", out.all());

    // A pod whose token the server does not accept: one clear error, not a hang or a panic.
    let bad = t.home.path().join("revoked");
    service_account(&bad, "revoked-token", &ca);
    let out = lain_in_pod(port, &bad, &[("LAIN_RELEASE", "dummy")], &["wait", "--timeout", "30s"]).await;
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(out.stderr.contains("Unauthorized"), "{}", out.stderr);
    assert_eq!(out.stderr.matches("lain: error:").count(), 1, "{}", out.stderr);

    // A CA that did not sign the server's certificate: refused, never trusted blindly.
    let other = tempfile::tempdir().unwrap();
    let stranger = pki(other.path()).ca;
    let wrong_ca = t.home.path().join("wrong-ca");
    service_account(&wrong_ca, TOKEN, &stranger);
    let out = lain_in_pod(port, &wrong_ca, &[("LAIN_RELEASE", "dummy")], &["wait", "--timeout", "30s"]).await;
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(out.stderr.contains("certificate is not trusted"), "{}", out.stderr);

    // Outside a pod and with no `lain use`, there is nothing to connect to: say what to do.
    let out = lain_in_pod(port, &sa, &[("KUBERNETES_SERVICE_HOST", "")], &["wait", "dummy"]).await;
    out.code(2);
    assert!(out.stderr.contains("lain use"), "{}", out.stderr);
    t.shutdown().await;
}
both_helms!(wait_in_a_test_pod_, wait_in_a_test_pod);

/// A CI job with only KUBECONFIG (no `lain use`, no chart): `lain wait RELEASE` takes the
/// namespace from the kubeconfig's context.
async fn wait_with_only_kubeconfig(helm: &str) {
    let t = setup_with(helm, crate::support::VALUES, Options { time_scale: 20.0, ..Options::default() }).await;
    t.lain(&["deploy"]).await.ok();
    let kubeconfig = t.home.path().join(".kube/kubeconfig-test");
    let empty = tempfile::tempdir().unwrap();
    let mut c = Command::new(lain_bin());
    c.args(["wait", "dummy", "--timeout", "30s"])
        .current_dir(empty.path())
        .env("HOME", empty.path())
        .env("KUBECONFIG", &kubeconfig)
        .env("NO_COLOR", "1")
        .env_remove("KUBERNETES_SERVICE_HOST");
    let out = Out::from(tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap());
    out.ok();
    assert!(out.all().contains("dummy is green: 3 pods"), "{}", out.all());
    // Not a release name: refused before any request.
    let mut c = Command::new(lain_bin());
    c.args(["wait", "Dummy_App"]).current_dir(empty.path()).env("HOME", empty.path()).env("KUBECONFIG", &kubeconfig).env("NO_COLOR", "1");
    let out = Out::from(c.output().unwrap());
    out.code(2);
    assert!(out.stderr.contains("must start with a lowercase letter"), "{}", out.stderr);
    t.shutdown().await;
}
both_helms!(wait_with_only_kubeconfig_, wait_with_only_kubeconfig);
