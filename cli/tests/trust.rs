//! `clouddigit trust check` and `trust validate` through `run`, as `npx @clouddigit/sdk`
//! and `pip install clouddigit` run them: the oidc vectors' verdicts as exit statuses and
//! JSON, the explanation as text, and never the token in what is printed.

use std::collections::BTreeMap;

use clouddigit_cli::{run, CliIo};
use serde_json::{json, Value};

#[derive(Default)]
struct Mem {
    files: BTreeMap<String, String>,
    out: String,
    err: String,
}

impl CliIo for Mem {
    fn read(&mut self, path: &str) -> Result<String, String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| "no such file".to_owned())
    }
    fn list_files(&mut self, _: &str, _: &[&str]) -> Result<Vec<String>, String> {
        Ok(Vec::new())
    }
    fn out(&mut self, t: &str) {
        self.out.push_str(t);
    }
    fn err(&mut self, t: &str) {
        self.err.push_str(t);
    }
    fn now(&self) -> clouddigit_core::Timestamp {
        "2026-11-23T10:00:00Z".parse().unwrap()
    }
}

fn run_with(files: &[(&str, &str)], args: &[&str]) -> (i32, Mem) {
    let mut io = Mem::default();
    for (k, v) in files {
        io.files.insert((*k).into(), (*v).into());
    }
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    let code = run(&args, &mut io);
    (code, io)
}

fn vectors() -> Value {
    serde_json::from_str(include_str!("../../tests/vectors/oidc.json")).unwrap()
}

fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn case(name: &str) -> Value {
    let v = vectors();
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no case {name}"))
}

#[test]
fn every_vector_gets_its_verdict_and_exit_status() {
    let file = vectors();
    let jwks = file["jwks"].to_string();
    let mut n = 0;
    for c in file["cases"].as_array().unwrap() {
        let (name, jwt) = (c["name"].as_str().unwrap(), c["jwt"].as_str().unwrap());
        let trusts = c["trusts"].to_string();
        let now = rfc3339(c["now"].as_i64().unwrap());
        let files = [
            ("t.json", trusts.as_str()),
            ("jwt", jwt),
            ("jwks.json", jwks.as_str()),
        ];
        let args = [
            "trust",
            "check",
            "--trust",
            "t.json",
            "--jwt",
            "jwt",
            "--jwks",
            "jwks.json",
            "--now",
            &now,
            "--json",
        ];
        let (code, io) = run_with(&files, &args);
        assert!(!io.out.contains(jwt) && !io.err.contains(jwt), "{name}");
        let expect = &c["expect"];
        if expect["failure"] == "malformed" {
            assert_eq!(code, 2, "{name}: {}", io.err);
            assert_eq!(io.err.lines().count(), 1, "{name}: {}", io.err);
            assert!(io.err.starts_with("clouddigit trust: jwt: "), "{}", io.err);
            n += 1;
            continue;
        }
        let r: Value = serde_json::from_str(&io.out)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}{}", io.out, io.err));
        assert_eq!(r["signature"], expect["signature"], "{name}");
        assert_eq!(r["trust"], expect["trust"], "{name}");
        if expect["trust"].is_null() {
            let last = r["matches"].as_array().unwrap().last().unwrap();
            let first_failed = last["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["passed"] == false)
                .unwrap();
            assert_eq!(first_failed["check"], expect["failure"], "{name}");
        }
        let accepted = !expect["trust"].is_null() && expect["signature"] == "ok";
        assert_eq!(r["accepted"], accepted, "{name}");
        assert_eq!(code, if accepted { 0 } else { 1 }, "{name}");
        n += 1;
    }
    assert!(n >= 20, "{n} cases");
}

