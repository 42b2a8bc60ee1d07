/**
 * Every cryptographic primitive the directory uses, in one place, and where
 * each comes from. No other directory module imports `@noble/*` or
 * `node:crypto`.
 *
 * - Ed25519 signing and verification of records (SPEC.md §11.1, §11.2) and
 *   the key thumbprints (kids, SPEC.md §10.1) go through core's
 *   `CryptoBackend` (`getDefaultBackend()` or the caller's `backend` option), as
 *   everywhere in Blindwire; this module adds nothing for them.
 * - SHA-256 for record ids (`recordId`, SPEC.md §11.5) and HTTP ETags comes
 *   from @noble/hashes: those are synchronous APIs, and core's backend hashes
 *   asynchronously.
 * - scrypt (RFC 7914) and XChaCha20-Poly1305 seal the private key store
 *   at rest (`keys/key-sealing.ts`): core's backend has no password KDF and
 *   no extended-nonce AEAD, so they come from @noble/hashes and
 *   @noble/ciphers, with random salts and nonces from @noble's CSPRNG
 *   (`crypto.getRandomValues`).
 * - Random temporary file names (`files/atomic-write.ts`) use that same CSPRNG.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';

export { randomBytes, scryptAsync, sha256, xchacha20poly1305 };

/** `n` random bytes as lowercase hex (2n characters). */
export function randomHex(n: number): string {
  let s = '';
  for (const x of randomBytes(n)) s += x.toString(16).padStart(2, '0');
  return s;
}
