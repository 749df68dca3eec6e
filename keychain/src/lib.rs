//! The OS keychain entry that holds a clouddigit profile's API token.
//!
//! One entry per profile, through [keyring](https://crates.io/crates/keyring) 3: the
//! Secret Service on Linux and the BSDs (gnome-keyring, KWallet, KeePassXC), the login
//! Keychain on macOS, the Credential Manager on Windows. The service is [`SERVICE`]
//! (`clouddigit`) and the account is the profile name ([`DEFAULT_PROFILE`] unless
//! `--profile` says otherwise). `clouddigit configure` writes it; every SDK's credential
//! chain reads the same entry, so the attributes are part of the contract:
//!
//! - Secret Service: an item in the default collection with the attributes
//!   `service=clouddigit`, `username=PROFILE`, `target=default` and
//!   `application=rust-keyring`, labelled `PROFILE@clouddigit:default (keyring v3.x)`.
//!   Reads search `service`, `username` and `target`, then (when nothing matches) the
//!   default collection by `service` and `username` alone, so an item stored by another
//!   tool with only those two is found too:
//!   `secret-tool lookup service clouddigit username default` reads it from a shell, and
//!   `@napi-rs/keyring`'s `new Entry("clouddigit", "default")` from Node.
//! - macOS: a generic password with service `clouddigit` and account `PROFILE`.
//! - Windows: a generic credential with target name `PROFILE.clouddigit`.
//!
//! Errors never carry the secret. [`KeychainError::is_no_keychain`] tells "this machine
//! has no usable keychain" (no D-Bus session, no Secret Service, no default collection,
//! locked) apart from other failures, so the CLI can offer the plain file instead.
//!
//! Tests that touch a keychain run under `scripts/with-keyring.sh` (a throwaway
//! gnome-keyring on a private D-Bus session); without one they say so and skip.

/// The keychain service name of every clouddigit entry.
pub const SERVICE: &str = "clouddigit";

/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";

/// The longest profile name accepted (Windows limits a credential's target name).
pub const MAX_PROFILE_LEN: usize = 64;

/// Why a keychain operation failed. No variant holds or shows the secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeychainError {
    /// No keychain on this machine or in this session: no D-Bus session bus, no Secret
    /// Service on it, no default collection, or an OS this crate has no keychain for.
    #[error("no keychain available: {reason}")]
    Unavailable {
        /// What was missing, in the platform's words.
        reason: String,
    },
    /// A keychain is there but would not open: locked, or its unlock prompt was
    /// dismissed or could not be shown (no display).
    #[error("the keychain is locked or refused access: {reason}")]
    Locked {
        /// The platform's words.
        reason: String,
    },
    /// The profile name cannot name a keychain entry.
    #[error("invalid profile name {profile:?}: {reason}")]
    InvalidProfile {
        /// The name given.
        profile: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The secret given to [`set`] was empty.
    #[error("refusing to store an empty token")]
    EmptySecret,
    /// More than one keychain item matches the profile's entry (made by other tools).
    #[error("{count} keychain items match profile {profile:?}; remove all but one")]
    Ambiguous {
        /// The profile.
        profile: String,
        /// How many items match.
        count: usize,
    },
    /// The stored value is not UTF-8 text, so it is no token of ours.
    #[error("the keychain entry of profile {profile:?} is not text")]
    NotText {
        /// The profile.
        profile: String,
    },
    /// Any other failure of the platform's keychain.
    #[error("keychain failure: {reason}")]
    Platform {
        /// The platform's words.
        reason: String,
    },
}

impl KeychainError {
    /// True when there is no usable keychain here ([`Unavailable`](Self::Unavailable)
    /// or [`Locked`](Self::Locked)): the caller should offer the plain token file.
    pub fn is_no_keychain(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Locked { .. })
    }
}

/// The profile's token, or `None` when the keychain has no entry for it.
pub fn get(profile: &str) -> Result<Option<String>, KeychainError> {
    check_profile(profile)?;
    backend::get(profile)
}

/// Stores `secret` as the profile's token, replacing any earlier one.
pub fn set(profile: &str, secret: &str) -> Result<(), KeychainError> {
    check_profile(profile)?;
    if secret.is_empty() {
        return Err(KeychainError::EmptySecret);
    }
    backend::set(profile, secret)
}

