//! With no reachable D-Bus session every call says "no keychain" (the CLI then offers
//! the plain file) instead of failing otherwise. Alone in its test binary: it changes
//! the process's environment.
#![cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]

use clouddigit_keychain::{available, delete, get, set, KeychainError};

#[test]
fn no_session_bus_means_no_keychain() {
    let dir = std::env::temp_dir().join(format!("clouddigit-no-bus-{}", std::process::id()));
    // A bus address whose socket does not exist, and no runtime directory to fall back on.
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        format!("unix:path={}", dir.join("bus").display()),
    );
    std::env::set_var("XDG_RUNTIME_DIR", &dir);

    let results = [
        available().err(),
        get("default").err(),
        set("default", "cd_not_stored").err(),
        delete("default").err(),
    ];
    for err in results {
        let err = err.expect("an error without a bus");
        assert!(
            matches!(err, KeychainError::Unavailable { .. }),
            "expected Unavailable, got {err:?}"
        );
        assert!(err.is_no_keychain());
        assert!(!err.to_string().contains("cd_not_stored"));
        eprintln!("{err}");
    }
}
