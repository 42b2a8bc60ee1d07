/**
 * A reply opened in another process (SPEC.md §11a): one `node` process seals
 * a request with the built @blindwire/core, exports its response state to its
 * own key and exits; the responder answers; a second process, which never saw
 * the request's secrets, imports the state and opens the reply; a third,
 * given the state the second exported after it, refuses the same reply as a
 * replay.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from '@blindwire/testkit';
import { open } from '../src/envelope/open.js';
import { sealResponse } from '../src/envelope/response.js';
import {
  exportIdentity,
  exportPublicIdentity,
  generateIdentity,
  publicIdentity,
  type Identity,
} from '../src/identity/identity.js';
import { NOW } from './helpers/fixtures.js';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
// Skipped outside CI when core is not built; under CI=true a missing build fails.
const built = requireBuild(dist, '@blindwire/core');

const CONTEXT = 'blindwire/mcp/v1 tools/call refund';

/** Runs `body` as an ES module in a fresh node process, in `dir`, with core as `bw`; its stdout. */
function inChild(dir: string, body: string): string {
  const script = `
    const bw = await import(${JSON.stringify(dist)});
    const { readFileSync, writeFileSync } = await import('node:fs');
    const read = (f) => new Uint8Array(readFileSync(f));
    const alice = await bw.importIdentity(JSON.parse(readFileSync('alice.json', 'utf8')));
    ${body}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

describe.skipIf(built.skip)('a reply opened in another process (SPEC.md §11a)', () => {
  let dir: string;
  let alice: Identity;
  let bob: Identity;
  beforeAll(async () => {
    built.assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'bw-state-'));
    [alice, bob] = await Promise.all([
      generateIdentity('spiffe://acme.example/agents/planner'),
      generateIdentity('spiffe://acme.example/tools/payments'),
    ]);
    writeFileSync(join(dir, 'alice.json'), JSON.stringify(exportIdentity(alice)));
    writeFileSync(join(dir, 'bob.json'), JSON.stringify(exportPublicIdentity(bob)));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens after the requester process exited, once across processes', async () => {
    // Process 1: the requester seals, exports its state sealed to its own key, and exits.
    const sealedId = inChild(
      dir,
      `const bob = await bw.importPublicIdentity(JSON.parse(readFileSync('bob.json', 'utf8')));
       const req = await bw.seal('{"refund":"A-1042"}', {
         sender: alice, recipients: bob, context: ${JSON.stringify(CONTEXT)}, now: ${NOW}, ttl: 600 });
       writeFileSync('request.bin', req.envelope);
       writeFileSync('state.bin', await bw.exportResponseState(req, { to: alice, now: ${NOW} }));
       console.log(req.messageId);`,
    );
    const state = new Uint8Array(readFileSync(join(dir, 'state.bin')));
    expect(Buffer.from(state).includes(Buffer.from('A-1042'))).toBe(false);

    // The responder (this process) opens the request and answers.
    const request = await open(new Uint8Array(readFileSync(join(dir, 'request.bin'))), {
      recipient: bob,
      context: CONTEXT,
      trustedSenders: [publicIdentity(alice)],
      now: NOW,
    });
    expect(request.messageId).toBe(sealedId);
    const reply = await sealResponse(request, '{"status":"refunded"}', { now: NOW + 2000 });
    writeFileSync(join(dir, 'reply.bin'), reply.envelope);

    // Process 2: imports the state, opens the reply, refuses its copy, exports what it accepted.
    const second = inChild(
      dir,
      `const req = await bw.importResponseState(read('state.bin'), { keys: alice, now: ${NOW + 3000} });
       const got = await bw.openResponse(req, read('reply.bin'), { now: ${NOW + 3000} });
       const again = await bw.openResponse(req, read('reply.bin'), { now: ${NOW + 3000} })
         .then(() => 'opened', (e) => e.code);
       writeFileSync('state2.bin', await bw.exportResponseState(req, { to: alice, now: ${NOW + 3000} }));
       console.log(JSON.stringify({ id: req.messageId, payload: new TextDecoder().decode(got.payload),
         responder: got.responder, again }));`,
    );
    expect(JSON.parse(second)).toEqual({
      id: sealedId,
      payload: '{"status":"refunded"}',
      responder: bob.encryption.kid,
      again: 'ERR_REPLAY',
    });

    // Process 3: the state exported after the reply was accepted refuses it; the first state still opens it.
    const third = inChild(
      dir,
      `const outcome = async (f) => {
         const req = await bw.importResponseState(read(f), { keys: alice, now: ${NOW + 4000} });
         return bw.openResponse(req, read('reply.bin'), { now: ${NOW + 4000} })
           .then(() => 'opened', (e) => e.code);
       };
       console.log(JSON.stringify([await outcome('state2.bin'), await outcome('state.bin')]));`,
    );
    expect(JSON.parse(third)).toEqual(['ERR_REPLAY', 'opened']);
  }, 120_000);
});
