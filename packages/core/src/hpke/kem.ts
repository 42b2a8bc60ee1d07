/**
 * One interface over the implemented KEMs, chosen by KEM id: DHKEM(X25519,
 * HKDF-SHA256) (RFC 9180 §4.1) and X-Wing (draft-ietf-hpke-pq-04 §3).
 *
 * X-Wing is opt-in: nothing here imports it, so a single-file browser bundle
 * of `seal`/`open` holds no ML-KEM and no SHA-3. It is registered by the
 * `@blindwire/core/xwing` entry (statically, for browsers) or by the Node
 * entry points (the `node` export condition, loaded on first use). Until it
 * is registered every X-Wing operation fails closed with
 * ERR_UNSUPPORTED_SUITE naming that import, never a downgrade to X25519.
 */
import type { CryptoBackend } from '../backend/types.js';
import { wipe } from '../bytes.js';
import { BlindwireError, ErrorCode } from '../errors.js';
import { Kem } from './ids.js';
import * as x25519 from './kem-x25519.js';
import { kemParams, type KemParams } from './kem-params.js';
import type { ParsedSender } from './options.js';
import type { KeyPair } from './types.js';
import type { XWingModule } from './xwing-module.js';

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

let loadXWing: (() => Promise<XWingModule>) | undefined;
let xwingModule: Promise<XWingModule> | undefined;

/**
 * Registers the X-Wing implementation (idempotent: the first loader stays).
 * Called by the `@blindwire/core/xwing` entry and by the Node entry points.
 */
export function registerXWing(load: () => Promise<XWingModule>): void {
  loadXWing ??= load;
}

/**
 * Whether the X-Wing KEM (SPEC.md §5.4) is enabled in this process or page:
 * true under Node's entry points and after `import '@blindwire/core/xwing'`,
 * false in a bundle without that import, where every X-Wing operation throws
 * ERR_UNSUPPORTED_SUITE. Asking loads no ML-KEM code.
 */
export function isXWingEnabled(): boolean {
  return loadXWing !== undefined;
}

/** The refusal of an X-Wing operation before `@blindwire/core/xwing` is imported. */
export function xwingNotEnabled(): BlindwireError {
  return new BlindwireError(
    ErrorCode.UnsupportedSuite,
    'the X-Wing KEM (0x647a, post-quantum hybrid) is not enabled in this build: ' +
      "import '@blindwire/core/xwing' once (browsers and bundles; Node enables it by default)",
  );
}

/** The X-Wing implementation, loaded once; ERR_UNSUPPORTED_SUITE when it is not registered. */
export function xwing(): Promise<XWingModule> {
  if (loadXWing === undefined) return Promise.reject(xwingNotEnabled());
  return (xwingModule ??= loadXWing());
}

const XWING_OPS: KemOps = {
  params: kemParams(Kem.XWing)!,
  generateKeyPair: async (b) => (await xwing()).kem.generateKeyPair(b),
  deriveKeyPair: async (b, ikm) => (await xwing()).kem.deriveKeyPair(b, ikm), // draft-ietf-hpke-pq-04 §3
  encap: async (b, p) => (await xwing()).kem.encap(b, p.recipientPublicKey, p.ikmE),
  decap: async (b, enc, recipient) => (await xwing()).kem.decap(b, enc, recipient),
};

/**
 * The KEM of an id, or undefined when it is not implemented. X-Wing before it
 * is registered throws ERR_UNSUPPORTED_SUITE (which import enables it).
 */
export function kemOps(id: unknown): KemOps | undefined {
  if (id === Kem.DhkemX25519HkdfSha256) return X25519_OPS;
  if (id === Kem.XWing) {
    if (loadXWing === undefined) throw xwingNotEnabled();
    return XWING_OPS;
  }
  return undefined;
}
