/**
 * The protected header of a message (SPEC.md §4.1) and of a response
 * (SPEC.md §6.2): its fields, deterministic encoding, and the strict
 * validation that runs before any cryptography (SPEC.md §7 step 5).
 */
import { BlindwireError, ErrorCode } from '../errors.js';
import type { Limits } from '../limits.js';
import { decodeCbor, encodeCbor, type CborLimits, type CborMap, type CborValue } from './cbor.js';
import { encLengthOf } from '../hpke/kem-params.js';

/** Header map keys (SPEC.md §4.1). */
export const HeaderKey = {
  Suite: 1,
  Recipients: 2,
  MessageId: 3,
  IssuedAt: 4,
  ExpiresAt: 5,
  ContentType: 6,
  ContextCheck: 7,
  Commitment: 8,
  Claims: 9,
  RequestId: 10,
  Responder: 11,
  /** Streams only (SPEC.md §7a.1): plaintext bytes per chunk. */
  ChunkSize: 12,
} as const;

export const MESSAGE_ID_LENGTH = 16;
export const CONTEXT_CHECK_LENGTH = 16;
export const COMMITMENT_LENGTH = 32;
export const ENC_LENGTH = 32;
export const MAX_KID_LENGTH = 64;
/** 2^32 - 1: timestamps are unsigned 32-bit seconds (until 2106). */
export const MAX_TIME = 0xffffffff;

export type ClaimValue = string | number;

export interface SuiteIds {
  kem: number;
  kdf: number;
  aead: number;
}

export interface RecipientEntry {
  kid: Uint8Array;
  enc: Uint8Array;
  /** The message secret sealed to this recipient; present iff there are several recipients. */
  wrapped?: Uint8Array;
}

export interface MessageHeader {
  suite: SuiteIds;
  recipients: RecipientEntry[];
  messageId: Uint8Array;
  issuedAt: number;
  expiresAt: number;
  contentType?: string;
  contextCheck: Uint8Array;
  commitment: Uint8Array;
  claims?: Map<string, ClaimValue>;
}

/** The header of a stream (SPEC.md §7a.1): a message header plus the chunk size. */
export interface StreamHeader extends MessageHeader {
  chunkSize: number;
}

/** Streams: the smallest chunk size a header may name (SPEC.md §7a.1). */
export const MIN_CHUNK_SIZE = 1024;

export interface ResponseHeader {
  suite: SuiteIds;
  messageId: Uint8Array;
  issuedAt: number;
  expiresAt: number;
  contentType?: string;
  requestId: Uint8Array;
  responder: Uint8Array;
}

function malformed(what: string): BlindwireError {
  return new BlindwireError(ErrorCode.EnvelopeMalformed, `malformed header: ${what}`);
}

/** RFC 8949 §4.2.1 order for text keys: shorter first, then bytewise. */
function compareTextKeys(a: string, b: string): number {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  if (ea.length !== eb.length) return ea.length - eb.length;
  for (let i = 0; i < ea.length; i++) if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
  return 0;
}

function suiteArray(s: SuiteIds): number[] {
  return [s.kem, s.kdf, s.aead];
}

export function encodeMessageHeader(h: MessageHeader): Uint8Array {
  return encodeCbor(messageMap(h));
}

/** The message header as a CBOR map in ascending key order (SPEC.md §4.1). */
function messageMap(h: MessageHeader): CborMap {
  const m: CborMap = new Map();
  m.set(HeaderKey.Suite, suiteArray(h.suite));
  m.set(
    HeaderKey.Recipients,
    h.recipients.map((r) => (r.wrapped ? [r.kid, r.enc, r.wrapped] : [r.kid, r.enc])),
  );
  m.set(HeaderKey.MessageId, h.messageId);
  m.set(HeaderKey.IssuedAt, h.issuedAt);
  m.set(HeaderKey.ExpiresAt, h.expiresAt);
  if (h.contentType !== undefined) m.set(HeaderKey.ContentType, h.contentType);
  m.set(HeaderKey.ContextCheck, h.contextCheck);
  m.set(HeaderKey.Commitment, h.commitment);
  if (h.claims && h.claims.size > 0) {
    const keys = [...h.claims.keys()].sort(compareTextKeys);
    m.set(HeaderKey.Claims, new Map(keys.map((k) => [k, h.claims!.get(k)!])));
  }
  return m;
}

