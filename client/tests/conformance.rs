//! The client conformance vectors (`tests/vectors/client.json`) through this SDK's public
//! client: its driver loop must produce the script's transcript and outcomes exactly, as
//! the npm package's and the Python package's do.

// ApiError is the session's, large and only on the error path (as in the SDK).
#![allow(clippy::result_large_err)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use clouddigit_client::{ApiError, Client, Io, Region};
use clouddigit_session::machine::Environment;
use clouddigit_session::replay::{ClientVectors, Replay};
use clouddigit_session::{HttpRequest, HttpResponse, TransportError};
use serde::Serialize;
use serde_json::{json, Value};

const VECTORS: &str = include_str!("../../tests/vectors/client.json");

#[derive(Clone)]
struct Scripted(Arc<Mutex<Replay>>);

impl Scripted {
    fn lock(&self) -> std::sync::MutexGuard<'_, Replay> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Io for Scripted {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.lock().send(request)
    }
    fn sleep_ms(&self, ms: u64) {
        self.lock().sleep(ms);
    }
    fn now_ms(&self) -> u64 {
        self.lock().now_ms()
    }
    fn now(&self) -> DateTime<Utc> {
        self.lock().now()
    }
}

fn outcome<T: Serialize>(r: Result<T, ApiError>) -> Value {
    match r {
        Ok(v) => json!({"ok": serde_json::to_value(v).expect("result serializes")}),
        Err(e) => json!({"error": serde_json::to_value(e).expect("error serializes")}),
    }
}

fn list<T: Serialize>(items: impl Iterator<Item = Result<T, ApiError>>) -> Value {
    outcome(items.collect::<Result<Vec<T>, ApiError>>())
}

fn arg_str(args: &[Value], i: usize) -> String {
    args.get(i)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn limit(args: &[Value], i: usize) -> Option<u32> {
    args.get(i)
        .and_then(|o| o.get("limit"))
        .and_then(Value::as_u64)
        .map(|n| n as u32)
}

fn draft(v: &Value) -> clouddigit_core::validate::TokenDraft {
    serde_json::from_value(v.clone()).expect("a draft")
}

/// One public method by its docs/client.md name.
fn call(c: &Client, method: &str, args: &[Value]) -> Value {
    match method {
        "whoami" => outcome(c.whoami()),
        "can" => outcome(c.can(&arg_str(args, 0), args.get(1).and_then(Value::as_str))),
        "tokens.list" => list(c.tokens().list_with(limit(args, 0))),
        "tokens.get" => outcome(c.tokens().get(&arg_str(args, 0))),
        "tokens.create" => outcome(c.tokens().create(&draft(&args[0]))),
        "tokens.validate" => outcome(c.tokens().validate(&draft(&args[0]))),
        "members.revokeTokens" => outcome(c.members().revoke_tokens(&arg_str(args, 0))),
        "serviceAccounts.create" => outcome(c.service_accounts().create(args[0].clone())),
        "serviceAccounts.tokens.list" => {
            list(c.service_accounts().tokens().list(&arg_str(args, 0)))
        }
        "serviceAccounts.tokens.create" => outcome(
            c.service_accounts()
                .tokens()
                .create(&arg_str(args, 0), &draft(&args[1])),
        ),
        other => panic!("no runner for {other}"),
    }
}

fn build(replay: &Arc<Mutex<Replay>>) -> Result<Client, ApiError> {
    let r = replay.lock().unwrap();
    let case = r.case().clone();
    let env: Environment = serde_json::from_value(r.environment()).expect("environment");
    let mut b = Client::builder()
        .environment(env)
        .seed(r.seed())
        .io(Scripted(replay.clone()));
    drop(r);
    let o = &case.options;
    let s = |k: &str| o.get(k).and_then(Value::as_str);
    let n = |k: &str| o.get(k).and_then(Value::as_u64);
    if let Some(v) = s("base_url") {
        b = b.base_url(v);
    }
    if let Some(v) = s("token") {
        b = b.token(v);
    }
    if let Some(v) = s("region") {
        b = b.region(Region::parse(v).expect("region"));
    }
    if let Some(v) = s("ingress") {
        b = b.ingress(match v {
            "canonical" => clouddigit_client::Ingress::Canonical,
            _ => clouddigit_client::Ingress::Operational,
        });
    }
    if let Some(v) = n("max_retries") {
        b = b.max_retries(v as u32);
    }
    if let Some(v) = n("max_retry_wait_ms") {
        b = b.max_retry_wait_ms(v);
    }
    if let Some(cc) = o.get("client_credentials") {
        let f = |k: &str| cc[k].as_str().unwrap_or_default().to_owned();
        b = b.client_credentials(f("organization"), f("client_id"), f("client_secret"));
    }
    if case.provider.is_some() {
        let r = replay.clone();
        b = b.token_provider(move || {
            r.lock()
                .unwrap()
                .provide()
                .map_err(|m| ApiError::config("provider", m))
        });
    }
    let r = replay.clone();
    b = b.on_retry(move |info| {
        r.lock()
            .unwrap()
            .retried(&serde_json::to_value(info).expect("retry info"))
    });
    b.build()
}

#[test]
fn every_client_vector_replays_exactly() {
    let file: ClientVectors = serde_json::from_str(VECTORS).expect("tests/vectors/client.json");
    let mut failures = Vec::new();
    let mut slept = serde_json::Map::new();
    for case in &file.cases {
        let replay = Arc::new(Mutex::new(Replay::new(case.clone())));
        let outcomes: Vec<Value> = match build(&replay) {
            Ok(c) => case
                .calls
                .iter()
                .map(|k| call(&c, &k.method, &k.args))
                .collect(),
            // A client that cannot be made fails each call with the same error, as the
            // hosts whose constructors throw report it.
            Err(e) => case
                .calls
                .iter()
                .map(|_| outcome::<()>(Err(e.clone())))
                .collect(),
        };
        let r = replay.lock().unwrap();
        slept.insert(case.name.clone(), json!(r.slept()));
        if let Err(e) = r.finish(&outcomes) {
            failures.push(format!("{e}\n  outcomes: {}", json!(outcomes)));
        }
    }
    if std::env::var_os("CLOUDDIGIT_PRINT_SLEEPS").is_some() {
        println!("{}", Value::Object(slept));
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        file.cases.len(),
        failures.join("\n")
    );
    println!("client vectors: {} cases replayed", file.cases.len());
}
