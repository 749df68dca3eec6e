//! Form validation speed: the "New API token" form with 20 permissions and 20 CIDRs, the
//! scenario of bench/node/scenario.mjs (issue 4's browser target: 50 µs per call, which
//! the native core must beat by a wide margin), and the "New service account" form. Run
//! with `cargo bench -p clouddigit-core --bench validate`.

use std::hint::black_box;

use clouddigit_core::{
    validate_service_account, validate_token, Catalog, Role, ServiceAccountRequest, TokenRequest,
};
use criterion::{criterion_group, criterion_main, Criterion};

/// The form of bench/node/scenario.mjs: 20 permissions a member holds, project `web`,
/// 90 days, `10.0.0.0/16` … `10.19.0.0/16` one per line.
fn form(catalog: &Catalog) -> TokenRequest {
    let perms: Vec<&str> = catalog
        .permissions()
        .iter()
        .filter(|p| matches!(p.role, Role::ReadOnly | Role::Member))
        .take(20)
        .map(|p| p.name.as_str())
        .collect();
    let cidrs: Vec<String> = (0..20).map(|i| format!("10.{i}.0.0/16")).collect();
    serde_json::from_value(serde_json::json!({
        "draft": {
            "name": "bench-form", "projects": ["web"], "permissions": perms,
            "expiry": "90d", "allowed_ips": cidrs.join("\n"),
        },
        "owner": {
            "type": "user", "id": "u1", "email": "", "organization": "org", "status": "active",
            "org_role": null, "project_roles": { "web": "member", "ops": "member" },
        },
        "now": "2026-11-23T10:00:00Z",
    }))
    .expect("the bench form parses")
}

fn bench_validate(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let req = form(catalog);
    let v = validate_token(&req, catalog);
    assert!(v.valid, "{:?}", v.errors);
    let mut group = c.benchmark_group("validate_token");
    group.bench_function("20_perms_20_cidrs", |b| {
        b.iter(|| validate_token(black_box(&req), catalog))
    });
    // What a JSON host pays on top: the result as JSON text.
    group.bench_function("20_perms_20_cidrs_to_json", |b| {
        b.iter(|| serde_json::to_string(&validate_token(black_box(&req), catalog)).unwrap())
    });
    group.finish();
}

/// The "New service account" form: an org admin creating a member account in one
/// project, restricted by two tags. The preview lists every permission of the role.
fn bench_validate_service_account(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let req: ServiceAccountRequest = serde_json::from_value(serde_json::json!({
        "draft": {
            "name": "ci-deployer", "description": "Deploys web from CI", "project": "web",
            "role": "member", "tag_selector": "env=prod, team=web",
        },
        "creator": {
            "type": "user", "id": "u_olga", "email": "olga@acme.test", "organization": "acme",
            "status": "active", "org_role": "admin", "project_roles": {},
        },
    }))
    .expect("the bench form parses");
    let v = validate_service_account(&req, catalog);
    assert!(v.valid, "{:?}", v.errors);
    let mut group = c.benchmark_group("validate_service_account");
    group.bench_function("member_2_tags", |b| {
        b.iter(|| validate_service_account(black_box(&req), catalog))
    });
    group.finish();
}

criterion_group!(benches, bench_validate, bench_validate_service_account);
criterion_main!(benches);
