// The permission catalog, from the SDK (the same data file the API decides with).
import { catalog } from '@clouddigit/sdk';
import type { PermissionDef } from '@clouddigit/sdk';

let cached: PermissionDef[] | null = null;

export function permissions(): PermissionDef[] {
  cached ??= catalog().permissions;
  return cached;
}

export function serviceOf(name: string): string {
  return name.split('.')[0] ?? name;
}

/** Permissions grouped by service, in catalog order. */
export function byService(names?: Iterable<string>): Map<string, string[]> {
  const wanted = names ? new Set(names) : null;
  const groups = new Map<string, string[]>();
  for (const p of permissions()) {
    if (wanted && !wanted.has(p.name)) continue;
    const s = serviceOf(p.name);
    const list = groups.get(s) ?? [];
    list.push(p.name);
    groups.set(s, list);
  }
  return groups;
}

export const SERVICE_TITLES: Record<string, string> = {
  audit: 'Audit log',
  compute: 'Compute',
  databases: 'Databases',
  iam: 'IAM',
  k8s: 'Kubernetes',
  network: 'Network',
  org: 'Organization',
  registry: 'Container registry',
  storage: 'Storage',
};
