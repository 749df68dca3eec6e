//! The limits every form and the server hold drafts to, in one value a form can show.

/// The limits every form and the server hold drafts to, so a form can say them before
/// anyone runs into them.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct Limits {
    pub max_token_name_chars: usize,
    pub max_service_account_name_chars: usize,
    pub max_description_chars: usize,
    /// Entries of a token's permission list.
    pub max_token_permissions: usize,
    /// Entries of an allow-list (a token's or a service account's).
    pub max_allowed_ips: usize,
    pub max_policy_lifetime_days: u32,
    /// The service-account name rule as a regular expression (length included), for
    /// schemas and form hints; the validators say what is wrong with a name.
    pub service_account_name_pattern: String,
}

/// See [`Limits`].
pub fn limits() -> Limits {
    use crate::validate as v;
    Limits {
        max_token_name_chars: v::MAX_TOKEN_NAME_CHARS,
        max_service_account_name_chars: v::MAX_SERVICE_ACCOUNT_NAME_CHARS,
        max_description_chars: v::MAX_DESCRIPTION_CHARS,
        max_token_permissions: v::MAX_TOKEN_PERMISSIONS,
        max_allowed_ips: v::MAX_ALLOWED_IPS,
        max_policy_lifetime_days: crate::model::MAX_POLICY_LIFETIME_DAYS,
        service_account_name_pattern: v::SERVICE_ACCOUNT_NAME_PATTERN.to_owned(),
    }
}
