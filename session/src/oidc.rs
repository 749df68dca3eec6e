//! OIDC workload identity on the client's side: a CI job (GitHub Actions, GitLab CI, a
//! Kubernetes pod) exchanges the identity token its platform gives it, a JWT, for a
//! short-lived Cloud Digit bearer (RFC 8693 token exchange), with no stored secret.
//! Which settings make a federation and where its JWT comes from are decided here; when
//! to fetch a JWT and exchange it (before the bearer expires, one refresh at a time,
//! once more after a 401) is the session's, with the bearer cache of `oauth`.

use crate::config::{ClientConfig, Origin};
use crate::error::{scrub, ApiError};
use crate::http::{HttpRequest, HttpResponse, TransportError};
use crate::models::Secret;
use crate::ops::encode;

pub const GRANT_TYPE_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const TOKEN_TYPE_JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
pub const TOKEN_TYPE_ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";

/// GitHub Actions' token endpoint, given to a job with `permissions: id-token: write`.
pub const ACTIONS_URL_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
/// The bearer that endpoint takes.
pub const ACTIONS_TOKEN_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// Where the platform's identity token comes from. It is read again for every exchange,
/// so a rotated token (Kubernetes rewrites its projected file) is picked up.
#[derive(Clone)]
pub enum JwtSource {
    /// The host's function (`oidc_token_provider`), called with the audience.
    Provider,
    /// A file (`oidc_token_file`, `CD_OIDC_TOKEN_FILE`).
    File(String),
    /// An environment variable, named by `oidc_token_env` / `CD_OIDC_TOKEN_ENV` (GitLab
    /// CI's `id_tokens`).
    Env(String),
    /// GitHub Actions: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=...` with the request
    /// token as bearer answers `{"value": "<jwt>"}`.
    GithubActions { url: String, token: Secret },
}

impl JwtSource {
    /// How errors name the source (never its contents).
    pub fn name(&self) -> String {
        match self {
            JwtSource::Provider => "the OIDC token provider".into(),
            JwtSource::File(path) => format!("the file {path}"),
            JwtSource::Env(name) => format!("${name}"),
            JwtSource::GithubActions { .. } => "GitHub Actions' token endpoint".into(),
        }
    }
}

/// The settings of a federation as options and environment give them (options win).
#[derive(Default)]
pub struct FederationSettings {
    pub service_account: Option<String>,
    pub organization: Option<String>,
    pub audience: Option<String>,
    pub token_file: Option<String>,
    pub token_env: Option<String>,
    pub token_provider: bool,
}

/// A service account to become, in an organization, with a JWT from `source`.
pub struct Federation {
    pub organization: String,
    pub service_account: String,
    /// The audience asked of the CI platform (GitHub Actions; the provider is told it).
    pub audience: Option<String>,
    pub source: JwtSource,
}

/// The first step of an exchange: getting the JWT.
pub enum JwtStep {
    Ask { audience: Option<String> },
    ReadFile { path: String },
    ReadEnv { name: String },
    Send(HttpRequest),
}

fn config_error(code: &str, message: String) -> ApiError {
    ApiError::config(code, message)
}

