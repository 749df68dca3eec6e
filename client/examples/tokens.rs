//! Make a token, use it, rotate it, revoke it; a service account with an access key and
//! its client credentials; and what the errors say. Every value printed with `{}` and
//! `{:?}`: secrets show their prefix only. The leak sweep (scripts/leak-sweep.sh) runs
//! it with `CD_LOG=debug` and checks its output.
//!
//!     CD_BASE_URL=http://127.0.0.1:8787/v1 CD_API_TOKEN=$(cat .clouddigit-sandbox-token) \
//!         cargo run -p clouddigit-client --example tokens

// The client's own calls return its `ApiError` as it is; the example passes them on.
#![allow(clippy::result_large_err)]

use clouddigit_client::{ApiError, Client};
use serde_json::json;

fn main() -> Result<(), ApiError> {
    let base = std::env::var("CD_BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:8787/v1".into());
    let admin = Client::builder().from_env().build()?;
    let as_token = |secret: &str| {
        Client::builder()
            .base_url(base.clone())
            .token(secret)
            .debug(true)
            .build()
    };
    println!("whoami: {:?}", admin.whoami()?.token);
    let draft = serde_json::from_value(
        json!({ "name": format!("leak-rust-{}", std::process::id()), "projects": ["web"], "expiry": "30d" }),
    )
    .map_err(|e| ApiError::config("draft", e.to_string()))?;
    let made = admin.tokens().create(&draft)?;
    println!(
        "created: {made:?}; secret {} / {:?}",
        made.secret, made.secret
    );
    println!(
        "as the new token: {:?}",
        as_token(made.secret.expose())?.whoami()?.token
    );
    let rotated = admin.tokens().rotate(&made.token.token.id)?;
    println!("rotation: {rotated:?}");
    let newer = as_token(rotated.secret.expose())?;
    println!("as the replacement: {:?}", newer.whoami()?.token);
    let sa = admin
        .service_accounts()
        .create(json!({ "name": format!("leak-rust-sa-{}", std::process::id()), "project": "web", "role": "member" }))?;
    println!("service account: {sa:?}");
    let key = admin
        .service_accounts()
        .access_keys()
        .create(&sa.service_account.id)?;
    println!("access key: {key:?}");
    let bearer = Client::builder()
        .base_url(base.clone())
        .client_credentials("acme", sa.client_id.clone(), sa.client_secret.expose())
        .debug(true)
        .build()?;
    println!("as the account: {:?}", bearer.whoami()?.token);
    admin.tokens().revoke(&rotated.token.token.id)?;
    admin.tokens().revoke(&made.token.token.id)?;
    match newer.whoami() {
        Ok(_) => println!("the revoked replacement: no error"),
        Err(e) => println!("the revoked replacement: {e} | {e:?}"),
    }
    let mistyped = format!(
        "{}0",
        &made.secret.expose()[..made.secret.expose().len() - 1]
    );
    match as_token(&mistyped) {
        Ok(_) => println!("a mistyped token: accepted"),
        Err(e) => println!("a mistyped token: {e} | {e:?}"),
    }
    admin.service_accounts().delete(&sa.service_account.id)?;
    println!("rust workload done");
    Ok(())
}
