//! The web console's static files: served at `/` and every non-API path (index.html for
//! console routes), with the right content types, and nothing outside the directory.

mod common;

use std::io::{Read, Write};
use std::path::Path;

use clouddigit_sandbox::Config;
use common::{config, sandbox_with};

fn console_dir(root: &Path) -> std::path::PathBuf {
    let dist = root.join("dist");
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>console</title>",
    )
    .unwrap();
    std::fs::write(dist.join("app.js"), "export {};").unwrap();
    std::fs::write(dist.join("style.css"), "body{}").unwrap();
    std::fs::write(dist.join("clouddigit_wasm_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dist.join("assets").join("logo.svg"), "<svg/>").unwrap();
    // Outside the served directory: must never be readable through it.
    std::fs::write(root.join("secret.txt"), "TOP-SECRET").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("secret.txt"), dist.join("escape.txt")).unwrap();
    dist
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cd-console-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A raw request, so `..` and odd encodings reach the server as written.
fn raw_get(addr: std::net::SocketAddr, target: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, out)
}

#[tokio::test]
async fn serves_the_console_next_to_the_api() {
    let root = tmp("serve");
    let dist = console_dir(&root);
    let token_file = root.join("owner-token");
    let sbx = sandbox_with(Config {
        console: Some(dist),
        token_file: Some(token_file.clone()),
        ..config()
    })
    .await;
    let get = |path: &str| sbx.http.get(sbx.url(path)).send();

    for (path, ctype, body) in [
        ("/", "text/html; charset=utf-8", "<!doctype html>"),
        ("/app.js", "text/javascript; charset=utf-8", "export"),
        ("/style.css", "text/css; charset=utf-8", "body"),
        ("/assets/logo.svg", "image/svg+xml", "<svg"),
        // Console routes are the page itself (the console routes in the browser).
        ("/tokens", "text/html; charset=utf-8", "<!doctype html>"),
        (
            "/service-accounts/sa_1/tokens/new",
            "text/html; charset=utf-8",
            "<!doctype html>",
        ),
    ] {
        let r = get(path).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], ctype, "{path}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert!(r.text().await.unwrap().starts_with(body), "{path}");
    }
    let r = get("/clouddigit_wasm_bg.wasm").await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/wasm");
    assert_eq!(&r.bytes().await.unwrap()[..4], b"\0asm");
    let page = get("/").await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("'wasm-unsafe-eval'"),
        "{csp}"
    );

    // A missing asset is a 404, not the page.
    assert_eq!(get("/missing.js").await.unwrap().status(), 404);

    // Where the owner token is, for the sign-in page (the path, never the token).
    let info: serde_json::Value = get("/console.json").await.unwrap().json().await.unwrap();
    let shown = info["token_file"].as_str().unwrap();
    assert!(shown.ends_with("owner-token"), "{shown}");
    assert!(!info.to_string().contains(&sbx.admin));

    // The API is untouched: its own 401 and 404 JSON, not the console.
    let r = get("/v1/iam/tokens").await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/json");
    let r = get("/v1/no-such-route").await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(get("/_sandbox/users").await.unwrap().status(), 401);
    let r = sbx
        .http
        .get(sbx.url("/v1/iam/tokens"))
        .bearer_auth(&sbx.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Only GET and HEAD are the console's; other methods go to the API.
    let r = sbx.http.post(sbx.url("/tokens")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    let r = sbx.http.head(sbx.url("/app.js")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );

    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn nothing_outside_the_directory_is_served() {
    let root = tmp("traversal");
    let dist = console_dir(&root);
    let sbx = sandbox_with(Config {
        console: Some(dist),
        ..config()
    })
    .await;
    let addr = sbx.server.addr;
    let attempts = [
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt",
        "/assets%2f..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/.%2e/secret.txt",
        "/%00",
        "/escape.txt",
        "//etc/passwd",
        "/..",
    ];
    for target in attempts {
        let (status, text) = tokio::task::spawn_blocking(move || raw_get(addr, target))
            .await
            .unwrap();
        assert!(!text.contains("TOP-SECRET"), "{target} leaked the file");
        assert!(!text.contains("root:"), "{target} leaked /etc/passwd");
        // Refused, or (a path that stays inside, like `//etc/passwd`) the console page.
        let page = status == 200 && text.contains("<title>console</title>");
        assert!(status == 400 || status == 404 || page, "{target}: {status}");
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn no_console_without_a_directory() {
    let sbx = sandbox_with(config()).await;
    let r = sbx.http.get(sbx.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn a_console_directory_without_index_html_is_refused_at_start() {
    let root = tmp("empty");
    let err = clouddigit_sandbox::start(Config {
        console: Some(root.clone()),
        ..config()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("index.html"), "{err}");
    let _ = std::fs::remove_dir_all(&root);
}
