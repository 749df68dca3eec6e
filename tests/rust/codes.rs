// tests/vectors/codes.json, read by every runner: the codes its vector file must reach.
// core/tests/codes.rs checks the lists against the Rust enums, so the chain from a new
// variant to a failing runner on every host has no hand-kept list in it.

pub const CODES: &str = include_str!("../vectors/codes.json");

/// The codes listed under `key` (empty when the list is missing).
#[allow(dead_code)] // not every runner that includes this file needs it
pub fn listed(key: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(CODES)
        .ok()
        .and_then(|all| {
            all[key].as_array().map(|l| {
                l.iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// One line for each code listed under `key` that no case reached (`seen` says which).
pub fn unreached(key: &str, seen: impl Fn(&str) -> bool) -> Vec<String> {
    let all: serde_json::Value = match serde_json::from_str(CODES) {
        Ok(v) => v,
        Err(e) => return vec![format!("codes.json: {e}")],
    };
    match all[key].as_array() {
        Some(list) if !list.is_empty() => list
            .iter()
            .map(|c| c.as_str().unwrap_or_default())
            .filter(|c| !seen(c))
            .map(|c| format!("no vector reaches {key} code {c:?}"))
            .collect(),
        _ => vec![format!("codes.json has no list {key:?}")],
    }
}