impl Federation {
    /// Whether these settings make a federation. It takes a service account (option or
    /// `CD_SERVICE_ACCOUNT`); OIDC options without one are an error, not ignored. The
    /// JWT's source, first found wins: the provider; a file or variable named in the
    /// options; `CD_OIDC_TOKEN_FILE`; `CD_OIDC_TOKEN_ENV`; GitHub Actions' variables.
    pub fn resolve(
        o: FederationSettings,
        var: impl Fn(&str) -> Option<String>,
        allow_insecure_http: bool,
    ) -> Result<Option<Federation>, ApiError> {
        let given = o.token_provider
            || o.organization.is_some()
            || o.audience.is_some()
            || o.token_file.is_some()
            || o.token_env.is_some();
        let Some(service_account) = o.service_account.or_else(|| var("CD_SERVICE_ACCOUNT")) else {
            if given {
                return Err(incomplete("service_account", "CD_SERVICE_ACCOUNT"));
            }
            return Ok(None);
        };
        let organization = o
            .organization
            .or_else(|| var("CD_ORGANIZATION"))
            .ok_or_else(|| incomplete("organization", "CD_ORGANIZATION"))?;
        let source = if o.token_provider {
            JwtSource::Provider
        } else if let Some(path) = o.token_file {
            JwtSource::File(path)
        } else if let Some(name) = o.token_env {
            JwtSource::Env(name)
        } else if let Some(path) = var("CD_OIDC_TOKEN_FILE") {
            JwtSource::File(path)
        } else if let Some(name) = var("CD_OIDC_TOKEN_ENV") {
            JwtSource::Env(name)
        } else if let (Some(url), Some(token)) = (var(ACTIONS_URL_VAR), var(ACTIONS_TOKEN_VAR)) {
            // The request token goes where the URL says: https, or this machine.
            let ok = Origin::parse(&url)
                .is_some_and(|u| u.https || u.is_loopback() || allow_insecure_http);
            if !ok {
                return Err(config_error(
                    "bad_oidc_url",
                    format!("{ACTIONS_URL_VAR}: not an https URL (plain http only to this machine, or with allow_insecure_http)"),
                ));
            }
            JwtSource::GithubActions {
                url,
                token: Secret::new(token),
            }
        } else {
            return Err(config_error(
                "no_oidc_token_source",
                format!("credentials (OIDC): service account {service_account} given, but no identity token to exchange: give oidc_token_provider, set CD_OIDC_TOKEN_FILE or CD_OIDC_TOKEN_ENV, or run in GitHub Actions with `permissions: id-token: write`"),
            ));
        };
        Ok(Some(Federation {
            organization,
            service_account,
            audience: o.audience.or_else(|| var("CD_OIDC_AUDIENCE")),
            source,
        }))
    }

    /// How to get the JWT for the next exchange.
    pub fn jwt_step(&self, config: &ClientConfig, user_agent: &str) -> JwtStep {
        match &self.source {
            JwtSource::Provider => JwtStep::Ask {
                audience: self.audience.clone(),
            },
            JwtSource::File(path) => JwtStep::ReadFile { path: path.clone() },
            JwtSource::Env(name) => JwtStep::ReadEnv { name: name.clone() },
            JwtSource::GithubActions { url, token } => {
                let url = match &self.audience {
                    Some(aud) => {
                        let sep = if url.contains('?') { '&' } else { '?' };
                        format!("{url}{sep}audience={}", encode(aud))
                    }
                    // GitHub's default audience: the repository owner's URL.
                    None => url.clone(),
                };
                JwtStep::Send(HttpRequest {
                    method: "GET".into(),
                    url,
                    headers: vec![
                        ("Authorization".into(), format!("Bearer {}", token.expose())),
                        ("Accept".into(), "application/json".into()),
                        ("User-Agent".into(), user_agent.into()),
                    ],
                    body: None,
                    timeout_ms: config.timeout_ms,
                })
            }
        }
    }

    /// The JWT from what the host answered: the provider's, the file's or the
    /// variable's text (`Err`: why there is none), or GitHub's response.
    pub fn jwt(&self, answer: JwtAnswer<'_>) -> Result<String, ApiError> {
        let unavailable =
            |why: &str| config_error("oidc_token_unavailable", self.failed(&scrub(why)));
        let text = match answer {
            JwtAnswer::Text(Ok(t)) => t.to_owned(),
            JwtAnswer::Text(Err(why)) => return Err(unavailable(why)),
            JwtAnswer::Http(Err(e)) => {
                let mut err = ApiError::from_transport(e);
                err.message = self.failed(&err.message);
                return Err(err);
            }
            JwtAnswer::Http(Ok(resp)) if !(200..300).contains(&resp.status) => {
                let mut err = ApiError::from_response(resp, None);
                err.code = "oidc_token_unavailable".into();
                err.message = self.failed(&format!("HTTP {}: {}", resp.status, err.message));
                return Err(err);
            }
            JwtAnswer::Http(Ok(resp)) => serde_json::from_str::<serde_json::Value>(&resp.body)
                .ok()
                .and_then(|v| v.get("value")?.as_str().map(str::to_owned))
                .ok_or_else(|| unavailable("the answer has no \"value\""))?,
        };
        let jwt = text.trim();
        if jwt.is_empty() {
            return Err(unavailable("it is empty"));
        }
        if !is_jwt(jwt) {
            return Err(config_error(
                "bad_oidc_token",
                self.failed("it is not a JWT (three base64url parts separated by dots)"),
            ));
        }
        Ok(jwt.to_owned())
    }