/// Removes the profile's token; `false` when there was none.
pub fn delete(profile: &str) -> Result<bool, KeychainError> {
    check_profile(profile)?;
    backend::delete(profile)
}

/// `Ok` when a keychain answers here, else why not. Reads one entry that nobody writes,
/// so it neither changes the keychain nor asks to unlock it; a locked keychain may
/// still refuse the first real read or write.
pub fn available() -> Result<(), KeychainError> {
    backend::get(PROBE_PROFILE).map(|_| ())
}

/// The account that [`available`] looks up; [`check_profile`] refuses it as a name.
const PROBE_PROFILE: &str = "\u{1}clouddigit-availability-probe";

fn check_profile(profile: &str) -> Result<(), KeychainError> {
    let invalid = |reason| KeychainError::InvalidProfile {
        profile: profile.chars().take(MAX_PROFILE_LEN + 1).collect(),
        reason,
    };
    if profile.is_empty() {
        return Err(invalid("it is empty"));
    }
    if profile.chars().count() > MAX_PROFILE_LEN {
        return Err(invalid("it is longer than 64 characters"));
    }
    if profile.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid("it holds whitespace or control characters"));
    }
    Ok(())
}

#[cfg(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "windows"
))]
mod backend {
    use super::{KeychainError, SERVICE};
    use keyring::{Entry, Error};

    pub(crate) fn get(profile: &str) -> Result<Option<String>, KeychainError> {
        match entry(profile)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(Error::NoEntry) => Ok(None),
            Err(err) => Err(convert(profile, err)),
        }
    }

    pub(crate) fn set(profile: &str, secret: &str) -> Result<(), KeychainError> {
        entry(profile)?
            .set_password(secret)
            .map_err(|err| convert(profile, err))
    }

    pub(crate) fn delete(profile: &str) -> Result<bool, KeychainError> {
        match entry(profile)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(err) => Err(convert(profile, err)),
        }
    }

    fn entry(profile: &str) -> Result<Entry, KeychainError> {
        Entry::new(SERVICE, profile).map_err(|err| convert(profile, err))
    }

    /// keyring's error, without anything that could hold the secret (`BadEncoding`
    /// carries the stored bytes; they are dropped here).
    fn convert(profile: &str, err: Error) -> KeychainError {
        match err {
            Error::NoStorageAccess(inner) => classify_no_access(inner.as_ref()),
            Error::PlatformFailure(inner) => classify_failure(inner.as_ref()),
            Error::BadEncoding(_) => KeychainError::NotText {
                profile: profile.to_owned(),
            },
            Error::Ambiguous(items) => KeychainError::Ambiguous {
                profile: profile.to_owned(),
                count: items.len(),
            },
            Error::TooLong(_, _) => KeychainError::InvalidProfile {
                profile: profile.to_owned(),
                reason: "it is too long for this keychain",
            },
            Error::Invalid(_, _) => KeychainError::InvalidProfile {
                profile: profile.to_owned(),
                reason: "this keychain does not accept it",
            },
            other => KeychainError::Platform {
                reason: other.to_string(),
            },
        }
    }

    type Inner<'a> = &'a (dyn std::error::Error + Send + Sync + 'static);

    /// keyring reports a locked item, a dismissed prompt and a missing default
    /// collection (the Secret Service's `NoResult`) alike as no access.
    fn classify_no_access(inner: Inner<'_>) -> KeychainError {
        #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
        if let Some(secret_service::Error::NoResult) = inner.downcast_ref() {
            return KeychainError::Unavailable {
                reason: "the Secret Service has no default collection".to_owned(),
            };
        }
        KeychainError::Locked {
            reason: inner.to_string(),
        }
    }

    #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
    fn classify_failure(inner: Inner<'_>) -> KeychainError {
        use secret_service::Error as SsError;
        let reason = inner.to_string();
        let err = inner.downcast_ref::<SsError>();
        // A write to a locked collection whose unlock prompt could not be shown.
        if let Some(SsError::Zbus(zbus::Error::MethodError(name, _, _))) = err {
            if name.as_str() == "org.freedesktop.Secret.Error.IsLocked" {
                return KeychainError::Locked { reason };
            }
        }
        let unavailable = match err {
            Some(SsError::Unavailable) => true,
            Some(SsError::Zbus(err)) => zbus_says_unavailable(err),
            Some(SsError::ZbusFdo(err)) => fdo_says_unavailable(err),
            _ => false,
        };
        if unavailable {
            KeychainError::Unavailable { reason }
        } else {
            KeychainError::Platform { reason }
        }
    }

    #[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
    fn classify_failure(inner: Inner<'_>) -> KeychainError {
        KeychainError::Platform {
            reason: inner.to_string(),
        }
    }

    /// No bus to connect to, or nobody on it owns (or can be started for) the Secret
    /// Service's name.
    #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
    fn zbus_says_unavailable(err: &zbus::Error) -> bool {
        match err {
            zbus::Error::Address(_)
            | zbus::Error::InputOutput(_)
            | zbus::Error::Handshake(_)
            | zbus::Error::InterfaceNotFound => true,
            zbus::Error::FDO(fdo) => fdo_says_unavailable(fdo),
            zbus::Error::MethodError(name, _, _) => {
                UNAVAILABLE_ERROR_NAMES.contains(&name.as_str())
            }
            _ => false,
        }
    }

    #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
    fn fdo_says_unavailable(err: &zbus::fdo::Error) -> bool {
        use zbus::fdo::Error as Fdo;
        matches!(
            err,
            Fdo::ServiceUnknown(_)
                | Fdo::NameHasNoOwner(_)
                | Fdo::NoServer(_)
                | Fdo::Disconnected(_)
                | Fdo::SpawnExecFailed(_)
                | Fdo::SpawnChildExited(_)
                | Fdo::SpawnFailed(_)
                | Fdo::SpawnServiceNotFound(_)
                | Fdo::UnknownObject(_)
                | Fdo::UnknownInterface(_)
        ) || matches!(err, Fdo::ZBus(inner) if zbus_says_unavailable(inner))
    }

    #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
    const UNAVAILABLE_ERROR_NAMES: &[&str] = &[
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.NoServer",
        "org.freedesktop.DBus.Error.Disconnected",
        "org.freedesktop.DBus.Error.Spawn.ExecFailed",
        "org.freedesktop.DBus.Error.Spawn.ChildExited",
        "org.freedesktop.DBus.Error.Spawn.Failed",
        "org.freedesktop.DBus.Error.Spawn.ServiceNotFound",
        "org.freedesktop.DBus.Error.UnknownObject",
        "org.freedesktop.DBus.Error.UnknownInterface",
    ];
}

