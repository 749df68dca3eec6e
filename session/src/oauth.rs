//! The OAuth 2.0 client-credentials bearer of a service account: when to fetch one,
//! how to ask, and what to do when asking fails. The host adds only the "one refresh
//! at a time" lock (a shared Promise in JS, a lock in Python), since that is about its
//! own concurrency.

use serde::Deserialize;

use super::config::ClientConfig;
use super::error::{ApiError, ErrorKind};
use super::http::{HttpRequest, HttpResponse, TransportError};
use super::models::Secret;
use super::oidc::TOKEN_TYPE_ACCESS_TOKEN;
use super::ops::encode;

/// Refresh this long before expiry (or at half-life for short-lived bearers), so a call
/// never leaves with a bearer that dies on the way.
pub const REFRESH_MARGIN_MS: u64 = 30_000;

/// What the host should do before a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerNeed {
    /// Use this bearer.
    Use(String),
    /// Fetch a new one. `fallback` is the cached bearer when it is still valid: a
    /// failed refresh keeps using it.
    Refresh { fallback: Option<String> },
}

#[derive(Debug, Clone, Default)]
pub struct BearerCache {
    current: Option<(Secret, u64, u64)>, // bearer, refresh at, expires at (ms)
}

impl BearerCache {
    pub fn new() -> BearerCache {
        BearerCache::default()
    }

    pub fn need(&self, now_ms: u64) -> BearerNeed {
        match &self.current {
            Some((b, refresh_at, _)) if now_ms < *refresh_at => {
                BearerNeed::Use(b.expose().to_owned())
            }
            Some((b, _, expires_at)) if now_ms < *expires_at => BearerNeed::Refresh {
                fallback: Some(b.expose().to_owned()),
            },
            _ => BearerNeed::Refresh { fallback: None },
        }
    }

    /// The token endpoint's request: a form post, the secret only in the body (which
    /// `Debug` and debug logs never show).
    pub fn token_request(
        config: &ClientConfig,
        organization: &str,
        client_id: &str,
        client_secret: &str,
        user_agent: &str,
    ) -> Result<HttpRequest, ApiError> {
        let url = config
            .token_url(organization)
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
                "grant_type=client_credentials&client_id={}&client_secret={}",
                encode(client_id),
                encode(client_secret)
            )),
            timeout_ms: config.timeout_ms,
        })
    }

    /// Takes the token endpoint's answer. A failure while the cached bearer is still
    /// valid returns that bearer: the identity provider being down for a moment should
    /// not fail calls that can still be made.
    /// `grant` names the grant in errors (`client-credentials grant`, `token exchange`).
    pub fn on_response(
        &mut self,
        response: Result<&HttpResponse, &TransportError>,
        now_ms: u64,
        grant: &str,
    ) -> Result<String, ApiError> {
        let fresh = match response {
            Ok(resp) if (200..300).contains(&resp.status) => {
                let bad = |why: String| {
                    let mut err = ApiError::from_response(resp, None);
                    err.kind = ErrorKind::Authentication;
                    err.code = "bad_token_response".into();
                    err.message = format!("the token endpoint's answer is not a bearer: {why}");
                    err
                };
                match serde_json::from_str::<Bearer>(&resp.body) {
                    // RFC 8693: what an exchange issued must be an access token.
                    Ok(b)
                        if b.issued_token_type
                            .as_deref()
                            .is_some_and(|t| t != TOKEN_TYPE_ACCESS_TOKEN) =>
                    {
                        Err(bad("issued_token_type is not an access token".into()))
                    }
                    Ok(b) => Ok(b),
                    Err(e) => Err(bad(e.to_string())),
                }
            }
            Ok(resp) => Err(refused(resp, grant)),
            Err(e) => Err(ApiError::from_transport(e)),
        };
        match fresh {
            Ok(t) => {
                let life = t.expires_in.saturating_mul(1000);
                let margin = REFRESH_MARGIN_MS.min(life / 2);
                let bearer = t.access_token.expose().to_owned();
                self.current = Some((
                    t.access_token.clone(),
                    now_ms + life - margin,
                    now_ms + life,
                ));
                Ok(bearer)
            }
            Err(err) => self.fallback(now_ms).ok_or(err),
        }
    }

    /// The cached bearer while it is still valid (what a failed refresh falls back on).
    pub fn fallback(&self, now_ms: u64) -> Option<String> {
        match &self.current {
            Some((b, _, expires_at)) if now_ms < *expires_at => Some(b.expose().to_owned()),
            _ => None,
        }
    }

    /// Forgets the bearer.
    pub fn clear(&mut self) {
        self.current = None;
    }

    /// A call sent with `used` came back with `error`. Returns whether to fetch a new
    /// bearer (if needed) and send the call once more: on an authentication error,
    /// either `used` is the cached bearer (forget it: the API's clock ran ahead, or the
    /// client secret was reset) or another call already replaced or dropped it (just
    /// go again with the new one), so every concurrent call refused with the old bearer
    /// is retried on one new bearer.
    pub fn on_rejected(&mut self, error: &ApiError, used: &str) -> bool {
        if error.kind != ErrorKind::Authentication {
            return false;
        }
        if matches!(&self.current, Some((b, _, _)) if b.expose() == used) {
            self.current = None;
        }
        true
    }
}

