/**
 * `add` (SPEC.md §4.5, §11b, §11c): the recipients resolved, the bound context
 * of the stream key, the exact entry size (envelope plus field names and
 * hints) checked against `maxEntryBytes` before any cryptography
 * (ERR_LIMIT_EXCEEDED), then `seal`, then one XADD (with MAXLEN when asked)
 * whose only non-hint field is the envelope.
 */
import {
  BlindwireError,
  ErrorCode,
  seal,
  sealedSize,
  type Limits,
  type SealOptions,
} from '@blindwire/core';
import {
  limitsOf,
  messageIdOption,
  resolveRecipients,
  surelySealFits,
} from '@blindwire/core/internal';
import { checkKey, entryFields, fieldsBytes } from './carrier.js';
import { sendEvent, type Shared } from './common.js';
import { xadd } from './streams.js';
import type { AddOptions, AddResult, RedisBindingOptions } from './types.js';
import { transportError } from './wire.js';

/** Default `maxEntryBytes`: 1 MiB. */
export const DEFAULT_MAX_ENTRY_BYTES = 1024 * 1024;
/** A stand-in message id of the real one's length, for sizing the hints. */
const SIZING_ID = '0'.repeat(32);
/** The bytes of an entry's fields besides the envelope (names, media type, message id): fixed. */
const HINT_BYTES = fieldsBytes(entryFields(new Uint8Array(0), SIZING_ID));

/** The largest entry allowed: the binding's `maxEntryBytes`, checked. */
export function maxEntryBytesOf(o: RedisBindingOptions): number {
  const m = o.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  if (!Number.isSafeInteger(m) || m < 1)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"maxEntryBytes" expected a positive integer',
    );
  return m;
}

/** The seal options of one `add`. */
async function sealOptions(s: Shared, stream: string, p: AddOptions): Promise<SealOptions> {
  const o = s.o;
  // The resolver sees the context: a per-context post-quantum policy applies (SPEC.md §5.4).
  const context = s.context(stream);
  const options: SealOptions = {
    sender: o.sender!,
    recipients: await resolveRecipients(p.to, o.resolveRecipient, context, o.resolveRecipients),
    context,
    now: s.now(),
  };
  const set = <K extends keyof SealOptions>(k: K, v: SealOptions[K] | undefined) => {
    if (v !== undefined) options[k] = v;
  };
  set('contentType', p.contentType);
  set('ttl', p.ttl ?? o.ttl);
  set('claims', p.claims);
  set('messageId', messageIdOption(p.messageId));
  set('padding', o.padding);
  set('aead', o.aead);
  set('limits', o.limits);
  set('backend', o.backend);
  set('clockSkew', o.clockSkew);
  return options;
}

/**
 * The limits of the last options with `maxEnvelopeBytes` at most `room`,
 * kept while the options' `limits` object (or its absence) and `room` repeat.
 * A `limits` object changed in place afterwards is still applied by `seal`'s
 * own check before any work (SPEC.md §8, §4.5 step 1).
 */
let bound: { given: unknown; room: number; capped: Limits } | undefined;
function boundOf(options: SealOptions, room: number): Limits {
  const given: unknown = options.limits;
  if (bound === undefined || bound.given !== given || bound.room !== room) {
    const limits = limitsOf(options);
    const capped = { ...limits, maxEnvelopeBytes: Math.min(limits.maxEnvelopeBytes, room) };
    bound = { given, room, capped };
  }
  return bound.capped;
}

/**
 * True when the envelope of `payload` surely fits core's limits (SPEC.md §8)
 * and `room` bytes (core's cheap bound, `surelySealFits`); false when not
 * known, including limits that `sealedSize` refuses.
 */
function surelyFits(payload: unknown, options: SealOptions, room: number): boolean {
  let limits: Limits;
  try {
    limits = boundOf(options, room);
  } catch {
    return false;
  }
  return surelySealFits(payload, options, limits);
}

export async function add(
  s: Shared,
  stream: string,
  payload: Uint8Array | string,
  p: AddOptions,
): Promise<AddResult> {
  checkKey('stream', stream);
  if (typeof p !== 'object' || p === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options" expected an object with to');
  if (!s.o.sender)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"sender" expected the binding\'s sender');
  const started = s.now();
  const options = await sealOptions(s, stream, p);
  const max = maxEntryBytesOf(s.o);
  // Before any crypto: the exact entry size against the limit, unless a cheap
  // upper bound shows that the envelope fits both core's limits and the entry.
  if (!surelyFits(payload, options, max - HINT_BYTES)) {
    const size = sealedSize(payload, options) + HINT_BYTES;
    if (size > max)
      throw new BlindwireError(
        ErrorCode.LimitExceeded,
        `sealed entry of ${size} bytes (fields included) exceeds maxEntryBytes ${max}`,
      );
  }
  const { envelope, messageId } = await seal(payload, options);
  let id: string;
  try {
    id = await xadd(s.wire, stream, p.maxLen ?? s.o.maxLen, entryFields(envelope, messageId));
  } catch (e) {
    sendEvent(s, 'add', stream, started, {
      outcome: 'failed',
      messageId,
      bytes: envelope.length,
      code: 'ERR_TRANSPORT',
    });
    throw transportError('XADD', e);
  }
  if (s.listening)
    sendEvent(s, 'add', stream, started, { messageId, entryId: id, bytes: envelope.length });
  return { messageId, id, bytes: envelope.length };
}
