//! OIDC trusts in the SDK's module: the trust form's validation and the presets, which a
//! page shows as the user types. Reading a JWT against trusts (`checkTrust`) needs the
//! core's JWT verification, which stays out of this module: js/trust.js runs it in the
//! command's module (wasm-cli), loaded on the first call.

use clouddigit_ffi::{self as ffi, Preset, TrustSpec, TrustValidation};
use tsify::Ts;
use wasm_bindgen::prelude::*;

use crate::{arg, json::to_js};

/// Checks a trust draft as the "Trusted issuers" form does, for an account that reaches
/// `accountProjects`: every error and warning with its field. Never throws for problems
/// in the draft; throws `EvaluateError` (`invalid_input`, field `spec`) for the wrong
/// shape.
#[wasm_bindgen(js_name = validateTrust)]
pub fn validate_trust(
    spec: Ts<TrustSpec>,
    #[wasm_bindgen(js_name = accountProjects)] account_projects: Option<Vec<String>>,
) -> Result<Ts<TrustValidation>, JsValue> {
    let spec = arg(&spec, "spec")?;
    let v = ffi::validate_trust(&spec, &account_projects.unwrap_or_default());
    Ok(Ts::new_unchecked(to_js(&v)))
}

fn invalid(field: &str, message: &str) -> JsValue {
    let details = ffi::EvaluateErrorDetails {
        code: "invalid_input",
        field: field.to_owned(),
        suggestion: None,
    };
    crate::make_error("EvaluateError", details.code, message, to_js(&details))
}

/// Every preset (GitHub Actions, GitLab CI, Kubernetes), as a form lists them.
#[wasm_bindgen(js_name = trustPresets, unchecked_return_type = "PresetInfo[]")]
pub fn trust_presets() -> JsValue {
    to_js(&ffi::trust_presets())
}

/// A draft trust from `preset` for `path` (`owner/repo`, `group/project`, a namespace),
/// `branchOrEnv` and `audience`; the id claim to pin is left empty. Throws
/// `EvaluateError` (`invalid_input`, field `preset`) for an unknown preset.
#[wasm_bindgen(js_name = trustPreset)]
pub fn trust_preset(
    #[wasm_bindgen(unchecked_param_type = "Preset")] preset: &str,
    path: &str,
    #[wasm_bindgen(js_name = branchOrEnv)] branch_or_env: &str,
    audience: &str,
) -> Result<Ts<TrustSpec>, JsValue> {
    let preset = Preset::named(preset).map_err(|m| invalid("preset", &m))?;
    let spec = ffi::trust_preset(preset, path, branch_or_env, audience);
    Ok(Ts::new_unchecked(to_js(&spec)))
}