/** SPEC.md §7a.1: the message header's fields, then the chunk size (key 12). */
export function encodeStreamHeader(h: StreamHeader): Uint8Array {
  const m = messageMap(h);
  m.set(HeaderKey.ChunkSize, h.chunkSize);
  return encodeCbor(m);
}

export function encodeResponseHeader(h: ResponseHeader): Uint8Array {
  const m: CborMap = new Map();
  m.set(HeaderKey.Suite, suiteArray(h.suite));
  m.set(HeaderKey.MessageId, h.messageId);
  m.set(HeaderKey.IssuedAt, h.issuedAt);
  m.set(HeaderKey.ExpiresAt, h.expiresAt);
  if (h.contentType !== undefined) m.set(HeaderKey.ContentType, h.contentType);
  m.set(HeaderKey.RequestId, h.requestId);
  m.set(HeaderKey.Responder, h.responder);
  return encodeCbor(m);
}

/**
 * SPEC.md §3.1, §8: what a header is decoded under, and inner records too
 * (§4.2, §7a.4): the depth, the entries of any one container (the larger of
 * maxHeaderFields and maxRecipients) and the bytes of any text string.
 */
export function cborLimitsOf(limits: Limits): CborLimits {
  return {
    maxDepth: limits.maxCborDepth,
    maxItems: Math.max(limits.maxHeaderFields, limits.maxRecipients),
    maxStringBytes: limits.maxStringBytes,
  };
}

function decodeMap(bytes: Uint8Array, limits: Limits): CborMap {
  const v = decodeCbor(bytes, cborLimitsOf(limits));
  if (!(v instanceof Map)) throw malformed('not a map');
  if (v.size > limits.maxHeaderFields) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `header has more than ${limits.maxHeaderFields} fields`,
    );
  }
  return v;
}

/** A byte string of `min` to `max` bytes (exactly `min` when `max` is left out). */
export function bytesField(
  v: CborValue | undefined,
  name: string,
  min: number,
  max = min,
): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length < min || v.length > max) {
    throw malformed(`${name} must be ${min === max ? min : `${min}..${max}`} bytes`);
  }
  return v;
}

function uintField(v: CborValue | undefined, name: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw malformed(`${name} must be an unsigned integer up to ${max}`);
  }
  return v;
}

function textField(v: CborValue | undefined, name: string): string {
  if (typeof v !== 'string' || v.length === 0)
    throw malformed(`${name} must be a non-empty text string`);
  return v;
}

export function suiteField(v: CborValue | undefined): SuiteIds {
  if (!Array.isArray(v) || v.length !== 3) throw malformed('suite must be [kem, kdf, aead]');
  return {
    kem: uintField(v[0], 'suite.kem', 0xffff),
    kdf: uintField(v[1], 'suite.kdf', 0xffff),
    aead: uintField(v[2], 'suite.aead', 0xffff),
  };
}

export function checkKeys(m: CborMap, allowed: readonly number[]): void {
  for (const k of m.keys()) {
    if (typeof k !== 'number' || !allowed.includes(k))
      throw malformed(`unknown field ${String(k)}`);
  }
}

export function times(m: CborMap): { issuedAt: number; expiresAt: number } {
  const issuedAt = uintField(m.get(HeaderKey.IssuedAt), 'issued-at', MAX_TIME);
  const expiresAt = uintField(m.get(HeaderKey.ExpiresAt), 'expires-at', MAX_TIME);
  if (expiresAt < issuedAt) throw malformed('expires-at is before issued-at');
  return { issuedAt, expiresAt };
}

const MESSAGE_KEYS = [1, 2, 3, 4, 5, 6, 7, 8, 9] as const;
const RESPONSE_KEYS = [1, 3, 4, 5, 6, 10, 11] as const;
const STREAM_KEYS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12] as const;

/** SPEC.md §7 step 5: strict decoding and validation of a message header. */
export function decodeMessageHeader(bytes: Uint8Array, limits: Limits): MessageHeader {
  const m = decodeMap(bytes, limits);
  checkKeys(m, MESSAGE_KEYS);
  return messageFields(m, limits);
}

/**
 * SPEC.md §7a.5 step 4: a stream header is a message header (same rules) with
 * a required chunk size of at least MIN_CHUNK_SIZE. Its upper bound is the
 * caller's `maxChunkBytes`, checked by the caller (ERR_LIMIT_EXCEEDED).
 */