/// A token endpoint's answer (client credentials, or an exchange's RFC 8693 answer).
#[derive(Deserialize)]
struct Bearer {
    access_token: Secret,
    expires_in: u64,
    #[serde(default)]
    issued_token_type: Option<String>,
}

/// The token endpoint's refusal as a typed error: OAuth's `error` is the code
/// (`invalid_grant`, `invalid_target`, ...) and `error_description` the message, scrubbed
/// of anything secret-shaped (a server echoing the JWT it refused).
fn refused(resp: &HttpResponse, grant: &str) -> ApiError {
    let mut err = ApiError::from_response(resp, None);
    if matches!(resp.status, 400 | 401) {
        err.kind = ErrorKind::Authentication;
    }
    err.message = format!("{grant} failed: {}", err.message);
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    const CC: &str = "client-credentials grant";

    fn ok(token: &str, expires_in: u64) -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: vec![],
            body: serde_json::json!({"access_token": token, "expires_in": expires_in, "token_type": "Bearer"})
                .to_string(),
        }
    }

    #[test]
    fn refreshes_before_expiry_and_survives_a_failed_refresh() {
        let mut c = BearerCache::new();
        assert_eq!(c.need(0), BearerNeed::Refresh { fallback: None });
        assert_eq!(c.on_response(Ok(&ok("b1", 300)), 0, CC).unwrap(), "b1");
        assert_eq!(c.need(269_999), BearerNeed::Use("b1".into()));
        assert_eq!(
            c.need(270_000),
            BearerNeed::Refresh {
                fallback: Some("b1".into())
            }
        );
        // The identity provider fails; the cached bearer is still valid, so keep it.
        let down = HttpResponse {
            status: 503,
            headers: vec![],
            body: String::new(),
        };
        assert_eq!(c.on_response(Ok(&down), 280_000, CC).unwrap(), "b1");
        // Past expiry, the failure is the caller's.
        let e = c.on_response(Ok(&down), 300_000, CC).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Server);
        let e = c
            .on_response(
                Err(&TransportError::Connect {
                    message: "refused".into(),
                }),
                300_001,
                CC,
            )
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transport);
        assert_eq!(
            c.on_response(Ok(&ok("b2", 300)), 301_000, CC).unwrap(),
            "b2"
        );
        assert_eq!(c.need(301_001), BearerNeed::Use("b2".into()));
    }

    #[test]
    fn a_refusal_in_oauth_shape_is_typed_and_never_echoes_the_jwt() {
        let mut c = BearerCache::new();
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        let refused = HttpResponse {
            status: 400,
            headers: vec![],
            body: serde_json::json!({"error": "invalid_grant", "error_description": format!("token {jwt} expired")})
                .to_string(),
        };
        let e = c
            .on_response(Ok(&refused), 0, "token exchange")
            .unwrap_err();
        assert_eq!(
            (e.kind, e.code.as_str(), e.status),
            (ErrorKind::Authentication, "invalid_grant", Some(400))
        );
        assert!(
            e.message.starts_with("token exchange failed: token eyJ…"),
            "{}",
            e.message
        );
        assert!(!e.to_string().contains("c2lnbmF0dXJl"), "{e}");
        // An exchange must issue an access token, nothing else.
        let id_token = HttpResponse {
            status: 200,
            headers: vec![],
            body: serde_json::json!({"access_token": "x", "expires_in": 60, "token_type": "N_A",
                "issued_token_type": "urn:ietf:params:oauth:token-type:id_token"})
            .to_string(),
        };
        let e = c
            .on_response(Ok(&id_token), 0, "token exchange")
            .unwrap_err();
        assert_eq!(e.code, "bad_token_response");
    }

    #[test]
    fn every_call_refused_with_the_old_bearer_goes_again() {
        let mut c = BearerCache::new();
        c.on_response(Ok(&ok("b1", 300)), 0, CC).unwrap();
        let e401 = ApiError {
            kind: ErrorKind::Authentication,
            ..ApiError::config("expired", "")
        };
        // The first refused call forgets b1; a second refused with b1 still goes again.
        assert!(c.on_rejected(&e401, "b1"));
        assert_eq!(c.need(1), BearerNeed::Refresh { fallback: None });
        c.on_response(Ok(&ok("b2", 300)), 2, CC).unwrap();
        assert!(c.on_rejected(&e401, "b1"));
        assert_eq!(c.need(3), BearerNeed::Use("b2".into()), "b2 is kept");
        // Other errors are the caller's.
        assert!(!c.on_rejected(&ApiError::config("x", ""), "b2"));
    }

    #[test]
    fn the_request_keeps_the_secret_out_of_logs() {
        let config = ClientConfig {
            base_url: Some("http://127.0.0.1:9/v1".into()),
            ..ClientConfig::default()
        };
        let r = BearerCache::token_request(&config, "acme", "sa_1", "s3cr3t&x", "ua").unwrap();
        assert_eq!(
            r.url,
            "http://127.0.0.1:9/realms/acme/protocol/openid-connect/token"
        );
        assert!(r
            .body
            .as_deref()
            .unwrap()
            .ends_with("client_secret=s3cr3t%26x"));
        assert!(!format!("{r:?} {}", r.log_line(0)).contains("s3cr3t"));
    }
}
