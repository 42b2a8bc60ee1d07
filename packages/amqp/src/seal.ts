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
  seal,
  sealedSize,
  type SealOptions,
} from '@blindwire/core';
import { messageIdOption, resolveRecipients } from '@blindwire/core/internal';
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
  // The resolver sees the context: a per-context post-quantum policy applies (SPEC.md §5.4).
  const context = contextOf(o, destination);
  const recipients = await resolveRecipients(
    p.to,
    o.resolveRecipient,
    context,
    o.resolveRecipients,
  );
  const nowMs = o.now ? o.now() : Date.now();
  const options: SealOptions = {
    sender: o.sender,
    recipients,
    context,
    now: nowMs,
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
