// Parse an "Allowed IPs" field and check addresses against it, with @clouddigit/sdk.
//   node examples/allowed_ips.mjs '<list>' [ip ...]
import { AllowList, checkAllowedIps } from '@clouddigit/sdk';

const [text = '203.0.113.0/24, 2001:db8::/32', ...ips] = process.argv.slice(2);
const report = checkAllowedIps(text);

for (const e of report.entries) console.log(`  ok     [${e.index}] ${e.network}`);
for (const e of report.errors) {
  console.log(`  error  [${e.index}] ${e.message}`);
}
for (const w of report.warnings) console.log(`  warn   [${w.index}] ${w.message}`);
if (report.errors.length > 0) process.exit(1);

const list = AllowList.parse(text);
for (const ip of ips) {
  console.log(`${ip}: ${list.contains(ip) ? 'allowed' : 'denied'}`);
}