    fn failed(&self, why: &str) -> String {
        format!(
            "credentials (OIDC): no identity token from {}: {why}",
            self.source.name()
        )
    }

    /// The exchange (RFC 8693) at the organization's token endpoint: the JWT only in the
    /// body, which `Debug` and debug logs never show.
    pub fn exchange_request(
        &self,
        config: &ClientConfig,
        jwt: &str,
        user_agent: &str,
    ) -> Result<HttpRequest, ApiError> {
        let url = config
            .token_url(&self.organization)
            .map_err(|e| ApiError::config(e.code(), e.to_string()))?;
        Ok(HttpRequest {
            method: "POST".into(),
            url,
            headers: vec![
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                ("Accept".into(), "application/json".into()),
                ("User-Agent".into(), user_agent.into()),
            ],
            body: Some(format!(
                "grant_type={}&subject_token={}&subject_token_type={}&audience={}",
                encode(GRANT_TYPE_TOKEN_EXCHANGE),
                encode(jwt),
                encode(TOKEN_TYPE_JWT),
                encode(&self.service_account)
            )),
            timeout_ms: config.timeout_ms,
        })
    }
}

/// What the host answered when asked for the JWT.
pub enum JwtAnswer<'a> {
    Text(Result<&'a str, &'a str>),
    Http(Result<&'a HttpResponse, &'a TransportError>),
}

fn incomplete(option: &str, var: &str) -> ApiError {
    config_error(
        "oidc_incomplete",
        format!("credentials (OIDC): the token exchange needs {option} (or {var})"),
    )
}

