//! `lain env` / `lain secret`: editing with a scripted $EDITOR, races, mistakes, binary files,
//! and values never printed except by `show`.

use crate::support::{T, VALUES, setup};

const SECRET: &str = "hunter2-s3cr3t";

fn editor(t: &mut T, name: &str, script: &str) {
    let p = t.write_home(name, &format!("#!/bin/sh\nset -e\n{script}\n"), true);
    t.env.retain(|(k, _)| k != "EDITOR");
    t.env.push(("EDITOR".into(), p.display().to_string()));
}

/// The file lain kept, from "your edit is kept in PATH (".
fn kept_file(stderr: &str) -> std::path::PathBuf {
    let start = stderr.find("kept in ").unwrap_or_else(|| panic!("no kept file named: {stderr}")) + "kept in ".len();
    let rest = &stderr[start..];
    let end = rest.find(" (").unwrap_or(rest.len());
    std::path::PathBuf::from(&rest[..end])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_show_and_edit() {
    let mut t = setup("helm3", VALUES, 20.0).await;
    let out = t.lain(&["env", "add", &format!("DB_PASSWORD={SECRET}"), "PORT=8000"]).await;
    out.ok();
    assert!(out.stderr.contains("added DB_PASSWORD, PORT"), "{}", out.stderr);
    assert!(!out.all().contains(SECRET), "add must not print values: {}", out.all());
    assert_eq!(t.secret("dummy-env").unwrap()["DB_PASSWORD"], SECRET.as_bytes());

    let show = t.lain(&["env", "show"]).await;
    show.ok();
    assert!(show.stdout.contains(&format!("DB_PASSWORD: {SECRET}")), "{}", show.stdout);
    assert!(show.stdout.contains("PORT: \"8000\"") || show.stdout.contains("PORT: 8000"), "{}", show.stdout);
    assert!(show.stdout.contains("name: dummy-env"), "{}", show.stdout);

    editor(&mut t, "ed.sh", "sed -i 's/^  PORT: .*/  PORT: \"9000\"\\n  NEW_KEY: new/' \"$1\"");
    let out = t.lain(&["env", "edit"]).await;
    out.ok();
    assert!(out.stderr.contains("added NEW_KEY; changed PORT"), "{}", out.stderr);
    assert!(!out.all().contains(SECRET), "{}", out.all());
    let s = t.secret("dummy-env").unwrap();
    assert_eq!(s["PORT"], b"9000");
    assert_eq!(s["NEW_KEY"], b"new");
    assert_eq!(s["DB_PASSWORD"], SECRET.as_bytes());
    t.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_racing_another_writer_is_refused_and_kept() {
    let mut t = setup("helm3", VALUES, 20.0).await;
    t.lain(&["env", "add", &format!("DB_PASSWORD={SECRET}")]).await.ok();
    // While "the user" edits, someone else adds a key (through lain, like a colleague would).
    let lain = crate::support::lain_bin().display().to_string();
    editor(&mut t, "race.sh", &format!("\"{lain}\" env add THEIRS=1 >/dev/null 2>&1\nsed -i 's/^  DB_PASSWORD: .*/  DB_PASSWORD: mine/' \"$1\""));
    let out = t.lain(&["env", "edit"]).await;
    out.code(1);
    let e = &out.stderr;
    assert!(e.contains("changed by someone else"), "{e}");
    assert!(e.contains("added THEIRS"), "says which keys changed: {e}");
    assert!(!out.all().contains(SECRET), "{}", out.all());
    let kept = kept_file(e);
    let text = std::fs::read_to_string(&kept).expect("the edit is kept");
    assert!(text.contains("DB_PASSWORD: mine"), "{text}");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&kept).unwrap().permissions());
    assert_eq!(mode & 0o077, 0, "the kept edit is private");
    // Their change is intact, ours was not written.
    let s = t.secret("dummy-env").unwrap();
    assert_eq!(s["THEIRS"], b"1");
    assert_eq!(s["DB_PASSWORD"], SECRET.as_bytes());
    // The kept file can be applied afterwards (it replaces everything: THEIRS goes).
    t.lain(&["env", "apply", kept.to_str().unwrap()]).await.ok();
    assert_eq!(t.secret("dummy-env").unwrap()["DB_PASSWORD"], b"mine");
    let _ = std::fs::remove_file(kept);
    t.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_yaml_is_refused_and_kept() {
    let mut t = setup("helm3", VALUES, 20.0).await;
    t.lain(&["env", "add", &format!("DB_PASSWORD={SECRET}")]).await.ok();
    let before = t.get("v1", "secrets", "dummy-env").unwrap();
    editor(&mut t, "bad.sh", &format!("printf 'data:\\n  DB_PASSWORD: {SECRET}x\\n  BROKEN: [unclosed\\n' > \"$1\""));
    let out = t.lain(&["env", "edit"]).await;
    out.code(2);
    let e = &out.stderr;
    assert!(e.contains("is not valid") && e.contains("line"), "{e}");
    assert!(!out.all().contains(SECRET), "errors must not quote values: {}", out.all());
    let kept = kept_file(e);
    assert!(std::fs::read_to_string(&kept).unwrap().contains("BROKEN: [unclosed"));
    let after = t.get("v1", "secrets", "dummy-env").unwrap();
    assert_eq!(before["metadata"]["resourceVersion"], after["metadata"]["resourceVersion"], "the Secret is unchanged");
    let _ = std::fs::remove_file(kept);
    t.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_first_use_binary_files_and_auto_pilot_restart() {
    let mut t = setup("helm3", VALUES, 20.0).await;
    t.lain(&["deploy"]).await.ok();
    // Saving the first edit unchanged creates the Secret with the seeds' example file.
    editor(&mut t, "touch.sh", "touch \"$1\"");
    t.lain(&["secret", "edit"]).await.ok();
    assert_eq!(t.secret("dummy-secret").unwrap()["topsecret.txt"], b"I\nAM\nBATMAN");

    let bin: Vec<u8> = vec![0, 1, 2, 250, 251, 255, 10, 13];
    let f = t.home.path().join("key.bin");
    std::fs::write(&f, &bin).unwrap();
    let pods_before: Vec<String> = t.pods("dummy-web-").iter().map(|p| p["metadata"]["uid"].as_str().unwrap_or("").to_string()).collect();
    let out = t.lain(&["--auto-pilot", "secret", "add", f.to_str().unwrap()]).await;
    out.ok();
    assert!(out.stderr.contains("added key.bin"), "{}", out.stderr);
    assert!(out.stderr.contains("one by one"), "auto-pilot restarts gracefully: {}", out.stderr);
    assert_eq!(t.secret("dummy-secret").unwrap()["key.bin"], bin);
    let pods_after: Vec<String> = t
        .pods("dummy-web-")
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .map(|p| p["metadata"]["uid"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(pods_after.iter().all(|u| !pods_before.contains(u)), "every web pod was replaced");

    // Binary content survives show → apply unchanged.
    let show = t.lain(&["secret", "show"]).await;
    show.ok();
    assert!(show.stdout.contains("key.bin: !!binary"), "{}", show.stdout);
    let doc = t.write_home("doc.yaml", &show.stdout, false);
    editor(&mut t, "noop.sh", "true");
    t.lain(&["secret", "apply", doc.to_str().unwrap()]).await.ok();
    assert_eq!(t.secret("dummy-secret").unwrap()["key.bin"], bin);
    t.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_never_printed_except_by_show() {
    let mut t = setup("helm3", VALUES, 20.0).await;
    let mut outputs = Vec::new();
    outputs.push(t.lain(&["env", "add", &format!("TOKEN={SECRET}")]).await);
    outputs.push(t.lain(&["deploy"]).await);
    editor(&mut t, "e.sh", &format!("sed -i 's/^  TOKEN: .*/  TOKEN: {SECRET}-2/' \"$1\""));
    outputs.push(t.lain(&["env", "edit"]).await);
    outputs.push(t.lain(&["--auto-pilot", "env", "add", &format!("OTHER={SECRET}-3")]).await);
    outputs.push(t.lain(&["env", "remove", "OTHER"]).await);
    outputs.push(t.lain(&["restart", "--graceful"]).await);
    outputs.push(t.lain(&["redeploy"]).await);
    outputs.push(t.lain(&["get-values"]).await);
    for o in &outputs {
        o.ok();
        assert!(!o.all().contains(SECRET), "a value leaked:\n{}", o.all());
    }
    let show = t.lain(&["env", "show"]).await;
    assert!(show.stdout.contains(&format!("{SECRET}-2")));
    t.shutdown().await;
}

/// On a terminal, a mistake reopens the editor with the error on top; giving up keeps the edit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_edit_reopens_on_a_mistake() {
    let mut t = setup("helm3", VALUES, 20.0).await;
    t.lain(&["env", "add", "A=1"]).await.ok();
    let home = t.home.path().display().to_string();
    // First save: invalid. Second: fixed, after checking the error is shown in the file.
    editor(
        &mut t,
        "fix.sh",
        &format!(
            "n=$(cat {home}/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > {home}/count\nif [ $n = 1 ]; then printf 'data:\\n  A: [broken\\n' > \"$1\"; else grep -q 'this edit was not applied' \"$1\" && touch {home}/saw-error; printf 'data:\\n  A: fixed\\n' > \"$1\"; fi"
        ),
    );
    let run_on_a_terminal = |t: &crate::support::T| {
        // `script` gives lain a pseudo-terminal, as an interactive shell would.
        let mut c = t.lain_cmd(&[]);
        c.env_remove("CI");
        let lain = crate::support::lain_bin().display().to_string();
        let mut s = std::process::Command::new("script");
        s.args(["-qec", &format!("'{lain}' env edit"), "/dev/null"]).current_dir(t.dir());
        for (k, v) in c.get_envs() {
            match v {
                Some(v) => s.env(k, v),
                None => s.env_remove(k),
            };
        }
        s.env_remove("CI").output().unwrap()
    };
    let o = tokio::task::block_in_place(|| run_on_a_terminal(&t));
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{text}");
    assert!(text.contains("reopening the editor"), "{text}");
    assert!(t.home.path().join("saw-error").exists(), "the error was written into the reopened file");
    assert_eq!(t.secret("dummy-env").unwrap()["A"], b"fixed");

    // Giving up after a mistake (saving nothing the second time) keeps the edit.
    std::fs::remove_file(t.home.path().join("count")).unwrap();
    editor(
        &mut t,
        "giveup.sh",
        &format!(
            "n=$(cat {home}/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > {home}/count\nif [ $n = 1 ]; then printf 'data:\\n  A: [again\\n' > \"$1\"; fi"
        ),
    );
    let o = tokio::task::block_in_place(|| run_on_a_terminal(&t));
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(text.contains("gave up after an error"), "{text}");
    let kept = kept_file(&text.replace("\r\n", "\n"));
    assert!(std::fs::read_to_string(&kept).unwrap().contains("A: [again"));
    assert_eq!(t.secret("dummy-env").unwrap()["A"], b"fixed", "unchanged");
    let _ = std::fs::remove_file(kept);
    t.shutdown().await;
}
