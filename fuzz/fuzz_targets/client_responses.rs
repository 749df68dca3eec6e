//! The API client's reading of what a server sends: any status, headers and body, for
//! every operation, as a call, a page or `can` (whoami), give the session's next effect
//! (a value, a typed error, a wait), never a panic; the redirect rule answers any
//! Location; base URLs parse or are refused. With an OIDC token exchange (GitHub
//! Actions' endpoint, or the file's text), the same bytes are also the JWT's source's
//! and the token endpoint's answers.
#![no_main]
use clouddigit_session::http::{after_response, HttpResponse};
use clouddigit_session::machine::{Clock, Command, Effect, Environment, Input, Options, Session};
use clouddigit_session::{redirect, Operation, Origin};
use libfuzzer_sys::fuzz_target;

const OPS: &[&str] = &[
    r#"{"op":"whoami"}"#,
    r#"{"op":"list_tokens"}"#,
    r#"{"op":"create_token","body":{"name":"x"}}"#,
    r#"{"op":"get_token","id":"tok_1"}"#,
    r#"{"op":"rotate_token","id":"tok_1"}"#,
    r#"{"op":"revoke_token","id":"tok_1"}"#,
    r#"{"op":"revoke_member_tokens","member_id":"u_1"}"#,
    r#"{"op":"list_service_accounts"}"#,
    r#"{"op":"create_service_account","body":{"name":"x"}}"#,
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let op: Operation = match serde_json::from_str(OPS[usize::from(data[0]) % OPS.len()]) {
        Ok(op) => op,
        Err(_) => return,
    };
    let status = 100 + u16::from(data[1]) * 2 % 500;
    let text = String::from_utf8_lossy(&data[2..]);
    // Headers, one `name: value` per line up to a blank line, then the body.
    let (head, body) = text.split_once("\n\n").unwrap_or(("", &text));
    let headers: Vec<(String, String)> = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let resp = HttpResponse {
        status,
        headers,
        body: body.to_owned(),
    };
    let oidc = data[0] & 0x80 != 0;
    let options = Options {
        base_url: Some("https://api.example.com/v1".into()),
        token: (!oidc).then(|| "cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA".into()),
        service_account: oidc.then(|| "sa_1".into()),
        organization: oidc.then(|| "acme".into()),
        oidc_token_file: (oidc && data[0] & 0x40 != 0).then(|| "/t".into()),
        ..Options::default()
    };
    let mut env = Environment::default();
    env.vars.insert(
        "ACTIONS_ID_TOKEN_REQUEST_URL".into(),
        "https://pipelines.example/idtoken?v=1".into(),
    );
    env.vars
        .insert("ACTIONS_ID_TOKEN_REQUEST_TOKEN".into(), "t".into());
    let Ok(mut session) = Session::new(options, &env, "fuzz", 1) else {
        return;
    };
    let command = match data[1] % 3 {
        0 => Command::Call { op },
        1 => Command::Page { op },
        _ => Command::Can {
            action: "iam.tokens.list".into(),
            project: None,
        },
    };
    let clock = Clock {
        now_ms: 0,
        now: "2026-11-23T10:00:00Z".parse().unwrap_or_default(),
    };
    let mut task = session.start(command);
    let mut input = Input::Resume;
    // The same answer to every attempt: at most the retries, then an end.
    for _ in 0..8 {
        input = match session.poll(&mut task, input, clock) {
            Effect::Send { request, .. } => {
                let _ = after_response(&request, &resp, 0, false);
                Input::Response {
                    response: resp.clone(),
                }
            }
            Effect::Sleep { .. } | Effect::AwaitRefresh => Input::Resume,
            Effect::AskToken | Effect::AskOidcToken { .. } => Input::Token {
                token: None,
                error: Some("none".into()),
            },
            Effect::ReadFile { .. } | Effect::ReadEnv { .. } => Input::Read {
                text: Some(text.to_string()),
                error: None,
            },
            Effect::Done { .. } | Effect::Fail { .. } => break,
        };
    }
    let _ = redirect("https://api.example.com/v1/x", &text, false);
    if let Some(o) = Origin::parse(&text) {
        assert!(!o.host.is_empty() && o.port != 0);
    }
});
