// Node: prepared-token decisions through @clouddigit/sdk against @cedar-policy/cedar-wasm
// on the same scenario. Run: scripts/bench-hosts.sh (builds the package first).
import assert from "node:assert/strict";
import * as sdk from "@clouddigit/sdk";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { scenario, medianNs } from "./scenario.mjs";

const s = scenario(sdk.catalog());
const token = new sdk.PreparedToken(s.token);
const owner = new sdk.PreparedOwner(s.owner);
const t = Date.parse(s.request.time);
assert.equal(token.check(owner, "compute.servers.list", "ops", "203.0.113.9", t), "allowed");
assert.equal(token.authorize(s.owner, s.request).allowed, true);

const pset = cedar.preparsePolicySet("p", { staticPolicies: s.policy });
assert.equal(pset.type, "success", JSON.stringify(pset));
const stateful = { ...s.cedarCall, preparsedPolicySetId: "p" };
const once = cedar.statefulIsAuthorized(stateful);
assert.equal(once.type, "success", JSON.stringify(once));
assert.equal(once.response.decision, "allow");

const rows = [
  ["clouddigit PreparedToken.check (hot path)", medianNs(() => token.check(owner, "compute.servers.list", "ops", "203.0.113.9", t))],
  ["clouddigit PreparedToken.authorize (explained)", medianNs(() => token.authorize(s.owner, s.request), { n: 2000 })],
  ["cedar-wasm statefulIsAuthorized (preparsed)", medianNs(() => cedar.statefulIsAuthorized(stateful), { n: 2000 })],
  ["clouddigit validateToken (20 perms, 20 CIDRs)", medianNs(() => sdk.validateToken(s.form), { n: 500, warmMs: 5000 })],
];
for (const [name, ns] of rows) console.log(`${name.padEnd(48)} median ${(ns / 1000).toFixed(3).padStart(9)} µs`);
console.log(`ratio cedar-wasm / clouddigit hot path: ${(rows[2][1] / rows[0][1]).toFixed(1)}x`);
console.log(`ratio cedar-wasm / clouddigit explained: ${(rows[2][1] / rows[1][1]).toFixed(1)}x`);
