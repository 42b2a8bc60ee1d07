/**
 * The NATS carrier (SPEC.md §11c): pure and synchronous. It turns envelope
 * bytes into a NATS message's data and hint headers and back. The envelope
 * travels whole in the data. The headers hold hints only: the media type,
 * the message id (`Nats-Msg-Id` for JetStream dedup, `bw-message-id`), the
 * request id of a response, and the reason on a dead-letter copy. A receiver
 * never trusts a hint; the opened envelope decides. Header names are read
 * case-insensitively, and data may be a Uint8Array, a Buffer or a string.
 */
import { BlindwireError, CarrierHeader, ErrorCode, MediaType, mediaTypeOf } from '@blindwire/core';

/** JetStream's deduplication header (the server's name for it). */
export const NATS_MSG_ID = 'Nats-Msg-Id';

/** What the carrier reads of a message's headers: nats.js `MsgHdrs`, a Map, a record or pairs. */
export type HeadersLike =
  | { keys(): string[]; get(k: string): string }
  | ReadonlyMap<string, string | readonly string[]>
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | Iterable<readonly [string, string | readonly string[]]>;

/** Hint headers to write: name -> value, in this order. */
export type Hints = Record<string, string>;

const encoder = new TextEncoder();

/** The bytes of NATS message data as nats.js or a user hands it over (a Buffer is a Uint8Array). */
export function dataBytes(data: Uint8Array | string | ArrayBuffer | null | undefined): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data === null || data === undefined) return new Uint8Array(0);
  throw new BlindwireError(ErrorCode.InvalidArgument, '"data" expected bytes or a string');
}

