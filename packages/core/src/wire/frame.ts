/**
 * Envelope framing (SPEC.md §3): the prefix (wire/kinds.ts), then the protected
 * header and the ciphertext as two CBOR byte strings. Parsing returns views
 * into the input; nothing is re-encoded, so the header is authenticated
 * exactly as transmitted.
 */
import { BlindwireError, ErrorCode } from '../errors.js';
import type { Limits } from '../limits.js';
import { headLength, putHead, readHead } from './cbor.js';
import { MAGIC_0, MAGIC_1, PREFIX_LENGTH, VERSION, type Kind, type StateKind } from './kinds.js';

export interface Frame {
  /** An envelope's kind, or a kept state's (SPEC.md §11a: the same framing). */
  kind: Kind | StateKind;
  /** The 4-byte prefix: magic, version, kind. */
  prefix: Uint8Array;
  /** The protected header bytes exactly as transmitted (a CBOR map). */
  header: Uint8Array;
  /** The AEAD ciphertext (body and tag). */
  ciphertext: Uint8Array;
}

function malformed(what: string): BlindwireError {
  return new BlindwireError(ErrorCode.EnvelopeMalformed, `malformed envelope: ${what}`);
}

/** SPEC.md §7 steps 1-4. */
export function parseFrame(
  envelope: Uint8Array,
  expected: Kind | StateKind,
  limits: Limits,
): Frame {
  if (!(envelope instanceof Uint8Array)) throw malformed('expected a Uint8Array');
  if (envelope.length > limits.maxEnvelopeBytes) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `envelope of ${envelope.length} bytes exceeds maxEnvelopeBytes ${limits.maxEnvelopeBytes}`,
    );
  }
  if (envelope.length < PREFIX_LENGTH) throw malformed('truncated');
  if (envelope[0] !== MAGIC_0 || envelope[1] !== MAGIC_1) throw malformed('bad magic');
  if (envelope[2] !== VERSION) {
    throw new BlindwireError(
      ErrorCode.UnsupportedVersion,
      `unsupported envelope version ${envelope[2]}`,
    );
  }
  if (envelope[3] !== expected) {
    throw malformed(`expected kind ${expected}, got ${envelope[3]}`);
  }
  let off = PREFIX_LENGTH;
  const [hm, hlen, hhl] = readHead(envelope, off);
  if (hm !== 2) throw malformed('header must be a byte string');
  if (hlen > limits.maxHeaderBytes) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `header of ${hlen} bytes exceeds maxHeaderBytes ${limits.maxHeaderBytes}`,
    );
  }
  off += hhl;
  if (hlen > envelope.length - off) throw malformed('truncated');
  const header = envelope.subarray(off, off + hlen);
  off += hlen;
  const [cm, clen, chl] = readHead(envelope, off);
  if (cm !== 2) throw malformed('ciphertext must be a byte string');
  off += chl;
  if (clen > envelope.length - off) throw malformed('truncated');
  if (clen !== envelope.length - off) throw malformed('trailing bytes');
  const ciphertext = envelope.subarray(off);
  return { kind: expected, prefix: envelope.subarray(0, PREFIX_LENGTH), header, ciphertext };
}

/**
 * The frame of `kind` around `header`, with room for a ciphertext of
 * `ciphertextLength` bytes at `offset` (written there by the caller).
 * `allocate` may return unzeroed memory: every byte before `offset` is
 * written here, and the caller writes every byte from it.
 */
export function allocateFrame(
  kind: Kind | StateKind,
  header: Uint8Array,
  ciphertextLength: number,
  allocate: (length: number) => Uint8Array = (n) => new Uint8Array(n),
): { out: Uint8Array; offset: number } {
  const out = allocate(frameLength(header, ciphertextLength));
  out[0] = MAGIC_0; // the prefix (SPEC.md §3), written in place
  out[1] = MAGIC_1;
  out[2] = VERSION;
  out[3] = kind;
  let off = putHead(out, PREFIX_LENGTH, 2, header.length);
  out.set(header, off);
  off = putHead(out, off + header.length, 2, ciphertextLength);
  return { out, offset: off };
}

/** The length of the frame `allocateFrame` would make. */
export function frameLength(header: Uint8Array, ciphertextLength: number): number {
  return (
    PREFIX_LENGTH +
    headLength(header.length) +
    header.length +
    headLength(ciphertextLength) +
    ciphertextLength
  );
}

/** Frames a header and a ciphertext, copying each once. */
export function writeFrame(
  kind: Kind | StateKind,
  header: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array {
  const { out, offset } = allocateFrame(kind, header, ciphertext.length);
  out.set(ciphertext, offset);
  return out;
}
