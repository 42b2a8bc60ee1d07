/**
 * `vectors verify` runs the caller's side of response cases
 * (test-vectors/README.md, "Response cases", `caller`; SPEC.md §6.3):
 * tampered copies of a response case must fail, naming the response.
 */
import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from './helpers/cli.js';

const CASES = fileURLToPath(new URL('../../../test-vectors/cases/', import.meta.url));
const files = await readdir(CASES).catch(() => [] as string[]);
const replayed = files.find((f) => /^\d{3}-response-replayed\.json$/.test(f));
const several = files.find((f) => /^\d{3}-response-several-recipients\.json$/.test(f));

let sb: Sandbox;
beforeAll(async () => {
  sb = await sandbox();
});
afterAll(async () => {
  await sb.remove();
});

/** A case as loose JSON, for editing into a wrong one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test edits reach into any field
type Edit = Record<string, any>;

/** A copy of the cases with `file` edited; the CLI's verdict on the copy. */
async function verifyEdited(dir: string, file: string, edit: (c: Edit) => void) {
  const copy = sb.path(dir);
  await mkdir(copy);
  await cp(CASES, copy, { recursive: true });
  const c = JSON.parse(await readFile(`${copy}/${file}`, 'utf8'));
  edit(c);
  await writeFile(`${copy}/${file}`, JSON.stringify(c));
  return sb.cli(['vectors', 'verify', dir, '--backend', 'pure']);
}

describe.skipIf(!replayed || !several)('vectors verify: the caller side of responses', () => {
  it('a replayed response expected to open fails the case', async () => {
    const r = await verifyEdited('replay', replayed!, (c) => {
      c.caller.responses[1].expect = c.caller.responses[0].expect;
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\d+ passed, 1 failed/);
    expect(r.stderr).toContain(
      `FAIL ${replayed} [pure, trustedSenders] caller.responses.1: expected success, got ERR_REPLAY`,
    );
  });

  it("a response credited to the wrong responder, or opened with another's secret, fails", async () => {
    const r = await verifyEdited('responder', several!, (c) => {
      c.caller.responses[1].expect.responder = c.caller.responses[0].expect.responder;
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/caller\.responses\.1: responder /);
    const swapped = await verifyEdited('secrets', several!, (c) => {
      const [bob, carol] = c.caller.responseSecrets;
      [bob.responseSecret, carol.responseSecret] = [carol.responseSecret, bob.responseSecret];
    });
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toContain('caller.responses.0: expected success, got ERR_OPEN_FAILED');
  });
});
