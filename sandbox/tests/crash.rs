//! Crash safety: with `--db`, the sandbox is killed (SIGKILL) in the middle of a burst of
//! concurrent creates, rotations and revocations, restarted on the same file, and then:
//! - every call that was answered 2xx is in the state (a created token exists, a
//!   rotation's replacement exists and the old token is marked rotated, a revoked token
//!   is still revoked);
//! - every answered call has its audit record (the answer waits for the record);
//! - the database passes `PRAGMA integrity_check`;
//! - an `Idempotency-Key` replayed after the restart never makes a second token: an
//!   answered create is answered 409 `already_created` with its id, and a create whose
//!   answer the crash cut off is either that or created once.
//!
//! `CLOUDDIGIT_CRASH_ROUNDS` sets the rounds (50 by default).

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

struct Sandbox {
    child: Child,
    url: String,
    token: String,
}

fn start(dir: &Path) -> Sandbox {
    let token_file = dir.join("token");
    let mut child = Command::new(env!("CARGO_BIN_EXE_clouddigit-sandbox"))
        .args(["--port", "0", "--no-console", "--db"])
        .arg(dir.join("state.db"))
        .arg("--token-file")
        .arg(&token_file)
        .args(["--rate-burst", "1000000", "--rate-per-second", "1000000"])
        .args([
            "--failure-burst",
            "1000000",
            "--failure-per-second",
            "1000000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the sandbox starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut url = String::new();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        if let Some(u) = line.strip_prefix("clouddigit-sandbox listening on ") {
            url = u.to_owned();
            break;
        }
    }
    // Keep reading: a closed pipe would end the sandbox at its next line of output.
    std::thread::spawn(move || lines.for_each(drop));
    assert!(!url.is_empty(), "the sandbox said where it listens");
    let token = std::fs::read_to_string(&token_file)
        .expect("token file")
        .trim()
        .to_owned();
    Sandbox { child, url, token }
}

#[derive(Debug, Clone)]
enum Answered {
    Created {
        id: String,
        key: String,
        name: String,
    },
    Rotated {
        old: String,
        new: String,
    },
    Revoked {
        id: String,
    },
}

#[derive(Default)]
struct Log {
    answered: Vec<Answered>,
    /// Request ids of every answered call (any status).
    request_ids: Vec<String>,
    /// Creates sent with a key whose answer never came.
    cut: Vec<(String, String)>,
    live: Vec<String>,
}

async fn burst(url: String, token: String, log: Arc<Mutex<Log>>, worker: usize) {
    let http = reqwest::Client::new();
    let mut n = 0usize;
    loop {
        n += 1;
        let pick = {
            let l = log.lock().unwrap();
            (!l.live.is_empty()).then(|| l.live[(n * 7 + worker) % l.live.len()].clone())
        };
        let (req, what) = match (n % 5, pick) {
            (3, Some(id)) => (
                http.post(format!("{url}/v1/iam/tokens/{id}/rotate"))
                    .header("Idempotency-Key", format!("rot-{worker}-{n}")),
                ("rotate", id, String::new()),
            ),
            (4, Some(id)) => (
                http.delete(format!("{url}/v1/iam/tokens/{id}")),
                ("revoke", id, String::new()),
            ),
            _ => {
                let name = format!("crash-{worker}-{n}");
                let key = format!("key-{worker}-{n}");
                (
                    http.post(format!("{url}/v1/iam/tokens"))
                        .header("Idempotency-Key", &key)
                        .json(&json!({ "name": name, "projects": ["web"], "expires_in_days": 30 })),
                    ("create", key, name),
                )
            }
        };
        let resp = match req.bearer_auth(&token).send().await {
            Ok(r) => r,
            Err(_) => {
                // The server is gone: the answer never came.
                if what.0 == "create" {
                    log.lock().unwrap().cut.push((what.1, what.2));
                }
                return;
            }
        };
        let status = resp.status();
        let request_id = resp
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body: Value = match resp.json().await {
            Ok(b) => b,
            Err(_) => {
                if what.0 == "create" {
                    log.lock().unwrap().cut.push((what.1, what.2));
                }
                return;
            }
        };
        let mut l = log.lock().unwrap();
        if let Some(r) = request_id {
            l.request_ids.push(r);
        }
        if !status.is_success() {
            continue;
        }
        match what.0 {
            "create" => {
                let id = body["token"]["id"].as_str().unwrap().to_owned();
                l.live.push(id.clone());
                l.answered.push(Answered::Created {
                    id,
                    key: what.1,
                    name: what.2,
                });
            }
            "rotate" => {
                let new = body["token"]["id"].as_str().unwrap().to_owned();
                l.live.retain(|i| *i != what.1);
                l.live.push(new.clone());
                l.answered.push(Answered::Rotated { old: what.1, new });
            }
            _ => {
                l.live.retain(|i| *i != what.1);
                l.answered.push(Answered::Revoked { id: what.1 });
            }
        }
    }
}

