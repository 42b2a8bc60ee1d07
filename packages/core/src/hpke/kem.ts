/**
 * One interface over the implemented KEMs, chosen by KEM id: DHKEM(X25519,
 * HKDF-SHA256) (RFC 9180 §4.1) and X-Wing (draft-ietf-hpke-pq-04 §3). X-Wing
 * is imported on first use, so an application that never uses it never loads
 * ML-KEM (and a bundler puts it in a separate chunk).
 */
import type { CryptoBackend } from '../backend/types.js';
import { wipe } from '../bytes.js';
import { Kem } from './ids.js';
import * as x25519 from './kem-x25519.js';
import { kemParams, type KemParams } from './kem-params.js';
import type { ParsedSender } from './options.js';
import type { KeyPair } from './types.js';
import type * as XWing from './kem-xwing.js';

export interface KemOps {
  readonly params: KemParams;
  generateKeyPair(b: CryptoBackend): Promise<KeyPair>;
  deriveKeyPair(b: CryptoBackend, ikm: Uint8Array): Promise<KeyPair>;
  /** RFC 9180 §4.1 Encap / AuthEncap, with the test-only injected ephemeral or randomness of `p`. */
  encap(b: CryptoBackend, p: ParsedSender): Promise<{ sharedSecret: Uint8Array; enc: Uint8Array }>;
  /** RFC 9180 §4.1 Decap / AuthDecap. */
  decap(
    b: CryptoBackend,
    enc: Uint8Array,
    recipient: KeyPair,
    senderPublicKey?: Uint8Array,
  ): Promise<Uint8Array>;
}

const X25519_OPS: KemOps = {
  params: kemParams(Kem.DhkemX25519HkdfSha256)!,
  generateKeyPair: (b) => x25519.generateKeyPair(b),
  deriveKeyPair: (b, ikm) => x25519.deriveKeyPair(b, ikm),
  async encap(b, p) {
    let ephemeral: KeyPair;
    let ownEphemeral = true;
    if (p.ephemeralKeyPair !== undefined) {
      // Injected for known-answer tests: copy the public half, never wipe the caller's key.
      ephemeral = {
        privateKey: p.ephemeralKeyPair.privateKey,
        publicKey: p.ephemeralKeyPair.publicKey.slice(),
      };
      ownEphemeral = false;
    } else if (p.ikmE !== undefined) {
      ephemeral = await x25519.deriveKeyPair(b, p.ikmE); // RFC 9180 §7.1.3
    } else {
      ephemeral = await x25519.generateKeyPair(b); // RFC 9180 §4.1 Encap: GenerateKeyPair()
    }
    try {
      return await x25519.encap(b, p.recipientPublicKey, ephemeral, p.senderKey); // RFC 9180 §4.1
    } finally {
      if (ownEphemeral) wipe(ephemeral.privateKey);
    }
  },
  decap: (b, enc, recipient, senderPublicKey) => x25519.decap(b, enc, recipient, senderPublicKey),
};

let xwingModule: Promise<typeof XWing> | undefined;
const xwing = () => (xwingModule ??= import('./kem-xwing.js'));

const XWING_OPS: KemOps = {
  params: kemParams(Kem.XWing)!,
  generateKeyPair: async (b) => (await xwing()).generateKeyPair(b),
  deriveKeyPair: async (b, ikm) => (await xwing()).deriveKeyPair(b, ikm), // draft-ietf-hpke-pq-04 §3
  encap: async (b, p) => (await xwing()).encap(b, p.recipientPublicKey, p.ikmE),
  decap: async (b, enc, recipient) => (await xwing()).decap(b, enc, recipient),
};

/** The KEM of an id, or undefined when it is not implemented. */
export function kemOps(id: unknown): KemOps | undefined {
  if (id === Kem.DhkemX25519HkdfSha256) return X25519_OPS;
  if (id === Kem.XWing) return XWING_OPS;
  return undefined;
}
