//! The crate from a shell, for checking it against other clients of the same entry:
//!
//!   cargo run -p clouddigit-keychain --example keychain -- available
//!   cargo run -p clouddigit-keychain --example keychain -- get [PROFILE]
//!   echo -n TOKEN | cargo run -p clouddigit-keychain --example keychain -- set [PROFILE]
//!   cargo run -p clouddigit-keychain --example keychain -- delete [PROFILE]
//!
//! Exit status: 0 done, 1 no such entry, 2 bad usage, 3 no keychain, 4 other failure.
use std::io::{Read, Write};
use std::process::ExitCode;

use clouddigit_keychain::{KeychainError, DEFAULT_PROFILE};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let profile = args.get(1).map_or(DEFAULT_PROFILE, String::as_str);
    let result = match args.first().map(String::as_str) {
        Some("available") => clouddigit_keychain::available().map(|()| true),
        Some("get") => clouddigit_keychain::get(profile).map(|secret| match secret {
            Some(secret) => std::io::stdout().write_all(secret.as_bytes()).is_ok(),
            None => false,
        }),
        Some("set") => {
            let mut secret = String::new();
            if std::io::stdin().read_to_string(&mut secret).is_err() {
                eprintln!("keychain: the token on stdin is not text");
                return ExitCode::from(2);
            }
            clouddigit_keychain::set(profile, secret.trim_end_matches('\n')).map(|()| true)
        }
        Some("delete") => clouddigit_keychain::delete(profile),
        _ => {
            eprintln!("usage: keychain available | get|set|delete [PROFILE]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("keychain: {err}");
            ExitCode::from(match err {
                KeychainError::InvalidProfile { .. } | KeychainError::EmptySecret => 2,
                err if err.is_no_keychain() => 3,
                _ => 4,
            })
        }
    }
}
