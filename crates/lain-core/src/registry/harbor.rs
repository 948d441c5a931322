//! Harbor's API v2.0: `GET /api/v2.0/projects/{project}/repositories/{repo}/artifacts`.
//!
//! `registry` is `HOST/PROJECT`. Auth is HTTP basic (a user or a robot account, from
//! `secrets_env` or the docker config). Artifacts are paged (`page`, `page_size`, `Link`);
//! each artifact carries zero or more tags.

use reqwest::header::ACCEPT;
use reqwest::{Method, StatusCode, Url};

use super::sign::percent_encode;
use super::v2::{error_message, next_link};
use super::{Credentials, Registry, RegistryAddr, RegistryError, transport_error};

const PAGE_SIZE: usize = 100;

#[derive(Debug)]
pub struct HarborRegistry {
    client: reqwest::Client,
    addr: RegistryAddr,
    creds: Credentials,
    project: String,
}

impl HarborRegistry {
    pub fn new(client: reqwest::Client, addr: RegistryAddr, creds: Credentials) -> Result<HarborRegistry, RegistryError> {
        let project = addr.namespace.split('/').next().unwrap_or_default().to_string();
        if project.is_empty() {
            return Err(RegistryError::Config {
                registry: addr.registry.clone(),
                reason: "a Harbor registry needs a project".into(),
                fix: "write `registry: HOST/PROJECT` in the cluster config".into(),
            });
        }
        Ok(HarborRegistry { client, addr, creds, project })
    }

    /// The repository name inside the project, double-encoded as Harbor requires for names
    /// with `/` (`a/b` → `a%252Fb`).
    fn repo_path(&self, repo: &str) -> String {
        let rest = self.addr.namespace.split_once('/').map(|(_, r)| format!("{r}/{repo}")).unwrap_or_else(|| repo.to_string());
        percent_encode(&percent_encode(&rest))
    }

    fn api(&self, path: &str) -> Result<Url, RegistryError> {
        let s = format!("{}/api/v2.0{}", self.addr.base_url, path);
        Url::parse(&s).map_err(|e| RegistryError::Config {
            registry: self.addr.registry.clone(),
            reason: format!("`{s}` is not a valid URL: {e}"),
            fix: "check `registry` in the cluster config".into(),
        })
    }

    async fn send(&self, method: Method, url: &Url) -> Result<reqwest::Response, RegistryError> {
        let mut req = self.client.request(method, url.clone()).header(ACCEPT, "application/json");
        if let Some((u, p)) = self.creds.basic() {
            req = req.basic_auth(u, Some(p));
        }
        let resp = req.send().await.map_err(|e| transport_error(url.as_str(), e))?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            let m = error_message(resp).await;
            if self.creds.basic().is_none() {
                return Err(RegistryError::AuthRequired {
                    url: url.to_string(),
                    fix: format!(
                        "set the variables named by `secrets_env` (user, password: a Harbor user or robot account), or run `docker login {}`",
                        self.addr.host
                    ),
                });
            }
            return Err(RegistryError::AuthRejected {
                url: url.to_string(),
                source_name: self.creds.source.clone(),
                status: status.as_u16(),
                message: m,
                fix: format!("check that the account may read project `{}` in Harbor", self.project),
            });
        }
        Ok(resp)
    }
}

impl Registry for HarborRegistry {
    fn describe(&self) -> String {
        format!("{}/api/v2.0 (Harbor project {})", self.addr.base_url, self.project)
    }

    async fn list_tags(&self, repo: &str) -> Result<Vec<String>, RegistryError> {
        let mut url =
            self.api(&format!("/projects/{}/repositories/{}/artifacts?page=1&page_size={PAGE_SIZE}&with_tag=true", self.project, self.repo_path(repo)))?;
        let mut tags = Vec::new();
        for page in 1..=10_000usize {
            let resp = self.send(Method::GET, &url).await?;
            let status = resp.status();
            if status == StatusCode::NOT_FOUND {
                return Ok(tags);
            }
            if !status.is_success() {
                let m = error_message(resp).await;
                return Err(RegistryError::Api { url: url.to_string(), status: status.as_u16(), message: m });
            }
            let next = next_link(resp.headers());
            let v: serde_json::Value = resp.json().await.map_err(|e| RegistryError::BadResponse { url: url.to_string(), reason: e.to_string() })?;
            let arts = v.as_array().ok_or_else(|| RegistryError::BadResponse { url: url.to_string(), reason: "expected a list of artifacts".into() })?;
            for a in arts {
                if let Some(ts) = a.get("tags").and_then(|t| t.as_array()) {
                    tags.extend(ts.iter().filter_map(|t| t.get("name").and_then(|n| n.as_str()).map(str::to_string)));
                }
            }
            // Follow `Link` when Harbor sends it; otherwise a full page means there may be more.
            url = match next {
                Some(n) => url.join(&n).map_err(|e| RegistryError::BadResponse { url: url.to_string(), reason: e.to_string() })?,
                None if arts.len() >= PAGE_SIZE => {
                    let mut u = url.clone();
                    let pairs: Vec<(String, String)> = u
                        .query_pairs()
                        .map(|(k, v)| if k == "page" { (k.into_owned(), (page + 1).to_string()) } else { (k.into_owned(), v.into_owned()) })
                        .collect();
                    u.query_pairs_mut().clear().extend_pairs(pairs);
                    u
                }
                None => break,
            };
        }
        Ok(tags)
    }

    async fn tag_exists(&self, repo: &str, tag: &str) -> Result<bool, RegistryError> {
        let url = self.api(&format!("/projects/{}/repositories/{}/artifacts/{}", self.project, self.repo_path(repo), percent_encode(tag)))?;
        let resp = self.send(Method::GET, &url).await?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            s => {
                let m = error_message(resp).await;
                Err(RegistryError::Api { url: url.to_string(), status: s.as_u16(), message: m })
            }
        }
    }

    async fn delete_tag(&self, repo: &str, tag: &str) -> Result<bool, RegistryError> {
        let t = percent_encode(tag);
        let url = self.api(&format!("/projects/{}/repositories/{}/artifacts/{t}/tags/{t}", self.project, self.repo_path(repo)))?;
        let resp = self.send(Method::DELETE, &url).await?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            s => {
                let m = error_message(resp).await;
                Err(RegistryError::Api { url: url.to_string(), status: s.as_u16(), message: m })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_a_project_and_encodes_nested_names() {
        let c = super::super::http_client().unwrap();
        assert!(HarborRegistry::new(c.clone(), RegistryAddr::parse("harbor.example.com"), Credentials::default()).is_err());
        let h = HarborRegistry::new(c, RegistryAddr::parse("harbor.example.com/team/sub"), Credentials::default()).unwrap();
        assert_eq!(h.project, "team");
        assert_eq!(h.repo_path("app"), "sub%252Fapp");
    }
}
