/**
 * bytes.ts `toHex` and `toBase64url` (RFC 4648 §5, no padding) build short
 * outputs from reused arrays of character codes and long ones in pieces:
 * every length, including the boundaries between the two, gives the output
 * of an independent encoder, a reused array never leaks one call's
 * characters into the next, and every reused array is zero after use (some
 * outputs encode private keys).
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { __codeArraysForTest, fromBase64url, fromHex, toBase64url, toHex } from '../src/bytes.js';
import { nodeBackend } from '../src/backend/node.js';
import { exportIdentity, generateIdentity } from '../src/identity/identity.js';
import { ascii } from '../src/wire/header-fast.js';

const bytesOf = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed) & 0xff);

describe('toHex and toBase64url', () => {
  it('match an independent encoder at every length from 0 to 400 bytes', () => {
    for (let n = 0; n <= 400; n++) {
      const b = bytesOf(n, n);
      expect(toHex(b)).toBe(Buffer.from(b).toString('hex'));
      expect(toBase64url(b)).toBe(Buffer.from(b).toString('base64url'));
    }
  });

  it('round-trip any bytes, views included', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(8), (b, off) => {
        const view = b.subarray(Math.min(off, b.length));
        expect(fromHex(toHex(view))).toEqual(view);
        expect(fromBase64url(toBase64url(view))).toEqual(view);
      }),
    );
  });

  it('give a fresh, correct string when called again with other bytes of the same length', () => {
    const a = toBase64url(new Uint8Array(32).fill(0xff));
    const b = toBase64url(new Uint8Array(32));
    expect(a).toBe('_'.repeat(42) + '8');
    expect(b).toBe('A'.repeat(43));
    expect(toHex(new Uint8Array(16).fill(0xab))).toBe('ab'.repeat(16));
  });
});

describe('the reused code arrays', () => {
  it('are all zero after every length is encoded, and after exportIdentity encodes private keys', async () => {
    for (let n = 0; n <= 400; n++) {
      toHex(bytesOf(n, n + 1));
      toBase64url(bytesOf(n, n + 2));
    }
    const identity = await generateIdentity('svc:zeroing', { backend: nodeBackend });
    const json = exportIdentity(identity);
    expect(json.signing.seed).toBe(toBase64url(identity.signing.privateKey)); // 43 characters
    const arrays = __codeArraysForTest().filter((a) => a !== undefined);
    expect(arrays.map((a) => a.length)).toContain(43);
    expect(arrays.length).toBeGreaterThan(90); // every short output length
    for (const a of arrays) expect(a.every((x) => x === 0)).toBe(true);
  });
});

describe('ascii (the fast header and inner-record readers)', () => {
  it('reads an ASCII run in place and refuses any byte above 0x7f', () => {
    const b = Uint8Array.from([0x41, 0x62, 0x2f, 0x7f, 0x80, 0x43]);
    expect(ascii(b, 0, 4)).toBe('Ab/\x7f');
    expect(ascii(b, 1, 2)).toBe('b/');
    expect(ascii(b, 3, 2)).toBeUndefined();
    expect(ascii(b, 0, 0)).toBe('');
  });
});
