//! OIDC workload identity with a faked CI environment: a local server stands in for
//! GitHub Actions' token endpoint (checking the request token and the audience), for
//! the organization's token endpoint (answering the RFC 8693 exchange) and for the API,
//! and the client is made from the process environment as a CI job would make it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;

use clouddigit_client::{Client, ErrorKind};

const REQUEST_TOKEN: &str = "gh-request-token-s3cr3t";
const AUDIENCE: &str = "https://iam.clouddigit.ai/acme";
const SERVICE_ACCOUNT: &str = "sa_deploy";

/// The environment is the process's: tests that set it take turns.
static ENV: Mutex<()> = Mutex::new(());

fn env_lock() -> MutexGuard<'static, ()> {
    ENV.lock().unwrap_or_else(|p| p.into_inner())
}

const VARS: [&str; 10] = [
    "CD_API_TOKEN",
    "CD_BASE_URL",
    "CD_SERVICE_ACCOUNT",
    "CD_ORGANIZATION",
    "CD_OIDC_AUDIENCE",
    "CD_OIDC_TOKEN_FILE",
    "CD_OIDC_TOKEN_ENV",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "GITLAB_OIDC_TOKEN",
];

fn set_env(vars: &[(&str, &str)]) {
    for k in VARS {
        std::env::remove_var(k);
    }
    for (k, v) in vars {
        std::env::set_var(k, v);
    }
}

/// A JWT-shaped identity token, numbered.
fn jwt(n: u32) -> String {
    format!("eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiJjaS0{n}In0.c2lnbmF0dXJl{n}")
}

#[derive(Default)]
struct Seen {
    /// `(path with query, authorization)` of each request to the Actions endpoint.
    actions: Vec<(String, Option<String>)>,
    /// The form of each exchange.
    exchanges: Vec<BTreeMap<String, String>>,
    /// The bearer of each API call.
    api: Vec<String>,
    issued: u32,
    minted: u32,
    /// JWTs the exchange refuses (echoing them, as a careless server might).
    refuse: Vec<String>,
    /// Bearers the API refuses with 401.
    revoked: Vec<String>,
}

