//! Redirects are the core's to decide, not reqwest's: the token goes only back to the
//! origin it was meant for, and plain http only to this machine.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;

use clouddigit_client::Client;

const TOKEN: &str = "cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA";

/// A server answering each connection once with `reply(request head)`; sends what it
/// received (the request line and headers) to the returned channel.
fn server(reply: impl Fn(&str) -> String + Send + 'static) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut head = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let response = reply(&head);
            let _ = tx.send(head);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (format!("http://{addr}"), rx)
}

fn redirect_to(location: String) -> impl Fn(&str) -> String {
    move |_| {
        format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    }
}

fn not_found(_: &str) -> String {
    let body = r#"{"code":"not_found","message":"nothing here","request_id":"req_1"}"#;
    format!(
        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn client(base: &str) -> Client {
    Client::builder()
        .base_url(format!("{base}/v1"))
        .token(TOKEN)
        .max_retries(0)
        .build()
        .expect("client")
}

#[test]
fn a_redirect_to_another_origin_leaves_the_token_behind() {
    let (other, seen_other) = server(not_found);
    let (first, seen_first) = server(redirect_to(format!("{other}/v1/iam/whoami")));
    let err = client(&first)
        .whoami()
        .expect_err("the other origin answers 404");
    assert_eq!(err.code, "not_found", "{err}");
    let head = seen_first.recv().expect("first origin called");
    assert!(head
        .to_ascii_lowercase()
        .contains("authorization: bearer cd_"));
    let head = seen_other.recv().expect("followed to the other origin");
    assert!(
        !head.to_ascii_lowercase().contains("authorization"),
        "the token crossed to another origin: {head}"
    );
}

#[test]
fn a_redirect_on_the_same_origin_keeps_it() {
    let (base, seen) = server(|head: &str| {
        if head.starts_with("GET /v1/iam/whoami ") {
            "HTTP/1.1 308 Permanent Redirect\r\nLocation: /v1/iam/whoami2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
        } else {
            not_found(head)
        }
    });
    let _ = client(&base).whoami();
    let _first = seen.recv().expect("called");
    let second = seen.recv().expect("followed");
    assert!(second.starts_with("GET /v1/iam/whoami2 "), "{second}");
    assert!(second
        .to_ascii_lowercase()
        .contains("authorization: bearer cd_"));
}

#[test]
fn plain_http_elsewhere_is_refused_before_any_call_and_on_redirect() {
    let err = Client::builder()
        .base_url("http://api.example.com/v1")
        .token(TOKEN)
        .build()
        .map(|_| ())
        .expect_err("plain http to another machine");
    assert_eq!(err.code, "insecure_base_url", "{err}");
    assert!(Client::builder()
        .base_url("http://api.example.com/v1")
        .allow_insecure_http(true)
        .token(TOKEN)
        .build()
        .is_ok());
    let (first, _seen) = server(redirect_to("http://192.0.2.1/v1/iam/whoami".into()));
    let err = client(&first).whoami().expect_err("refused");
    assert!(err.message.contains("plain http"), "{err}");
}
