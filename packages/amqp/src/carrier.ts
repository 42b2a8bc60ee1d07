/**
 * The AMQP carrier (SPEC.md §11c): pure and synchronous. It turns envelope
 * bytes into an AMQP body and basic properties and back. The envelope
 * travels whole in the body; the properties hold hints only: `content-type`
 * (the media type), `message-id` (the message id), `timestamp` and
 * `expiration` from the envelope's times, and tiny `bw-*` headers on copies
 * the binding writes (the reason of a dead-letter copy, the attempt and the
 * original destination of a retry copy). A receiver never trusts a hint: the
 * opened envelope decides; the retry hints are read only on a copy back from
 * the consumer's own delay queue. Header names are read case-insensitively; values
 * may be strings, Buffers or numbers.
 */
import { BlindwireError, CarrierHeader, ErrorCode, MediaType, mediaTypeOf } from '@blindwire/core';
import type { AmqpMessageLike, AmqpProperties } from './types.js';

/** The attempt number of a retry copy's next delivery (1 for a first delivery). */
export const ATTEMPT_HEADER = 'bw-attempt';
/** The `<exchange>/<routing key>` a retry copy was first delivered from. */
export const DESTINATION_HEADER = 'bw-destination';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The bytes of a body as amqplib or a user hands it over (a Buffer is a Uint8Array). */
export function bodyBytes(
  content: Uint8Array | string | ArrayBuffer | null | undefined,
): Uint8Array {
  if (content instanceof Uint8Array) return content;
  if (typeof content === 'string') return encoder.encode(content);
  if (content instanceof ArrayBuffer) return new Uint8Array(content);
  if (content === null || content === undefined) return new Uint8Array(0);
  throw new BlindwireError(ErrorCode.InvalidArgument, '"content" expected bytes or a string');
}

/** A Buffer over the same memory (amqplib wants Buffers; no copy). */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return decoder.decode(v);
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}

/** The value of header `name` (case-insensitive) as a string, or undefined. A hint only. */
export function readHeader(
  headers: Record<string, unknown> | null | undefined,
  name: string,
): string | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === want) return text(v);
  return undefined;
}

