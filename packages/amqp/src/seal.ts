/**
 * Sealing for AMQP (SPEC.md §4.5, §11b, §11c): the recipients resolved, the
 * bound context of `<exchange>/<routing key>`, then the exact envelope size
 * checked against the broker's `max_message_size` before any cryptography
 * (ERR_LIMIT_EXCEEDED), then `seal`, then the hint properties.
 */
import {
  BlindwireError,
  ErrorCode,
  bindingContext,
  fromHex,
  seal,
  sealedSize,
  type Recipient,
  type SealOptions,
} from '@blindwire/core';
import { messageProperties, userHeaders } from './carrier.js';
import type { AmqpBindingOptions, AmqpProperties, PublishOptions } from './types.js';

export interface Sealed {
  envelope: Uint8Array;
  messageId: string;
  properties: AmqpProperties;
}

/** The bound context of `destination`: the binding's function, or SPEC.md §11b's canonical one. */
export function contextOf(o: AmqpBindingOptions, destination: string): string | Uint8Array {
  if (o.context) return o.context(destination);
  return bindingContext('amqp', destination, o.limits ? { limits: o.limits } : {});
}

/** The recipients of `to`: keys as given, names through `resolveRecipient` (its failure: ERR_TRANSPORT). */
export async function resolveTo(
  o: AmqpBindingOptions,
  to: PublishOptions['to'],
): Promise<Recipient[]> {
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

/** Refuses an envelope of `size` bytes over `max` (ERR_LIMIT_EXCEEDED). */
export function checkMessageSize(size: number, max: number): void {
  if (size > max)
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `sealed message of ${size} bytes exceeds the broker's max_message_size ${max}`,
    );
}

/** Seals `payload` for `destination` after the size check. */
export async function sealFor(
  o: AmqpBindingOptions,
  maxMessageBytes: number,
  destination: string,
  payload: Uint8Array | string,
  p: PublishOptions,
): Promise<Sealed> {
  if (typeof p !== 'object' || p === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options" expected an object with to');
  if (!o.sender)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"sender" expected the binding\'s sender');
  const headers = userHeaders(p.headers);
  const recipients = await resolveTo(o, p.to);
  const nowMs = o.now ? o.now() : Date.now();
  const options: SealOptions = {
    sender: o.sender,
    recipients,
    context: contextOf(o, destination),
    now: nowMs,
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
  // Before any crypto: the exact size against the broker's limit (it counts the body).
  checkMessageSize(sealedSize(payload, options), maxMessageBytes);
  const r = await seal(payload, options);
  const properties = messageProperties(r.messageId, {
    issuedAt: r.issuedAt,
    expiresAt: r.expiresAt,
    nowMs,
    headers,
    ...(p.persistent === undefined ? {} : { persistent: p.persistent }),
    ...(p.expiration === undefined ? {} : { expiration: p.expiration }),
  });
  return { envelope: r.envelope, messageId: r.messageId, properties };
}

/** A caller's message id as 16 bytes (32 lowercase hex digits accepted). */
function messageIdOf(id: Uint8Array | string | undefined): Uint8Array | undefined {
  if (id === undefined || id instanceof Uint8Array) return id;
  if (typeof id === 'string' && /^[0-9a-f]{32}$/.test(id)) return fromHex(id);
  throw new BlindwireError(
    ErrorCode.InvalidArgument,
    '"messageId" expected 16 bytes or 32 lowercase hex digits',
  );
}