export function decodeStreamHeader(bytes: Uint8Array, limits: Limits): StreamHeader {
  const m = decodeMap(bytes, limits);
  checkKeys(m, STREAM_KEYS);
  const header = messageFields(m, limits);
  const chunkSize = uintField(m.get(HeaderKey.ChunkSize), 'chunk size', Number.MAX_SAFE_INTEGER);
  if (chunkSize < MIN_CHUNK_SIZE) throw malformed(`chunk size must be at least ${MIN_CHUNK_SIZE}`);
  return { ...header, chunkSize };
}

/** The fields of §4.1 from a decoded map whose keys were checked. */
function messageFields(m: CborMap, limits: Limits): MessageHeader {
  const suite = suiteField(m.get(HeaderKey.Suite));
  const rv = m.get(HeaderKey.Recipients);
  if (!Array.isArray(rv) || rv.length === 0)
    throw malformed('recipients must be a non-empty array');
  if (rv.length > limits.maxRecipients) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `more than ${limits.maxRecipients} recipients`,
    );
  }
  const multi = rv.length > 1;
  const recipients = rv.map((e): RecipientEntry => {
    if (!Array.isArray(e) || e.length !== (multi ? 3 : 2)) {
      throw malformed(
        multi ? 'recipient must be [kid, enc, wrapped]' : 'recipient must be [kid, enc]',
      );
    }
    const kid = bytesField(e[0], 'kid', 1, MAX_KID_LENGTH);
    const enc = bytesField(e[1], 'enc', encLengthOf(suite.kem)); // SPEC.md §4.1: Nenc of the suite's KEM
    if (!multi) return { kid, enc };
    return { kid, enc, wrapped: bytesField(e[2], 'wrapped key', 1, 256) };
  });
  const header: MessageHeader = {
    suite,
    recipients,
    messageId: bytesField(m.get(HeaderKey.MessageId), 'message id', MESSAGE_ID_LENGTH),
    ...times(m),
    contextCheck: bytesField(m.get(HeaderKey.ContextCheck), 'context check', CONTEXT_CHECK_LENGTH),
    commitment: bytesField(m.get(HeaderKey.Commitment), 'commitment', COMMITMENT_LENGTH),
  };
  if (m.has(HeaderKey.ContentType))
    header.contentType = textField(m.get(HeaderKey.ContentType), 'content type');
  if (m.has(HeaderKey.Claims)) {
    const cv = m.get(HeaderKey.Claims);
    if (!(cv instanceof Map) || cv.size === 0) throw malformed('claims must be a non-empty map');
    if (cv.size > limits.maxHeaderFields) {
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `more than ${limits.maxHeaderFields} claims`,
      );
    }
    const claims = new Map<string, ClaimValue>();
    for (const [k, v] of cv) {
      if (typeof k !== 'string' || k.length === 0)
        throw malformed('claim names must be non-empty text');
      if (typeof v !== 'string' && typeof v !== 'number')
        throw malformed('claim values must be text or integers');
      claims.set(k, v);
    }
    header.claims = claims;
  }
  const seen = new Set<string>();
  for (const r of recipients) {
    const key = r.kid.join(',');
    if (seen.has(key)) throw malformed('duplicate recipient kid');
    seen.add(key);
  }
  return header;
}

/** SPEC.md §6.3: strict decoding and validation of a response header. */
export function decodeResponseHeader(bytes: Uint8Array, limits: Limits): ResponseHeader {
  const m = decodeMap(bytes, limits);
  checkKeys(m, RESPONSE_KEYS);
  const header: ResponseHeader = {
    suite: suiteField(m.get(HeaderKey.Suite)),
    messageId: bytesField(m.get(HeaderKey.MessageId), 'message id', MESSAGE_ID_LENGTH),
    ...times(m),
    requestId: bytesField(m.get(HeaderKey.RequestId), 'request id', MESSAGE_ID_LENGTH),
    responder: bytesField(m.get(HeaderKey.Responder), 'responder kid', 1, MAX_KID_LENGTH),
  };
  if (m.has(HeaderKey.ContentType))
    header.contentType = textField(m.get(HeaderKey.ContentType), 'content type');
  return header;
}
