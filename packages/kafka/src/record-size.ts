/**
 * The exact size of a one-record batch as a Kafka broker counts it against
 * `message.max.bytes` (record batch v2, uncompressed): the 61-byte batch
 * header (log overhead included) and the record with its zigzag varints.
 * Pure; the binding checks it before sealing (SPEC.md §4.5: the envelope's
 * length is known exactly before any cryptography).
 */
import type { KafkaHeaders } from './types.js';

/** Kafka's default `message.max.bytes`: 1 MiB plus the 12-byte log overhead. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
/** Record batch v2 header, from base offset to the record count. */
export const RECORD_BATCH_OVERHEAD = 61;

const encoder = new TextEncoder();

/** Bytes of a zigzag varint (int32 / int64 as Kafka writes lengths and deltas). */
export function varintBytes(n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  let bytes = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    bytes++;
  }
  return bytes;
}

/** The byte length of a key, value or header value; -1 for null (absent). */
export function byteLength(v: Uint8Array | string | null | undefined): number {
  if (v === null || v === undefined) return -1;
  return typeof v === 'string' ? encoder.encode(v).length : v.length;
}

function field(length: number): number {
  return varintBytes(length) + Math.max(0, length);
}

/** The headers as records carry them: one (name, value) per value, arrays spread. */
export function headerEntries(headers: KafkaHeaders | undefined): [string, Buffer | string][] {
  const out: [string, Buffer | string][] = [];
  if (headers === undefined) return out;
  for (const [name, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.push([name, one]);
  }
  return out;
}

/**
 * The size of a batch holding one record with this key, a value of
 * `valueLength` bytes and these headers (timestamp and offset deltas 0).
 */
export function recordBatchBytes(
  key: Uint8Array | string | null | undefined,
  valueLength: number,
  headers: KafkaHeaders | undefined,
): number {
  const entries = headerEntries(headers);
  let body =
    1 + // attributes
    1 + // timestamp delta 0
    1 + // offset delta 0
    field(byteLength(key)) +
    field(valueLength) +
    varintBytes(entries.length);
  for (const [name, value] of entries) body += field(byteLength(name)) + field(byteLength(value));
  return RECORD_BATCH_OVERHEAD + varintBytes(body) + body;
}