/// Three base64url parts, the first two not empty (an unsigned JWT ends with a dot).
pub fn is_jwt(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && !parts[0].is_empty()
        && !parts[1].is_empty()
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvd2ViIn0.c2ln";

    fn settings() -> FederationSettings {
        FederationSettings {
            service_account: Some("sa_deploy".into()),
            organization: Some("acme".into()),
            ..FederationSettings::default()
        }
    }

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn no_service_account_is_no_federation_unless_asked_for() {
        let none = env(&[]);
        assert!(
            Federation::resolve(FederationSettings::default(), &none, false)
                .unwrap()
                .is_none()
        );
        // GitHub's variables alone (a job using OIDC for another cloud) are not a request.
        let gh = env(&[
            (ACTIONS_URL_VAR, "https://x/?a=1"),
            (ACTIONS_TOKEN_VAR, "t"),
        ]);
        assert!(
            Federation::resolve(FederationSettings::default(), &gh, false)
                .unwrap()
                .is_none()
        );
        let asked = FederationSettings {
            token_file: Some("/t".into()),
            ..FederationSettings::default()
        };
        let e = Federation::resolve(asked, &none, false).err().unwrap();
        assert_eq!(e.code, "oidc_incomplete");
        assert!(e.message.contains("CD_SERVICE_ACCOUNT"), "{}", e.message);
        let no_org = FederationSettings {
            organization: None,
            ..settings()
        };
        let e = Federation::resolve(no_org, &gh, false).err().unwrap();
        assert!(e.message.contains("CD_ORGANIZATION"), "{}", e.message);
    }

    #[test]
    fn sources_in_order_options_before_the_environment() {
        let all = env(&[
            ("CD_OIDC_TOKEN_FILE", "/env/file"),
            ("CD_OIDC_TOKEN_ENV", "GITLAB_OIDC_TOKEN"),
            (
                ACTIONS_URL_VAR,
                "https://pipelines.example/idtoken?api-version=2.0",
            ),
            (ACTIONS_TOKEN_VAR, "req-token"),
        ]);
        let src = |o: FederationSettings, var: &dyn Fn(&str) -> Option<String>| {
            Federation::resolve(o, var, false).map(|f| f.map(|f| f.source.name()))
        };
        let in_code_env = FederationSettings {
            token_env: Some("MY_JWT".into()),
            ..settings()
        };
        // A source named in code wins over one in the environment.
        assert_eq!(src(in_code_env, &all).unwrap().unwrap(), "$MY_JWT");
        assert_eq!(
            src(settings(), &all).unwrap().unwrap(),
            "the file /env/file"
        );
        let gh = env(&[
            (
                ACTIONS_URL_VAR,
                "https://pipelines.example/idtoken?api-version=2.0",
            ),
            (ACTIONS_TOKEN_VAR, "req-token"),
        ]);
        assert_eq!(
            src(settings(), &gh).unwrap().unwrap(),
            "GitHub Actions' token endpoint"
        );
        let e = src(settings(), &env(&[])).err().unwrap();
        assert_eq!(e.code, "no_oidc_token_source");
        let plain = env(&[
            (ACTIONS_URL_VAR, "http://pipelines.example/idtoken"),
            (ACTIONS_TOKEN_VAR, "req-token"),
        ]);
        assert_eq!(src(settings(), &plain).err().unwrap().code, "bad_oidc_url");
    }

    #[test]
    fn the_actions_request_carries_the_audience_and_hides_its_bearer() {
        let gh = env(&[
            (
                ACTIONS_URL_VAR,
                "https://pipelines.example/idtoken?api-version=2.0",
            ),
            (ACTIONS_TOKEN_VAR, "req-s3cr3t"),
            ("CD_OIDC_AUDIENCE", "https://iam.clouddigit.ai/acme"),
        ]);
        let f = Federation::resolve(settings(), &gh, false)
            .unwrap()
            .unwrap();
        let JwtStep::Send(r) = f.jwt_step(&ClientConfig::default(), "ua") else {
            panic!("GitHub's JWT is fetched")
        };
        assert_eq!(
            r.url,
            "https://pipelines.example/idtoken?api-version=2.0&audience=https%3A%2F%2Fiam.clouddigit.ai%2Facme"
        );
        assert_eq!(r.header("authorization"), Some("Bearer req-s3cr3t"));
        assert!(!format!("{r:?} {}", r.log_line(0)).contains("s3cr3t"));
    }

    #[test]
    fn the_jwt_is_checked_and_never_repeated_in_errors() {
        let f = Federation::resolve(settings(), env(&[("CD_OIDC_TOKEN_ENV", "J")]), false)
            .unwrap()
            .unwrap();
        assert_eq!(
            f.jwt(JwtAnswer::Text(Ok(&format!("{JWT}\n")))).unwrap(),
            JWT
        );
        let e = f.jwt(JwtAnswer::Text(Ok("not a jwt"))).unwrap_err();
        assert_eq!(e.code, "bad_oidc_token");
        assert!(!e.message.contains("not a jwt"), "{}", e.message);
        assert_eq!(
            f.jwt(JwtAnswer::Text(Err("not set"))).unwrap_err().code,
            "oidc_token_unavailable"
        );
        let refused = HttpResponse {
            status: 403,
            headers: vec![],
            body: format!(r#"{{"message":"bad {JWT}"}}"#),
        };
        let e = f.jwt(JwtAnswer::Http(Ok(&refused))).unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.status),
            ("oidc_token_unavailable", Some(403))
        );
        assert!(!e.message.contains("c2ln"), "{}", e.message);
        let ok = HttpResponse {
            status: 200,
            headers: vec![],
            body: format!(r#"{{"count":1,"value":"{JWT}"}}"#),
        };
        assert_eq!(f.jwt(JwtAnswer::Http(Ok(&ok))).unwrap(), JWT);
    }

    #[test]
    fn the_exchange_is_rfc_8693_with_the_jwt_only_in_the_body() {
        let f = Federation::resolve(settings(), env(&[("CD_OIDC_TOKEN_FILE", "/t")]), false)
            .unwrap()
            .unwrap();
        let config = ClientConfig {
            base_url: Some("http://127.0.0.1:9/v1".into()),
            ..ClientConfig::default()
        };
        let r = f.exchange_request(&config, JWT, "ua").unwrap();
        assert_eq!(
            r.url,
            "http://127.0.0.1:9/realms/acme/protocol/openid-connect/token"
        );
        assert_eq!(
            r.body.as_deref().unwrap(),
            format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token={JWT}&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt&audience=sa_deploy")
        );
        assert!(!format!("{r:?} {}", r.log_line(0)).contains("c2ln"));
    }
}
