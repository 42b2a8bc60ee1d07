/**
 * Sealing one record's value (SPEC.md §4.5, §11b, §11c), shared by the
 * serializer and `send`: the recipients resolved, the bound context of the
 * topic, the exact size of the one-record batch (key, envelope, headers and
 * hints) checked against `maxMessageBytes` before any cryptography
 * (ERR_LIMIT_EXCEEDED), then `seal`, then the hints set on the headers.
 */
import {
  BlindwireError,
  ErrorCode,
  bindingContext,
  seal,
  sealedSize,
  type SealOptions,
} from '@blindwire/core';
import { messageIdOption, resolveRecipients } from '@blindwire/core/internal';
import { setRecordHints } from './carrier.js';
import { DEFAULT_MAX_MESSAGE_BYTES, recordBatchBytes } from './record-size.js';
import type { KafkaHeaders, SealingOptions, SendOptions } from './types.js';

/** A stand-in message id of the real one's length, for sizing the hints. */
const SIZING_ID = '0'.repeat(32);

/** The bound context of `topic`: the caller's function, or SPEC.md §11b's canonical one. */
export function contextOf(
  o: { context?: (topic: string) => string | Uint8Array; limits?: SealingOptions['limits'] },
  topic: string,
): string | Uint8Array {
  if (o.context) return o.context(topic);
  return bindingContext('kafka', topic, o.limits ? { limits: o.limits } : {});
}

/** The largest one-record batch allowed: `maxMessageBytes`, checked. */
export function maxMessageBytesOf(o: SealingOptions): number {
  const m = o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!Number.isSafeInteger(m) || m < 1)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"maxMessageBytes" expected a positive integer',
    );
  return m;
}

/** One record to seal: its topic, plaintext, key and the sender's own headers (checked). */
export interface RecordToSeal {
  topic: string;
  payload: Uint8Array | string;
  key: Uint8Array | string | null | undefined;
  headers: KafkaHeaders;
  messageId?: Uint8Array | string | undefined;
}

export interface SealedRecord {
  envelope: Uint8Array;
  messageId: string;
  /** The record's headers: the sender's, then the hints. */
  headers: KafkaHeaders;
}

function sealOptionsOf(o: SealingOptions, r: RecordToSeal, p: SendOptions): SealOptions {
  const options: SealOptions = {
    sender: o.sender!,
    recipients: [],
    context: contextOf(o, r.topic),
    now: o.now ? o.now() : Date.now(),
  };
  const set = <K extends keyof SealOptions>(k: K, v: SealOptions[K] | undefined) => {
    if (v !== undefined) options[k] = v;
  };
  set('contentType', p.contentType);
  set('ttl', p.ttl ?? o.ttl);
  set('claims', p.claims);
  set('messageId', messageIdOption(r.messageId));
  set('padding', o.padding);
  set('aead', o.aead);
  set('limits', o.limits);
  set('backend', o.backend);
  set('clockSkew', o.clockSkew);
  return options;
}

/** Refuses a one-record batch of `size` bytes over `max` (ERR_LIMIT_EXCEEDED). */
export function checkRecordSize(size: number, max: number): void {
  if (size > max)
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `sealed record of ${size} bytes (key, headers and batch overhead included) exceeds maxMessageBytes ${max}`,
    );
}

/** Seals `r.payload` for `r.topic` after the size check; the hints are set on `r.headers`. */
export async function sealRecord(
  o: SealingOptions,
  r: RecordToSeal,
  p: SendOptions,
): Promise<SealedRecord> {
  if (typeof p !== 'object' || p === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options" expected an object with to');
  if (!o.sender)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"sender" expected the sender identity');
  const max = maxMessageBytesOf(o);
  const options = sealOptionsOf(o, r, p);
  // The resolver sees the context: a per-context post-quantum policy applies (SPEC.md §5.4).
  options.recipients = await resolveRecipients(
    p.to,
    o.resolveRecipient,
    options.context,
    o.resolveRecipients,
  );
  // Before any crypto: the exact batch size against the broker's limit.
  const sizing = setRecordHints({ ...r.headers }, SIZING_ID);
  checkRecordSize(recordBatchBytes(r.key, sealedSize(r.payload, options), sizing), max);
  const { envelope, messageId } = await seal(r.payload, options);
  return { envelope, messageId, headers: setRecordHints(r.headers, messageId) };
}
