/**
 * Secure random bytes from `crypto.getRandomValues` (every runtime Blindwire
 * supports has it), in 64 KiB calls: WebCrypto §10.1.1 caps one call at
 * 65536 bytes, and so does @noble's `randomBytes`.
 */
const RANDOM_CHUNK = 65536;

export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let off = 0; off < length; off += RANDOM_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(off, Math.min(length, off + RANDOM_CHUNK)));
  }
  return out;
}
