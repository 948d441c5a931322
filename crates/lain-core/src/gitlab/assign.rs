//! `lain assign-mr`: when an MR's author assigned nobody, pick two active contributors of the
//! repository at random (never the author) as assignee and reviewer. GitLab CE allows one
//! reviewer, and the team wants two people reading each MR, hence the assignee too.

use serde_json::{Value, json};

use super::{Gitlab, GitlabError, project_id, query_value};

/// How many contributors are looked up at most: each costs one or two API calls, and two
/// active ones are all that is needed.
const MAX_LOOKUPS: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssignOutcome {
    /// Someone already looks after this MR; lain leaves it alone.
    AlreadyAssigned { assignees: Vec<String>, reviewers: Vec<String> },
    /// `assignee` and `reviewer` are the same person when only one candidate was found.
    Assigned { assignee: User, reviewer: User },
}

/// splitmix64: tiny, deterministic for a given seed, good enough to shuffle a list of people.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

fn seed_from_clock() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64 ^ u64::from(std::process::id())).unwrap_or(0x5EED)
}

fn usernames(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array).map(|a| a.iter().filter_map(|u| u.get("username")?.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

fn user(v: &Value) -> Option<User> {
    Some(User {
        id: v.get("id")?.as_u64()?,
        username: v.get("username")?.as_str()?.to_string(),
        name: v.get("name").and_then(Value::as_str).unwrap_or("").to_string(),
    })
}

fn active_human(v: &Value) -> bool {
    v.get("state").and_then(Value::as_str) == Some("active") && !v.get("bot").and_then(Value::as_bool).unwrap_or(false)
}

impl Gitlab {
    /// Assigns an MR that has nobody looking after it. `seed` makes the pick reproducible
    /// (tests); `None` seeds from the clock.
    pub async fn assign_mr(&self, project: &str, iid: u64, seed: Option<u64>) -> Result<AssignOutcome, GitlabError> {
        let mr = self.merge_request(project, iid).await?;
        let state = mr.get("state").and_then(Value::as_str).unwrap_or("unknown");
        if state != "opened" {
            return Err(GitlabError::NotOpen { project: project.to_string(), iid, state: state.to_string() });
        }
        let author = mr.get("author").and_then(|a| a.get("id")).and_then(Value::as_u64);
        let author_name = mr.pointer("/author/username").and_then(Value::as_str).unwrap_or("");
        let assignees = usernames(mr.get("assignees"));
        let reviewers = usernames(mr.get("reviewers"));
        // Authors often assign themselves out of habit: that is not a review.
        let self_only = reviewers.is_empty() && assignees.iter().all(|a| a == author_name);
        if !self_only {
            return Ok(AssignOutcome::AlreadyAssigned { assignees, reviewers });
        }

        let pid = project_id(project);
        let mut contributors = self
            .get_all(&format!("projects/{pid}/repository/contributors?order_by=commits&sort=desc"), 3, &format!("listing contributors of {project}"))
            .await?;
        Rng(seed.unwrap_or_else(seed_from_clock)).shuffle(&mut contributors);

        let mut picked: Vec<User> = Vec::new();
        for c in contributors.iter().take(MAX_LOOKUPS) {
            if picked.len() == 2 {
                break;
            }
            let Some(found) = self.resolve(c).await? else { continue };
            if Some(found.id) != author && !picked.iter().any(|p| p.id == found.id) {
                picked.push(found);
            }
        }
        let (assignee, reviewer) = match picked.len() {
            0 => return Err(GitlabError::NoCandidates { project: project.to_string() }),
            1 => (picked[0].clone(), picked[0].clone()),
            _ => (picked[0].clone(), picked[1].clone()),
        };
        self.put(
            &format!("projects/{pid}/merge_requests/{iid}"),
            &json!({"assignee_ids": [assignee.id], "reviewer_ids": [reviewer.id]}),
            &format!("assigning {project}!{iid}"),
        )
        .await?;
        Ok(AssignOutcome::Assigned { assignee, reviewer })
    }

    /// A contributor (name and commit email) as an active GitLab user: by email first (matches
    /// public and, for admins, all emails), then by an exact, unique name.
    async fn resolve(&self, contributor: &Value) -> Result<Option<User>, GitlabError> {
        let email = contributor.get("email").and_then(Value::as_str).unwrap_or("");
        let name = contributor.get("name").and_then(Value::as_str).unwrap_or("");
        if !email.is_empty() {
            let found = self.get(&format!("users?search={}", query_value(email)), &format!("looking up {email}")).await?;
            let hits: Vec<&Value> = found.as_array().map(|a| a.iter().filter(|u| active_human(u)).collect()).unwrap_or_default();
            if hits.len() == 1 {
                return Ok(user(hits[0]));
            }
        }
        if !name.is_empty() {
            let found = self.get(&format!("users?search={}", query_value(name)), &format!("looking up {name}")).await?;
            let exact: Vec<&Value> = found
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|u| {
                            let n = |k: &str| u.get(k).and_then(Value::as_str).unwrap_or("").eq_ignore_ascii_case(name);
                            n("name") || n("username")
                        })
                        .collect()
                })
                .unwrap_or_default();
            if exact.len() == 1 && active_human(exact[0]) {
                return Ok(user(exact[0]));
            }
        }
        Ok(None)
    }
}
