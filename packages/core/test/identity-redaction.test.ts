/**
 * Private keys never print: `console.log`, `util.inspect` (any options) and
 * `JSON.stringify` of an identity, a signing or encryption key or an HPKE key
 * pair show the public half only. The explicit export is the one way out.
 */
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { format, inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { toBase64url, toHex } from '../src/bytes.js';
import { Aead, Kdf, Kem, createSuite } from '../src/hpke/index.js';
import {
  exportIdentity,
  exportPublicIdentity,
  generateEncryptionKey,
  generateIdentity,
  generateSigningKey,
  importIdentity,
} from '../src/identity/identity.js';

/** What `console.log(...values)` writes, through a real Console. */
function consoleLog(...values: unknown[]): string {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      out += chunk.toString();
      done();
    },
  });
  new Console({ stdout: sink, stderr: sink }).log(...values);
  return out;
}

/** Every way a private key's bytes could be written out as text. */
function spellings(privateKey: Uint8Array): string[] {
  return [
    Array.from(privateKey.subarray(0, 8)).join(', '), // util.inspect of a Uint8Array
    Array.from(privateKey.subarray(0, 8)).join(','), // JSON of a Uint8Array ({"0":..}) or arrays
    `"0":${privateKey[0]},"1":${privateKey[1]},"2":${privateKey[2]}`,
    toBase64url(privateKey),
    toHex(privateKey),
    Buffer.from(privateKey).toString('base64'),
  ];
}

/** Every printed form of `holder`. */
function printed(holder: unknown): string[] {
  return [
    inspect(holder),
    inspect(holder, { showHidden: true, depth: Infinity, getters: true }),
    inspect({ nested: [holder] }, { depth: Infinity }),
    format('%o', holder),
    format('%O', holder),
    format('%j', holder),
    format('%s', holder),
    consoleLog(holder),
    consoleLog({ holder }),
    JSON.stringify(holder),
    JSON.stringify({ holder }),
    String(holder),
  ];
}

function expectHidden(holder: unknown, privateKeys: Uint8Array[]): void {
  for (const text of printed(holder)) {
    for (const pk of privateKeys) {
      for (const s of spellings(pk)) expect(text).not.toContain(s);
    }
  }
}

describe('private keys never print', () => {
  it('an identity shows its name, kids and public keys; JSON is its public document', async () => {
    const id = await generateIdentity('spiffe://acme.example/agents/planner');
    expectHidden(id, [id.signing.privateKey, id.encryption.privateKey]);
    expect(JSON.parse(JSON.stringify(id))).toEqual(exportPublicIdentity(id));
    const shown = inspect(id);
    expect(shown).toContain('spiffe://acme.example/agents/planner');
    expect(shown).toContain(id.signing.kid);
    expect(shown).toContain('[private key, not shown]');
  });

  it('signing and encryption keys print their kid and public key only', async () => {
    const sk = await generateSigningKey();
    const ek = await generateEncryptionKey();
    expectHidden(sk, [sk.privateKey]);
    expectHidden(ek, [ek.privateKey]);
    expect(JSON.parse(JSON.stringify(sk))).toEqual({
      kid: sk.kid,
      ed25519: toBase64url(sk.publicKey),
    });
    expect(JSON.parse(JSON.stringify(ek))).toEqual({
      kid: ek.kid,
      x25519: toBase64url(ek.publicKey),
    });
  });

  it('an imported identity hides its keys too; the explicit export still carries them', async () => {
    const id = await generateIdentity('spiffe://acme.example/tools/payments');
    const json = exportIdentity(id);
    expect(json.signing.seed).toBe(toBase64url(id.signing.privateKey));
    const again = await importIdentity(JSON.parse(JSON.stringify(json)));
    expectHidden(again, [id.signing.privateKey, id.encryption.privateKey]);
    expect(again.signing.privateKey).toEqual(id.signing.privateKey);
  });

  it('HPKE key pairs (generated or derived) print their public key only', async () => {
    const suite = createSuite({
      kem: Kem.DhkemX25519HkdfSha256,
      kdf: Kdf.HkdfSha256,
      aead: Aead.Aes128Gcm,
    });
    const kp = await suite.generateKeyPair();
    const derived = await suite.deriveKeyPair(new Uint8Array(32).fill(7));
    expectHidden(kp, [kp.privateKey]);
    expectHidden(derived, [derived.privateKey]);
    expect(JSON.parse(JSON.stringify(kp))).toEqual({ publicKey: toBase64url(kp.publicKey) });
  });

  it('the data is still there for code: fields, spreading and structuredClone', async () => {
    const id = await generateIdentity('spiffe://acme.example/agents/planner');
    expect(id.signing.privateKey).toHaveLength(32);
    expect(Object.keys(id)).toEqual(['name', 'signing', 'encryption']);
    expect(Object.keys(id.signing)).toEqual(['kid', 'publicKey', 'privateKey']);
    expect({ ...id.encryption }.privateKey).toBe(id.encryption.privateKey);
    const copy = structuredClone(id);
    expect(copy.signing.privateKey).toEqual(id.signing.privateKey);
  });
});
