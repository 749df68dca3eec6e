//! The Rust SDK finds the token `clouddigit configure` keeps in the OS keychain, after
//! `CD_API_TOKEN` and before the token file, only for the profile asked for. Needs a real
//! keychain: run under scripts/with-keyring.sh (which sets CLOUDDIGIT_TEST_KEYRING=1);
//! elsewhere it says so and passes without touching any keychain.

#![allow(clippy::result_large_err)]

use clouddigit_client::Client;
use clouddigit_sandbox::{start, Config};

#[test]
fn from_env_reads_the_profiles_keychain_entry() {
    if std::env::var("CLOUDDIGIT_TEST_KEYRING").as_deref() != Ok("1") {
        eprintln!("skipped: no test keychain (run under scripts/with-keyring.sh)");
        return;
    }
    // Nothing of this process's own: no variable or file may win over the keychain.
    let home = std::env::temp_dir().join(format!("cd-keychain-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    // SAFETY of the test: this binary has this one test, so no thread reads the
    // environment while it changes.
    unsafe {
        std::env::set_var("HOME", &home);
        std::env::remove_var("CD_API_TOKEN");
        std::env::remove_var("CD_PROFILE");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(start(Config {
            port: 0,
            ..Config::default()
        }))
        .expect("sandbox starts");
    let owner = server.bootstrap_token.expose_secret().to_owned();
    let base = format!("{}/v1", server.url());
    let profile = format!("rust-{}", std::process::id());
    clouddigit_keychain::set(&profile, &owner).unwrap();

    let who = Client::builder()
        .from_env()
        .profile(&profile)
        .base_url(&base)
        .build()
        .unwrap()
        .whoami()
        .unwrap();
    assert_eq!(who.token.token.prefix, owner[..9]);

    // Another profile has no entry: no credentials, and the message says what to run.
    let none = Client::builder()
        .from_env()
        .profile(format!("{profile}-other"))
        .base_url(&base)
        .build()
        .unwrap_err();
    assert!(none.message.contains("clouddigit configure"), "{none}");
    assert!(!none.message.contains(&owner));

    assert!(clouddigit_keychain::delete(&profile).unwrap());
    let _ = rt.block_on(server.shutdown());
    let _ = std::fs::remove_dir_all(&home);
}
