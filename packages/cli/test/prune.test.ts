/**
 * `blindwire directory prune` end to end on a file store (SPEC.md §11.6): a
 * history of rotated keys, a revoked one, junk and a record of another name;
 * --dry-run removes nothing, a prune removes exactly what the dry run listed
 * and nothing a reader needs, a second prune removes nothing, and a horizon
 * below the clock skew is refused.
 */
import { generateEncryptionKey, generateIdentity } from '@blindwire/core';
import {
  certifyIdentity,
  createEncryptionKeyRecord,
  createRevocation,
  createTrustAnchor,
  exportTrustAnchor,
  recordId,
} from '@blindwire/directory';
import { createFileStore } from '@blindwire/directory/file';
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from './helpers/cli.js';

const T0 = 1_795_435_200; // 2026-11-23T12:00:00Z
const H = 3600;
const NAME = 'spiffe://acme.example/tools/payments';
const OTHER = 'spiffe://acme.example/agents/planner';

interface Pruned {
  name: string;
  remove: { id: string; reason: string }[];
  kept: number;
  dryRun: boolean;
}

let sb: Sandbox;
let expected: Map<string, string>;
const store = () => `file:${sb.path('directory.json')}`;
const args = (...more: string[]) => [
  'directory',
  'prune',
  NAME,
  '--store',
  store(),
  '--anchor',
  'anchor-public.json',
  '--now',
  String(T0),
  '--horizon',
  '1h',
  ...more,
];
const stored = async () =>
  JSON.parse(await readFile(sb.path('directory.json'), 'utf8')).records[NAME] as string[];

beforeAll(async () => {
  sb = await sandbox();
  const anchor = await createTrustAnchor('acme.example root');
  await writeFile(sb.path('anchor-public.json'), JSON.stringify(exportTrustAnchor(anchor)));
  const id = await generateIdentity(NAME);
  const other = await generateIdentity(OTHER);
  const fs = createFileStore(sb.path('directory.json'));
  const put = (r: Uint8Array) => fs.put(NAME, r);
  await put(await certifyIdentity(anchor, id, { notBefore: T0 - 30 * H, notAfter: T0 + 300 * H }));
  expected = new Map();
  // six hourly keys, the last one live: the four oldest end before now - 1 h
  const kids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const k = await generateEncryptionKey();
    const nb = T0 - (6 - i) * H + 10;
    const r = await createEncryptionKeyRecord(id, k, {
      notBefore: nb,
      notAfter: nb + H + 60,
      serial: i + 1,
    });
    await put(r);
    kids.push(k.kid);
    if (nb + H + 60 < T0 - H) expected.set(recordId(r), 'expired');
  }
  const rev = await createRevocation(id.signing, {
    name: NAME,
    kid: kids[0]!,
    reason: 'compromise',
  });
  await put(rev);
  expected.set(recordId(rev), 'revocation-done');
  const liveRev = await createRevocation(id.signing, {
    name: NAME,
    kid: kids[4]!,
    reason: 'superseded',
  });
  await put(liveRev); // its key is within the horizon: it stays
  const junk = Uint8Array.from([0x42, 0x57, 0x01, 0x11, 0xff]);
  await put(junk);
  expected.set(recordId(junk), 'malformed');
  const misfiled = await certifyIdentity(anchor, other, { notBefore: T0, notAfter: T0 + H });
  await put(misfiled);
  expected.set(recordId(misfiled), 'other-name');
  await fs.close?.();
});
afterAll(async () => {
  await sb?.remove();
});

describe('blindwire directory prune', () => {
  it('--dry-run lists what would go and removes nothing', async () => {
    const before = await stored();
    const [r] = JSON.parse((await sb.ok(args('--dry-run', '--json'))).stdout) as Pruned[];
    expect(r!.dryRun).toBe(true);
    expect(new Map(r!.remove.map((x) => [x.id, x.reason]))).toEqual(expected);
    expect(r!.kept).toBe(before.length - expected.size);
    expect(await stored()).toEqual(before);
  });

  it('prunes exactly that, readers still resolve, and a second prune removes nothing', async () => {
    const before = (await stored()).length;
    const out = (await sb.ok(args())).stdout;
    expect(out).toContain(`${NAME}: removed ${expected.size}, kept ${before - expected.size}`);
    for (const [id, reason] of expected) expect(out).toContain(`removed ${id}  ${reason}`);
    expect((await stored()).length).toBe(before - expected.size);
    const resolved = await sb.ok([
      'directory',
      'resolve',
      NAME,
      '--store',
      store(),
      '--anchor',
      'anchor-public.json',
      '--now',
      String(T0),
      '--json',
    ]);
    expect(JSON.parse(resolved.stdout).keys[0].serial).toBe(6);
    const [again] = JSON.parse((await sb.ok(args('--json'))).stdout) as Pruned[];
    expect(again!.remove).toEqual([]);
  });

  it('refuses a horizon below the clock skew, and to run without a trust anchor', async () => {
    const low = await sb.cli([...args(), '--horizon', '30']);
    expect(low.code).toBe(1);
    expect(low.stderr).toContain('ERR_INVALID_ARGUMENT');
    const noAnchor = await sb.cli(['directory', 'prune', NAME, '--store', store()]);
    expect(noAnchor.code).toBe(2);
    expect(noAnchor.stderr).toContain('--anchor');
  });
});
