//! `schema/clouddigit.schema.json` is generated from the types every host exchanges:
//! the core's (tokens, owners, requests, decisions, validation, the catalog, limits,
//! allow-list reports, SigV4 requests, explanations and verdicts, OIDC trusts and reports), the API client's
//! models and errors (`clouddigit-session`) and the vector files. This test fails when the types and the file drift apart.
//! Regenerate with `UPDATE_SCHEMA=1 cargo test -p clouddigit-ffi --test schema`; the
//! Python package's `types.py` and `models.py` are generated from the file in turn
//! (`scripts/gen-python-types.py`).
//!
//! It lives in the facade crate, the one crate that sees both the core and the session.

use clouddigit_core::catalog::CatalogFile;
use clouddigit_core::limits::Limits;
use clouddigit_core::{
    AllowedIpsReport, Decision, OwnerState, Request, ServiceAccountRequest,
    ServiceAccountValidation, Token, TokenPolicy, TokenRequest, TokenValidation,
};
use clouddigit_session::models::{
    AccessKey, ApiToken, AuditEvent, CreatedAccessKey, CreatedServiceAccount, CreatedToken,
    RevokedCount, Rotation, ServiceAccount, Whoami,
};
use clouddigit_session::{ApiError, FieldError};
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

#[path = "../../tests/rust/authorize.rs"]
#[allow(dead_code)]
mod authorize_vectors;
#[path = "../../tests/rust/token_format.rs"]
#[allow(dead_code)]
mod token_format_vectors;
#[path = "../../tests/rust/trust_validate.rs"]
#[allow(dead_code)]
mod trust_validate_vectors;
#[path = "../../tests/rust/validate.rs"]
#[allow(dead_code)]
mod validate_vectors;

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../schema/clouddigit.schema.json"
);

fn add<T: JsonSchema>(
    gen: &mut schemars::SchemaGenerator,
    defs: &mut Map<String, Value>,
    name: &str,
) {
    let schema = gen.root_schema_for::<T>();
    let mut value = schema.to_value();
    if let Some(obj) = value.as_object_mut() {
        obj.remove("$schema");
        if let Some(Value::Object(inner)) = obj.remove("$defs") {
            for (k, v) in inner {
                defs.entry(k).or_insert(v);
            }
        }
        obj.insert("title".into(), Value::String(name.into()));
    }
    defs.insert(name.into(), value);
}

