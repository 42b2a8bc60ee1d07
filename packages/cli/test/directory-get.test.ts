/**
 * `blindwire directory get`: an identity's records verified as senders
 * verify them (SPEC.md §11.2) and judged at --now: key statuses through
 * rotation and revocation, records set aside, and the failures (no record:
 * exit 4 naming the store; nothing verifies: exit 5).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from './helpers/cli.js';
import {
  PAYMENTS,
  PLANNER,
  ROTATED,
  STORE,
  createRotatedIdentity,
  createWorld,
} from './helpers/world.js';

interface View {
  name: string;
  store: string;
  records: number;
  signingKeys: { kid: string; pinned: boolean; status: string }[];
  encryptionKeys: { kid: string; status: string; notBefore: number; serial: number }[];
  revocations: { targetKid: string; reason: string; issuerKid: string }[];
  setAside: { code: string; count: number }[];
}

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
  await createWorld(sb);
});
afterAll(async () => {
  await sb.remove();
});

const get = (name: string, ...more: string[]) => [
  'directory',
  'get',
  name,
  '--store',
  STORE,
  '--anchor',
  'anchor-public.json',
  ...more,
];
const publicOf = async (short: string) =>
  JSON.parse(await readFile(sb.path(`${short}-public.json`), 'utf8')) as {
    signing: { kid: string };
    encryption: { kid: string };
  };

describe('directory get', () => {
  it('a new identity: its certified signing key and its one encryption key, the one senders use', async () => {
    const p = await publicOf('payments');
    const v = await sb.json<View>(get(PAYMENTS));
    expect(v).toMatchObject({
      name: PAYMENTS,
      store: STORE,
      records: 2,
      revocations: [],
      setAside: [],
    });
    expect(v.signingKeys).toEqual([
      expect.objectContaining({ kid: p.signing.kid, pinned: false, status: 'usable' }),
    ]);
    expect(v.encryptionKeys).toEqual([
      expect.objectContaining({ kid: p.encryption.kid, status: 'newest' }),
    ]);
    const text = await sb.ok(get(PAYMENTS));
    expect(text.stdout).toContain(`${PAYMENTS}: 2 records in ${STORE}, as of `);
    expect(text.stdout).toMatch(
      new RegExp(`  ${p.encryption.kid}  \\S+ \\.\\. \\S+  newest: senders seal to this one\\n`),
    );
  });

  it('after days of rotation: the newest key first, the expired ones marked', async () => {
    const current = await createRotatedIdentity(sb);
    const v = await sb.json<View>(get(ROTATED));
    expect(v.encryptionKeys[0]).toMatchObject({ kid: current, status: 'newest' });
    expect(v.encryptionKeys.slice(1).map((k) => k.status)).toEqual([
      'ERR_EXPIRED',
      'ERR_EXPIRED',
      'ERR_EXPIRED',
    ]);
    const serials = v.encryptionKeys.map((k) => k.serial);
    expect(serials).toEqual([...serials].sort((a, b) => b - a));
    // What `directory resolve` calls usable is what `get` calls newest or usable.
    const resolved = await sb.json<{ keys: { kid: string }[] }>([
      'directory',
      'resolve',
      ROTATED,
      '--store',
      STORE,
      '--anchor',
      'anchor-public.json',
    ]);
    expect(resolved.keys.map((k) => k.kid)).toEqual(
      v.encryptionKeys.filter((k) => ['newest', 'usable'].includes(k.status)).map((k) => k.kid),
    );
  });

  it('a revoked key: its status and the revocation in force', async () => {
    const p = await publicOf('mallory');
    await sb.ok([
      'revoke',
      '--name',
      'spiffe://acme.example/agents/mallory',
      '--kid',
      p.encryption.kid,
      '--reason',
      'superseded',
      '--anchor',
      'anchor.json',
      '--store',
      STORE,
    ]);
    const v = await sb.json<View>(get('spiffe://acme.example/agents/mallory'));
    expect(v.encryptionKeys).toEqual([
      expect.objectContaining({ kid: p.encryption.kid, status: 'ERR_KEY_REVOKED' }),
    ]);
    expect(v.revocations).toEqual([
      expect.objectContaining({ targetKid: p.encryption.kid, reason: 'superseded' }),
    ]);
    const text = (await sb.ok(get('spiffe://acme.example/agents/mallory'))).stdout;
    expect(text).toContain('revocations in force:\n');
    expect(text).toMatch(new RegExp(`  ${p.encryption.kid}  superseded  by `));
  });

  it('a record filed under the wrong name is set aside, and counted', async () => {
    const doc = JSON.parse(await readFile(sb.path('directory.json'), 'utf8'));
    doc.records[PAYMENTS].push(doc.records[PLANNER][0]);
    await writeFile(sb.path('directory.json'), JSON.stringify(doc));
    const v = await sb.json<View>(get(PAYMENTS));
    expect(v.records).toBe(3);
    expect(v.setAside).toEqual([{ code: 'ERR_KEY_UNTRUSTED', count: 1 }]);
    expect((await sb.ok(get(PAYMENTS))).stdout).toContain(
      'set aside: 1 record (ERR_KEY_UNTRUSTED)\n',
    );
  });

  it('records of which none verifies with the anchor given: ERR_KEY_UNTRUSTED, exit 5, nothing printed', async () => {
    const r = await sb.cli([
      'directory',
      'get',
      PLANNER,
      '--store',
      STORE,
      '--anchor',
      'stranger-public.json',
    ]);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^error ERR_KEY_UNTRUSTED: none of the 2 records stored for \S+ verifies with the given --anchor or --pin \(2 ERR_KEY_UNTRUSTED\) \(file store file:directory\.json\)\n$/,
    );
  });

  it('a name with no records: ERR_KEY_NOT_FOUND, exit 4, naming the store', async () => {
    const r = await sb.cli(get('spiffe://acme.example/nobody'));
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /^error ERR_KEY_NOT_FOUND: no records published for spiffe:\/\/acme\.example\/nobody: the file store file:directory\.json holds no records for /,
    );
  });
});