async fn get(http: &reqwest::Client, s: &Sandbox, path: &str) -> (StatusCode, Value) {
    let r = http
        .get(format!("{}{path}", s.url))
        .bearer_auth(&s.token)
        .send()
        .await
        .expect("the restarted sandbox answers");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn round(seed: u64) -> (usize, usize, usize) {
    let dir = tempdir(seed);
    let mut first = start(&dir);
    let log = Arc::new(Mutex::new(Log::default()));
    let workers: Vec<_> = (0..6)
        .map(|w| {
            tokio::spawn(burst(
                first.url.clone(),
                first.token.clone(),
                log.clone(),
                w,
            ))
        })
        .collect();
    // Somewhere in the burst, different each round.
    tokio::time::sleep(Duration::from_millis(60 + (seed * 37) % 240)).await;
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");
    for w in workers {
        w.await.expect("worker");
    }

    let second = start(&dir);
    let http = reqwest::Client::new();
    let log = std::mem::take(&mut *log.lock().unwrap());
    assert!(
        log.answered
            .iter()
            .any(|a| matches!(a, Answered::Created { .. })),
        "round {seed}: the burst made nothing before the kill"
    );
    // Every answered call is in the state.
    let mut revoked: HashSet<String> = HashSet::new();
    for a in &log.answered {
        match a {
            Answered::Created { id, .. } => {
                let (status, t) = get(&http, &second, &format!("/v1/iam/tokens/{id}")).await;
                assert_eq!(
                    status,
                    StatusCode::OK,
                    "round {seed}: created {id} is gone: {t}"
                );
            }
            Answered::Rotated { old, new } => {
                let (_, t) = get(&http, &second, &format!("/v1/iam/tokens/{old}")).await;
                assert_eq!(
                    t["replaced_by"],
                    json!(new),
                    "round {seed}: rotation of {old}: {t}"
                );
                let (status, _) = get(&http, &second, &format!("/v1/iam/tokens/{new}")).await;
                assert_eq!(
                    status,
                    StatusCode::OK,
                    "round {seed}: replacement {new} is gone"
                );
            }
            Answered::Revoked { id } => {
                revoked.insert(id.clone());
            }
        }
    }
    for id in &revoked {
        let (_, t) = get(&http, &second, &format!("/v1/iam/tokens/{id}")).await;
        assert_eq!(
            t["status"], "revoked",
            "round {seed}: revocation of {id} undone: {t}"
        );
    }
    // Every answered call is in the audit log.
    let r = http
        .get(format!("{}/v1/audit/events/export", second.url))
        .bearer_auth(&second.token)
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    let logged: HashSet<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|e| e["request_id"].as_str().map(str::to_owned))
        .collect();
    let missing: Vec<&String> = log
        .request_ids
        .iter()
        .filter(|r| !logged.contains(*r))
        .collect();
    assert!(
        missing.is_empty(),
        "round {seed}: answered calls missing from the audit log: {missing:?}"
    );
    // Replays after the restart never make a second token.
    let replay = |key: &str, name: &str| {
        http.post(format!("{}/v1/iam/tokens", second.url))
            .bearer_auth(&second.token)
            .header("Idempotency-Key", key)
            .json(&json!({ "name": name, "projects": ["web"], "expires_in_days": 30 }))
            .send()
    };
    let mut replays = 0;
    for a in log
        .answered
        .iter()
        .filter(|a| matches!(a, Answered::Created { .. }))
        .take(3)
    {
        let Answered::Created { id, key, name } = a else {
            continue;
        };
        let r = replay(key, name).await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::CONFLICT,
            "round {seed}: replay of {key}"
        );
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "already_created");
        assert_eq!(body["id"], json!(id));
        assert!(body["message"]
            .as_str()
            .unwrap()
            .contains("cannot be shown again"));
        assert!(
            !body.to_string().contains("cd_"),
            "a replay shows no secret: {body}"
        );
        replays += 1;
    }
    for (key, name) in &log.cut {
        let r = replay(key, name).await.unwrap();
        assert!(
            matches!(r.status(), StatusCode::CONFLICT | StatusCode::CREATED),
            "round {seed}: replay of cut-off {key}: {}",
            r.status()
        );
        replays += 1;
    }
    let (_, list) = get(&http, &second, "/v1/iam/tokens?limit=500").await;
    // A rotation's replacement keeps the name, so count live tokens per name.
    for t in list["tokens"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        if name.starts_with("crash-") && t["status"] == "active" {
            let live = list["tokens"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|o| o["name"] == name && o["status"] == "active")
                .count();
            assert_eq!(live, 1, "round {seed}: {live} live tokens named {name}");
        }
    }
    let mut second = second;
    second.child.kill().expect("SIGKILL");
    second.child.wait().expect("reaped");
    // The file is whole.
    let conn = rusqlite::Connection::open(dir.join("state.db")).expect("opens");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok", "round {seed}: integrity_check");
    drop(conn);
    let _ = std::fs::remove_dir_all(&dir);
    (log.answered.len(), log.request_ids.len(), replays)
}

fn tempdir(seed: u64) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cd-crash-{}-{seed}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_mid_burst_and_restarted_nothing_answered_is_lost() {
    let rounds: u64 = std::env::var("CLOUDDIGIT_CRASH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50);
    let (mut answered, mut audited, mut replays) = (0, 0, 0);
    for seed in 0..rounds {
        let (a, r, p) = round(seed).await;
        answered += a;
        audited += r;
        replays += p;
    }
    println!(
        "{rounds} kill -9 rounds: {answered} answered state changes found after restart, {audited} answered calls all in the audit log, {replays} idempotent replays made nothing twice, integrity_check ok"
    );
}
