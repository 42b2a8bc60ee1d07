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
  fromHex,
  seal,
  sealedSize,
  type Recipient,
  type SealOptions,
} from '@blindwire/core';
import { checkKey, entryFields, fieldsBytes } from './carrier.js';
import { contextOf, sendEvent, type Shared } from './common.js';
import { xadd } from './streams.js';
import type { AddOptions, AddResult, RedisBindingOptions } from './types.js';
import { transportError } from './wire.js';

/** Default `maxEntryBytes`: 1 MiB. */
export const DEFAULT_MAX_ENTRY_BYTES = 1024 * 1024;
/** A stand-in message id of the real one's length, for sizing the hints. */
const SIZING_ID = '0'.repeat(32);

/** The recipients of `to`: keys as given, names through `resolveRecipient` (its failure: ERR_TRANSPORT). */
async function resolveTo(o: RedisBindingOptions, to: AddOptions['to']): Promise<Recipient[]> {
  if (to === undefined || to === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"to" expected a recipient or names');
  const list = Array.isArray(to) ? to : [to];
  return Promise.all(
    list.map(async (r) => {
      if (typeof r !== 'string') return r;
      if (!o.resolveRecipient)
        throw new BlindwireError(
          ErrorCode.InvalidArgument,
          '"resolveRecipient" expected a function to resolve recipient names',
        );
      try {
        return await o.resolveRecipient(r);
      } catch (e) {
        if (e instanceof BlindwireError) throw e;
        throw new BlindwireError(ErrorCode.Transport, 'resolving a recipient failed', { cause: e });
      }
    }),
  );
}

function messageIdOf(id: Uint8Array | string | undefined): Uint8Array | undefined {
  if (id === undefined || id instanceof Uint8Array) return id;
  if (typeof id === 'string' && /^[0-9a-f]{32}$/.test(id)) return fromHex(id);
  throw new BlindwireError(
    ErrorCode.InvalidArgument,
    '"messageId" expected 16 bytes or 32 lowercase hex digits',
  );
}

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
  const options: SealOptions = {
    sender: o.sender!,
    recipients: await resolveTo(o, p.to),
    context: contextOf(o, stream),
    now: s.now(),
  };
  const set = <K extends keyof SealOptions>(k: K, v: SealOptions[K] | undefined) => {
    if (v !== undefined) options[k] = v;
  };
  set('contentType', p.contentType);
  set('ttl', p.ttl ?? o.ttl);
  set('claims', p.claims);
  set('messageId', messageIdOf(p.messageId));
  set('padding', o.padding);
  set('aead', o.aead);
  set('limits', o.limits);
  set('backend', o.backend);
  set('clockSkew', o.clockSkew);
  return options;
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
  // Before any crypto: the exact entry size against the limit.
  const size =
    sealedSize(payload, options) + fieldsBytes(entryFields(new Uint8Array(0), SIZING_ID));
  if (size > max)
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `sealed entry of ${size} bytes (fields included) exceeds maxEntryBytes ${max}`,
    );
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
  sendEvent(s, 'add', stream, started, { messageId, entryId: id, bytes: envelope.length });
  return { messageId, id, bytes: envelope.length };
}
