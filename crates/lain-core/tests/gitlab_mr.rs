//! assign-mr and wait-mr-approval against a local fake of the GitLab API v4 that records
//! every request.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used)]

mod support {
    pub mod http;
}

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lain_core::gitlab::{AssignOutcome, Gitlab, GitlabError, Token};
use lain_core::ops::{assign_mr, wait_mr_approval};
use serde_json::{Value, json};
use support::http::{Request, Server, json};

const TOKEN: &str = "glpat-test-token";
const MR: &str = "/api/v4/projects/dev%2Fdummy/merge_requests/5";

struct State {
    mr: Value,
    contributors: Value,
    approvals: Value,
    /// After this many reads of the approvals, bob approves (None: never).
    approve_after: Option<usize>,
    /// After this many reads of the MR, it takes this state.
    state_after: Option<(usize, &'static str)>,
}

struct Fake {
    server: Server,
    state: Arc<Mutex<State>>,
    approval_reads: Arc<AtomicUsize>,
}

fn users() -> Value {
    json!([
        {"id": 1, "username": "alice", "name": "Alice Wang", "state": "active", "email": "alice@example.com"},
        {"id": 2, "username": "bob", "name": "Bob Chen", "state": "active", "email": "bob@example.com"},
        {"id": 3, "username": "carol", "name": "Carol Liu", "state": "blocked", "email": "carol@example.com"},
        {"id": 4, "username": "dave", "name": "Dave Li", "state": "active", "email": "dave@private.example"},
        {"id": 5, "username": "ci-bot", "name": "CI Bot", "state": "active", "bot": true, "email": "bot@example.com"},
        {"id": 6, "username": "frank", "name": "Frank Zhou", "state": "active", "email": "frank@example.com"}
    ])
}

fn contributors() -> Value {
    json!([
        {"name": "Alice Wang", "email": "alice@example.com", "commits": 120},
        {"name": "Bob Chen", "email": "bob@example.com", "commits": 80},
        {"name": "Carol Liu", "email": "carol@example.com", "commits": 40},
        // Commits under a private address: found by name.
        {"name": "Dave Li", "email": "dave@laptop.local", "commits": 30},
        {"name": "CI Bot", "email": "bot@example.com", "commits": 200},
        {"name": "Frank Zhou", "email": "frank@example.com", "commits": 10},
        // Left the company: no GitLab user any more.
        {"name": "Gone Person", "email": "gone@example.com", "commits": 5}
    ])
}

fn mr(state: &str) -> Value {
    json!({"iid": 5, "state": state, "author": {"id": 1, "username": "alice"}, "assignees": [], "reviewers": []})
}

fn decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let hex = if b[i] == b'%' && i + 2 < b.len() { u8::from_str_radix(&s[i + 1..i + 3], 16).ok() } else { None };
        if let Some(v) = hex {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_param(r: &Request, key: &str) -> Option<String> {
    let q = r.path.split_once('?')?.1;
    q.split('&').find_map(|kv| kv.strip_prefix(&format!("{key}=")).map(decode))
}

impl Fake {
    fn start() -> Fake {
        let state = Arc::new(Mutex::new(State {
            mr: mr("opened"),
            contributors: contributors(),
            approvals: json!({"approved": true, "approved_by": [], "approvals_left": 0}),
            approve_after: None,
            state_after: None,
        }));
        let approval_reads = Arc::new(AtomicUsize::new(0));
        let mr_reads = Arc::new(AtomicUsize::new(0));
        let (st, reads) = (state.clone(), approval_reads.clone());
        let server = Server::start(move |r| {
            if r.header("PRIVATE-TOKEN") != Some(TOKEN) {
                return json(401, json!({"message": "401 Unauthorized"}));
            }
            let mut s = st.lock().unwrap();
            match (r.method.as_str(), r.route()) {
                ("GET", MR) => {
                    let n = mr_reads.fetch_add(1, Ordering::SeqCst) + 1;
                    if let Some((_, new_state)) = s.state_after.filter(|(after, _)| n > *after) {
                        s.mr["state"] = json!(new_state);
                    }
                    json(200, s.mr.clone())
                }
                ("PUT", MR) => {
                    let body = r.json();
                    let find = |id: &Value| users().as_array().unwrap().iter().find(|u| &u["id"] == id).cloned().unwrap_or(Value::Null);
                    s.mr["assignees"] = json!([find(&body["assignee_ids"][0])]);
                    s.mr["reviewers"] = json!([find(&body["reviewer_ids"][0])]);
                    json(200, s.mr.clone())
                }
                ("GET", "/api/v4/projects/dev%2Fdummy/merge_requests/5/approvals") => {
                    let n = reads.fetch_add(1, Ordering::SeqCst) + 1;
                    if s.approve_after.is_some_and(|a| n > a) {
                        s.approvals = json!({"approved": true, "approvals_left": 0, "approved_by": [{"user": {"id": 2, "username": "bob"}}]});
                    }
                    json(200, s.approvals.clone())
                }
                ("GET", "/api/v4/projects/dev%2Fdummy/repository/contributors") => json(200, s.contributors.clone()),
                ("GET", "/api/v4/users") => {
                    // GitLab's search: substring of name, username, or (public) email.
                    let q = query_param(r, "search").unwrap_or_default().to_lowercase();
                    let hits: Vec<Value> = users()
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|u| ["name", "username", "email"].iter().any(|k| u[*k].as_str().unwrap_or("").to_lowercase().contains(&q)))
                        .cloned()
                        .collect();
                    json(200, Value::Array(hits))
                }
                _ => json(404, json!({"message": "404 Project Not Found"})),
            }
        });
        Fake { server, state, approval_reads }
    }

    fn gitlab(&self) -> Gitlab {
        Gitlab::new(&self.server.url, Token::Private(TOKEN.into())).unwrap()
    }

    fn puts(&self) -> Vec<Request> {
        self.server.requests().into_iter().filter(|r| r.method == "PUT").collect()
    }
}

#[tokio::test]
async fn assigns_two_active_contributors_never_the_author() {
    let fake = Fake::start();
    let gl = fake.gitlab();
    let valid = ["bob", "dave", "frank"];
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..24u64 {
        fake.state.lock().unwrap().mr = mr("opened");
        let AssignOutcome::Assigned { assignee, reviewer } = gl.assign_mr("dev/dummy", 5, Some(seed)).await.unwrap() else {
            panic!("seed {seed}: not assigned")
        };
        assert_ne!(assignee, reviewer, "seed {seed}");
        for u in [&assignee, &reviewer] {
            assert!(valid.contains(&u.username.as_str()), "seed {seed} picked {u:?}");
            seen.insert(u.username.clone());
        }
        // What was sent is what was reported.
        let put = fake.puts().pop().unwrap().json();
        assert_eq!(put, json!({"assignee_ids": [assignee.id], "reviewer_ids": [reviewer.id]}));
        // The same seed picks the same people.
        fake.state.lock().unwrap().mr = mr("opened");
        let again = gl.assign_mr("dev/dummy", 5, Some(seed)).await.unwrap();
        assert_eq!(again, AssignOutcome::Assigned { assignee, reviewer });
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), valid, "random over seeds covers every candidate");
    for r in fake.server.requests() {
        assert_eq!(r.header("PRIVATE-TOKEN"), Some(TOKEN));
    }
}