fn decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("00");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn form(body: &str) -> BTreeMap<String, String> {
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn reply(status: u16, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn answer(
    seen: &Mutex<Seen>,
    method: &str,
    path: &str,
    auth: Option<String>,
    body: &str,
) -> String {
    let mut s = seen.lock().unwrap();
    if path.starts_with("/_apis/pipelines/idtoken") {
        s.actions.push((path.to_owned(), auth.clone()));
        if auth.as_deref() != Some(&format!("Bearer {REQUEST_TOKEN}")) {
            return reply(401, r#"{"message":"bad request token"}"#);
        }
        let want = format!("audience={}", "https%3A%2F%2Fiam.clouddigit.ai%2Facme");
        if !path.contains("?api-version=2.0&") || !path.ends_with(&want) {
            return reply(400, r#"{"message":"audience"}"#);
        }
        s.issued += 1;
        return reply(
            200,
            &format!(r#"{{"count":1,"value":"{}"}}"#, jwt(s.issued)),
        );
    }
    if method == "POST" && path == "/realms/acme/protocol/openid-connect/token" {
        let f = form(body);
        s.exchanges.push(f.clone());
        let subject = f.get("subject_token").cloned().unwrap_or_default();
        let well_formed = f.get("grant_type").map(String::as_str)
            == Some("urn:ietf:params:oauth:grant-type:token-exchange")
            && f.get("subject_token_type").map(String::as_str)
                == Some("urn:ietf:params:oauth:token-type:jwt")
            && f.get("audience").map(String::as_str) == Some(SERVICE_ACCOUNT);
        if !well_formed {
            return reply(
                400,
                r#"{"error":"invalid_request","error_description":"form"}"#,
            );
        }
        if s.refuse.contains(&subject) {
            return reply(
                400,
                &format!(
                    r#"{{"error":"invalid_grant","error_description":"no trust matches {subject}"}}"#
                ),
            );
        }
        s.minted += 1;
        return reply(
            200,
            &format!(
                r#"{{"access_token":"minted-{}","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer","expires_in":900}}"#,
                s.minted
            ),
        );
    }
    if path == "/v1/iam/tokens/tok_1" {
        let bearer = auth
            .unwrap_or_default()
            .trim_start_matches("Bearer ")
            .to_owned();
        s.api.push(bearer.clone());
        if !bearer.starts_with("minted-") || s.revoked.contains(&bearer) {
            return reply(401, r#"{"code":"unauthenticated","message":"no"}"#);
        }
        return reply(
            200,
            r#"{"id":"tok_1","name":"ci","prefix":"cd_AbC123","owner":{"type":"service_account","id":"sa_deploy"},"organization":"acme","projects":["web"],"permissions":"inherit","created_at":"2026-11-23T10:00:00Z","expires_at":null,"allowed_ips":[],"status":"active","kind":"api"}"#,
        );
    }
    reply(404, r#"{"code":"not_found","message":"no"}"#)
}

/// The fake CI platform and Cloud Digit, on a loopback port.
fn server() -> (String, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let shared = seen.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let mut parts = line.split_whitespace();
            let (method, path) = (
                parts.next().unwrap_or("").to_owned(),
                parts.next().unwrap_or("").to_owned(),
            );
            let (mut length, mut auth) = (0usize, None);
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    match k.to_ascii_lowercase().as_str() {
                        "content-length" => length = v.trim().parse().unwrap_or(0),
                        "authorization" => auth = Some(v.trim().to_owned()),
                        _ => {}
                    }
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let out = answer(
                &shared,
                &method,
                &path,
                auth,
                &String::from_utf8_lossy(&body),
            );
            let _ = stream.write_all(out.as_bytes());
        }
    });
    (format!("http://{addr}"), seen)
}

#[test]
fn github_actions_from_the_environment_one_exchange_for_many_calls() {
    let (url, seen) = server();
    let client = {
        let _env = env_lock();
        set_env(&[
            ("CD_BASE_URL", &format!("{url}/v1")),
            ("CD_SERVICE_ACCOUNT", SERVICE_ACCOUNT),
            ("CD_ORGANIZATION", "acme"),
            ("CD_OIDC_AUDIENCE", AUDIENCE),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                &format!("{url}/_apis/pipelines/idtoken?api-version=2.0"),
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN),
            // A stale stored token does not win over the named service account.
            (
                "CD_API_TOKEN",
                "cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA",
            ),
        ]);
        let c = Client::from_env().expect("client");
        set_env(&[]);
        c
    };
    for _ in 0..3 {
        assert_eq!(client.tokens().get("tok_1").expect("get").token.id, "tok_1");
    }
    let s = seen.lock().unwrap();
    assert_eq!(s.actions.len(), 1, "one JWT for the cached bearer");
    assert_eq!(
        s.actions[0].1.as_deref(),
        Some(format!("Bearer {REQUEST_TOKEN}").as_str())
    );
    assert_eq!(s.exchanges.len(), 1);
    assert_eq!(s.exchanges[0]["subject_token"], jwt(1));
    assert_eq!(s.api, ["minted-1", "minted-1", "minted-1"]);
    assert!(!format!("{client:?}").contains("s3cr3t"));
}

#[test]
fn a_wrong_request_token_is_github_refusing_named_without_the_token() {
    let (url, seen) = server();
    let client = {
        let _env = env_lock();
        set_env(&[
            ("CD_BASE_URL", &format!("{url}/v1")),
            ("CD_SERVICE_ACCOUNT", SERVICE_ACCOUNT),
            ("CD_ORGANIZATION", "acme"),
            ("CD_OIDC_AUDIENCE", AUDIENCE),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                &format!("{url}/_apis/pipelines/idtoken?api-version=2.0"),
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-other-s3cr3t"),
        ]);
        let c = Client::from_env().expect("client");
        set_env(&[]);
        c
    };
    let e = client.tokens().get("tok_1").unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_str(), e.status),
        (
            ErrorKind::Authentication,
            "oidc_token_unavailable",
            Some(401)
        )
    );
    assert!(e.to_string().contains("GitHub Actions"), "{e}");
    assert!(!format!("{e} {e:?}").contains("s3cr3t"), "{e:?}");
    assert!(seen.lock().unwrap().exchanges.is_empty());
}

#[test]
fn a_projected_token_file_is_read_again_for_the_next_exchange() {
    let (url, seen) = server();
    let dir = std::env::temp_dir().join(format!("cd-oidc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("token");
    std::fs::write(&file, format!("{}\n", jwt(101))).expect("write");
    let client = Client::builder()
        .base_url(format!("{url}/v1"))
        .service_account(SERVICE_ACCOUNT)
        .organization("acme")
        .oidc_token_file(file.display().to_string())
        .build()
        .expect("client");
    client.tokens().get("tok_1").expect("first");
    // The kubelet rotates the file; the API stops taking the first bearer.
    std::fs::write(&file, jwt(102)).expect("rotate");
    seen.lock().unwrap().revoked.push("minted-1".into());
    client
        .tokens()
        .get("tok_1")
        .expect("second, on a new bearer");
    let s = seen.lock().unwrap();
    let subjects: Vec<&str> = s
        .exchanges
        .iter()
        .map(|f| f["subject_token"].as_str())
        .collect();
    assert_eq!(subjects, [jwt(101), jwt(102)]);
    assert_eq!(s.api, ["minted-1", "minted-1", "minted-2"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gitlab_id_token_refused_is_invalid_grant_without_the_jwt() {
    let (url, seen) = server();
    seen.lock().unwrap().refuse.push(jwt(7));
    let e = {
        let _env = env_lock();
        set_env(&[
            ("CD_SERVICE_ACCOUNT", SERVICE_ACCOUNT),
            ("CD_ORGANIZATION", "acme"),
            ("CD_OIDC_TOKEN_ENV", "GITLAB_OIDC_TOKEN"),
            ("GITLAB_OIDC_TOKEN", &jwt(7)),
        ]);
        let client = Client::builder()
            .base_url(format!("{url}/v1"))
            .from_env()
            .build()
            .expect("client");
        // The variable is read when the exchange needs it.
        let e = client.tokens().get("tok_1").unwrap_err();
        set_env(&[]);
        e
    };
    assert_eq!(
        (e.kind, e.code.as_str(), e.status),
        (ErrorKind::Authentication, "invalid_grant", Some(400))
    );
    assert!(
        e.message
            .starts_with("token exchange failed: no trust matches eyJ…"),
        "{e}"
    );
    assert!(!format!("{e} {e:?}").contains("c2lnbmF0dXJl"), "{e:?}");
    assert_eq!(seen.lock().unwrap().exchanges.len(), 1);
}