/** Extra user headers: refused when they use a reserved name (`bw-*`, `x-*`). */
export function userHeaders(extra: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (extra === undefined) return out;
  if (typeof extra !== 'object' || extra === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"headers" expected a record of strings');
  for (const [k, v] of Object.entries(extra)) {
    const lower = k.toLowerCase();
    if (lower.startsWith('bw-') || lower.startsWith('x-'))
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"headers" expected no reserved name (bw-*, x-*), got ${JSON.stringify(k)}`,
      );
    if (typeof v !== 'string')
      throw new BlindwireError(ErrorCode.InvalidArgument, `"headers.${k}" expected a string`);
    out[k] = v;
  }
  return out;
}

/**
 * Options of the carrier's AMQP message properties (the envelope's hints in the clear, SPEC.md
 * §11c).
 */
export interface MessagePropertyOptions {
  /** Envelope times in seconds. */
  issuedAt: number;
  expiresAt: number;
  /** The clock in ms, for the remaining lifetime. */
  nowMs: number;
  headers?: Record<string, string>;
  persistent?: boolean;
  /** Set `expiration` (default true). */
  expiration?: boolean;
}

/**
 * The properties of a sealed message (SPEC.md §11c): content type, message
 * id, timestamp (seconds, as AMQP has it), `expiration` the milliseconds left
 * until the envelope's expiry (at least 1), persistent by default.
 */
export function messageProperties(messageId: string, o: MessagePropertyOptions): AmqpProperties {
  const p: AmqpProperties = {
    contentType: MediaType.Envelope,
    messageId,
    timestamp: o.issuedAt,
    persistent: o.persistent ?? true,
  };
  if (o.expiration ?? true) p.expiration = String(Math.max(1, o.expiresAt * 1000 - o.nowMs));
  if (o.headers !== undefined && Object.keys(o.headers).length > 0) p.headers = { ...o.headers };
  return p;
}

/**
 * The properties of a dead-letter copy (the body goes unchanged): the media
 * type the bytes start with, the message id when the header parsed, and the
 * reason (`bw-reason`) with the id repeated as `bw-message-id`. Persistent,
 * never an expiration: a dead-letter copy is kept until read.
 */
export function deadLetterProperties(
  bytes: Uint8Array,
  reason: string,
  messageId: string | undefined,
): AmqpProperties {
  const headers: Record<string, string> = { [CarrierHeader.Reason]: reason };
  const p: AmqpProperties = { persistent: true, headers };
  const type = mediaTypeOf(bytes);
  if (type !== undefined) p.contentType = type;
  if (messageId !== undefined) {
    p.messageId = messageId;
    headers[CarrierHeader.MessageId] = messageId;
  }
  return p;
}

/**
 * The properties of a retry copy sent to the delay queue: the original's
 * hints, `expiration` = the delay (the queue's dead-letter exchange sends it
 * back when it expires), the attempt of its next delivery and the
 * destination it was delivered from.
 */
export function retryProperties(
  m: AmqpMessageLike,
  nextAttempt: number,
  delayMs: number,
  destination: string,
): AmqpProperties {
  const p: AmqpProperties = {
    persistent: true,
    expiration: String(Math.max(1, Math.round(delayMs))),
    headers: { [ATTEMPT_HEADER]: nextAttempt, [DESTINATION_HEADER]: destination },
  };
  const { contentType, messageId, timestamp } = m.properties ?? {};
  if (typeof contentType === 'string') p.contentType = contentType;
  if (typeof messageId === 'string') p.messageId = messageId;
  if (typeof timestamp === 'number') p.timestamp = timestamp;
  return p;
}

/** A non-negative integer read from a header value, or undefined. */
function count(v: unknown): number | undefined {
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** The consumed queue and its delay queue: where a genuine retry copy comes back from. */
export interface RetryRoute {
  queue: string;
  retryQueue: string;
}

/**
 * Whether a delivery is a retry copy back from the consumer's own delay
 * queue (SPEC.md §11c): delivered by the default exchange with the consumed
 * queue's name as routing key (where the delay queue's dead-letter exchange
 * sends it), the broker's newest `x-death` entry naming the delay queue with
 * reason `expired`. Only then are `bw-attempt` and `bw-destination` read: a
 * message published through any other exchange may carry forged `x-death`
 * headers (RabbitMQ keeps a publisher's), and is judged on its own fields.
 */
export function fromRetryQueue(
  m: Pick<AmqpMessageLike, 'fields' | 'properties'>,
  r: RetryRoute | undefined,
): boolean {
  if (r === undefined || m.fields?.exchange !== '' || m.fields.routingKey !== r.queue) return false;
  const death = headerValue(m.properties?.headers, 'x-death');
  if (!Array.isArray(death) || death.length === 0) return false;
  const d = death[0] as Record<string, unknown> | null;
  return (
    typeof d === 'object' &&
    d !== null &&
    text(d.queue) === r.retryQueue &&
    text(d.reason) === 'expired'
  );
}

/**
 * The attempt of a delivery (1 for the first): a retry copy's `bw-attempt`
 * (only on a copy back from the delay queue, see `fromRetryQueue`; else 1),
 * plus the deliveries of this copy the broker made before: quorum queues'
 * `x-delivery-count` when present, else 1 when `redelivered` (classic queues
 * count no further). Capped at 1000.
 */
export function attemptOf(
  m: Pick<AmqpMessageLike, 'fields' | 'properties'>,
  r?: RetryRoute,
): number {
  const h = m.properties?.headers;
  const claimed = fromRetryQueue(m, r) ? count(headerValue(h, ATTEMPT_HEADER)) : undefined;
  const base = Math.max(1, claimed ?? 1);
  const delivered = count(headerValue(h, 'x-delivery-count')) ?? (m.fields?.redelivered ? 1 : 0);
  return Math.min(1000, base + delivered);
}

function headerValue(h: Record<string, unknown> | undefined, name: string): unknown {
  if (h === undefined || h === null || typeof h !== 'object') return undefined;
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(h)) if (k.toLowerCase() === want) return v;
  return undefined;
}

/**
 * The destination (`<exchange>/<routing key>`, SPEC.md §11b) a delivery was
 * sealed for: `stated` when the consumer gave one; for a retry copy back from
 * the delay queue (`fromRetryQueue`) its `bw-destination`; otherwise the
 * delivery's own exchange and routing key.
 */
export function destinationOf(
  m: Pick<AmqpMessageLike, 'fields' | 'properties'>,
  r: RetryRoute | undefined,
  stated?: string,
): string {
  if (stated !== undefined) return stated;
  const back = fromRetryQueue(m, r)
    ? readHeader(m.properties?.headers, DESTINATION_HEADER)
    : undefined;
  return back ?? `${m.fields.exchange}/${m.fields.routingKey}`;
}
