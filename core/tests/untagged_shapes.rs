//! The hand-written `Deserialize` of the "word or list" shapes accepts exactly what
//! serde's `#[serde(untagged)]` derive accepted, with the same errors.

use clouddigit_core::model::{ProjectScope, TokenPermissions};
use clouddigit_core::validate::TextOrList;
use serde::Deserialize;

/// The derives as they were, under the same names (the error message names the enum).
mod derived {
    use clouddigit_core::model::{AllProjects, Inherit};
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(untagged)]
    pub enum ProjectScope {
        All(AllProjects),
        Projects(Vec<String>),
    }

    #[derive(Debug, Deserialize)]
    #[serde(untagged)]
    pub enum TokenPermissions {
        Inherit(Inherit),
        Downscoped(Vec<String>),
    }

    #[derive(Debug, Deserialize)]
    pub struct Pair {
        #[allow(dead_code)]
        v: ProjectScope,
        #[allow(dead_code)]
        p: TokenPermissions,
    }

    #[derive(Debug, Deserialize)]
    #[serde(untagged)]
    pub enum TextOrList {
        Text(String),
        List(Vec<String>),
    }
}

const INPUTS: &[&str] = &[
    r#""all""#,
    r#""inherit""#,
    r#""ALL""#,
    r#""""#,
    r#""web""#,
    "[]",
    r#"["a","b"]"#,
    r#"["a",1]"#,
    "[null]",
    "[[]]",
    r#"[{"a":1}]"#,
    r#"{"all":null}"#,
    r#"{"inherit":null}"#,
    r#"{"all":1}"#,
    r#"{"all":null,"x":null}"#,
    "{}",
    "null",
    "1",
    "-1",
    "1.5",
    "true",
    r#"{"a":[1,2]}"#,
    r#"["é","\u0000"]"#,
];

fn same<A: std::fmt::Debug, B: std::fmt::Debug>(
    input: &str,
    ours: Result<A, serde_json::Error>,
    derived: Result<B, serde_json::Error>,
) {
    match (ours, derived) {
        (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{input}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{input}"),
        (a, b) => panic!("{input}: ours {a:?}, derived {b:?}"),
    }
}

#[test]
fn same_as_the_untagged_derive() {
    for input in INPUTS {
        same(
            input,
            serde_json::from_str::<ProjectScope>(input).map(|v| match v {
                ProjectScope::All(a) => format!("All({a:?})"),
                ProjectScope::Projects(p) => format!("Projects({p:?})"),
            }),
            serde_json::from_str::<derived::ProjectScope>(input).map(|v| match v {
                derived::ProjectScope::All(a) => format!("All({a:?})"),
                derived::ProjectScope::Projects(p) => format!("Projects({p:?})"),
            }),
        );
        same(
            input,
            serde_json::from_str::<TokenPermissions>(input).map(|v| match v {
                TokenPermissions::Inherit(a) => format!("Inherit({a:?})"),
                TokenPermissions::Downscoped(p) => format!("Downscoped({p:?})"),
            }),
            serde_json::from_str::<derived::TokenPermissions>(input).map(|v| match v {
                derived::TokenPermissions::Inherit(a) => format!("Inherit({a:?})"),
                derived::TokenPermissions::Downscoped(p) => format!("Downscoped({p:?})"),
            }),
        );
        same(
            input,
            serde_json::from_str::<TextOrList>(input).map(|v| match v {
                TextOrList::Text(a) => format!("Text({a:?})"),
                TextOrList::List(p) => format!("List({p:?})"),
            }),
            serde_json::from_str::<derived::TextOrList>(input).map(|v| match v {
                derived::TextOrList::Text(a) => format!("Text({a:?})"),
                derived::TextOrList::List(p) => format!("List({p:?})"),
            }),
        );
        // Inside a struct, where serde_json reports the error's position.
        #[derive(Debug, Deserialize)]
        struct Pair {
            #[allow(dead_code)]
            v: ProjectScope,
            #[allow(dead_code)]
            p: TokenPermissions,
        }
        let text = format!(r#"{{"v": {input}, "p": {input}}}"#);
        same(
            &text,
            serde_json::from_str::<Pair>(&text),
            serde_json::from_str::<derived::Pair>(&text),
        );
    }
}
