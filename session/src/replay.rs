//! Client conformance vectors (`tests/vectors/client.json`): scripted exchanges that
//! every host's driver replays through its public client. A vector gives the options,
//! environment and token file in; the requests the client must send and the responses it
//! gets; the sleeps and retry-hook calls it must make; and each call's result or error.
//! A host's runner hands its client a [`Replay`] as its I/O (send, sleep, clocks, seed,
//! environment) and, at the end, the outcomes; [`Replay::finish`] says where the
//! transcript left the script. This checks the hosts' drivers, not the session: the
//! session is the same code everywhere, so any difference is a driver's.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::{HttpRequest, HttpResponse, TransportError};

/// The shape of `tests/vectors/client.json`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientVectors {
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub cases: Vec<ClientCase>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientCase {
    pub name: String,
    /// Client options in snake_case (runners spell them as their host does).
    #[serde(default)]
    pub options: BTreeMap<String, Value>,
    /// The environment variables set (all others unset).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// `~/.config/cd/token`, when it exists.
    #[serde(default)]
    pub token_file: Option<TokenFileCase>,
    /// What the token provider returns, call after call (the case passes a provider
    /// when this is present): a token, or `{"error": message}` for a provider that throws.
    #[serde(default)]
    pub provider: Option<Vec<Value>>,
    /// What the OIDC token provider returns, likewise (the case passes one when present).
    #[serde(default)]
    pub oidc_provider: Option<Vec<Value>>,
    /// Files the client may read (an OIDC token file), by path: their text, or their
    /// texts read after read (the last one stays).
    #[serde(default)]
    pub files: BTreeMap<String, Value>,
    /// The session's random seed (jitter, idempotency keys).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The wall clock at the start; the monotonic clock starts at 0 and moves only by
    /// the sleeps the client asks for.
    #[serde(default = "default_now")]
    pub now: DateTime<Utc>,
    /// The client's public methods, called one after another: `tokens.list`,
    /// `serviceAccounts.tokens.create`, ... (docs/client.md's names; lists are read to
    /// the end).
    pub calls: Vec<CallCase>,
    /// What must happen, in order.
    pub script: Vec<Event>,
}

fn default_seed() -> u64 {
    1
}

fn default_now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_521_600, 0).unwrap_or_default() // 2026-11-24T12:00:00Z
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenFileCase {
    pub contents: String,
    #[serde(default)]
    pub mode: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallCase {
    pub method: String,
    #[serde(default)]
    pub args: Vec<Value>,
    /// `{"ok": value}` (a subset of the result as JSON, secrets as their redacted
    /// text) or `{"error": {...}}` (a subset of kind, code, status, retries,
    /// field_errors).
    pub expect: Value,
}

/// One step of the transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// The client sends `request` (method and URL exact; the headers listed must match,
    /// `"<absent>"` must be missing, `"<any>"` present, `"<same>"` equal to the previous
    /// request's; `body` a JSON subset) and gets `response` or `transport_error`.
    Send {
        request: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transport_error: Option<TransportError>,
    },
    /// The retry hook is told `{retry, wait_ms, cause}`.
    Retry(Value),
    /// The client sleeps this many milliseconds.
    Sleep(u64),
    /// The token provider is called.
    Provider,
    /// The OIDC token provider is called with this audience.
    OidcProvider(Option<String>),
    /// The client reads this file.
    ReadFile(String),
    /// The client reads this environment variable (`env` answers).
    ReadEnv(String),
}

/// A running replay of one case.
pub struct Replay {
    case: ClientCase,
    next: usize,
    clock_ms: u64,
    provided: usize,
    oidc_provided: usize,
    reads: BTreeMap<String, usize>,
    last_headers: Vec<(String, String)>,
    failure: Option<String>,
    slept: Vec<u64>,
}

impl Replay {
    pub fn new(case: ClientCase) -> Replay {
        Replay {
            case,
            next: 0,
            clock_ms: 0,
            provided: 0,
            oidc_provided: 0,
            reads: BTreeMap::new(),
            last_headers: Vec::new(),
            failure: None,
            slept: Vec::new(),
        }
    }

    pub fn case(&self) -> &ClientCase {
        &self.case
    }

    pub fn seed(&self) -> u64 {
        self.case.seed
    }

    pub fn now_ms(&self) -> u64 {
        self.clock_ms
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.case.now + chrono::Duration::milliseconds(self.clock_ms as i64)
    }

