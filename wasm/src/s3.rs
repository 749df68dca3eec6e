//! `s3Config`: the settings an AWS SDK's S3 client needs. Conversion only: the rule is
//! the session's (`s3_config`), through the facade. (`sigv4Explain` and `sigv4Verify`
//! live in the `clouddigit` command's module, `wasm-cli/`: see js/sigv4.js.)

// ApiError is the session's and large; as in the client, it is only built on the error path.
#![allow(clippy::result_large_err)]

use clouddigit_ffi as ffi;
use clouddigit_session::{ApiError, Ingress, Region, S3Options, Secret};
use js_sys::{Function, Reflect};
use serde::Serialize;
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::json::to_js;

#[wasm_bindgen(typescript_custom_section)]
const TS_S3: &'static str = r#"
/** What `s3Config` takes (docs/client.md); every one is optional. */
export interface S3ConfigOptions {
    /** `bd-dha-1` (default), `bd-ctg-1`, `bd-syl-1`; else `CD_REGION` (Node). */
    region?: Region;
    /** `operational` (`s3.<region>.mymine.space`, the default) or `canonical` (`s3.<region>.clouddigit.ai`). */
    ingress?: Ingress;
    /** Overrides region and ingress (the sandbox's S3 endpoint, for one); else `CD_S3_ENDPOINT_URL` (Node). */
    endpointUrl?: string;
    /** Allow plain http to hosts other than this machine (`CD_ALLOW_INSECURE_HTTP=1` in Node). */
    allowInsecureHttp?: boolean;
    /** An access key's id; with `secretAccessKey`, or neither. */
    accessKeyId?: string;
    /** The access key's secret: a string, or the `Secret` that `accessKeys.create` returned. */
    secretAccessKey?: string | Secret;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "S3ConfigOptions")]
    pub type S3ConfigOptionsArg;
}

/// `new S3Client(s3Config(...))` (`@aws-sdk/client-s3`).
#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
#[tsify(missing_as_null, hashmap_as_object)]
pub struct S3ClientConfig {
    /// `https://s3.<region>.mymine.space`, `https://s3.<region>.clouddigit.ai`, or the
    /// explicit endpoint.
    pub endpoint: String,
    pub region: Region,
    /// Always true: buckets are addressed in the path, not the host name.
    pub force_path_style: bool,
    /// Present when an access key was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub credentials: Option<S3Credentials>,
}

#[derive(Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
#[tsify(missing_as_null, hashmap_as_object)]
pub struct S3Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// The settings `new S3Client(...)` (`@aws-sdk/client-s3`) needs for Cloud Digit object
/// storage: `{endpoint, region, forcePathStyle: true, credentials?}`. Options win over
/// the environment (`CD_S3_ENDPOINT_URL`, `CD_REGION`, `CD_ALLOW_INSECURE_HTTP`, read in
/// Node), and the environment over the defaults. Throws `ConfigError` (`unknown_region`,
/// `bad_endpoint_url`, `insecure_endpoint_url`, `incomplete_access_key`, `bad_option`,
/// `unknown_option`).
#[wasm_bindgen(js_name = s3Config)]
pub fn s3_config(options: Option<S3ConfigOptionsArg>) -> Result<Ts<S3ClientConfig>, JsValue> {
    let options: JsValue = options.map(Into::into).unwrap_or(JsValue::UNDEFINED);
    let options = read_options(&options).map_err(|e| crate::client::js_error(&e))?;
    let env = crate::client::host::host_env();
    let mut vars = std::collections::BTreeMap::new();
    if env.is_object() {
        for k in ffi::S3_ENV_VARS {
            if let Some(v) = Reflect::get(&env, &k.into())
                .ok()
                .and_then(|v| v.as_string())
            {
                vars.insert(k.to_owned(), v);
            }
        }
    }
    let c = ffi::s3_config(options, &vars)
        .map_err(|e| crate::client::js_error(&ApiError::config(e.code(), e.to_string())))?;
    let credentials = match (c.access_key_id, c.secret_access_key) {
        (Some(id), Some(secret)) => Some(S3Credentials {
            access_key_id: id,
            secret_access_key: secret.expose().to_owned(),
        }),
        _ => None,
    };
    Ok(Ts::new_unchecked(to_js(&S3ClientConfig {
        endpoint: c.endpoint_url,
        region: c.region,
        force_path_style: c.force_path_style,
        credentials,
    })))
}

/// `S3ConfigOptions`' names (the session's `S3Options` in camelCase).
const OPTIONS: [&str; 6] = [
    "region",
    "ingress",
    "endpointUrl",
    "allowInsecureHttp",
    "accessKeyId",
    "secretAccessKey",
];

/// The options read field by field (no serde: the page's wasm stays smaller, as for the
/// client's environment). A `Secret` given as `secretAccessKey` is revealed: its JSON is
/// the redacted form, which would sign every request wrongly.
fn read_options(options: &JsValue) -> Result<S3Options, ApiError> {
    let mut out = S3Options::default();
    if options.is_undefined() || options.is_null() {
        return Ok(out);
    }
    if !options.is_object() {
        return Err(bad_option("options", "an object"));
    }
    for key in js_sys::Object::keys(options.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !OPTIONS.contains(&key.as_str()) {
            return Err(ApiError::config(
                "unknown_option",
                format!("options: unknown option {key:?}"),
            ));
        }
    }
    let text = |js: &str, name: &str| -> Result<Option<String>, ApiError> {
        let v = Reflect::get(options, &js.into()).unwrap_or(JsValue::UNDEFINED);
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        v.as_string()
            .map(Some)
            .ok_or_else(|| bad_option(name, "a string"))
    };
    out.region = text("region", "region")?;
    out.ingress = match text("ingress", "ingress")? {
        None => None,
        Some(i) => Some(
            Ingress::parse(&i)
                .ok_or_else(|| bad_option("ingress", "\"operational\" or \"canonical\""))?,
        ),
    };
    out.endpoint_url = text("endpointUrl", "endpoint_url")?;
    let insecure = Reflect::get(options, &"allowInsecureHttp".into()).unwrap_or(JsValue::UNDEFINED);
    out.allow_insecure_http = match insecure.as_bool() {
        Some(b) => Some(b),
        None if insecure.is_undefined() || insecure.is_null() => None,
        None => return Err(bad_option("allow_insecure_http", "a boolean")),
    };
    out.access_key_id = text("accessKeyId", "access_key_id")?;
    let secret = Reflect::get(options, &"secretAccessKey".into()).unwrap_or(JsValue::UNDEFINED);
    let secret = match Reflect::get(&secret, &"reveal".into()).map(|f| f.dyn_into::<Function>()) {
        Ok(Ok(reveal)) => reveal.call0(&secret).unwrap_or(JsValue::UNDEFINED),
        _ => secret,
    };
    out.secret_access_key = match secret.as_string() {
        Some(s) => Some(Secret::new(s)),
        None if secret.is_undefined() || secret.is_null() => None,
        None => return Err(bad_option("secret_access_key", "a string or a Secret")),
    };
    Ok(out)
}

fn bad_option(name: &str, what: &str) -> ApiError {
    ApiError::config("bad_option", format!("{name}: must be {what}"))
}
