//! Prepared `authorize` speed: a token with up to 64 permissions and 16 CIDRs (target:
//! median ≤ 100 ns, flat in the number of permissions), and preparing 100,000 tokens
//! (target ≤ 1 s). Run with `cargo bench -p clouddigit-core --bench authorize`.

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::{TimeZone, Utc};
use clouddigit_core::model::{Inherit, UserStatus};
use clouddigit_core::{
    authorize, Catalog, OrgRole, OwnerRef, OwnerState, PreparedOwner, PreparedRequest,
    PreparedToken, ProjectRole, ProjectScope, Request, Timestamp, Token, TokenPermissions,
    UserState,
};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn at(day: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, day, 10, 0, 0).unwrap()
}

/// 16 CIDRs, the caller's address matching the last one (the slowest to find).
fn cidrs() -> Vec<String> {
    let mut v: Vec<String> = (0..15).map(|i| format!("10.{i}.0.0/16")).collect();
    v.push("203.0.113.0/24".into());
    v
}

/// A token downscoped to the first `n` project permissions a member holds.
fn token(catalog: &Catalog, n: usize, id: usize) -> Token {
    let perms: Vec<String> = catalog
        .permissions()
        .iter()
        .filter(|p| {
            matches!(
                p.role,
                clouddigit_core::Role::ReadOnly | clouddigit_core::Role::Member
            )
        })
        .take(n)
        .map(|p| p.name.clone())
        .collect();
    Token {
        id: format!("tok_{id}"),
        name: "bench".into(),
        prefix: "cd_bench0".into(),
        owner: OwnerRef::User { id: "u1".into() },
        organization: "org".into(),
        projects: ProjectScope::Projects(vec!["web".into(), "data".into(), "ops".into()]),
        permissions: if n == 0 {
            TokenPermissions::Inherit(Inherit::Inherit)
        } else {
            TokenPermissions::Downscoped(perms)
        },
        created_at: at(1),
        expires_at: Some(at(30)),
        allowed_ips: cidrs(),
        revoked_at: None,
        rotated_at: None,
        grace_ends_at: None,
        quarantine: None,
    }
}

fn owner() -> OwnerState {
    OwnerState::User(UserState {
        id: "u1".into(),
        email: "u1@example.com".into(),
        organization: "org".into(),
        status: UserStatus::Active,
        org_role: None::<OrgRole>,
        project_roles: BTreeMap::from([
            ("web".into(), ProjectRole::Member),
            ("data".into(), ProjectRole::Member),
            ("ops".into(), ProjectRole::ReadOnly),
        ]),
    })
}

fn request() -> Request {
    Request {
        // The first permission of every downscope, so each token allows it.
        action: Some("compute.servers.list".into()),
        method: None,
        path: None,
        organization: None,
        project: Some("ops".into()),
        ip: Some("203.0.113.9".parse().unwrap()),
        time: at(23),
        resource_tags: None,
    }
}

fn bench_authorize(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let owner = PreparedOwner::prepare(&owner());
    let req = PreparedRequest::prepare(&request(), catalog).unwrap();
    let mut group = c.benchmark_group("authorize_prepared");
    for n in [1usize, 8, 64] {
        let tok = PreparedToken::prepare(&token(catalog, n, 0), catalog).unwrap();
        assert!(authorize(catalog, &tok, &owner, &req).allowed());
        group.bench_with_input(BenchmarkId::new("perms", n), &tok, |b, tok| {
            b.iter(|| authorize(catalog, black_box(tok), black_box(&owner), black_box(&req)))
        });
    }
    // A denial that fails at the last check: every check still runs.
    let mut denied = request();
    denied.action = Some("storage.buckets.disable_object_lock".into());
    let denied = PreparedRequest::prepare(&denied, catalog).unwrap();
    let tok = PreparedToken::prepare(&token(catalog, 0, 0), catalog).unwrap();
    group.bench_function("inherit_denied", |b| {
        b.iter(|| {
            authorize(
                catalog,
                black_box(&tok),
                black_box(&owner),
                black_box(&denied),
            )
        })
    });
    group.finish();
}

fn bench_prepare(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let tokens: Vec<Token> = (0..100_000).map(|i| token(catalog, 64, i)).collect();
    let mut group = c.benchmark_group("prepare");
    group.sample_size(10);
    group.throughput(Throughput::Elements(tokens.len() as u64));
    group.bench_function("100k_tokens_64_perms_16_cidrs", |b| {
        b.iter(|| {
            tokens
                .iter()
                .map(|t| PreparedToken::prepare(black_box(t), catalog))
                .filter(Result::is_ok)
                .count()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_authorize, bench_prepare);
criterion_main!(benches);
