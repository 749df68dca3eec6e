// Headless Chromium (Debian's, through playwright-core): the browser entry of the
// built package, timing form validation and the hot path in the page itself.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

// CLOUDDIGIT_BENCH_ROOT: a directory laid out like the repository (js/, dist/wasm/,
// bench/node/) to time another build of the package against this one.
const root = process.env.CLOUDDIGIT_BENCH_ROOT ?? new URL("../../", import.meta.url).pathname;
const types = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };
const server = createServer(async (req, res) => {
  const path = normalize(join(root, decodeURIComponent(new URL(req.url, "http://x").pathname)));
  if (!path.startsWith(root)) { res.writeHead(403).end(); return; }
  try {
    const body = await readFile(path);
    res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" }).end(body);
  } catch { res.writeHead(404).end(); }
}).listen(0, "127.0.0.1");
await new Promise((r) => server.once("listening", r));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const page = await browser.newPage();
  await page.goto(`${base}/bench/node/blank.html`);
  const result = await page.evaluate(async () => {
    const sdk = await import("/js/browser.js");
    const { scenario, medianNs, firstCallsNs } = await import("/bench/node/scenario.mjs");
    const s = scenario(sdk.catalog());
    const token = new sdk.PreparedToken(s.token);
    const owner = new sdk.PreparedOwner(s.owner);
    const t = Date.parse(s.request.time);
    const v = sdk.validateToken(s.form);
    if (!v.valid) throw new Error(JSON.stringify(v.errors));
    const text = JSON.stringify(v);
    // Before anything else has run: the code V8 has not optimized yet.
    const cold = firstCallsNs(() => sdk.validateToken(s.form));
    return {
      cold,
      validate: medianNs(() => sdk.validateToken(s.form), { n: 300, rounds: 11, warmMs: 5000 }),
      check: medianNs(() => token.check(owner, "compute.servers.list", "ops", "203.0.113.9", t)),
      // The engine's share of validateToken: the form to JSON text, the result from it.
      stringify: medianNs(() => JSON.stringify(s.form), { n: 3000, rounds: 11 }),
      parse: medianNs(() => JSON.parse(text), { n: 3000, rounds: 11 }),
      ips: medianNs(() => sdk.checkAllowedIps(s.form.draft.allowed_ips), { n: 300, rounds: 11, warmMs: 5000 }),
    };
  });
  console.log(`browser validateToken (20 perms, 20 CIDRs)       median ${(result.validate / 1000).toFixed(3).padStart(9)} µs`);
  console.log(`  its first 100 calls (before V8 optimizes) mean ${(result.cold / 1000).toFixed(3).padStart(9)} µs`);
  console.log(`browser PreparedToken.check (hot path)           median ${(result.check / 1000).toFixed(3).padStart(9)} µs`);
  console.log(`browser checkAllowedIps (the form's 20 CIDRs)    median ${(result.ips / 1000).toFixed(3).padStart(9)} µs`);
  console.log(`  of validateToken: JSON.stringify(form)         median ${(result.stringify / 1000).toFixed(3).padStart(9)} µs`);
  console.log(`  of validateToken: JSON.parse(result)           median ${(result.parse / 1000).toFixed(3).padStart(9)} µs`);
} finally {
  await browser.close();
  server.close();
}
