/**
 * `vectors verify` over the project's envelope and stream test vectors
 * (test-vectors/cases), and tampered copies that must fail.
 */
import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIndex } from '@blindwire/testkit';
import { sandbox, type Sandbox } from './helpers/cli.js';

const CASES = fileURLToPath(new URL('../../../test-vectors/cases/', import.meta.url));
const present = await readdir(CASES).then(
  (f) => f.includes('index.json'),
  () => false,
);

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
});
afterAll(async () => {
  await sb.remove();
});

describe.skipIf(!present)('vectors verify', () => {
  it('every case passes on every backend', async () => {
    const index = loadIndex(CASES);
    const r = await sb.cli(['vectors', 'verify', CASES]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${index.count} passed, 0 failed`);
    expect(r.stdout).toMatch(/on pure, node/);
  });

  it('--json reports the counts', async () => {
    const j = await sb.json<{ passed: number; failed: number; backends: string[] }>([
      'vectors',
      'verify',
      CASES,
      '--backend',
      'pure',
    ]);
    expect(j.failed).toBe(0);
    expect(j.passed).toBeGreaterThan(0);
    expect(j.backends).toEqual(['pure']);
  });

  it('a case whose expected outcome was changed fails, and so does the index', async () => {
    const copy = sb.path('cases');
    await mkdir(copy);
    await cp(CASES, copy, { recursive: true });
    const file = (await readdir(copy)).find((f) => /^\d{3}-.*\.json$/.test(f))!;
    const c = JSON.parse(await readFile(`${copy}/${file}`, 'utf8'));
    c.expect = { result: 'error', code: 'ERR_REPLAY' };
    await writeFile(`${copy}/${file}`, JSON.stringify(c));
    const r = await sb.cli(['vectors', 'verify', 'cases', '--backend', 'pure']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\d+ passed, 2 failed/); // the case itself, and index.json disagreeing with it
    expect(r.stderr).toContain(
      `FAIL ${file} [pure, trustedSenders] expected ERR_REPLAY, got a result`,
    );
  });

  it('a malformed index.json is reported as one failure, not a crash', async () => {
    const copy = sb.path('bad-index');
    await mkdir(copy);
    await cp(CASES, copy, { recursive: true });
    const index = JSON.parse(await readFile(`${copy}/index.json`, 'utf8'));
    index.count += 1;
    await writeFile(`${copy}/index.json`, JSON.stringify(index));
    const r = await sb.cli(['vectors', 'verify', 'bad-index', '--backend', 'pure']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\d+ passed, 1 failed/);
    expect(r.stderr).toMatch(/^FAIL index\.json: "count" expected the number of entries/m);
  });

  it('a case file that is not a JSON object fails as malformed, not as a crash', async () => {
    const copy = sb.path('null-case');
    await mkdir(copy);
    await cp(CASES, copy, { recursive: true });
    const file = (await readdir(copy)).find((f) => /^\d{3}-.*\.json$/.test(f))!;
    await writeFile(`${copy}/${file}`, 'null');
    const r = await sb.cli(['vectors', 'verify', 'null-case', '--backend', 'pure']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`FAIL ${file} malformed case: "case" expected a JSON object`);
    expect(r.stderr).not.toMatch(/TypeError|please report/);
  });

  it('a stream case whose opener released more than its releasable bytes fails in every feeding', async () => {
    const copy = sb.path('stream-cases');
    await mkdir(copy);
    await cp(CASES, copy, { recursive: true });
    // It fails after three verified records, which the opener released: one byte more than releasable.
    const file = (await readdir(copy)).find((f) => /^\d{3}-stream-bad-signature\.json$/.test(f))!;
    const c = JSON.parse(await readFile(`${copy}/${file}`, 'utf8'));
    expect(c.kind).toBe('stream');
    expect(c.expect.releasable.length).toBeGreaterThan(0);
    c.expect.releasable = c.expect.releasable.slice(0, -2);
    await writeFile(`${copy}/${file}`, JSON.stringify(c));
    const r = await sb.cli(['vectors', 'verify', 'stream-cases', '--backend', 'pure']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\d+ passed, 1 failed/);
    for (const how of ['whole', 'split', 'bytes']) {
      expect(r.stderr).toMatch(
        new RegExp(
          `FAIL ${file} \\[pure, trustedSenders\\] \\(${how}\\) released \\d+ bytes that are not a prefix of releasable`,
        ),
      );
    }
  });

  it('a missing directory is ERR_INVALID_ARGUMENT', async () => {
    const r = await sb.cli(['vectors', 'verify', 'nowhere']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error ERR_INVALID_ARGUMENT: "DIR" expected a directory/);
  });
});
