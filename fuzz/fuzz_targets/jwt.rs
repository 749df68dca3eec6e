//! JWTs from anywhere (the token exchange takes them unauthenticated): any text decodes
//! or is refused with a code, never a panic; no error echoes the token; matching it
//! against trusts and verifying it against a JWKS never panics either.
#![no_main]
use clouddigit_core::oidc::{choose, Jwt, Trust};
use libfuzzer_sys::fuzz_target;

const JWKS: &str = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","kid":"k","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},{"kty":"RSA","alg":"RS256","kid":"r","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"}]}"#;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let jwt = match Jwt::parse(&text) {
        Ok(j) => j,
        Err(e) => {
            assert!(text.len() < 12 || !e.to_string().contains(text.as_ref()));
            return;
        }
    };
    if let Err(e) = jwt.verify(JWKS) {
        assert!(!e.to_string().contains(text.as_ref()));
    }
    let trust: Trust = serde_json::from_str(
        r#"{"id":"t","name":"t","issuer":"https://token.actions.githubusercontent.com","audiences":["a"],"subject":"repo:acme/*:ref:*","claims":{"repository_owner_id":"4*2"}}"#,
    )
    .unwrap_or_else(|_| unreachable!());
    let now = chrono::DateTime::from_timestamp(1_796_000_000, 0).unwrap_or_default();
    let (_, matches) = choose(std::slice::from_ref(&trust), &jwt.claims, now);
    assert_eq!(matches.len(), 1);
});
