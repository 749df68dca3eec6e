//! The web console (`examples/console/`), served as static files next to the API: `GET /`
//! and every path outside `/v1`, `/_sandbox` and `/realms`, with index.html for paths that
//! name no file (the console routes in the browser). Nothing outside the directory is ever
//! read: `..`, encoded separators and symlinks leading out are refused.
//!
//! `/console.json` tells the page where the owner's bootstrap token was written, so it can
//! say so on the sign-in screen (a path, never the token).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;

/// The default directory, relative to where the sandbox starts (the repository root for
/// `scripts/main.sh`).
pub const DEFAULT_DIR: &str = "examples/console/dist";

/// What `--console DIR` / `--no-console` resolve to: the given directory, else the
/// default one when it exists, else no console.
pub fn choose(dir: Option<PathBuf>, disabled: bool) -> Option<PathBuf> {
    if disabled {
        return None;
    }
    dir.or_else(|| {
        let d = PathBuf::from(DEFAULT_DIR);
        d.is_dir().then_some(d)
    })
}

#[derive(Debug)]
struct Console {
    root: PathBuf,
    config_json: String,
}

/// Puts the console in front of the API router (a no-op without a directory);
/// `token_file` is where the bootstrap token was written, for the sign-in screen.
pub fn attach(
    api: Router,
    dir: Option<&Path>,
    token_file: Option<&Path>,
) -> std::io::Result<Router> {
    let Some(dir) = dir else {
        return Ok(api);
    };
    let root = dir
        .canonicalize()
        .map_err(|e| std::io::Error::new(e.kind(), format!("--console {}: {e}", dir.display())))?;
    if !root.join("index.html").is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "--console {}: no index.html (build it: examples/console, npm run build)",
                dir.display()
            ),
        ));
    }
    let token_file = token_file.map(|p| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()));
    let config_json = serde_json::json!({
        "token_file": token_file.map(|p| p.display().to_string()),
    })
    .to_string();
    let console = Arc::new(Console { root, config_json });
    Ok(api.layer(axum::middleware::from_fn_with_state(console, serve)))
}

/// Paths that belong to the API, whatever the method.
pub fn is_api_path(path: &str) -> bool {
    ["/v1", "/_sandbox", "/realms"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

async fn serve(State(console): State<Arc<Console>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let head = req.method() == Method::HEAD;
    if is_api_path(path) || !(head || req.method() == Method::GET) {
        return next.run(req).await;
    }
    let mut resp = console.respond(path);
    if head {
        *resp.body_mut() = Body::empty();
    }
    resp
}

impl Console {
    fn respond(&self, path: &str) -> Response {
        if path == "/console.json" {
            return file_response(
                StatusCode::OK,
                "application/json",
                self.config_json.clone().into_bytes(),
            );
        }
        let Some(relative) = safe_relative(path) else {
            return text(StatusCode::BAD_REQUEST, "bad path");
        };
        let wanted = self.root.join(&relative);
        match self.read_inside(&wanted) {
            Some(bytes) => file_response(StatusCode::OK, content_type(&wanted), bytes),
            // A missing asset is a 404; any other path is a console route.
            None if relative.extension().is_some() => text(StatusCode::NOT_FOUND, "not found"),
            None => match self.read_inside(&self.root.join("index.html")) {
                Some(bytes) => file_response(StatusCode::OK, "text/html; charset=utf-8", bytes),
                None => text(StatusCode::NOT_FOUND, "not found"),
            },
        }
    }

    /// Reads a regular file whose real path is inside the root.
    fn read_inside(&self, wanted: &Path) -> Option<Vec<u8>> {
        let real = wanted.canonicalize().ok()?;
        if !real.starts_with(&self.root) || !real.is_file() {
            return None;
        }
        std::fs::read(real).ok()
    }
}

/// The URL path as a relative file path, or `None` if it could leave the directory or is
/// not plain: only normal segments after percent-decoding, no backslashes or NULs.
/// `/` and directories mean their `index.html`.
pub fn safe_relative(path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(path)?;
    if decoded.contains('\\') || decoded.contains('\0') || !decoded.starts_with('/') {
        return None;
    }
    let mut out = PathBuf::new();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        let mut parts = Path::new(segment).components();
        match (parts.next(), parts.next()) {
            (Some(Component::Normal(_)), None) if !segment.starts_with('.') => out.push(segment),
            _ => return None,
        }
    }
    if decoded.ends_with('/') || out.as_os_str().is_empty() {
        out.push("index.html");
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn file_response(status: StatusCode, content_type: &'static str, bytes: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if content_type.starts_with("text/html") {
        // The page handles secrets: only its own scripts, styles and API.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                 img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
                 base-uri 'none'; form-action 'none'",
            ),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    resp
}

fn text(status: StatusCode, msg: &'static str) -> Response {
    file_response(status, "text/plain; charset=utf-8", msg.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside() {
        assert_eq!(safe_relative("/"), Some(PathBuf::from("index.html")));
        assert_eq!(safe_relative("/app.js"), Some(PathBuf::from("app.js")));
        assert_eq!(
            safe_relative("/a/b/"),
            Some(PathBuf::from("a/b/index.html"))
        );
        for bad in [
            "/../Cargo.toml",
            "/a/../../x",
            "/%2e%2e/x",
            "/..%2fx",
            "/a%2f..%2f..%2fx",
            "/a%5c..%5cx",
            "/.hidden",
            "/%00",
            "/%zz",
            "/%c3",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }

    #[test]
    fn api_paths_are_not_the_console() {
        assert!(is_api_path("/v1/iam/tokens"));
        assert!(is_api_path("/_sandbox"));
        assert!(is_api_path("/realms/acme/protocol/openid-connect/token"));
        assert!(!is_api_path("/v1x"));
        assert!(!is_api_path("/tokens"));
    }
}
