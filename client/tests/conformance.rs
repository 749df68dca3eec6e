//! The client conformance vectors (`tests/vectors/client.json`) through this SDK's public
//! client: its driver loop must produce the script's transcript and outcomes exactly, as
//! the npm package's and the Python package's do.

// ApiError is the session's, large and only on the error path (as in the SDK).
#![allow(clippy::result_large_err)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use clouddigit_client::{ApiError, Client, ClientBuilder, Io, Region};

type Setter = fn(ClientBuilder, String) -> ClientBuilder;
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
    fn read_file(&self, path: &str) -> Result<String, String> {
        self.lock().read_file(path)
    }
    fn read_env(&self, name: &str) -> Option<String> {
        self.lock().read_env(name)
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

fn filter(args: &[Value], i: usize) -> clouddigit_client::Filter {
    args.get(i)
        .filter(|v| v.is_object())
        .map(|v| serde_json::from_value(v.clone()).expect("a filter"))
        .unwrap_or_default()
}

/// One public method by its name in schema/client-surface.json (docs/client.md's).
fn call(c: &Client, method: &str, args: &[Value]) -> Value {
    let s = |i| arg_str(args, i);
    let sas = c.service_accounts();
    match method {
        "whoami" => outcome(c.whoami()),
        "can" => outcome(c.can(&s(0), args.get(1).and_then(Value::as_str))),
        "tokens.list" => list(c.tokens().list_with(limit(args, 0))),
        "tokens.validate" => outcome(c.tokens().validate(&draft(&args[0]))),
        "tokens.create" => outcome(c.tokens().create(&draft(&args[0]))),
        "tokens.get" => outcome(c.tokens().get(&s(0))),
        "tokens.rotate" => outcome(c.tokens().rotate(&s(0))),
        "tokens.revoke" => outcome(c.tokens().revoke(&s(0))),
        "members.revokeTokens" => outcome(c.members().revoke_tokens(&s(0))),
        "serviceAccounts.list" => {
            let project = args
                .first()
                .and_then(|o| o.get("project"))
                .and_then(Value::as_str);
            list(sas.list_with(project, limit(args, 0)))
        }
        "serviceAccounts.listOrg" => list(sas.list_org()),
        "serviceAccounts.create" => outcome(sas.create(args[0].clone())),
        "serviceAccounts.get" => outcome(sas.get(&s(0))),
        "serviceAccounts.update" => outcome(sas.update(&s(0), args[1].clone())),
        "serviceAccounts.disable" => outcome(sas.disable(&s(0))),
        "serviceAccounts.enable" => outcome(sas.enable(&s(0))),
        "serviceAccounts.delete" => outcome(sas.delete(&s(0))),
        "serviceAccounts.tokens.list" => list(sas.tokens().list_with(&s(0), limit(args, 1))),
        "serviceAccounts.tokens.create" => outcome(sas.tokens().create(&s(0), &draft(&args[1]))),
        "serviceAccounts.tokens.rotate" => outcome(sas.tokens().rotate(&s(0), &s(1))),
        "serviceAccounts.tokens.revoke" => outcome(sas.tokens().revoke(&s(0), &s(1))),
        "serviceAccounts.accessKeys.list" => list(sas.access_keys().list(&s(0))),
        "serviceAccounts.accessKeys.create" => outcome(sas.access_keys().create(&s(0))),
        "serviceAccounts.accessKeys.delete" => outcome(sas.access_keys().delete(&s(0), &s(1))),
        "audit.list" => list(c.audit().list(filter(args, 0), limit(args, 1))),
        "audit.export" => outcome(c.audit().export(filter(args, 0))),
        other => panic!("this SDK has no method for {other}"),
    }
}

/// No network: every send fails at once.
struct Down;

impl Io for Down {
    fn send(&self, _: &HttpRequest) -> Result<HttpResponse, TransportError> {
        Err(TransportError::Connect {
            message: "no network in this test".into(),
        })
    }
    fn sleep_ms(&self, _: u64) {}
    fn now_ms(&self) -> u64 {
        0
    }
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_521_600, 0).unwrap_or_default()
    }
}

/// schema/client-surface.json names every public method once; this SDK has each (the
/// Python namespaces are generated from the list, the npm package is held to it).
#[test]
fn every_method_of_the_surface_is_a_method_of_this_sdk() {
    let surface: Value =
        serde_json::from_str(include_str!("../../schema/client-surface.json")).expect("surface");
    let c = Client::builder()
        .token("cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA")
        .base_url("http://127.0.0.1:9/v1")
        .max_retries(0)
        .io(Down)
        .build()
        .expect("client");
    let methods = surface["methods"].as_array().expect("methods");
    for m in methods {
        let args: Vec<Value> = m["params"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| match (p["kind"].as_str(), p["type"].as_str()) {
                        (Some("options" | "filter"), _) => json!({}),
                        (_, Some("dict")) => json!({"name": "x"}),
                        _ => json!("x"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let name = m["name"].as_str().expect("name");
        let out = call(&c, name, &args);
        // Every call reached the session: it failed on the network, not before.
        assert!(out.get("error").is_some(), "{name}: {out}");
    }
    println!("surface: {} methods, each one of this SDK's", methods.len());
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
    for (k, set) in [
        ("service_account", (|b, v| b.service_account(v)) as Setter),
        ("organization", |b, v| b.organization(v)),
        ("oidc_audience", |b, v| b.oidc_audience(v)),
        ("oidc_token_file", |b, v| b.oidc_token_file(v)),
        ("oidc_token_env", |b, v| b.oidc_token_env(v)),
    ] {
        if let Some(v) = s(k) {
            b = set(b, v.to_owned());
        }
    }
    if case.oidc_provider.is_some() {
        let r = replay.clone();
        b = b.oidc_token_provider(move |audience| {
            r.lock()
                .unwrap()
                .provide_oidc(audience)
                .map_err(|m| ApiError::config("provider", m))
        });
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