#[tokio::test]
async fn leaves_an_assigned_mr_alone_and_handles_lonely_repos() {
    let fake = Fake::start();
    let gl = fake.gitlab();
    fake.state.lock().unwrap().mr["reviewers"] = json!([{"id": 2, "username": "bob"}]);
    let out = gl.assign_mr("dev/dummy", 5, Some(1)).await.unwrap();
    assert_eq!(out, AssignOutcome::AlreadyAssigned { assignees: vec![], reviewers: vec!["bob".into()] });
    assert!(fake.puts().is_empty());

    // The author assigning themselves is not a review: lain still picks.
    let mut m = mr("opened");
    m["assignees"] = json!([{"id": 1, "username": "alice"}]);
    fake.state.lock().unwrap().mr = m;
    assert!(matches!(gl.assign_mr("dev/dummy", 5, Some(1)).await.unwrap(), AssignOutcome::Assigned { .. }));

    // One other contributor: assignee and reviewer both.
    {
        let mut s = fake.state.lock().unwrap();
        s.mr = mr("opened");
        s.contributors = json!([{"name": "Alice Wang", "email": "alice@example.com"}, {"name": "Frank Zhou", "email": "frank@example.com"}]);
    }
    let AssignOutcome::Assigned { assignee, reviewer } = gl.assign_mr("dev/dummy", 5, None).await.unwrap() else { panic!() };
    assert_eq!((assignee.username.as_str(), reviewer.username.as_str()), ("frank", "frank"));

    // Only the author (and people who are gone): a clear error.
    {
        let mut s = fake.state.lock().unwrap();
        s.mr = mr("opened");
        s.contributors = json!([{"name": "Alice Wang", "email": "alice@example.com"}, {"name": "Gone Person", "email": "gone@example.com"}]);
    }
    let err = gl.assign_mr("dev/dummy", 5, None).await.unwrap_err();
    assert!(matches!(err, GitlabError::NoCandidates { .. }), "{err}");

    fake.state.lock().unwrap().mr = mr("merged");
    let err = gl.assign_mr("dev/dummy", 5, None).await.unwrap_err();
    assert_eq!(err.to_string(), "dev/dummy!5 is merged; only open merge requests get reviewers");
}

