/** `anchor create --names`: the constraint travels in the anchor files and the CLI will not sign outside it. */
import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sandbox, type Sandbox } from './helpers/cli.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
});
afterAll(async () => {
  await sb.remove();
});

it('a constrained anchor certifies names inside its patterns only', async () => {
  await sb.ok([
    'anchor',
    'create',
    'acme root',
    '--names',
    'spiffe://acme.example/**',
    '--out',
    'a.json',
    '--public-out',
    'a-pub.json',
  ]);
  for (const f of ['a.json', 'a-pub.json']) {
    expect(JSON.parse(await readFile(sb.path(f), 'utf8')).names).toEqual([
      'spiffe://acme.example/**',
    ]);
  }
  const outside = await sb.cli([
    'identity',
    'create',
    'spiffe://evil.example/x',
    '--anchor',
    'a.json',
    '--out',
    'x.json',
    '--store',
    'file:dir.json',
  ]);
  expect(outside.code).toBe(1);
  expect(outside.stderr).toMatch(
    /^error ERR_INVALID_ARGUMENT: the anchor \S+ speaks only for names matching "spiffe:\/\/acme\.example\/\*\*"/,
  );
  await expect(stat(sb.path('x.json'))).rejects.toThrow(); // nothing written
  const name = 'spiffe://acme.example/agents/p';
  await sb.ok([
    'identity',
    'create',
    name,
    '--anchor',
    'a.json',
    '--out',
    'p.json',
    '--store',
    'file:dir.json',
  ]);
  const r = await sb.ok([
    'directory',
    'resolve',
    name,
    '--store',
    'file:dir.json',
    '--anchor',
    'a-pub.json',
    '--json',
  ]);
  expect(JSON.parse(r.stdout).keys).toHaveLength(1);
  const revokeOutside = await sb.cli([
    'revoke',
    '--name',
    'spiffe://evil.example/x',
    '--kid',
    'AAAAAAAAAAAAAAAAAAAAAA',
    '--reason',
    'compromise',
    '--anchor',
    'a.json',
    '--store',
    'file:dir.json',
  ]);
  expect(revokeOutside.code).toBe(1);
  expect(revokeOutside.stderr).toMatch(/ERR_INVALID_ARGUMENT: the anchor/);
});