function first(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

/**
 * The value of header `name`, compared case-insensitively, or undefined.
 * A hint: the caller must not act on it before the envelope opened.
 */
export function readHint(h: HeadersLike | null | undefined, name: string): string | undefined {
  if (h === null || h === undefined || typeof h !== 'object') return undefined;
  const want = name.toLowerCase();
  const msgHdrs = h as { keys?: unknown; get?: unknown };
  if (
    typeof msgHdrs.keys === 'function' &&
    typeof msgHdrs.get === 'function' &&
    !(h instanceof Map)
  ) {
    const m = h as { keys(): string[]; get(k: string): string };
    for (const k of m.keys()) if (k.toLowerCase() === want) return first(m.get(k));
    return undefined;
  }
  const pairs: Iterable<readonly [string, unknown]> =
    h instanceof Map || Symbol.iterator in h
      ? (h as Iterable<readonly [string, unknown]>)
      : Object.entries(h);
  for (const [k, v] of pairs)
    if (typeof k === 'string' && k.toLowerCase() === want) return first(v);
  return undefined;
}

/** A header name NATS carries: an HTTP token (no space, colon or control character). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Extra user headers, checked before any crypto: refused (ERR_INVALID_ARGUMENT)
 * with a reserved name (`bw-*`, `Nats-*`), a name that is no token, or a value
 * that is no string or holds CR/LF (a second header smuggled in).
 */
export function userHints(extra: Record<string, string> | undefined): Hints {
  const out: Hints = {};
  if (extra === undefined) return out;
  if (typeof extra !== 'object' || extra === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"headers" expected a record of strings');
  for (const [k, v] of Object.entries(extra)) {
    if (!HEADER_NAME.test(k))
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"headers" expected header names made of token characters, got ${JSON.stringify(k)}`,
      );
    const lower = k.toLowerCase();
    if (lower.startsWith('bw-') || lower.startsWith('nats-'))
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"headers" expected no reserved name (bw-*, Nats-*), got ${JSON.stringify(k)}`,
      );
    if (typeof v !== 'string' || /[\r\n]/.test(v))
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"headers.${k}" expected a string without CR or LF`,
      );
    out[k] = v;
  }
  return out;
}

/** JetStream publish expectations (nats.js `expect`), written as the headers the server reads. */
export interface JetStreamExpect {
  streamName?: string;
  lastMsgID?: string;
  lastSequence?: number;
  lastSubjectSequence?: number;
  lastSubjectSequenceSubject?: string;
}

const EXPECT_HEADERS: Record<keyof JetStreamExpect, string> = {
  streamName: 'Nats-Expected-Stream',
  lastMsgID: 'Nats-Expected-Last-Msg-Id',
  lastSequence: 'Nats-Expected-Last-Sequence',
  lastSubjectSequence: 'Nats-Expected-Last-Subject-Sequence',
  lastSubjectSequenceSubject: 'Nats-Expected-Last-Subject-Sequence-Subject',
};

/** The headers of `expect` (counted by max_payload); unknown or malformed ones refused. */
export function expectHints(expect: JetStreamExpect | undefined): Hints {
  const out: Hints = {};
  if (expect === undefined) return out;
  if (typeof expect !== 'object' || expect === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"expect" expected an object');
  for (const [k, v] of Object.entries(expect)) {
    if (v === undefined) continue;
    if (!Object.hasOwn(EXPECT_HEADERS, k))
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"expect" expected ${Object.keys(EXPECT_HEADERS).join(', ')}, got ${JSON.stringify(k)}`,
      );
    const numeric = k === 'lastSequence' || k === 'lastSubjectSequence';
    const ok = numeric
      ? Number.isSafeInteger(v) && (v as number) >= 0
      : typeof v === 'string' && v.length > 0 && !/[\r\n]/.test(v);
    if (!ok)
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"expect.${k}" expected ${numeric ? 'a non-negative integer' : 'a non-empty string'}`,
      );
    out[EXPECT_HEADERS[k as keyof JetStreamExpect]] = String(v);
  }
  return out;
}

/**
 * The hint headers of a sealed message (SPEC.md §11c): media type, message
 * id, and `Nats-Msg-Id` (JetStream dedup) when `jetstream`; user hints first.
 */
export function messageHints(messageId: string, jetstream: boolean, extra?: Hints): Hints {
  const h: Hints = { ...extra };
  h[CarrierHeader.ContentType] = MediaType.Envelope;
  h[CarrierHeader.MessageId] = messageId;
  if (jetstream) h[NATS_MSG_ID] = messageId;
  return h;
}

/** The hint headers of a sealed response: its own id and the request's id. */
export function responseHints(messageId: string, requestId: string): Hints {
  return {
    [CarrierHeader.ContentType]: MediaType.Response,
    [CarrierHeader.MessageId]: messageId,
    [CarrierHeader.RequestId]: requestId,
  };
}

/**
 * The hint headers of a dead-letter copy (the bytes go unchanged): the media
 * type the bytes start with, the reason, the message id when the header
 * parsed, and a `Nats-Msg-Id` when `dedupKey` is given. For JetStream the
 * key is `bw-dl:<stream>:<stream sequence>` of the original: a redelivered
 * copy of one stored message is written once (within the dead-letter
 * stream's duplicate window), and two stored messages never share a key.
 */
export function deadLetterHints(
  bytes: Uint8Array,
  reason: string,
  messageId: string | undefined,
  dedupKey?: string,
): Hints {
  const h: Hints = {};
  const type = mediaTypeOf(bytes);
  if (type !== undefined) h[CarrierHeader.ContentType] = type;
  h[CarrierHeader.Reason] = reason;
  if (messageId !== undefined) h[CarrierHeader.MessageId] = messageId;
  if (dedupKey !== undefined) h[NATS_MSG_ID] = dedupKey;
  return h;
}

/** The JetStream dedup key of the dead-letter copy of stored message `seq` of `stream`. */
export function deadLetterKey(stream: string, seq: number): string {
  return `bw-dl:${stream}:${seq}`;
}

/**
 * The exact bytes NATS counts for these headers (`NATS/1.0\r\n`, one
 * `name: value\r\n` each, `\r\n`), 0 without headers: max_payload counts them.
 */
export function headerBytes(h: Hints): number {
  const entries = Object.entries(h);
  if (entries.length === 0) return 0;
  let n = 'NATS/1.0\r\n'.length + 2;
  for (const [k, v] of entries) n += encoder.encode(`${k}: ${v}\r\n`).length;
  return n;
}
