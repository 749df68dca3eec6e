//! JWT verification per second: the tokens of tests/vectors/oidc.json (signed by PyJWT),
//! RS256 (2048-bit) and ES256, against the vectors' JWKS of four keys. `verify` is what
//! the exchange pays per token: the token decoded, the JWKS read and the key built from
//! it, the signature checked. `check_trust` adds the report against the two trusts, the
//! call the npm package's `checkTrust` and Python's `check_trust` make, whose figures
//! bench/node/jwt.mjs and bench/python/jwt.py measure. Run with
//! `cargo bench -p clouddigit-core --features jwt --bench jwt`.

use std::hint::black_box;

use clouddigit_core::oidc::{check_trust, Jwt, Trust};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::Value;

fn case(file: &Value, name: &str) -> (String, Vec<Trust>, i64) {
    let c = file["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name}"));
    (
        c["jwt"].as_str().unwrap().to_owned(),
        serde_json::from_value(c["trusts"].clone()).unwrap(),
        c["now"].as_i64().unwrap(),
    )
}

fn bench_jwt(c: &mut Criterion) {
    let file: Value = serde_json::from_str(include_str!("../../tests/vectors/oidc.json")).unwrap();
    let jwks = file["jwks"].to_string();
    let mut group = c.benchmark_group("jwt");
    group.throughput(Throughput::Elements(1));
    for (alg, name) in [
        ("RS256", "RS256 token from main matches the branch trust"),
        ("ES256", "ES256 key"),
    ] {
        let (token, trusts, now) = case(&file, name);
        let now = chrono::DateTime::from_timestamp(now, 0).unwrap();
        assert_eq!(Jwt::parse(&token).unwrap().header.alg, alg);
        assert!(Jwt::parse(&token).unwrap().verify(&jwks).is_ok());
        assert!(check_trust(&token, &trusts, now, Some(&jwks)).accepted);
        group.bench_function(format!("verify/{alg}"), |b| {
            b.iter(|| {
                Jwt::parse(black_box(&token))
                    .unwrap()
                    .verify(black_box(&jwks))
            })
        });
        group.bench_function(format!("check_trust/{alg}"), |b| {
            b.iter(|| check_trust(black_box(&token), &trusts, now, Some(black_box(&jwks))))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_jwt);
criterion_main!(benches);
