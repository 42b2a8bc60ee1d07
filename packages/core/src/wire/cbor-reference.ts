/**
 * The reference CBOR encoder (SPEC.md §3.1): cbor-x, configured for
 * deterministic RFC 8949 §4.2 output of the envelope's subset. The hot path uses the
 * small writer in cbor.ts (no dependency in browser bundles); tests check
 * the two byte for byte, and the directory's records are encoded here.
 */
import { Encoder } from 'cbor-x';
import type { CborValue } from './cbor.js';

const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: false,
  tagUint8Array: false,
  variableMapSize: true,
  pack: false,
});

/** cbor-x writes integers past 32 bits as floats; as BigInts they are 64-bit integers (shortest form there). */
function wideInts(v: CborValue): unknown {
  if (typeof v === 'number') return v > 0xffffffff || v < -0x100000000 ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(wideInts);
  if (v instanceof Map) {
    const out = new Map<unknown, unknown>();
    for (const [k, x] of v) out.set(wideInts(k), wideInts(x));
    return out;
  }
  return v;
}

export function encodeCborReference(value: CborValue): Uint8Array {
  const b = encoder.encode(wideInts(value));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
