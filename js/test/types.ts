// Type-checked (tsc --strict), not run: the public types are precise enough that
// mistakes are compile errors. Resolves '@clouddigit/sdk' through package.json exports.
import {
  AllowList,
  AllowedIpsError,
  checkAllowedIps,
  type AllowedIpErrorCode,
  type AllowedIpsReport,
} from '@clouddigit/sdk';

const report: AllowedIpsReport = checkAllowedIps('10.0.0.1/8');
const code: AllowedIpErrorCode | undefined = report.errors[0]?.code;
const suggestion: string | undefined = report.errors[0]?.suggestion;
// @ts-expect-error: codes are a closed union, not any string.
const bad: AllowedIpErrorCode = 'not_a_code';

try {
  const list = AllowList.parse('192.0.2.0/24');
  const allowed: boolean = list.contains('192.0.2.1');
  const networks: string[] = list.networks;
  void allowed, networks;
} catch (err) {
  if (err instanceof AllowedIpsError) {
    const first: number | undefined = err.errors[0]?.index;
    void first;
  }
}
void code, suggestion, bad;
