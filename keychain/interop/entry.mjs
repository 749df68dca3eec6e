// The Node side of interop.sh: the same entry through @napi-rs/keyring, as the npm
// package's credential chain would read it. Pinned to the Secret Service on Linux: its
// default falls back to the kernel keyring (keyutils), which `configure` never writes.
//   node entry.mjs get|set|delete PROFILE   (set reads the token from stdin)
import { Entry } from '@napi-rs/keyring';

const [op, profile = 'default'] = process.argv.slice(2);
const entry = new Entry('clouddigit', profile, { linux: { store: 'secret-service' } });
if (op === 'get') {
  const token = entry.getPassword();
  if (token == null) process.exit(1);
  process.stdout.write(token);
} else if (op === 'set') {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  entry.setPassword(Buffer.concat(chunks).toString('utf8'));
} else if (op === 'delete') {
  process.exit(entry.deleteCredential() ? 0 : 1);
} else {
  console.error('usage: node entry.mjs get|set|delete PROFILE');
  process.exit(2);
}
