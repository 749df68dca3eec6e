//! A small load client for the sandbox: N concurrent keep-alive connections send one
//! authorized GET until a request count or a time limit is reached, then it prints
//! requests per second and latency percentiles. Loopback targets only.
//!
//! cargo run --release -p clouddigit-sandbox --example load -- URL TOKEN_FILE [CONCURRENCY] [SECONDS] [MAX_REQUESTS]

use std::time::{Duration, Instant};

fn usage() -> ! {
    eprintln!("usage: load URL TOKEN_FILE [CONCURRENCY=16] [SECONDS=10] [MAX_REQUESTS=200000]");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        usage();
    }
    let url = args[0].clone();
    let host_ok = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
        .iter()
        .any(|p| url.starts_with(p));
    if !host_ok {
        eprintln!("load: only loopback targets (http://127.0.0.1:PORT/...)");
        std::process::exit(2);
    }
    let token = match std::fs::read_to_string(&args[1]) {
        Ok(t) => t.trim().to_owned(),
        Err(e) => {
            eprintln!("load: {}: {e}", args[1]);
            std::process::exit(2)
        }
    };
    let parse = |i: usize, default: u64| args.get(i).map_or(Some(default), |s| s.parse().ok());
    let (Some(concurrency), Some(seconds), Some(max)) =
        (parse(2, 16), parse(3, 10), parse(4, 200_000))
    else {
        usage()
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency as usize)
        .build()
        .unwrap_or_else(|e| {
            eprintln!("load: {e}");
            std::process::exit(1)
        });
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let per_worker = max / concurrency.max(1);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut statuses = std::collections::BTreeMap::<u16, u64>::new();
            for _ in 0..per_worker {
                if Instant::now() >= deadline {
                    break;
                }
                let t = Instant::now();
                let status = match client.get(&url).bearer_auth(&token).send().await {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => 0,
                };
                latencies.push(t.elapsed());
                *statuses.entry(status).or_default() += 1;
            }
            (latencies, statuses)
        }));
    }
    let mut all = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, u64>::new();
    for t in tasks {
        if let Ok((l, s)) = t.await {
            all.extend(l);
            for (k, v) in s {
                *statuses.entry(k).or_default() += v;
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "requests: {} in {elapsed:.2}s, concurrency {concurrency}",
        all.len()
    );
    println!("statuses: {statuses:?}");
    println!("req/s: {:.0}", all.len() as f64 / elapsed);
    println!(
        "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
}
