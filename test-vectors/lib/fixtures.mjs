/**
 * The fixed inputs of the vectors and the determinism behind them: an
 * HMAC-SHA256 DRBG standing in for the backend's randomness, identities from
 * fixed seeds, a fixed clock and context. Nothing here reads a clock or an
 * entropy source.
 */
import { createHash, createHmac } from 'node:crypto';
import {
  encryptionKid,
  generateEncryptionKey,
  pureBackend,
  seal,
  signingKid,
  toHex,
} from '@blindwire/core';
import { concat, utf8 } from '@blindwire/core/internal';

/** Domain separation for every value the generator derives. */
const DOMAIN = 'blindwire/v1 test vectors\0';

/** 2026-11-23T12:00:00Z, in milliseconds. */
export const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
/** NOW in Unix seconds: the issued-at of every honest envelope. */
export const T = NOW / 1000;
export const TTL = 3600;
export const SKEW = 60;
export const CONTEXT = utf8('tool:refund');
export const PAYLOAD = utf8('{"order":"A-1001","amount":"12.50","currency":"EUR"}');

/** SHA-256(DOMAIN || label). */
export function derive(label) {
  return new Uint8Array(
    createHash('sha256')
      .update(utf8(DOMAIN + label))
      .digest(),
  );
}

/**
 * HMAC-SHA256 in counter mode: block i = HMAC-SHA256(seed, u32be(i)) for
 * i = 0, 1, ...; the output is the blocks concatenated, consumed in order.
 */
function drbg(seed) {
  let counter = 0;
  let pool = new Uint8Array(0);
  return (length) => {
    while (pool.length < length) {
      const i = new Uint8Array(4);
      new DataView(i.buffer).setUint32(0, counter++);
      pool = concat(pool, new Uint8Array(createHmac('sha256', seed).update(i).digest()));
    }
    const out = pool.slice(0, length);
    pool = pool.slice(length);
    return out;
  };
}

/**
 * The pure backend with its only sources of randomness (`randomBytes`, used
 * for message ids and multi-recipient message secrets, and X25519 key
 * generation, used for HPKE ephemeral keys) drawn from a DRBG seeded with
 * SHA-256(DOMAIN || "drbg\0" || label).
 */
export function deterministicBackend(label) {
  const random = drbg(derive(`drbg\0${label}`));
  return {
    ...pureBackend,
    name: 'pure+drbg',
    randomBytes: (length) => random(length),
    x25519GenerateKeyPair: async () => {
      const privateKey = random(32);
      return { privateKey, publicKey: await pureBackend.x25519PublicKey(privateKey) };
    },
  };
}

/** X25519 private key = SHA-256(DOMAIN || "key\0" || label || "\0x25519"). */
export async function encryptionKeyFrom(label) {
  const privateKey = derive(`key\0${label}\0x25519`);
  const publicKey = await pureBackend.x25519PublicKey(privateKey);
  return { kid: await encryptionKid(publicKey, { backend: pureBackend }), publicKey, privateKey };
}

/** X-Wing private key (a seed, SPEC.md §5.4) = SHA-256(DOMAIN || "key\0" || label || "\0xwing"). */
export async function xwingKeyFrom(label) {
  const seed = derive(`key\0${label}\0xwing`);
  const backend = { ...pureBackend, randomBytes: () => seed.slice() };
  const k = await generateEncryptionKey({ backend, kem: 'X-Wing' });
  return { kid: k.kid, publicKey: k.publicKey, privateKey: k.privateKey };
}

/** Ed25519 seed = SHA-256(DOMAIN || "key\0" || label || "\0ed25519"). */
async function identityFrom(name, label) {
  const privateKey = derive(`key\0${label}\0ed25519`);
  const publicKey = await pureBackend.ed25519PublicKey(privateKey);
  return {
    name,
    signing: { kid: await signingKid(publicKey, { backend: pureBackend }), publicKey, privateKey },
    encryption: await encryptionKeyFrom(label),
  };
}

/** The identities of the vectors. */
export async function makeCast() {
  return {
    alice: await identityFrom('spiffe://acme.example/agents/planner', 'alice'), // the sender
    bob: await identityFrom('spiffe://acme.example/tools/payments', 'bob'), // the recipient
    carol: await identityFrom('spiffe://acme.example/tools/search', 'carol'),
    dave: await identityFrom('spiffe://acme.example/tools/ledger', 'dave'),
    mallory: await identityFrom('spiffe://evil.example/mallory', 'mallory'),
    // a sender whose stream meta record (SPEC.md §7a.4) is exactly 1024 bytes
    erin: await identityFrom(`spiffe://acme.example/${'e'.repeat(912)}`, 'erin'),
    // a sender whose name is exactly maxStringBytes (1024 bytes, SPEC.md §8)
    frank: await identityFrom(`spiffe://acme.example/${'f'.repeat(1002)}`, 'frank'),
    bobPrevious: await encryptionKeyFrom('bob-previous'), // bob's previous encryption key
    // X-Wing (post-quantum hybrid, SPEC.md §5.4) keys of bob, carol and dave
    bobXWing: await xwingKeyFrom('bob'),
    carolXWing: await xwingKeyFrom('carol'),
    daveXWing: await xwingKeyFrom('dave'),
  };
}

/** The message id of a case: SHA-256(DOMAIN || "message id\0" || label)[0:16]. */
export function messageIdFor(label) {
  return derive(`message id\0${label}`).slice(0, 16);
}

/** An honest envelope from alice to bob through the public `seal`; `extra` overrides any option. */
export async function sealHonest(c, b, messageId, extra = {}, payload = PAYLOAD) {
  const options = {
    sender: c.alice,
    recipients: c.bob.encryption,
    context: CONTEXT,
    now: NOW,
    ttl: TTL,
    messageId,
    backend: b,
    ...extra,
  };
  return (await seal(payload, options)).envelope;
}

/** Expected outcomes. */
export function ok(c, extra = {}) {
  return {
    result: 'success',
    payload: PAYLOAD,
    sender: c.alice.name,
    senderKid: c.alice.signing.kid,
    ...extra,
  };
}

export function fail(code) {
  return { result: 'error', code };
}

/** A key pair as the files write it (test-vectors/README.md). */
export const keyJson = (k) => ({
  kid: k.kid,
  publicKey: toHex(k.publicKey),
  privateKey: toHex(k.privateKey),
});

/** Optional open inputs, in file order. */
export const OPTIONAL = ['maxAge', 'allowedSenders', 'allowedSuites', 'limits', 'seenMessageIds'];
