/**
 * Stream framing (SPEC.md §7a.1, §7a.3): the start (prefix and header byte
 * string) and the chunk records that follow it. Reading them as they arrive
 * is stream/frame-reader.ts.
 */
import { encodeHead } from './cbor.js';
import { PREFIX_LENGTH, prefixFor, Kind } from './kinds.js';

/** The flag byte before each chunk record; also the nonce's last byte. */
export const ChunkFlag = {
  /** More chunks follow. */
  More: 0x00, // 0x00
  /** The last chunk: it carries the signature. */
  Final: 0x01, // 0x01
} as const;

/** The prefix and the header byte string (SPEC.md §7a.1). */
export function encodeStreamStart(header: Uint8Array): Uint8Array {
  const hh = encodeHead(2, header.length);
  const out = new Uint8Array(PREFIX_LENGTH + hh.length + header.length);
  out.set(prefixFor(Kind.Stream), 0);
  out.set(hh, PREFIX_LENGTH);
  out.set(header, PREFIX_LENGTH + hh.length);
  return out;
}

/** The flag and the byte-string head of a chunk record of `length` ciphertext bytes. */
export function recordHead(final: boolean, length: number): Uint8Array {
  const head = encodeHead(2, length);
  const out = new Uint8Array(1 + head.length);
  out[0] = final ? ChunkFlag.Final : ChunkFlag.More;
  out.set(head, 1);
  return out;
}

/** One chunk record: the flag, then the ciphertext as a CBOR byte string. */
export function encodeRecord(final: boolean, ciphertext: Uint8Array): Uint8Array {
  const head = encodeHead(2, ciphertext.length);
  const out = new Uint8Array(1 + head.length + ciphertext.length);
  out[0] = final ? ChunkFlag.Final : ChunkFlag.More;
  out.set(head, 1);
  out.set(ciphertext, 1 + head.length);
  return out;
}
