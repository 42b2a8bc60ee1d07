/**
 * The plaintext of a sealed HTTP body in message mode: one deterministic CBOR
 * map (SPEC.md §3.1) `{ 1 => bstr body, ? 2 => [* [tstr name, tstr value]] }`.
 * Key 2 holds the sealed headers (the body's own `content-type` and any the
 * caller chose to seal), names lowercase. Streams (SPEC.md §7a) carry the raw
 * body and no sealed headers.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { decodeCbor, encodeCbor, type CborValue } from '@blindwire/core/internal';

/** Bounds of the record's decoding: header count, value size and depth. */
const RECORD_LIMITS = { maxDepth: 4, maxItems: 256, maxStringBytes: 8192 } as const;

/** The sealed part of an HTTP message: the headers that travel inside the envelope, and the body. */
export interface HttpRecord {
  body: Uint8Array;
  headers: [string, string][];
}

/**
 * Encodes the sealed part of an HTTP message (headers and body) as the envelope's payload;
 * `decodeRecord` reverses it.
 */
export function encodeRecord(record: HttpRecord): Uint8Array {
  const map = new Map<number, CborValue>([[1, record.body]]);
  if (record.headers.length > 0)
    map.set(
      2,
      record.headers.map(([n, v]) => [n.toLowerCase(), v]),
    );
  return encodeCbor(map);
}

/**
 * Reads a record the sender signed. A record that does not parse is
 * ERR_ENVELOPE_MALFORMED: the sender (authenticated) wrote a bad body.
 */
export function decodeRecord(bytes: Uint8Array): HttpRecord {
  let v: CborValue;
  try {
    v = decodeCbor(bytes, RECORD_LIMITS);
  } catch (e) {
    throw malformed(e);
  }
  if (!(v instanceof Map)) throw malformed();
  const body = v.get(1);
  const headers = v.get(2) ?? [];
  if (!(body instanceof Uint8Array) || !Array.isArray(headers)) throw malformed();
  for (const k of v.keys()) if (k !== 1 && k !== 2) throw malformed();
  const out: [string, string][] = [];
  for (const h of headers) {
    if (!Array.isArray(h) || h.length !== 2 || typeof h[0] !== 'string' || typeof h[1] !== 'string')
      throw malformed();
    out.push([h[0], h[1]]);
  }
  return { body, headers: out };
}

function malformed(cause?: unknown): BlindwireError {
  return new BlindwireError(
    ErrorCode.EnvelopeMalformed,
    'the sealed HTTP record is not { 1 => body, ? 2 => headers }',
    cause === undefined ? undefined : { cause },
  );
}
