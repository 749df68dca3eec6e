//! Shared test helpers: start a sandbox on an ephemeral port and call it over HTTP.
#![allow(dead_code)]

use clouddigit_sandbox::{start, Config, RunningServer};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub struct Sbx {
    pub server: RunningServer,
    pub http: reqwest::Client,
    pub admin: String,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

pub fn config() -> Config {
    Config {
        port: 0,
        ..Config::default()
    }
}

pub async fn sandbox() -> Sbx {
    sandbox_with(config()).await
}

pub async fn sandbox_with(config: Config) -> Sbx {
    let server = start(config).await.expect("sandbox starts");
    let admin = server.bootstrap_token.expose_secret().to_owned();
    Sbx {
        server,
        http: reqwest::Client::new(),
        admin,
    }
}

impl Sbx {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.url(), path)
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.send(Method::GET, path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.send(Method::POST, path, Some(token), Some(body), &[])
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.send(Method::PATCH, path, Some(token), Some(body), &[])
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.send(Method::DELETE, path, Some(token), None, &[])
            .await
    }

    /// A personal token for a seeded user, minted through the sandbox admin endpoint.
    pub async fn user_token(&self, user: &str, spec: Value) -> String {
        let r = self
            .post(&format!("/_sandbox/users/{user}/tokens"), &self.admin, spec)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body["secret"].as_str().expect("secret").to_owned()
    }

    /// `projects` scoped, inherit, never expires.
    pub async fn simple_token(&self, user: &str, projects: Value) -> String {
        self.user_token(
            user,
            json!({ "name": format!("{user}-test"), "projects": projects, "expires_at": null }),
        )
        .await
    }

    pub async fn server_id(&self, project: &str, name: &str) -> String {
        let r = self
            .get(
                &format!("/v1/compute/servers?project={project}"),
                &self.admin,
            )
            .await;
        r.body["servers"]
            .as_array()
            .expect("servers")
            .iter()
            .find(|s| s["name"] == name)
            .and_then(|s| s["id"].as_str())
            .expect("server")
            .to_owned()
    }
}
