//! Benchmarks of lain's own overhead (opt-in: `cargo test -p lain-core --test image_bench --
//! --ignored --nocapture`). Figures are printed; the targets are asserted.
//!
//! - `lain build` when the tag is already in the registry: everything but the engine
//!   (values → spec, git tag + dirty check, one registry HEAD). Target < 50 ms.
//! - `lain version` against a repository with 2,000 tags (list + sort + render). Target < 1 s.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use lain_core::ops::{self, build::BuildOptions, build::BuildOutcome};
use serde_json::json;
use support::{AppRepo, Cleanup, TestRegistry, sh};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[test]
#[ignore = "benchmark; run with --ignored --nocapture"]
fn bench_build_skip_when_tag_exists() {
    let reg = TestRegistry::start();
    let base = reg.push_base();
    let app = AppRepo::new(&[("a.txt", "1\n")]);
    let image = format!("{}/bench:{}", reg.addr, app.head_tag());
    sh(Command::new("docker").args(["tag", &base, &image]));
    sh(Command::new("docker").args(["push", "-q", &image]));
    let _c = Cleanup(vec![image.clone()]);
    let ctx = support::ctx(&app, &reg.addr, "bench", json!({"build": {"base": base, "script": ["true"]}}));
    let rt = support::tokio();
    let opts = BuildOptions { skip_existing: true, ..Default::default() };
    let mut times = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let out = rt.block_on(ops::build::run(&ctx, &opts)).unwrap();
        times.push(t.elapsed());
        assert!(matches!(out, BuildOutcome::AlreadyInRegistry { .. }));
    }
    let (min, med, max) = (*times.iter().min().unwrap(), median(times.clone()), *times.iter().max().unwrap());
    println!("build (tag already in registry), lain overhead over 30 runs: min {min:?}, median {med:?}, max {max:?}");
    assert!(med < Duration::from_millis(50), "median {med:?} over the 50 ms target");
}

#[test]
#[ignore = "benchmark; run with --ignored --nocapture"]
fn bench_version_with_2000_tags() {
    let reg = TestRegistry::start();
    let base = reg.push_base();
    let seed = format!("{}/many:seed", reg.addr);
    sh(Command::new("docker").args(["tag", &base, &seed]));
    sh(Command::new("docker").args(["push", "-q", &seed]));
    let _c = Cleanup(vec![seed]);
    let rt = support::tokio();
    let client = lain_core::registry::http_client().unwrap();
    rt.block_on(async {
        // 2,000 tags of one manifest, PUT straight through the registry API.
        let accept = "application/vnd.docker.distribution.manifest.v2+json";
        let url = format!("http://{}/v2/many/manifests/seed", reg.addr);
        let manifest = client.get(&url).header("Accept", accept).send().await.unwrap().bytes().await.unwrap();
        let t = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for chunk in 0..16u64 {
            let client = client.clone();
            let manifest = manifest.clone();
            let addr = reg.addr.clone();
            set.spawn(async move {
                for i in (chunk..2000).step_by(16) {
                    let tag = format!("{}-{:040x}", 1_600_000_000 + i * 60, i);
                    let r = client
                        .put(format!("http://{addr}/v2/many/manifests/{tag}"))
                        .header("Content-Type", accept)
                        .body(manifest.clone())
                        .send()
                        .await
                        .unwrap();
                    assert!(r.status().is_success(), "{}", r.status());
                }
            });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap();
        }
        println!("seeded 2,000 tags in {:?}", t.elapsed());
    });
    let app = AppRepo::new(&[("a", "1")]);
    let ctx = support::ctx(&app, &reg.addr, "many", json!({}));
    let mut times = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let l = rt.block_on(ops::version::run(&ctx, &Default::default())).unwrap();
        let text = l.render();
        times.push(t.elapsed());
        assert_eq!(l.total, 2000);
        assert_eq!(l.others, vec!["seed"]);
        assert!(text.starts_with(&format!("{}-{:040x}", 1_600_000_000 + 1999 * 60, 1999)), "newest first");
    }
    let med = median(times.clone());
    println!("version with 2,000 tags over 10 runs: min {:?}, median {med:?}, max {:?}", times.iter().min().unwrap(), times.iter().max().unwrap());
    assert!(med < Duration::from_secs(1), "median {med:?} over the 1 s target");
}
