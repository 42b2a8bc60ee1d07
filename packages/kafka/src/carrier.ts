/**
 * The Kafka carrier (SPEC.md §11c): pure and synchronous. The envelope
 * travels whole in the record's value; the key stays the sender's own (it
 * chooses the partition) and is never derived from the plaintext. Record
 * headers hold hints only: `bw-content-type` (the media type) and
 * `bw-message-id`; on a dead-letter copy also `bw-reason` and `bw-source-id`
 * (`<topic>/<partition>/<offset>` of the original). A receiver never trusts
 * a hint: the opened envelope decides. Header names are read
 * case-insensitively; values may be Buffers, strings or arrays of them, as
 * KafkaJS gives them.
 */
import { BlindwireError, CarrierHeader, ErrorCode, MediaType, mediaTypeOf } from '@blindwire/core';
import type { KafkaHeaders, KafkaHeaderValue, KafkaSource } from './types.js';

/** Dead-letter copies only: where the original was read, `<topic>/<partition>/<offset>`. */
export const SOURCE_ID_HEADER = 'bw-source-id';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The bytes of a record value or key as a client hands it over (a Buffer is a Uint8Array). */
export function valueBytes(v: Uint8Array | string | null | undefined): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return encoder.encode(v);
  if (v === null || v === undefined) return new Uint8Array(0);
  throw new BlindwireError(ErrorCode.InvalidArgument, '"value" expected bytes or a string');
}

/** A Buffer over the same memory (KafkaJS wants Buffers; no copy). */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

function text(v: KafkaHeaderValue): string | undefined {
  const one = Array.isArray(v) ? v[0] : v;
  if (typeof one === 'string') return one;
  if (one instanceof Uint8Array) return decoder.decode(one);
  return undefined;
}

/** The first value of header `name` (case-insensitive) as text, or undefined. A hint only. */
export function readHeader(
  headers: KafkaHeaders | null | undefined,
  name: string,
): string | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === want) return text(v);
  return undefined;
}

/** The sender's own headers, checked: no reserved `bw-*` name; values strings or Buffers. */
export function userHeaders(headers: KafkaHeaders | undefined): KafkaHeaders {
  if (headers === undefined || headers === null) return {};
  if (typeof headers !== 'object')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"headers" expected a record');
  const out: KafkaHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase().startsWith('bw-'))
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        `"headers" expected no reserved name (bw-*), got ${JSON.stringify(k)}`,
      );
    for (const one of Array.isArray(v) ? v : [v])
      if (one !== undefined && typeof one !== 'string' && !(one instanceof Uint8Array))
        throw new BlindwireError(
          ErrorCode.InvalidArgument,
          `"headers.${k}" expected a string, a Buffer or an array of them`,
        );
    out[k] = v;
  }
  return out;
}

/** Removes the hints of a sealed record, in any case, from `headers` in place (so each is set once). */
export function clearRecordHints(headers: KafkaHeaders): void {
  const hints: string[] = [CarrierHeader.ContentType, CarrierHeader.MessageId];
  for (const k of Object.keys(headers)) if (hints.includes(k.toLowerCase())) delete headers[k];
}

/** Sets the hints of a sealed record (SPEC.md §11c) on `headers` in place, and returns it. */
export function setRecordHints(headers: KafkaHeaders, messageId: string): KafkaHeaders {
  clearRecordHints(headers);
  headers[CarrierHeader.ContentType] = MediaType.Envelope;
  headers[CarrierHeader.MessageId] = messageId;
  return headers;
}

/** `<topic>/<partition>/<offset>`: a topic holds no `/` (SPEC.md §11b), so it splits back. */
export function sourceId(s: KafkaSource): string {
  return `${s.topic}/${s.partition}/${s.offset}`;
}

/**
 * The headers of a dead-letter copy (SPEC.md §7b, §11c); the value goes
 * unchanged and the key stays the original's. The media type the bytes
 * start with (if any), the reason, the message id when the header parsed,
 * and the source record. The original's other headers are not copied.
 */
export function deadLetterHeaders(
  bytes: Uint8Array,
  reason: string,
  messageId: string | undefined,
  source: KafkaSource,
): KafkaHeaders {
  const h: KafkaHeaders = {};
  const type = mediaTypeOf(bytes);
  if (type !== undefined) h[CarrierHeader.ContentType] = type;
  h[CarrierHeader.Reason] = reason;
  if (messageId !== undefined) h[CarrierHeader.MessageId] = messageId;
  h[SOURCE_ID_HEADER] = sourceId(source);
  return h;
}
