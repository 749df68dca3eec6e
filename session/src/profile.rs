//! Named profiles, as `clouddigit configure` writes them and every SDK reads them: the
//! token in the OS keychain (service [`KEYCHAIN_SERVICE`], account the profile's name)
//! and the rest (region, base URL, default project) in `~/.config/cd/config.json`.
//! The rules live here once; hosts only read the keychain entry and the file when
//! [`keychain_profile`] says so, and pass what they found in the `Environment`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The keychain service every host stores tokens under; the account is the profile.
pub const KEYCHAIN_SERVICE: &str = "clouddigit";
/// The profile used when neither the `profile` option nor `CD_PROFILE` names one.
pub const DEFAULT_PROFILE: &str = "default";
/// Where the profiles' settings live, as messages name it (hosts expand `~`).
pub const CONFIG_FILE_PATH: &str = "~/.config/cd/config.json";
/// The longest profile name: it becomes a keychain account name and a JSON key.
pub const MAX_PROFILE_LEN: usize = 64;

/// What the host found in the keychain for a profile. `Debug` never shows the secret.
#[derive(Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeychainSeen {
    pub profile: String,
    /// The stored token, when there is one.
    #[serde(default)]
    pub secret: Option<String>,
    /// Why the keychain could not be read (none on this machine, locked, refused).
    #[serde(default)]
    pub error: Option<String>,
}

impl std::fmt::Debug for KeychainSeen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeychainSeen")
            .field("profile", &self.profile)
            .field("secret", &self.secret.as_ref().map(|_| "…"))
            .field("error", &self.error)
            .finish()
    }
}

/// One profile's settings in the config file. Never a secret: tokens live in the
/// keychain (or, where there is none, the mode-0600 token file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The project commands use when none is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_insecure_http: Option<bool>,
    /// Where this profile's token is kept: `keychain` or a file path (0600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_store: Option<String>,
}

/// The whole config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileSettings>,
}

impl ConfigFile {
    /// Reads the file's text; a broken file is an error naming the place, never
    /// silently ignored (a script would then run against the wrong region).
    pub fn parse(text: &str) -> Result<ConfigFile, ApiError> {
        if text.trim().is_empty() {
            return Ok(ConfigFile::default());
        }
        clouddigit_core::json::from_json(text, CONFIG_FILE_PATH)
            .map_err(|message| ApiError::config("bad_config_file", message))
    }

    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned());
        text.push('\n');
        text
    }
}

/// Checks a profile name: letters, digits, `-`, `_` and `.`, up to 64.
pub fn check_profile(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_PROFILE_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(ApiError::config(
            "bad_option",
            format!(
                "profile: {name:?} is not a profile name (letters, digits, '-', '_' and '.', up to {MAX_PROFILE_LEN}, not starting with '.')"
            ),
        ))
    }
}

/// The profile in effect: the option, else `CD_PROFILE`, else `default`.
pub fn profile_name(option: Option<&str>, var: Option<&str>) -> Result<String, ApiError> {
    let name = option
        .or(var)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(DEFAULT_PROFILE);
    check_profile(name)?;
    Ok(name.to_owned())
}