fn generate() -> String {
    let mut gen = SchemaSettings::draft2020_12().into_generator();
    let mut defs = Map::new();
    add::<Token>(&mut gen, &mut defs, "Token");
    add::<OwnerState>(&mut gen, &mut defs, "OwnerState");
    add::<Request>(&mut gen, &mut defs, "Request");
    add::<Decision>(&mut gen, &mut defs, "Decision");
    add::<TokenPolicy>(&mut gen, &mut defs, "TokenPolicy");
    add::<TokenRequest>(&mut gen, &mut defs, "TokenRequest");
    add::<TokenValidation>(&mut gen, &mut defs, "TokenValidation");
    add::<ServiceAccountRequest>(&mut gen, &mut defs, "ServiceAccountRequest");
    add::<ServiceAccountValidation>(&mut gen, &mut defs, "ServiceAccountValidation");
    add::<CatalogFile>(&mut gen, &mut defs, "Catalog");
    add::<Limits>(&mut gen, &mut defs, "Limits");
    add::<AllowedIpsReport>(&mut gen, &mut defs, "AllowedIpsReport");
    // SigV4: a request as pasted, how the server reads it, and the verdict.
    add::<clouddigit_ffi::RequestText>(&mut gen, &mut defs, "RequestText");
    add::<clouddigit_ffi::Explanation>(&mut gen, &mut defs, "Explanation");
    add::<clouddigit_ffi::SigV4Verdict>(&mut gen, &mut defs, "SigV4Verdict");
    // OIDC trusts: the form's draft and its validation, the presets, and a JWT read
    // against trusts.
    add::<clouddigit_ffi::Trust>(&mut gen, &mut defs, "Trust");
    add::<clouddigit_ffi::TrustSpec>(&mut gen, &mut defs, "TrustSpec");
    add::<clouddigit_ffi::TrustValidation>(&mut gen, &mut defs, "TrustValidation");
    add::<clouddigit_ffi::PresetInfo>(&mut gen, &mut defs, "PresetInfo");
    add::<clouddigit_ffi::TrustCheckReport>(&mut gen, &mut defs, "TrustCheckReport");
    // The API client's models (what the API returns) and errors.
    add::<ApiToken>(&mut gen, &mut defs, "ApiToken");
    add::<CreatedToken>(&mut gen, &mut defs, "CreatedToken");
    add::<Rotation>(&mut gen, &mut defs, "Rotation");
    add::<ServiceAccount>(&mut gen, &mut defs, "ServiceAccount");
    add::<CreatedServiceAccount>(&mut gen, &mut defs, "CreatedServiceAccount");
    add::<AccessKey>(&mut gen, &mut defs, "AccessKey");
    add::<CreatedAccessKey>(&mut gen, &mut defs, "CreatedAccessKey");
    add::<AuditEvent>(&mut gen, &mut defs, "AuditEvent");
    // An audit record's shape and origin (`audit_record` in the SDKs).
    add::<clouddigit_ffi::AuditFormat>(&mut gen, &mut defs, "AuditFormat");
    add::<clouddigit_ffi::AuditContext>(&mut gen, &mut defs, "AuditContext");
    add::<Whoami>(&mut gen, &mut defs, "Whoami");
    add::<RevokedCount>(&mut gen, &mut defs, "RevokedCount");
    // Where the API and object storage are (the region names the SDKs take).
    add::<clouddigit_session::Region>(&mut gen, &mut defs, "Region");
    add::<clouddigit_session::Ingress>(&mut gen, &mut defs, "Ingress");
    add::<ApiError>(&mut gen, &mut defs, "ApiError");
    add::<FieldError>(&mut gen, &mut defs, "FieldError");
    // The client session's wire (what the Python binding exchanges) and its vectors.
    add::<clouddigit_session::machine::Command>(&mut gen, &mut defs, "ClientCommand");
    add::<clouddigit_session::machine::Effect>(&mut gen, &mut defs, "ClientEffect");
    add::<clouddigit_session::machine::Input>(&mut gen, &mut defs, "ClientInput");
    add::<clouddigit_session::replay::ClientVectors>(&mut gen, &mut defs, "ClientVectors");
    add::<authorize_vectors::File>(&mut gen, &mut defs, "AuthorizeVectors");
    add::<token_format_vectors::File>(&mut gen, &mut defs, "TokenFormatVectors");
    add::<validate_vectors::TokenFile>(&mut gen, &mut defs, "ValidateTokenVectors");
    add::<trust_validate_vectors::File>(&mut gen, &mut defs, "TrustValidateVectors");
    add::<validate_vectors::ServiceAccountFile>(
        &mut gen,
        &mut defs,
        "ValidateServiceAccountVectors",
    );
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://clouddigit.dev/schema/clouddigit.schema.json",
        "title": "Cloud Digit tokens, owners, requests, decisions and API models",
        "description": "The JSON shapes that the core, the API client, the wasm and Python bindings, the CLI and the test vectors exchange. Generated from the types of clouddigit-core and clouddigit-session by ffi/tests/schema.rs; do not edit by hand.",
        "$defs": Value::Object(defs),
    });
    let mut text = serde_json::to_string_pretty(&root).expect("schema serializes");
    text.push('\n');
    text
}

#[test]
fn schema_file_matches_the_types() {
    let fresh = generate();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(PATH, &fresh).expect("write schema");
        return;
    }
    let on_disk = std::fs::read_to_string(PATH).unwrap_or_default();
    assert!(
        on_disk == fresh,
        "schema/clouddigit.schema.json is stale: run UPDATE_SCHEMA=1 cargo test -p clouddigit-ffi --test schema"
    );
}
