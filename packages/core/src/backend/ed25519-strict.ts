/**
 * Byte-level preconditions of strict Ed25519 verification, shared by every
 * backend so that all of them reach the same decision on every input:
 * - A and R must be canonical encodings (y < p; x = 0 never with the sign bit
 *   set), as RFC 8032 §5.1.3 decoding requires;
 * - A and R must not be one of the 8 small-order points (libsodium's rule);
 * - S must be below the group order L (RFC 8032 §5.1.7).
 * The equation itself is checked cofactorless by each backend.
 * These checks run on public data only and need not be constant-time.
 */

/** The 8 points of order dividing 8, canonical encodings (hex, little-endian y with sign bit). */
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  '0000000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
].map((h) => {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++) b[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return b;
});

/** p = 2^255 - 19, little-endian. */
const P_LE = (() => {
  const b = new Uint8Array(32).fill(0xff);
  b[0] = 0xed;
  b[31] = 0x7f;
  return b;
})();

/** L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
export const L_LE = new Uint8Array([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);

/** a < b for little-endian 32-byte integers (b's top bit is used as is). */
function lessThanLE(a: Uint8Array, b: Uint8Array, maskTopBit: boolean): boolean {
  for (let i = 31; i >= 0; i--) {
    const x = i === 31 && maskTopBit ? a[i]! & 0x7f : a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y;
  }
  return false;
}

function isSmallOrder(p: Uint8Array): boolean {
  outer: for (const s of SMALL_ORDER) {
    for (let i = 0; i < 32; i++) if (p[i] !== s[i]) continue outer;
    return true;
  }
  return false;
}

/** RFC 8032 §5.1.3: y < p, and x = 0 (y = 1 or y = p - 1) never with the sign bit set. */
export function isCanonicalPoint(p: Uint8Array): boolean {
  if (p.length !== 32) return false;
  if (!lessThanLE(p, P_LE, true)) return false;
  if ((p[31]! & 0x80) === 0) return true;
  // Sign bit set: reject y = 1 and y = p - 1, whose x is 0.
  let isOne = p[0] === 1;
  let isPm1 = p[0] === 0xec;
  for (let i = 1; i < 31; i++) {
    if (p[i] !== 0) isOne = false;
    if (p[i] !== 0xff) isPm1 = false;
  }
  if (p[31] !== 0x80) isOne = false;
  if (p[31] !== 0xff) isPm1 = false;
  return !isOne && !isPm1;
}

/** The checks every backend runs before the verification equation. */
export function strictPreconditions(publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const r = signature.subarray(0, 32);
  const s = signature.subarray(32, 64);
  if (!lessThanLE(s, L_LE, false)) return false;
  if (!isCanonicalPoint(publicKey) || !isCanonicalPoint(r)) return false;
  if (isSmallOrder(publicKey) || isSmallOrder(r)) return false;
  return true;
}
