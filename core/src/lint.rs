//! `clouddigit lint`: findings over a token inventory (the tokens export), the
//! seeds' best practices as checks.

use std::collections::BTreeSet;

use chrono::Duration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::{OwnerRef, ProjectScope, Timestamp, Token};

/// One inventory line: a token's metadata plus when it was last used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct InventoryToken {
    #[serde(flatten)]
    pub token: Token,
    #[serde(default)]
    pub last_used_at: Option<Timestamp>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum LintCode {
    NeverExpires,
    ExpiresSoon,
    Unused90Days,
    NoAllowListServiceAccount,
    AllProjectsScope,
    SharedAcrossEnvironments,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct LintFinding {
    pub token_id: String,
    pub token_name: String,
    pub prefix: String,
    pub code: LintCode,
    pub message: String,
}

/// Findings for live tokens (revoked, expired and rotated-out ones are skipped).
pub fn lint(tokens: &[InventoryToken], now: Timestamp) -> Vec<LintFinding> {
    let mut out = Vec::new();
    for it in tokens {
        let t = &it.token;
        if !crate::validate::token_is_active(t, now) {
            continue;
        }
        let mut add = |code: LintCode, message: String| {
            out.push(LintFinding {
                token_id: t.id.clone(),
                token_name: t.name.clone(),
                prefix: t.prefix.clone(),
                code,
                message,
            })
        };
        match t.expires_at {
            None => add(
                LintCode::NeverExpires,
                "never expires: set the shortest practical expiry and rotate".into(),
            ),
            Some(e) if e - now <= Duration::days(7) => add(
                LintCode::ExpiresSoon,
                format!(
                    "expires {} — rotate it before then",
                    crate::timefmt::minute(e)
                ),
            ),
            Some(_) => {}
        }
        let last = it.last_used_at.unwrap_or(t.created_at);
        if now - last >= Duration::days(90) {
            add(
                LintCode::Unused90Days,
                match it.last_used_at {
                    Some(l) => format!(
                        "not used since {}: revoke it if nothing needs it",
                        crate::timefmt::date(l)
                    ),
                    None => format!(
                        "never used since it was created on {}: revoke it",
                        crate::timefmt::date(t.created_at)
                    ),
                },
            );
        }
        if matches!(t.owner, OwnerRef::ServiceAccount { .. }) && t.allowed_ips.is_empty() {
            add(
                LintCode::NoAllowListServiceAccount,
                "service-account token without an IP allow-list: restrict it to the runners' addresses".into(),
            );
        }
        match &t.projects {
            ProjectScope::All(_) => add(
                LintCode::AllProjectsScope,
                "scoped to all projects, including future ones: list the projects it needs".into(),
            ),
            ProjectScope::Projects(list) => {
                let envs: BTreeSet<&str> = list
                    .iter()
                    .filter_map(|p| crate::validate::environment(p))
                    .collect();
                if envs.len() > 1 {
                    add(
                        LintCode::SharedAcrossEnvironments,
                        format!(
                            "one token spans {}: use one token per environment",
                            envs.into_iter().collect::<Vec<_>>().join(" and ")
                        ),
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings() {
        let now: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let line = |json: &str| -> InventoryToken { serde_json::from_str(json).unwrap() };
        let inv = vec![
            line(
                r#"{"id":"t1","name":"old","prefix":"cd_aaaaaa","owner":{"type":"service_account","id":"sa"},"organization":"o","projects":["shop-prod","shop-dev"],"permissions":"inherit","created_at":"2026-01-01T00:00:00Z","expires_at":null}"#,
            ),
            line(
                r#"{"id":"t2","name":"soon","prefix":"cd_bbbbbb","owner":{"type":"user","id":"u"},"organization":"o","projects":"all","permissions":"inherit","created_at":"2026-11-01T00:00:00Z","expires_at":"2026-11-25T00:00:00Z","last_used_at":"2026-11-22T00:00:00Z"}"#,
            ),
            line(
                r#"{"id":"t3","name":"dead","prefix":"cd_cccccc","owner":{"type":"user","id":"u"},"organization":"o","projects":["web"],"permissions":"inherit","created_at":"2026-01-01T00:00:00Z","expires_at":null,"revoked_at":"2026-02-01T00:00:00Z"}"#,
            ),
        ];
        let got: Vec<(String, LintCode)> = lint(&inv, now)
            .into_iter()
            .map(|f| (f.token_id, f.code))
            .collect();
        assert_eq!(
            got,
            vec![
                ("t1".into(), LintCode::NeverExpires),
                ("t1".into(), LintCode::Unused90Days),
                ("t1".into(), LintCode::NoAllowListServiceAccount),
                ("t1".into(), LintCode::SharedAcrossEnvironments),
                ("t2".into(), LintCode::ExpiresSoon),
                ("t2".into(), LintCode::AllProjectsScope),
            ]
        );
    }
}
