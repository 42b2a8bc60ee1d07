/**
 * The bytes of an exported response state (SPEC.md §11a): the prefix with
 * kind 0x20, a public header (the request's suite, times and message id, the
 * kid of the key the state is sealed to, the HPKE `enc`) and, sealed under
 * HPKE to that key, the state body (each recipient's kid and response secret,
 * the responses accepted so far). Encoding and strict decoding only; the
 * sealing is in envelope/response-state.ts.
 */
import { BlindwireError, ErrorCode, openFailed } from '../errors.js';
import type { Limits } from '../limits.js';
import { decodeCbor, encodeCbor, type CborMap, type CborValue } from './cbor.js';
import {
  ENC_LENGTH,
  MAX_KID_LENGTH,
  MESSAGE_ID_LENGTH,
  bytesField,
  checkKeys,
  cborLimitsOf,
  suiteField,
  times,
  type SuiteIds,
} from './header.js';
import { SECRET_LENGTH } from './keys.js';

/** The header keys of an exported state (SPEC.md §11a); 1, 4, 5 and 10 mean what they mean in §4.1 and §6.2. */
export const StateHeaderKey = {
  Suite: 1,
  IssuedAt: 4,
  ExpiresAt: 5,
  RequestId: 10,
  Kid: 13,
  Enc: 14,
} as const;

/** The keys of the state body (SPEC.md §11a.1). */
export const StateBodyKey = { Responders: 1, Accepted: 2 } as const;

/** SPEC.md §11a: at most this many accepted responses travel in one state. */
export const MAX_ACCEPTED_RESPONSES = 4096;

/** The HPKE info of the state's sealing (SPEC.md §11a). */
export const STATE_INFO_LABEL = 'blindwire/v1 response state';

export interface StateHeader {
  suite: SuiteIds;
  issuedAt: number;
  expiresAt: number;
  requestId: Uint8Array;
  /** The kid of the requester's key the state is sealed to. */
  kid: Uint8Array;
  enc: Uint8Array;
}

export interface StateBody {
  /** Each recipient entry of the request, in header order: its kid and `rs_i`. */
  responders: { kid: Uint8Array; responseSecret: Uint8Array }[];
  /** The accepted (responder kid, response id) pairs (SPEC.md §6.3 step 8). */
  accepted: { kid: Uint8Array; responseId: Uint8Array }[];
}

const HEADER_KEYS = Object.values(StateHeaderKey);

/** Bytewise (lexicographic) order; a proper prefix sorts first. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function encodeStateHeader(h: StateHeader): Uint8Array {
  const m: CborMap = new Map();
  m.set(StateHeaderKey.Suite, [h.suite.kem, h.suite.kdf, h.suite.aead]);
  m.set(StateHeaderKey.IssuedAt, h.issuedAt);
  m.set(StateHeaderKey.ExpiresAt, h.expiresAt);
  m.set(StateHeaderKey.RequestId, h.requestId);
  m.set(StateHeaderKey.Kid, h.kid);
  m.set(StateHeaderKey.Enc, h.enc);
  return encodeCbor(m);
}

/** SPEC.md §11a.3 step 2: the header under §3.1 and §8, every key present, no other. */
export function decodeStateHeader(bytes: Uint8Array, limits: Limits): StateHeader {
  const m = decodeCbor(bytes, cborLimitsOf(limits));
  if (!(m instanceof Map)) {
    throw new BlindwireError(ErrorCode.EnvelopeMalformed, 'malformed header: not a map');
  }
  checkKeys(m, HEADER_KEYS);
  for (const k of HEADER_KEYS) {
    if (!m.has(k))
      throw new BlindwireError(ErrorCode.EnvelopeMalformed, `malformed header: no field ${k}`);
  }
  return {
    suite: suiteField(m.get(StateHeaderKey.Suite)),
    ...times(m),
    requestId: bytesField(m.get(StateHeaderKey.RequestId), 'request id', MESSAGE_ID_LENGTH),
    kid: bytesField(m.get(StateHeaderKey.Kid), 'kid', 1, MAX_KID_LENGTH),
    enc: bytesField(m.get(StateHeaderKey.Enc), 'enc', ENC_LENGTH),
  };
}

export function encodeStateBody(b: StateBody): Uint8Array {
  const m: CborMap = new Map();
  m.set(
    StateBodyKey.Responders,
    b.responders.map((r) => [r.kid, r.responseSecret]),
  );
  // SPEC.md §11a: the pairs in ascending bytewise order of their CBOR encodings.
  const accepted = b.accepted
    .map((a) => ({ pair: [a.kid, a.responseId], encoded: encodeCbor([a.kid, a.responseId]) }))
    .sort((x, y) => compareBytes(x.encoded, y.encoded))
    .map((x) => x.pair);
  m.set(StateBodyKey.Accepted, accepted);
  return encodeCbor(m);
}

/**
 * SPEC.md §11a.3 step 7: the decrypted body, strictly. Any defect is
 * ERR_OPEN_FAILED, as for every authenticated plaintext (SPEC.md §8).
 */
export function decodeStateBody(plaintext: Uint8Array, limits: Limits): StateBody {
  try {
    const m = decodeCbor(plaintext, {
      maxDepth: limits.maxCborDepth,
      maxItems: Math.max(limits.maxRecipients, MAX_ACCEPTED_RESPONSES),
      maxStringBytes: limits.maxStringBytes,
    });
    if (!(m instanceof Map) || m.size !== 2) throw openFailed();
    const rv = m.get(StateBodyKey.Responders);
    const av = m.get(StateBodyKey.Accepted);
    if (!Array.isArray(rv) || rv.length === 0 || rv.length > limits.maxRecipients)
      throw openFailed();
    if (!Array.isArray(av) || av.length > MAX_ACCEPTED_RESPONSES) throw openFailed();
    const responders = rv.map((e) => {
      const [kid, responseSecret] = pairOf(e, MAX_KID_LENGTH, SECRET_LENGTH);
      return { kid, responseSecret };
    });
    const known = new Set(responders.map((r) => r.kid.join(',')));
    if (known.size !== responders.length) throw openFailed();
    let previous: Uint8Array | undefined;
    const accepted = av.map((e) => {
      const [kid, responseId] = pairOf(e, MAX_KID_LENGTH, MESSAGE_ID_LENGTH);
      if (!known.has(kid.join(','))) throw openFailed();
      const encoded = encodeCbor([kid, responseId]);
      if (previous !== undefined && compareBytes(previous, encoded) >= 0) throw openFailed();
      previous = encoded;
      return { kid, responseId };
    });
    return { responders, accepted };
  } catch {
    throw openFailed();
  }
}

/** `[kid, bstr .size n]` with a kid of 1 to `maxKid` bytes. */
function pairOf(e: CborValue, maxKid: number, size: number): [Uint8Array, Uint8Array] {
  if (!Array.isArray(e) || e.length !== 2) throw openFailed();
  const [kid, value] = e;
  if (!(kid instanceof Uint8Array) || kid.length < 1 || kid.length > maxKid) throw openFailed();
  if (!(value instanceof Uint8Array) || value.length !== size) throw openFailed();
  return [kid, value];
}
