/**
 * The whole life of two identities through the CLI, on a file store:
 * anchor -> identities -> resolve -> rotation with a propagation delay ->
 * revocation (compromise by the anchor, superseded and compromise by the
 * identity). Also: private key files are 0600, outputs are never silently
 * replaced, and no command prints key material.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modeOf, sandbox, type Sandbox } from './helpers/cli.js';

const T0 = 1_795_435_200; // 2026-11-23T12:00:00Z
const PLANNER = 'spiffe://acme.example/agents/planner';
const PAYMENTS = 'spiffe://acme.example/tools/payments';

interface PublicIdentity {
  name: string;
  signing: { kid: string };
  encryption: { kid: string };
}
interface Resolved {
  name: string;
  keys: { kid: string; notBefore: number; notAfter: number }[];
}
interface Rotation {
  seeded: string | null;
  rotated: { kid: string; notBefore: number; notAfter: number } | null;
  erased: string[];
  identityKey: string | null;
  identityKeyPlaceholder: boolean | null;
  keys: { kid: string }[];
}

let sb: Sandbox;
const store = () => `file:${sb.path('directory.json')}`;
const resolveArgs = (name: string, now: number) => [
  'directory',
  'resolve',
  name,
  '--store',
  store(),
  '--anchor',
  'anchor-public.json',
  '--now',
  String(now),
];
/** Every secret written to disk, to check that no output repeats one. */
const secrets: string[] = [];
const outputs: string[] = [];

async function collectSecrets(file: string): Promise<void> {
  const j = JSON.parse(await readFile(sb.path(file), 'utf8'));
  for (const s of [j.seed, j.signing?.seed, j.encryption?.secret])
    if (typeof s === 'string') secrets.push(s);
}

async function ok(argv: string[], env?: Record<string, string>) {
  const r = await sb.ok(argv, env ? { env } : {});
  outputs.push(r.stdout, r.stderr);
  return r;
}

async function json<T>(argv: string[], env?: Record<string, string>): Promise<T> {
  return JSON.parse((await ok([...argv, '--json'], env)).stdout) as T;
}

beforeAll(async () => {
  sb = await sandbox();
});
afterAll(async () => {
  await sb.remove();
});