    /// The environment the host reports, in [`crate::machine::Environment`]'s shape.
    pub fn environment(&self) -> Value {
        serde_json::json!({
            "vars": self.case.env,
            "token_file": self.case.token_file.as_ref().map(|f| serde_json::json!({
                "path": crate::machine::TOKEN_FILE_PATH, "contents": f.contents, "mode": f.mode,
            })),
        })
    }

    fn next_event(&mut self, what: &str) -> Option<Event> {
        if self.failure.is_some() {
            return None;
        }
        match self.case.script.get(self.next) {
            Some(e) => {
                self.next += 1;
                Some(e.clone())
            }
            None => {
                self.fail(format!(
                    "step {}: the client did {what} after the script ended",
                    self.next
                ));
                None
            }
        }
    }

    fn fail(&mut self, message: String) {
        if self.failure.is_none() {
            self.failure = Some(message);
        }
    }

    /// The client sends `request`: checked against the script, answered from it.
    pub fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let step = self.next;
        let refused = || TransportError::Other {
            message: "not in the conformance script".into(),
        };
        let Some(event) = self.next_event(&format!("{} {}", request.method, request.url)) else {
            return Err(refused());
        };
        let Event::Send {
            request: want,
            response,
            transport_error,
        } = event
        else {
            self.fail(format!(
                "step {step}: expected {event:?}, the client sent {} {}",
                request.method, request.url
            ));
            return Err(refused());
        };
        if let Err(why) = self.matches(request, &want) {
            self.fail(format!("step {step}: {why}"));
            return Err(refused());
        }
        self.last_headers = request.headers.clone();
        if let Some(e) = transport_error {
            return Err(e);
        }
        let r = response.unwrap_or(Value::Null);
        let status = r.get("status").and_then(Value::as_u64).unwrap_or(200) as u16;
        let headers = r
            .get("headers")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_else(|| vec![("content-type".into(), "application/json".into())]);
        let body = match r.get("body") {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        };
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    fn matches(&self, req: &HttpRequest, want: &Value) -> Result<(), String> {
        let field = |k: &str| want.get(k).and_then(Value::as_str);
        let line = format!("{} {}", req.method, req.url);
        if let Some(m) = field("method") {
            if m != req.method {
                return Err(format!("expected method {m}, got {line}"));
            }
        }
        if let Some(u) = field("url") {
            if u != req.url {
                return Err(format!("expected {u}, got {line}"));
            }
        }
        if let Some(hs) = want.get("headers").and_then(Value::as_object) {
            for (name, v) in hs {
                let got = req.header(name);
                let prev = self
                    .last_headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_str());
                let ok = match v.as_str() {
                    Some("<absent>") => got.is_none(),
                    Some("<any>") => got.is_some(),
                    Some("<same>") => got.is_some() && got == prev,
                    Some(s) => got == Some(s),
                    None => false,
                };
                if !ok {
                    return Err(format!(
                        "{line}: header {name} should be {v}, is {}",
                        match got {
                            Some(g) if crate::http::is_secret_header(name) => format!(
                                "{:?}",
                                crate::models::secret_prefix(g.trim_start_matches("Bearer "))
                            ),
                            Some(g) => format!("{g:?}"),
                            None => "absent".into(),
                        }
                    ));
                }
            }
        }
        if let Some(body) = want.get("body") {
            let got: Value = match &req.body {
                Some(b) => serde_json::from_str(b).unwrap_or_else(|_| Value::String(b.clone())),
                None => Value::Null,
            };
            if let Err(at) = subset(body, &got, "body") {
                return Err(format!("{line}: {at}"));
            }
        }
        Ok(())
    }

    /// The client sleeps `ms`; the monotonic clock moves on.
    pub fn sleep(&mut self, ms: u64) {
        self.slept.push(ms);
        let step = self.next;
        match self.next_event(&format!("a sleep of {ms} ms")) {
            Some(Event::Sleep(want)) if want == ms => {}
            Some(e) => self.fail(format!(
                "step {step}: expected {e:?}, the client slept {ms} ms"
            )),
            None => {}
        }
        self.clock_ms = self.clock_ms.saturating_add(ms);
    }

    /// Every sleep so far, in order (what a failing case prints).
    pub fn slept(&self) -> &[u64] {
        &self.slept
    }

    /// The retry hook was called.
    pub fn retried(&mut self, info: &Value) {
        let step = self.next;
        match self.next_event(&format!("a retry {info}")) {
            Some(Event::Retry(want)) => {
                if let Err(at) = subset(&want, info, "retry") {
                    self.fail(format!("step {step}: {at}"));
                }
            }
            Some(e) => self.fail(format!(
                "step {step}: expected {e:?}, the retry hook got {info}"
            )),
            None => {}
        }
    }

    /// The token provider was called: its next answer (`Err`: it throws that message).
    pub fn provide(&mut self) -> Result<String, String> {
        let step = self.next;
        match self.next_event("a call of the token provider") {
            Some(Event::Provider) => {}
            Some(e) => self.fail(format!(
                "step {step}: expected {e:?}, the client called the token provider"
            )),
            None => {}
        }
        let answer = self
            .case
            .provider
            .as_ref()
            .and_then(|p| p.get(self.provided))
            .cloned();
        self.provided += 1;
        answer_of(answer)
    }

    /// The OIDC token provider was called with `audience`: its next answer.
    pub fn provide_oidc(&mut self, audience: Option<&str>) -> Result<String, String> {
        let step = self.next;
        let called = Event::OidcProvider(audience.map(str::to_owned));
        match self.next_event("a call of the OIDC token provider") {
            Some(e) if e == called => {}
            Some(e) => self.fail(format!(
                "step {step}: expected {e:?}, the client made {called:?}"
            )),
            None => {}
        }
        let answer = self
            .case
            .oidc_provider
            .as_ref()
            .and_then(|p| p.get(self.oidc_provided))
            .cloned();
        self.oidc_provided += 1;
        answer_of(answer)
    }

    /// The client reads the file at `path`: its text, or why not.
    pub fn read_file(&mut self, path: &str) -> Result<String, String> {
        self.expect_read(Event::ReadFile(path.to_owned()));
        let n = self.reads.entry(path.to_owned()).or_insert(0);
        let text = match self.case.files.get(path) {
            Some(Value::Array(texts)) => texts.get(*n).or(texts.last()).cloned(),
            other => other.cloned(),
        };
        *n += 1;
        match text {
            Some(Value::String(t)) => Ok(t),
            _ => Err(format!("{path}: no such file")),
        }
    }

    /// The client reads the environment variable `name`.
    pub fn read_env(&mut self, name: &str) -> Option<String> {
        self.expect_read(Event::ReadEnv(name.to_owned()));
        self.case.env.get(name).cloned()
    }

    fn expect_read(&mut self, read: Event) {
        let step = self.next;
        match self.next_event(&format!("{read:?}")) {
            Some(e) if e == read => {}
            Some(e) => self.fail(format!(
                "step {step}: expected {e:?}, the client did {read:?}"
            )),
            None => {}
        }
    }

    /// Checks the outcomes (one per call, `{"ok": value}` or `{"error": {...}}` as the
    /// host's runner wrote them) and that the whole script was played.
    pub fn finish(&self, outcomes: &[Value]) -> Result<(), String> {
        let name = &self.case.name;
        if let Some(f) = &self.failure {
            return Err(format!("{name}: {f}"));
        }
        if self.next < self.case.script.len() {
            return Err(format!(
                "{name}: the client stopped at step {}; the script expected {:?}",
                self.next, self.case.script[self.next]
            ));
        }
        if outcomes.len() != self.case.calls.len() {
            return Err(format!(
                "{name}: {} outcomes for {} calls",
                outcomes.len(),
                self.case.calls.len()
            ));
        }
        for (i, (call, got)) in self.case.calls.iter().zip(outcomes).enumerate() {
            subset(&call.expect, got, &format!("call {i} ({})", call.method))
                .map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(())
    }
}

/// A provider's scripted answer: a token, or `{"error": message}` for one that throws.
fn answer_of(answer: Option<Value>) -> Result<String, String> {
    match answer {
        Some(Value::String(t)) => Ok(t),
        Some(v) => Err(v
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("provider failed")
            .to_owned()),
        None => Err("the script has no more provider answers".into()),
    }
}

/// Whether `want` is contained in `got`: objects by their listed keys, arrays item by
/// item and of the same length, everything else equal.
pub fn subset(want: &Value, got: &Value, at: &str) -> Result<(), String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, v) in w {
                match g.get(k) {
                    Some(gv) => subset(v, gv, &format!("{at}.{k}"))?,
                    None if v.is_null() => {}
                    None => return Err(format!("{at}.{k}: missing, expected {v}")),
                }
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                return Err(format!("{at}: {} items, expected {}", g.len(), w.len()));
            }
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                subset(wv, gv, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Number(w), Value::Number(g)) if w.as_f64() == g.as_f64() => Ok(()),
        (w, g) if w == g => Ok(()),
        (w, g) => Err(format!("{at}: expected {w}, got {g}")),
    }
}