/// No keychain on this OS (wasm32, iOS, Android, ...): say so rather than use
/// keyring's in-memory mock.
#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "windows"
)))]
mod backend {
    use super::KeychainError;

    fn unavailable() -> KeychainError {
        KeychainError::Unavailable {
            reason: "clouddigit has no keychain support on this operating system".to_owned(),
        }
    }

    pub(crate) fn get(_profile: &str) -> Result<Option<String>, KeychainError> {
        Err(unavailable())
    }

    pub(crate) fn set(_profile: &str, _secret: &str) -> Result<(), KeychainError> {
        Err(unavailable())
    }

    pub(crate) fn delete(_profile: &str) -> Result<bool, KeychainError> {
        Err(unavailable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Set by scripts/with-keyring.sh: a throwaway keychain is running, so the tests may
    /// write to it (and must fail, not skip, when it does not answer). Without it they
    /// skip: a developer's own keychain is never written to, nor asked to unlock.
    fn test_keychain() -> bool {
        if std::env::var_os("CLOUDDIGIT_TEST_KEYRING").is_some() {
            return true;
        }
        eprintln!(
            "skipped: no test keychain (run under scripts/with-keyring.sh to use a real one)"
        );
        false
    }

    /// A profile name no other test or run uses.
    fn scratch_profile(tag: &str) -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        format!("test-{tag}-{}-{nanos}", std::process::id())
    }

    #[test]
    fn profile_names_are_checked_before_the_keychain_is_asked() {
        for bad in ["", " ", "a b", "tab\there", "\u{1}x", &"p".repeat(65)] {
            let err = get(bad).expect_err(bad);
            assert!(
                matches!(err, KeychainError::InvalidProfile { .. }),
                "{bad:?}: {err}"
            );
            assert!(!err.is_no_keychain());
        }
        assert!(check_profile(&"p".repeat(64)).is_ok());
        assert!(check_profile("work.eu-1_ci@acme").is_ok());
        assert!(check_profile(DEFAULT_PROFILE).is_ok());
        assert!(check_profile(PROBE_PROFILE).is_err());
    }

    #[test]
    fn an_empty_token_is_refused() {
        assert!(matches!(set("x", ""), Err(KeychainError::EmptySecret)));
    }

    #[test]
    fn errors_never_show_the_secret() {
        let secret = "cd_secret_value_that_must_not_leak";
        let errors = [
            KeychainError::NotText {
                profile: "p".into(),
            },
            KeychainError::EmptySecret,
            KeychainError::Ambiguous {
                profile: "p".into(),
                count: 2,
            },
        ];
        for err in errors {
            assert!(!err.to_string().contains(secret));
            assert!(!format!("{err:?}").contains(secret));
        }
    }

    #[test]
    fn set_get_delete_round_trip() {
        if !test_keychain() {
            return;
        }
        available().expect("the test keychain answers");
        let profile = scratch_profile("round-trip");
        assert_eq!(get(&profile).expect("get before set"), None);
        assert!(!delete(&profile).expect("delete before set"));

        set(&profile, "cd_first").expect("set");
        assert_eq!(get(&profile).expect("get").as_deref(), Some("cd_first"));
        // A second set replaces the token rather than adding an item beside it.
        set(&profile, "cd_second ünïcødé").expect("set again");
        assert_eq!(
            get(&profile).expect("get again").as_deref(),
            Some("cd_second ünïcødé")
        );

        assert!(delete(&profile).expect("delete"));
        assert_eq!(get(&profile).expect("get after delete"), None);
        assert!(!delete(&profile).expect("delete twice"));
    }

    #[test]
    fn profiles_are_separate_entries() {
        if !test_keychain() {
            return;
        }
        let (a, b) = (scratch_profile("a"), scratch_profile("b"));
        set(&a, "cd_token_a").expect("set a");
        set(&b, "cd_token_b").expect("set b");
        assert_eq!(get(&a).expect("get a").as_deref(), Some("cd_token_a"));
        assert_eq!(get(&b).expect("get b").as_deref(), Some("cd_token_b"));
        assert!(delete(&a).expect("delete a"));
        assert_eq!(get(&b).expect("b stays").as_deref(), Some("cd_token_b"));
        assert!(delete(&b).expect("delete b"));
    }

    /// The entry is the one `secret-tool` (libsecret) finds by `service` and `username`,
    /// both ways: what the SDKs in other languages rely on.
    #[test]
    fn secret_tool_sees_the_same_entry() {
        if !test_keychain() {
            return;
        }
        use std::io::Write;
        use std::process::{Command, Stdio};
        let profile = scratch_profile("secret-tool");
        set(&profile, "cd_from_rust").expect("set");
        let out = Command::new("secret-tool")
            .args(["lookup", "service", SERVICE, "username", &profile])
            .output()
            .expect("secret-tool runs (apt-get install libsecret-tools)");
        assert!(out.status.success(), "secret-tool lookup: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "cd_from_rust");
        assert!(delete(&profile).expect("delete"));

        // Stored by libsecret with only service and username (no target): found through
        // keyring's fallback search of the default collection.
        let mut store = Command::new("secret-tool")
            .args(["store", "--label=clouddigit test", "service", SERVICE])
            .args(["username", &profile])
            .stdin(Stdio::piped())
            .spawn()
            .expect("secret-tool store");
        store
            .stdin
            .take()
            .expect("stdin")
            .write_all(b"cd_from_secret_tool")
            .expect("write");
        assert!(store.wait().expect("wait").success());
        assert_eq!(
            get(&profile).expect("get").as_deref(),
            Some("cd_from_secret_tool")
        );
        assert!(delete(&profile).expect("delete"));
        assert_eq!(get(&profile).expect("gone"), None);
    }
}
