/**
 * Stream framing (SPEC.md §7a.1, §7a.3): the start (prefix and header byte
 * string) and the chunk records that follow it. Reading them as they arrive
 * is stream/frame-reader.ts.
 */
import { encodeHead, headLength, putHead } from './cbor.js';
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

/**
 * A chunk record of `ciphertextLength` bytes with its flag and head written,
 * and the offset at which the caller writes the ciphertext: the record goes
 * out as one buffer, sealed in place, with no copy and no separate head.
 * `allocate` may return unzeroed memory: every byte before `offset` is
 * written here, and the caller writes every byte from it.
 */
export function allocateRecord(
  final: boolean,
  ciphertextLength: number,
  allocate: (length: number) => Uint8Array = (n) => new Uint8Array(n),
): { out: Uint8Array; offset: number } {
  const out = allocate(1 + headLength(ciphertextLength) + ciphertextLength);
  out[0] = final ? ChunkFlag.Final : ChunkFlag.More;
  return { out, offset: putHead(out, 1, 2, ciphertextLength) };
}
