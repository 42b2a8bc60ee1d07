/**
 * A small world for seal and open tests, made with the CLI itself in a
 * sandbox: a trust anchor (and a stranger's), identities with their public
 * files, all in a file store; and an identity whose key rotation has run for
 * days, so that its identity file holds only an unpublished placeholder and
 * its live keys are in the key store (SPEC.md §11.4).
 */
import { writeFile } from 'node:fs/promises';
import type { Sandbox } from './cli.js';

export const PLANNER = 'spiffe://acme.example/agents/planner';
export const PAYMENTS = 'spiffe://acme.example/tools/payments';
export const MALLORY = 'spiffe://acme.example/agents/mallory';
export const ROTATED = 'spiffe://acme.example/tools/ledger';
export const STORE = 'file:directory.json';
export const PASSPHRASE_ENV = { LEDGER_KEYS_PASSPHRASE: 'correct horse battery staple' };

/** Creates anchor.json / anchor-public.json, a stranger anchor, and identities with `<short>.json` and `<short>-public.json`. */
export async function createWorld(sb: Sandbox): Promise<void> {
  await sb.ok([
    'anchor',
    'create',
    'acme root',
    '--out',
    'anchor.json',
    '--public-out',
    'anchor-public.json',
  ]);
  await sb.ok([
    'anchor',
    'create',
    'stranger',
    '--out',
    'stranger.json',
    '--public-out',
    'stranger-public.json',
  ]);
  for (const [name, short] of [
    [PLANNER, 'planner'],
    [PAYMENTS, 'payments'],
    [MALLORY, 'mallory'],
  ] as const) {
    const r = await sb.ok([
      'identity',
      'create',
      name,
      '--anchor',
      'anchor.json',
      '--out',
      `${short}.json`,
      '--store',
      STORE,
    ]);
    await writeFile(sb.path(`${short}-public.json`), r.stdout);
  }
}

/**
 * ROTATED (`ledger.json`, key store `ledger-keys.json` sealed with
 * PASSPHRASE_ENV): created three days ago, rotated every day since, and
 * rotated now with a one-hour retention, which erases its first key and
 * leaves an unpublished placeholder in `ledger.json`. Returns the kid of the
 * key senders seal to now.
 */
export async function createRotatedIdentity(sb: Sandbox): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const t0 = now - 3 * 86_400;
  await sb.ok([
    'identity',
    'create',
    ROTATED,
    '--anchor',
    'anchor.json',
    '--out',
    'ledger.json',
    '--store',
    STORE,
    '--now',
    String(t0),
  ]);
  const rotate = [
    'key',
    'rotate',
    '--identity',
    'ledger.json',
    '--keystore',
    'ledger-keys.json',
    '--passphrase-env',
    'LEDGER_KEYS_PASSPHRASE',
    '--store',
    STORE,
    '--retention',
    '1h',
    '--json',
  ];
  for (const at of [t0 + 20 * 3600, t0 + 44 * 3600, t0 + 68 * 3600, now])
    await sb.ok([...rotate, '--now', String(at)], { env: PASSPHRASE_ENV });
  const resolved = await sb.json<{ keys: { kid: string }[] }>([
    'directory',
    'resolve',
    ROTATED,
    '--store',
    STORE,
    '--anchor',
    'anchor-public.json',
  ]);
  return resolved.keys[0]!.kid;
}