#[test]
fn the_text_explains_every_check_and_says_when_the_signature_was_not_checked() {
    let c = case("environment subject matches the deploy trust");
    let trusts = c["trusts"].to_string();
    let now = rfc3339(c["now"].as_i64().unwrap());
    let jwt = c["jwt"].as_str().unwrap();
    // The token from standard input, no JWKS.
    let (code, io) = run_with(
        &[("t.json", &trusts), ("-", &format!("{jwt}\n"))],
        &[
            "trust", "check", "--trust", "t.json", "--jwt", "-", "--now", &now,
        ],
    );
    assert_eq!(code, 0, "{}{}", io.out, io.err);
    assert!(
        io.out.contains("signature: NOT CHECKED: no JWKS was given"),
        "{}",
        io.out
    );
    assert!(
        io.out.contains("the signature was NOT checked"),
        "{}",
        io.out
    );
    assert!(
        io.out.contains("trust trust_main: does not match"),
        "{}",
        io.out
    );
    assert!(io.out.contains("trust trust_deploy: matches"), "{}", io.out);
    assert!(
        io.out.contains(
            r#"FAIL  subject    sub "repo:acme/web:environment:prod" does not match "repo:acme/web:ref:refs/heads/*""#
        ),
        "{}",
        io.out
    );
    assert!(
        io.out
            .contains(r#"pass  claim      repository_owner_id "4242" matches "4242""#),
        "{}",
        io.out
    );
    assert!(
        io.out
            .contains("  sub      \"repo:acme/web:environment:prod\""),
        "{}",
        io.out
    );
    assert!(!io.out.contains(jwt));
    // With the JWKS: verified.
    let jwks = vectors()["jwks"].to_string();
    let (code, io) = run_with(
        &[("t.json", &trusts), ("jwt", jwt), ("k.json", &jwks)],
        &[
            "trust", "check", "--trust", "t.json", "--jwt", "jwt", "--jwks", "k.json", "--now",
            &now,
        ],
    );
    assert_eq!(code, 0, "{}{}", io.out, io.err);
    assert!(
        io.out
            .contains("signature: ok: verified with the JWKS's key"),
        "{}",
        io.out
    );
    assert!(
        io.out
            .ends_with("accepted by trust trust_deploy (signature verified)\n"),
        "{}",
        io.out
    );
    // A tampered token: refused, although the claims match.
    let c = case("claims changed after signing");
    let tampered = c["jwt"].as_str().unwrap();
    let trusts = c["trusts"].to_string();
    let (code, io) = run_with(
        &[("t.json", &trusts), ("jwt", tampered), ("k.json", &jwks)],
        &[
            "trust", "check", "--trust", "t.json", "--jwt", "jwt", "--jwks", "k.json", "--now",
            &now,
        ],
    );
    assert_eq!(code, 1, "{}{}", io.out, io.err);
    assert!(
        io.out.contains("signature: REFUSED (bad_signature)"),
        "{}",
        io.out
    );
    // The same token without the JWKS reads as matching: the output says what was not
    // checked.
    let (code, io) = run_with(
        &[("t.json", &trusts), ("jwt", tampered)],
        &[
            "trust", "check", "--trust", "t.json", "--jwt", "jwt", "--now", &now,
        ],
    );
    assert_eq!(code, 0);
    assert!(io.out.contains("NOT CHECKED"), "{}", io.out);
}

/// Files, arguments, and what the one line of error must hold.
type BadInput<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>, &'a str);

#[test]
fn bad_input_is_one_line_naming_the_file_and_never_the_token() {
    let c = case("RS256 token from main matches the branch trust");
    let jwt = c["jwt"].as_str().unwrap();
    let trusts = c["trusts"].to_string();
    // The token pasted into the trust file, as a JSON string: serde would quote it.
    let misplaced = json!({"name": "x", "issuer": "https://x", "audiences": ["a"], "subject": "s"});
    let misplaced = json!([misplaced, { "id": [jwt] }]).to_string();
    let cases: [BadInput; 6] = [
        (
            vec![("t.json", misplaced.as_str()), ("jwt", jwt)],
            vec!["trust", "check", "--trust", "t.json", "--jwt", "jwt"],
            "t.json[1].id: expected a string, got [\"[the token]\"]",
        ),
        (
            vec![
                ("t.json", trusts.as_str()),
                ("jwt", jwt),
                ("k.json", "{\"keys\": 3}"),
            ],
            vec![
                "trust", "check", "--trust", "t.json", "--jwt", "jwt", "--jwks", "k.json",
            ],
            "k.json: the issuer's JWKS is not valid",
        ),
        (
            vec![("t.json", trusts.as_str()), ("jwt", jwt)],
            vec![
                "trust",
                "check",
                "--trust",
                "t.json",
                "--jwt",
                "jwt",
                "--now",
                "yesterday",
            ],
            "--now: \"yesterday\" is not an RFC 3339 time",
        ),
        (
            vec![("t.json", trusts.as_str())],
            vec!["trust", "check", "--trust", "t.json", "--jwt", "missing"],
            "missing: no such file",
        ),
        (
            vec![("t.json", trusts.as_str())],
            vec!["trust", "check", "--jwt", "t.json"],
            "--trust FILE is required",
        ),
        (vec![], vec!["trust", "inspect"], "usage: trust check"),
    ];
    for (files, args, want) in cases {
        let (code, io) = run_with(&files, &args);
        assert_eq!(code, 2, "{args:?}: {}{}", io.out, io.err);
        assert_eq!(io.err.lines().count(), 1, "{}", io.err);
        assert!(io.err.contains(want), "{args:?}: {}", io.err);
        assert!(!io.err.contains(jwt) && !io.out.contains(jwt), "{}", io.err);
    }
}

#[test]
fn validate_prints_errors_and_warnings_and_exits_1_on_errors() {
    let ok = r#"{"name": "web-deploy", "issuer": "https://token.actions.githubusercontent.com",
        "audiences": ["https://iam.clouddigit.ai/acme"], "subject": "repo:acme/web:ref:refs/heads/main",
        "claims": {"repository_owner_id": "4242"}, "projects": ["web"]}"#;
    let (code, io) = run_with(&[("t.json", ok)], &["trust", "validate", "t.json"]);
    assert_eq!(code, 0, "{}{}", io.out, io.err);
    assert!(io.out.starts_with("valid\n"), "{}", io.out);
    assert!(io.out.contains("give --account-projects"), "{}", io.out);
    let (code, io) = run_with(
        &[("t.json", ok)],
        &[
            "trust",
            "validate",
            "t.json",
            "--account-projects",
            "api, data",
            "--json",
        ],
    );
    assert_eq!(code, 1, "{}{}", io.out, io.err);
    let v: Value = serde_json::from_str(&io.out).unwrap();
    assert_eq!(v["errors"][0]["field"], "projects[0]");
    assert_eq!(v["errors"][0]["code"], "project_unknown");
    let list = r#"[{"id": "trust_a", "name": "a", "issuer": "https://x.example", "audiences": ["*"], "subject": "repo:acme/*"},
                   {"id": "trust_b", "name": "", "issuer": "http://x.example", "audiences": []}]"#;
    let (code, io) = run_with(&[("l.json", list)], &["trust", "validate", "l.json"]);
    assert_eq!(code, 1);
    assert!(
        io.out.contains("trust trust_a:\nwarning audiences[0]: "),
        "{}",
        io.out
    );
    assert!(io.out.contains("[subject_glob_without_id]"), "{}", io.out);
    assert!(
        io.out.contains("trust trust_b:\nerror   name: "),
        "{}",
        io.out
    );
    assert!(io.out.contains("[condition_required]"), "{}", io.out);
    let (_, io) = run_with(
        &[("l.json", list)],
        &["trust", "validate", "l.json", "--json"],
    );
    let v: Value = serde_json::from_str(&io.out).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(2));
    assert_eq!(v[0]["errors"], json!([]));
    let (code, io) = run_with(
        &[("t.json", "{\"name\": 1}")],
        &["trust", "validate", "t.json"],
    );
    assert_eq!(code, 2);
    assert!(
        io.err
            .starts_with("clouddigit trust: t.json.name: invalid type"),
        "{}",
        io.err
    );
}
