// The benchmark scenario shared by the Node and browser scripts: one downscoped token
// (64 permissions a member holds, 3 CIDRs, expiring), its owner, an allowed call, and
// the equivalent Cedar policy and entities (as in bench/src/main.rs).

export const NOW = "2026-11-23T10:00:00Z";
export const CIDRS = ["10.0.0.0/8", "192.0.2.0/24", "203.0.113.0/24"];

export function scenario(catalog) {
  const memberPerms = catalog.permissions
    .filter((p) => p.role === "read_only" || p.role === "member")
    .map((p) => p.name);
  const tokenPerms = memberPerms.slice(0, 64);
  const token = {
    id: "tok", name: "bench", prefix: "cd_bench0",
    owner: { type: "user", id: "u1" }, organization: "org",
    projects: ["web", "data", "ops"], permissions: tokenPerms,
    created_at: NOW, expires_at: "2026-12-23T10:00:00Z",
    allowed_ips: CIDRS, revoked_at: null, rotated_at: null, grace_ends_at: null,
  };
  const owner = {
    type: "user", id: "u1", email: "", organization: "org", status: "active",
    org_role: null, project_roles: { ops: "member" },
  };
  const request = { action: "compute.servers.list", project: "ops", ip: "203.0.113.9", time: NOW };
  const policy = `permit (principal == Token::"tok", action in Action::"token_set", resource)
when {
  action in Action::"role_member" &&
  principal.projects.contains(resource.project) &&
  context.now < principal.expires_at &&
  (${CIDRS.map((c) => `context.ip.isInRange(ip("${c}"))`).join(" || ")})
};`;
  const entities = [
    { uid: { type: "Token", id: "tok" }, attrs: { projects: ["web", "data", "ops"], expires_at: Date.parse("2026-12-23T10:00:00Z") / 1000 }, parents: [] },
    { uid: { type: "Server", id: "s1" }, attrs: { project: "ops" }, parents: [] },
    { uid: { type: "Action", id: "token_set" }, attrs: {}, parents: [] },
    { uid: { type: "Action", id: "role_member" }, attrs: {}, parents: [] },
    ...memberPerms.map((p) => ({
      uid: { type: "Action", id: p }, attrs: {},
      parents: [{ type: "Action", id: "role_member" }, ...(tokenPerms.includes(p) ? [{ type: "Action", id: "token_set" }] : [])],
    })),
  ];
  const cedarCall = {
    principal: { type: "Token", id: "tok" },
    action: { type: "Action", id: "compute.servers.list" },
    resource: { type: "Server", id: "s1" },
    context: { now: Date.parse(NOW) / 1000, ip: { __extn: { fn: "ip", arg: "203.0.113.9" } } },
    entities,
  };
  // A full "New API token" form: 20 permissions, 20 CIDRs.
  const form = {
    draft: {
      name: "bench-form", projects: ["web"], permissions: memberPerms.slice(0, 20),
      expiry: "90d", allowed_ips: Array.from({ length: 20 }, (_, i) => `10.${i}.0.0/16`).join("\n"),
    },
    owner: { ...owner, project_roles: { web: "member", ops: "member" } },
    now: NOW,
  };
  return { token, owner, request, policy, cedarCall, form };
}

/**
 * Median ns per call over `rounds` rounds of `n` calls, after a warm-up of at least `n`
 * calls and `warmMs` milliseconds. V8 first runs wasm through its baseline compiler and
 * optimizes a function only once it has run long enough; a big function such as form
 * validation needs about a second of calls, so a warm-up counted in calls measured the
 * baseline code (criterion warms up for 3 s for the same reason).
 */
export function medianNs(fn, { n = 20000, rounds = 21, warmMs = 2000 } = {}) {
  const w0 = performance.now();
  for (let i = 0; i < n || performance.now() - w0 < warmMs; i++) fn();
  const per = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    per.push(((performance.now() - t0) * 1e6) / n);
  }
  per.sort((a, b) => a - b);
  return per[Math.floor(rounds / 2)];
}

/**
 * Mean ns per call over the first `n` calls of a freshly loaded module: what a user sees
 * before V8 has optimized the code (the console validating the first keystrokes).
 */
export function firstCallsNs(fn, n = 100) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - t0) * 1e6) / n;
}
