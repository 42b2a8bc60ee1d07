/**
 * An optional synchronous twin of a backend, for the library's own use: a
 * backend whose primitives are synchronous underneath (node:crypto) registers
 * one, and `seal`/`open` then run their common case without a promise per
 * primitive (the public API stays async). Never part of the public API; a
 * backend without a twin (pure, web, any caller's backend, any wrapper of a
 * registered backend) takes the async path, which gives the same bytes and
 * the same decisions.
 */
import { invalidArgument } from '../errors.js';
import type { AeadAlgorithm } from './types.js';

export interface SyncPrimitives {
  randomBytes(length: number): Uint8Array;
  /**
   * An array of `length` bytes whose contents are unspecified (not zeroed):
   * for outputs whose every byte the caller writes before anyone sees them.
   */
  allocate(length: number): Uint8Array;
  /** SHA-256 of the concatenation of `parts`. */
  sha256(parts: readonly Uint8Array[]): Uint8Array;
  /** HMAC-SHA256 under `key` of the concatenation of `parts` (the key must not be empty). */
  hmacSha256(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array;
  /**
   * A fresh X25519 key pair used once (an HPKE ephemeral key): its public key
   * and X25519(its private key, `publicKey`). The private key never leaves
   * and is not cached. The DH output is as `x25519`'s.
   */
  x25519Ephemeral(publicKey: Uint8Array): { publicKey: Uint8Array; shared: Uint8Array };
  /** As `CryptoBackend.x25519`: may throw or return all zeros for low-order inputs. */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /** As `CryptoBackend.ed25519Verify`: the same strict rules. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** As `CryptoBackend.aeadSealParts`. */
  aeadSealParts(
    alg: AeadAlgorithm,
    key: Uint8Array,
    nonce: Uint8Array,
    parts: readonly Uint8Array[],
    aad: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): void;
  /** As `CryptoBackend.aeadOpen`. */
  aeadOpen(
    alg: AeadAlgorithm,
    key: Uint8Array,
    nonce: Uint8Array,
    ciphertext: Uint8Array,
    aad: Uint8Array,
  ): Uint8Array | undefined;
}

// Made on first use, not at load: backend/node.ts registers its twin while its
// module loads, which in a bundled build (dist chunks) can run before this
// module's own body did, through an import cycle of shared chunks.
let twins: WeakMap<object, SyncPrimitives> | undefined;
function registry(): WeakMap<object, SyncPrimitives> {
  return (twins ??= new WeakMap());
}

/**
 * Registers `sync` as the synchronous twin of `backend` (the very object, not
 * a copy), once: a backend that already has a twin keeps it, and a second
 * registration throws ERR_INVALID_ARGUMENT (no module can replace the node
 * backend's twin).
 */
export function setSyncPrimitives(backend: object, sync: SyncPrimitives): void {
  if (registry().has(backend)) {
    throw invalidArgument(
      'backend',
      'a backend without a synchronous twin',
      'one that already has one',
    );
  }
  registry().set(backend, sync);
}

/** The synchronous twin of `backend`, if it has one. */
export function syncPrimitivesOf(backend: object): SyncPrimitives | undefined {
  return registry().get(backend);
}
