/**
 * `inspect` shows the public header of an envelope sealed with core's `seal`,
 * from raw bytes, base64url text or stdin, and refuses what is not one.
 */
import { writeFile } from 'node:fs/promises';
import {
  generateIdentity,
  inspect,
  publicIdentity,
  seal,
  toBase64url,
  toHex,
} from '@blindwire/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from './helpers/cli.js';

let sb: Sandbox;
let envelope: Uint8Array;
let messageId: string;
let recipientKid: string;

beforeAll(async () => {
  sb = await sandbox();
  const alice = await generateIdentity('spiffe://acme.example/agents/alice');
  const bob = await generateIdentity('spiffe://acme.example/tools/bob');
  recipientKid = bob.encryption.kid;
  const sealed = await seal(new TextEncoder().encode('{"refund":12.5}'), {
    sender: alice,
    recipients: publicIdentity(bob),
    context: 'tool:refund',
    contentType: 'application/json',
    claims: { tenant: 'acme', priority: 3 },
  });
  envelope = sealed.envelope;
  messageId = sealed.messageId;
  await writeFile(sb.path('message.bin'), envelope);
  await writeFile(sb.path('message.b64'), toBase64url(envelope) + '\n');
  await writeFile(sb.path('message.hex'), toHex(envelope));
});
afterAll(async () => {
  await sb.remove();
});

describe('inspect', () => {
  it('prints the header of a raw envelope as text', async () => {
    const r = await sb.ok(['inspect', 'message.bin']);
    expect(r.stdout).toContain('kind:          message (envelope v1)');
    expect(r.stdout).toContain(`message id:    ${messageId}`);
    expect(r.stdout).toContain(`recipients:    ${recipientKid}`);
    expect(r.stdout).toContain('content type:  application/json');
    expect(r.stdout).toContain('claim tenant:  acme');
    expect(r.stdout).toMatch(/suite: +AES-256-GCM \(kem 0x0020, kdf 0x0001, aead 0x0002\)/);
    expect(r.stdout).not.toContain('refund');
  });

  it('--json is core inspect() exactly', async () => {
    const j = await sb.json(['inspect', 'message.bin']);
    expect(j).toEqual(JSON.parse(JSON.stringify(inspect(envelope))));
  });

  it('reads base64url and hex text, and stdin with -', async () => {
    const expected = JSON.parse(JSON.stringify(inspect(envelope)));
    expect(await sb.json(['inspect', 'message.b64'])).toEqual(expected);
    expect(await sb.json(['inspect', 'message.hex'])).toEqual(expected);
    expect(await sb.json(['inspect', '-'], { stdin: envelope })).toEqual(expected);
  });

  it('a truncated envelope is ERR_ENVELOPE_MALFORMED (exit 1)', async () => {
    await writeFile(sb.path('short.bin'), envelope.subarray(0, 40));
    const r = await sb.cli(['inspect', 'short.bin']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error ERR_ENVELOPE_MALFORMED: /);
  });

  it('bytes that are not an envelope are ERR_INVALID_ARGUMENT (exit 1)', async () => {
    await writeFile(sb.path('note.txt'), 'hello world\n');
    const r = await sb.cli(['inspect', 'note.txt']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error ERR_INVALID_ARGUMENT: "FILE" expected Blindwire bytes/);
  });
});
