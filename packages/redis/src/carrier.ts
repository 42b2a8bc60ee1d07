/**
 * The Redis Streams carrier (SPEC.md §11c): pure and synchronous. It turns
 * envelope bytes into the field/value pairs of a stream entry and back. The
 * envelope travels whole in the `bw-envelope` field; the other fields are
 * hints only (the media type, the message id; on a dead-letter copy the
 * reason and the original entry's id), repeating public header facts. A
 * receiver never trusts a hint: the opened envelope decides. Field names are
 * read case-insensitively; values may be Buffers, Uint8Arrays or strings, as
 * ioredis and node-redis hand them over, as a flat array, a record or a Map.
 */
import { BlindwireError, CarrierHeader, ErrorCode, MediaType, mediaTypeOf } from '@blindwire/core';

/** The field that holds the envelope, unchanged. */
export const ENVELOPE_FIELD = 'bw-envelope';
/** Dead-letter copies only: the id of the stream entry the copy was taken from. */
export const SOURCE_ID_FIELD = 'bw-source-id';

/** A field name or value as written: text, or the envelope's bytes. */
export type FieldValue = string | Uint8Array;
/** The fields of an entry, flat: name, value, name, value... */
export type EntryFields = FieldValue[];

/** What a client may answer as an entry's fields. */
export type FieldsLike =
  readonly unknown[] | ReadonlyMap<unknown, unknown> | Readonly<Record<string, unknown>>;

/** What the carrier reads of an entry: the envelope bytes (if present) and the hints, names lowercased. */
export interface ReadEntry {
  envelope: Uint8Array | undefined;
  hints: Record<string, string>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** The bytes of a field value as a client returns it (a Buffer is a Uint8Array). */
export function valueBytes(v: unknown): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return encoder.encode(v);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return undefined;
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return decoder.decode(v);
  return undefined;
}

function pairsOf(fields: FieldsLike): [unknown, unknown][] {
  if (Array.isArray(fields)) {
    const out: [unknown, unknown][] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) out.push([fields[i], fields[i + 1]]);
    return out;
  }
  if (fields instanceof Map) return [...(fields as Map<unknown, unknown>).entries()];
  return Object.entries(fields as Record<string, unknown>);
}

/**
 * Reads an entry's fields: the first `bw-envelope` as bytes, every other
 * text field as a hint (first occurrence wins). Unknown shapes read as empty.
 */
export function readEntry(fields: FieldsLike | null | undefined): ReadEntry {
  const out: ReadEntry = { envelope: undefined, hints: {} };
  if (fields === null || fields === undefined || typeof fields !== 'object') return out;
  for (const [k, v] of pairsOf(fields)) {
    const name = text(k)?.toLowerCase();
    if (name === undefined) continue;
    if (name === ENVELOPE_FIELD) {
      if (out.envelope === undefined) out.envelope = valueBytes(v);
      continue;
    }
    const value = text(v);
    if (value !== undefined && !Object.hasOwn(out.hints, name)) out.hints[name] = value;
  }
  return out;
}

/** `bw-envelope` in ASCII: a field name as bytes is compared without decoding it. */
const ENVELOPE_NAME = encoder.encode(ENVELOPE_FIELD);

/**
 * Whether a field name as bytes is `bw-envelope` as `readEntry` reads it:
 * ASCII case-insensitively, after one leading UTF-8 BOM (which the decoder
 * drops); no other bytes decode and lowercase to these.
 */
function isEnvelopeName(k: Uint8Array): boolean {
  const from =
    k.length === ENVELOPE_NAME.length + 3 && k[0] === 0xef && k[1] === 0xbb && k[2] === 0xbf
      ? 3
      : 0;
  if (k.length - from !== ENVELOPE_NAME.length) return false;
  for (let i = 0; i < ENVELOPE_NAME.length; i++) {
    const c = k[from + i]!;
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== ENVELOPE_NAME[i]) return false;
  }
  return true;
}

/**
 * The envelope of an entry, as `readEntry(fields).envelope`, read in place:
 * the bytes of the first `bw-envelope` field that has bytes, the hints neither decoded nor kept
 * (a consumer trusts no hint). A flat array is scanned; other shapes go
 * through `readEntry`.
 */
export function envelopeOf(fields: FieldsLike | null | undefined): Uint8Array | undefined {
  if (!Array.isArray(fields)) return readEntry(fields).envelope;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const k: unknown = fields[i];
    const named =
      k instanceof Uint8Array
        ? isEnvelopeName(k)
        : typeof k === 'string' && k.length === ENVELOPE_FIELD.length
          ? k.toLowerCase() === ENVELOPE_FIELD
          : false;
    // A value that is no bytes (a number...) is skipped, as readEntry skips it.
    const v = named ? valueBytes(fields[i + 1]) : undefined;
    if (v !== undefined) return v;
  }
  return undefined;
}

/** The fields of a sealed entry (SPEC.md §11c): media type and message id hints, then the envelope. */
export function entryFields(envelope: Uint8Array, messageId: string): EntryFields {
  return [
    CarrierHeader.ContentType,
    MediaType.Envelope,
    CarrierHeader.MessageId,
    messageId,
    ENVELOPE_FIELD,
    envelope,
  ];
}

/**
 * The fields of a dead-letter copy (SPEC.md §7b): the bytes unchanged, the
 * media type they start with (if any), the reason, the message id when the
 * header parsed, and the id of the entry the copy was taken from.
 */
export function deadLetterFields(
  bytes: Uint8Array,
  reason: string,
  messageId: string | undefined,
  sourceId: string,
): EntryFields {
  const f: EntryFields = [];
  const type = mediaTypeOf(bytes);
  if (type !== undefined) f.push(CarrierHeader.ContentType, type);
  f.push(CarrierHeader.Reason, reason);
  if (messageId !== undefined) f.push(CarrierHeader.MessageId, messageId);
  f.push(SOURCE_ID_FIELD, sourceId, ENVELOPE_FIELD, bytes);
  return f;
}

/** The bytes of an entry's field names and values, as Redis stores them. */
export function fieldsBytes(fields: EntryFields): number {
  let n = 0;
  for (const f of fields) n += typeof f === 'string' ? encoder.encode(f).length : f.length;
  return n;
}

/** A stream key: a non-empty string (ERR_INVALID_ARGUMENT otherwise). */
export function checkKey(name: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0)
    throw new BlindwireError(ErrorCode.InvalidArgument, `"${name}" expected a non-empty string`);
  return v;
}