#[tokio::test]
async fn clear_errors_for_bad_tokens_projects_and_servers() {
    let fake = Fake::start();
    let bad = Gitlab::new(&fake.server.url, Token::Private("wrong".into())).unwrap();
    let err = bad.assign_mr("dev/dummy", 5, None).await.unwrap_err();
    assert!(matches!(err, GitlabError::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains("GITLAB_API_TOKEN"), "{err}");
    let job = Gitlab::new(&fake.server.url, Token::Job("job-token".into())).unwrap();
    let err = job.wait_mr_approval("dev/dummy", 5, Duration::from_secs(1), Duration::from_millis(10)).await.unwrap_err();
    assert!(err.to_string().contains("CI_JOB_TOKEN") && err.to_string().contains("GITLAB_API_TOKEN"), "{err}");
    // The job token travels in its own header.
    assert!(fake.server.requests().iter().any(|r| r.header("JOB-TOKEN") == Some("job-token")));

    let err = fake.gitlab().assign_mr("dev/other", 5, None).await.unwrap_err();
    assert!(matches!(err, GitlabError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("dev/other!5"), "{err}");

    // The site URL and the API root both work.
    let api_root = Gitlab::new(&format!("{}/api/v4/", fake.server.url), Token::Private(TOKEN.into())).unwrap();
    assert!(api_root.assign_mr("dev/dummy", 5, Some(3)).await.is_ok());

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let down = Gitlab::new(&format!("http://127.0.0.1:{port}"), Token::Private(TOKEN.into())).unwrap();
    let err = down.assign_mr("dev/dummy", 5, None).await.unwrap_err();
    assert!(matches!(err, GitlabError::Unreachable { .. }), "{err}");
    assert!(matches!(Gitlab::new("gitlab.example.com", Token::Private("x".into())), Err(GitlabError::InvalidUrl { .. })));
}

#[tokio::test]
async fn waits_for_an_approval_by_someone_else() {
    let fake = Fake::start();
    fake.state.lock().unwrap().approve_after = Some(3);
    let t0 = Instant::now();
    let approval = wait_mr_approval::run(wait_mr_approval::WaitMrApprovalOptions {
        gitlab_url: &fake.server.url,
        token: Token::Private(TOKEN.into()),
        project: "dev/dummy",
        mr_iid: 5,
        timeout: Some(Duration::from_secs(5)),
        interval: Some(Duration::from_millis(20)),
    })
    .await
    .unwrap();
    assert_eq!(approval.approved_by, ["bob"]);
    // `approved: true` with nobody approving (GitLab Free) did not count: it polled until bob.
    assert_eq!(fake.approval_reads.load(Ordering::SeqCst), 4);
    assert!(t0.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn stops_with_the_reason_on_close_merge_or_timeout() {
    let fake = Fake::start();
    let gl = fake.gitlab();
    fake.state.lock().unwrap().state_after = Some((2, "closed"));
    let err = gl.wait_mr_approval("dev/dummy", 5, Duration::from_secs(5), Duration::from_millis(10)).await.unwrap_err();
    assert!(matches!(err, GitlabError::Closed { .. }), "{err}");
    assert_eq!(err.to_string(), "dev/dummy!5 was closed without approval");

    let fake = Fake::start();
    let gl = fake.gitlab();
    fake.state.lock().unwrap().state_after = Some((1, "merged"));
    let err = gl.wait_mr_approval("dev/dummy", 5, Duration::from_secs(5), Duration::from_millis(10)).await.unwrap_err();
    assert!(matches!(err, GitlabError::MergedWithoutApproval { .. }), "{err}");

    // Merged after an approval is a success.
    let fake = Fake::start();
    let gl = fake.gitlab();
    {
        let mut s = fake.state.lock().unwrap();
        s.state_after = Some((0, "merged"));
        s.approve_after = Some(0);
    }
    assert_eq!(gl.wait_mr_approval("dev/dummy", 5, Duration::from_secs(5), Duration::from_millis(10)).await.unwrap().approved_by, ["bob"]);

    let fake = Fake::start();
    let gl = fake.gitlab();
    fake.state.lock().unwrap().mr["reviewers"] = json!([{"id": 6, "username": "frank"}]);
    let t0 = Instant::now();
    let err = gl.wait_mr_approval("dev/dummy", 5, Duration::from_millis(200), Duration::from_millis(30)).await.unwrap_err();
    assert!(t0.elapsed() < Duration::from_millis(800), "{:?}", t0.elapsed());
    assert!(matches!(err, GitlabError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("ask a reviewer (frank)"), "{err}");
}

#[tokio::test]
async fn assign_mr_op_reports_the_pick() {
    let fake = Fake::start();
    let out = assign_mr::run(assign_mr::AssignMrOptions {
        gitlab_url: &fake.server.url,
        token: Token::Private(TOKEN.into()),
        project: "dev/dummy",
        mr_iid: 5,
        seed: Some(42),
    })
    .await
    .unwrap();
    let AssignOutcome::Assigned { assignee, reviewer } = out else { panic!() };
    let mr = fake.state.lock().unwrap().mr.clone();
    assert_eq!(mr["assignees"][0]["username"], json!(assignee.username));
    assert_eq!(mr["reviewers"][0]["username"], json!(reviewer.username));
}