describe('anchor and identities', () => {
  let planner: PublicIdentity;

  it('anchor create writes the private anchor at 0600 and the public one at 0644', async () => {
    const r = await ok([
      'anchor',
      'create',
      'acme.example root',
      '--out',
      'anchor.json',
      '--public-out',
      'anchor-public.json',
    ]);
    expect(r.stdout).toContain('created trust anchor');
    expect(await modeOf(sb.path('anchor.json'))).toBe(0o600);
    expect(await modeOf(sb.path('anchor-public.json'))).toBe(0o644);
    const priv = JSON.parse(await readFile(sb.path('anchor.json'), 'utf8'));
    const pub = JSON.parse(await readFile(sb.path('anchor-public.json'), 'utf8'));
    expect(typeof priv.seed).toBe('string');
    expect(pub).toEqual({ v: 1, name: 'acme.example root', kid: priv.kid, ed25519: priv.ed25519 });
    await collectSecrets('anchor.json');
  });

  it('anchor create without --public-out prints the public anchor JSON', async () => {
    const r = await ok(['anchor', 'create', 'other root', '--out', 'other-anchor.json']);
    const pub = JSON.parse(r.stdout);
    expect(pub.seed).toBeUndefined();
    expect(pub.name).toBe('other root');
    await collectSecrets('other-anchor.json');
  });

  it('anchor create refuses to replace an existing file unless --force', async () => {
    const before = await readFile(sb.path('other-anchor.json'), 'utf8');
    const r = await sb.cli(['anchor', 'create', 'again', '--out', 'other-anchor.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error ERR_INVALID_ARGUMENT: "--out" other-anchor.json already exists; pass --force/,
    );
    expect(await readFile(sb.path('other-anchor.json'), 'utf8')).toBe(before);
    await ok(['anchor', 'create', 'again', '--out', 'other-anchor.json', '--force']);
    expect(await readFile(sb.path('other-anchor.json'), 'utf8')).not.toBe(before);
    expect(await modeOf(sb.path('other-anchor.json'))).toBe(0o600);
    await collectSecrets('other-anchor.json');
  });

  it('identity create certifies, publishes and writes the identity at 0600', async () => {
    const args = ['--anchor', 'anchor.json', '--store', store(), '--now', String(T0)];
    planner = JSON.parse(
      (await ok(['identity', 'create', PLANNER, '--out', 'planner.json', ...args])).stdout,
    );
    const payments: PublicIdentity = JSON.parse(
      (await ok(['identity', 'create', PAYMENTS, '--out', 'payments.json', ...args])).stdout,
    );
    expect(planner.name).toBe(PLANNER);
    expect(payments.name).toBe(PAYMENTS);
    expect(await modeOf(sb.path('planner.json'))).toBe(0o600);
    expect(await modeOf(sb.path('payments.json'))).toBe(0o600);
    await collectSecrets('planner.json');
    await collectSecrets('payments.json');
    const doc = JSON.parse(await readFile(sb.path('directory.json'), 'utf8'));
    expect(Object.keys(doc.records).sort()).toEqual([PLANNER, PAYMENTS]);
    expect(doc.records[PLANNER]).toHaveLength(2); // certificate + first encryption key
  });

  it('identity create refuses to replace an identity file and publishes nothing then', async () => {
    const dirBefore = await readFile(sb.path('directory.json'), 'utf8');
    const r = await sb.cli([
      'identity',
      'create',
      PLANNER,
      '--out',
      'planner.json',
      '--anchor',
      'anchor.json',
      '--store',
      store(),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('already exists');
    expect(await readFile(sb.path('directory.json'), 'utf8')).toBe(dirBefore);
  });

  it('identity create needs the anchor with its private key', async () => {
    const r = await sb.cli([
      'identity',
      'create',
      PLANNER,
      '--out',
      'x.json',
      '--anchor',
      'anchor-public.json',
      '--store',
      store(),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error ERR_INVALID_ARGUMENT: "--anchor" expected the anchor file with its private key',
    );
  });

  it('directory resolve verifies both identities against the public anchor', async () => {
    const p = await json<Resolved>(resolveArgs(PLANNER, T0 + 60));
    expect(p.keys.map((k) => k.kid)).toEqual([planner.encryption.kid]);
    const text = await ok(resolveArgs(PAYMENTS, T0 + 60));
    expect(text.stdout).toMatch(/1 usable encryption key\n {2}\S+ {2}AES-256-GCM/);
  });

  it('directory resolve with another anchor does not trust them', async () => {
    await ok([
      'anchor',
      'create',
      'stranger',
      '--out',
      'stranger.json',
      '--public-out',
      'stranger-public.json',
    ]);
    await collectSecrets('stranger.json');
    const r = await sb.cli([
      'directory',
      'resolve',
      PLANNER,
      '--store',
      store(),
      '--anchor',
      'stranger-public.json',
      '--now',
      String(T0 + 60),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error ERR_KEY_UNTRUSTED: /);
  });

  it('directory resolve of an unknown name fails with ERR_KEY_NOT_FOUND', async () => {
    const r = await sb.cli(resolveArgs('spiffe://acme.example/nobody', T0));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error ERR_KEY_NOT_FOUND: /);
  });

  describe('rotation', () => {
    const env = { KS_PASS: 'correct horse battery staple' };
    const rotate = [
      'key',
      'rotate',
      '--identity',
      'planner.json',
      '--keystore',
      'planner-keys.json',
      '--passphrase-env',
      'KS_PASS',
      '--store',
    ];
    const t1 = T0 + 20 * 3600; // past lifetime - lifetime/4: rotation is due
    let rotated: NonNullable<Rotation['rotated']>;

    it('key rotate seeds the key store, publishes a new key one propagation delay ahead', async () => {
      secrets.push(env.KS_PASS);
      const r = await json<Rotation>(
        [...rotate, store(), '--now', String(t1), '--propagation-delay', '300'],
        env,
      );
      expect(r.seeded).toBe(planner.encryption.kid);
      expect(r.rotated).not.toBeNull();
      rotated = r.rotated!;
      expect(rotated.notBefore).toBe(t1 + 300);
      expect(rotated.notAfter).toBe(t1 + 300 + 86_400);
      expect(r.keys.map((k) => k.kid).sort()).toEqual([planner.encryption.kid, rotated.kid].sort());
      expect(await modeOf(sb.path('planner-keys.json'))).toBe(0o600);
      const ks = await readFile(sb.path('planner-keys.json'), 'utf8');
      expect(ks).toContain('sealedPrivateKey');
      expect(ks).not.toContain('"privateKey"');
    });

    it('senders keep the old key until the propagation delay has passed, then switch', async () => {
      const before = await json<Resolved>(resolveArgs(PLANNER, t1 + 100));
      expect(before.keys.map((k) => k.kid)).toEqual([planner.encryption.kid]);
      const after = await json<Resolved>(resolveArgs(PLANNER, t1 + 400));
      expect(after.keys.map((k) => k.kid)).toEqual([rotated.kid, planner.encryption.kid]);
    });

    it('key rotate is a no-op when rotation is not due', async () => {
      const r = await ok([...rotate, store(), '--now', String(t1 + 400)], env);
      expect(r.stdout).toMatch(/no rotation due: newest key \S+ expires/);
    });

    it('key rotate erases private keys past retention', async () => {
      const late = T0 + 86_400 + 3600 + 10; // the first key expired at T0+1d; retention 1h
      const oldSecret: string = JSON.parse(await readFile(sb.path('planner.json'), 'utf8'))
        .encryption.secret;
      expect(oldSecret).toMatch(/^[\w-]{43}$/);
      const r = await json<Rotation>(
        [...rotate, store(), '--now', String(late), '--retention', '1h'],
        env,
      );
      expect(r.erased).toEqual([planner.encryption.kid]);
      expect(r.keys.map((k) => k.kid)).toEqual([rotated.kid]);
      // The identity file held the erased key too. The key store is sealed with a
      // passphrase, so the live key is not copied into the plain identity file: it
      // gets an unpublished placeholder, and the erased private half is gone.
      expect(r.identityKey).not.toBeNull();
      expect(r.identityKey).not.toBe(rotated.kid);
      expect(r.identityKeyPlaceholder).toBe(true);
      const file = JSON.parse(await readFile(sb.path('planner.json'), 'utf8'));
      expect(file.encryption.kid).toBe(r.identityKey);
      expect(file.signing.kid).toBe(planner.signing.kid);
      expect(JSON.stringify(file)).not.toContain(oldSecret);
      expect(await modeOf(sb.path('planner.json'))).toBe(0o600);
      // Still a valid identity: another step loads it, with nothing left to do.
      const again = await json<Rotation>([...rotate, store(), '--now', String(late)], env);
      expect(again.identityKey).toBeNull();
      expect(again.erased).toEqual([]);
    });

    it('key rotate with a wrong or missing passphrase fails without touching the key store', async () => {
      const before = await readFile(sb.path('planner-keys.json'), 'utf8');
      const wrong = await sb.cli([...rotate, store()], { env: { KS_PASS: 'wrong' } });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/^error ERR_OPEN_FAILED: /);
      const missing = await sb.cli([...rotate, store()], { env: {} });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(
        'error ERR_INVALID_ARGUMENT: "--passphrase-env" names KS_PASS, which is not set',
      );
      expect(await readFile(sb.path('planner-keys.json'), 'utf8')).toBe(before);
    });

    it('revoke --reason compromise by the anchor makes resolve fail with ERR_KEY_REVOKED (exit 1)', async () => {
      await ok([
        'revoke',
        '--name',
        PLANNER,
        '--kid',
        planner.signing.kid,
        '--reason',
        'compromise',
        '--anchor',
        'anchor.json',
        '--store',
        store(),
        '--now',
        String(t1 + 500),
      ]);
      const r = await sb.cli(resolveArgs(PLANNER, t1 + 600));
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error ERR_KEY_REVOKED: /);
      // The other identity is not affected.
      expect((await json<Resolved>(resolveArgs(PAYMENTS, T0 + 600))).keys).toHaveLength(1);
    });
  });

  it('revoke by the identity: a superseded key is dropped for the newer one, a compromised one leaves none', async () => {
    const payments = JSON.parse(await readFile(sb.path('payments.json'), 'utf8'));
    const first = payments.encryption.kid as string;
    const rotation = [
      'key',
      'rotate',
      '--identity',
      'payments.json',
      '--keystore',
      'payments-keys.json',
      '--store',
      store(),
    ];
    const r1 = await json<Rotation>([...rotation, '--force', '--now', String(T0 + 600)]);
    const second = r1.rotated!.kid;
    expect(r1.rotated!.notBefore).toBe(T0 + 900);
    const at = String(T0 + 1000);
    const base = [
      'revoke',
      '--identity',
      'payments.json',
      '--store',
      store(),
      '--keystore',
      'payments-keys.json',
    ];
    const sup = await json<{ kind: string; reason: string; name: string; erased: boolean }>([
      ...base,
      '--kid',
      first,
      '--reason',
      'superseded',
    ]);
    expect(sup).toMatchObject({
      kind: 'revocation',
      reason: 'superseded',
      name: PAYMENTS,
      erased: false,
    });
    expect((await json<Resolved>(resolveArgs(PAYMENTS, T0 + 1000))).keys.map((k) => k.kid)).toEqual(
      [second],
    );
    const comp = await ok([...base, '--kid', second, '--reason', 'compromise', '--now', at]);
    expect(comp.stdout).toContain(`erased private key ${second} from payments-keys.json`);
    const ks = JSON.parse(await readFile(sb.path('payments-keys.json'), 'utf8'));
    expect(ks.keys.map((k: { kid: string }) => k.kid)).toEqual([first]);
    const r = await sb.cli(resolveArgs(PAYMENTS, T0 + 1000));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error ERR_KEY_REVOKED: /);
  });

  it('revoke --identity refuses a --name that is not the identity', async () => {
    const r = await sb.cli([
      'revoke',
      '--identity',
      'payments.json',
      '--name',
      PLANNER,
      '--kid',
      'AAAAAAAAAAAAAAAAAAAAAA',
      '--reason',
      'superseded',
      '--store',
      store(),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `usage error: --name ${PLANNER} is not the identity in payments.json`,
    );
  });

  it('directory publish copies records into another store', async () => {
    const doc = JSON.parse(await readFile(sb.path('directory.json'), 'utf8'));
    const lines = (doc.records[PAYMENTS] as string[]).join('\n');
    await writeFile(sb.path('payments-records.txt'), lines + '\n');
    const copy = `file:${sb.path('copy.json')}`;
    const published = await json<{ kind: string }[]>([
      'directory',
      'publish',
      '--store',
      copy,
      'payments-records.txt',
    ]);
    expect(published.map((p) => p.kind).sort()).toEqual([
      'encryption-key',
      'encryption-key',
      'identity-certificate',
      'revocation',
      'revocation',
    ]);
    const r = await sb.cli([
      'directory',
      'resolve',
      PAYMENTS,
      '--store',
      copy,
      '--anchor',
      'anchor-public.json',
      '--now',
      String(T0 + 1000),
    ]);
    expect(r.stderr).toMatch(/^error ERR_KEY_REVOKED: /); // the copy carries the revocations too
  });

  it('directory publish refuses bytes that are not a record', async () => {
    await writeFile(sb.path('junk.txt'), 'hello\n');
    const r = await sb.cli(['directory', 'publish', '--store', store(), 'junk.txt']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error ERR_INVALID_ARGUMENT: /);
  });

  it('no command printed a private key', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    const all = outputs.join('\n');
    for (const s of secrets) expect(all).not.toContain(s);
  });
});
