/**
 * What every verb of the binding shares (SPEC.md §7b): the checked binding
 * options, the replay store, events, and a core `createConsumer` configured
 * for one `consume`.
 */
import {
  BlindwireError,
  ErrorCode,
  createConsumer,
  createMemoryReplayStore,
  isBlindwireError,
  type Consumer,
  type ConsumerOptions,
  type Delivered,
  type DestinationPolicy,
  type ReplayStore,
  type RetryOptions,
} from '@blindwire/core';
import { contextOf } from './seal.js';
import type { AmqpBindingOptions, AmqpEvent, AmqpSendEvent } from './types.js';

/** RabbitMQ 3.10's default `max_message_size` (128 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 134_217_728;

/** The binding's state shared by its verbs. */
export interface Shared {
  o: AmqpBindingOptions;
  replay: ReplayStore;
  now: () => number;
  maxMessageBytes: number;
  emit: (e: AmqpEvent) => void;
}

export function shared(o: AmqpBindingOptions): Shared {
  if (typeof o !== 'object' || o === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options" expected an options object');
  if (o.onEvent !== undefined && typeof o.onEvent !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"onEvent" expected a function');
  const max = o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!Number.isSafeInteger(max) || max < 1)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"maxMessageBytes" expected a positive integer',
    );
  const onEvent = o.onEvent;
  return {
    o,
    replay: o.replay ?? createMemoryReplayStore(),
    now: o.now ?? Date.now,
    maxMessageBytes: max,
    emit: (e) => {
      if (!onEvent) return;
      try {
        onEvent(e);
      } catch {
        // Events never change what happens to a message.
      }
    },
  };
}

/** A send event, metadata only. */
export function sendEvent(
  s: Shared,
  verb: AmqpSendEvent['verb'],
  destination: string,
  started: number,
  fields: Partial<AmqpSendEvent>,
): void {
  s.emit({
    binding: 'amqp',
    verb,
    destination,
    outcome: 'sent',
    bytes: 0,
    ...fields,
    ms: Math.max(0, s.now() - started),
  });
}

/** A core consumer for one `consume` (every option checked now). */
export function consumerFor(
  s: Shared,
  policy: DestinationPolicy[] | undefined,
  handler: (m: Delivered) => unknown,
  retry: RetryOptions,
): Consumer {
  const o = s.o;
  const co: ConsumerOptions = {
    policy: policy ?? o.policy ?? [{ match: '**' }],
    context: (destination) => contextOf(o, destination),
    replay: s.replay,
    handler,
    now: s.now,
    onEvent: (e) => s.emit({ ...e, binding: 'amqp', verb: 'consume' }),
    retry,
  };
  const copy = <K extends keyof ConsumerOptions>(k: K, v: ConsumerOptions[K] | undefined) => {
    if (v !== undefined) co[k] = v;
  };
  copy('recipient', o.recipient);
  copy('keySource', o.keySource);
  copy('revokedKids', o.revokedKids);
  copy('trustedSenders', o.trustedSenders);
  copy('resolveSender', o.resolveSender);
  copy('replayLeaseMs', o.replayLeaseMs);
  copy('eventsIncludeSender', o.eventsIncludeSender);
  copy('concurrency', o.concurrency);
  copy('clockSkew', o.clockSkew);
  copy('limits', o.limits);
  copy('backend', o.backend);
  return createConsumer(co);
}

/** An exchange, queue or routing key: a string of at most 255 UTF-8 bytes (AMQP short string). */
export function checkName(name: string, v: unknown, allowEmpty: boolean): string {
  if (typeof v !== 'string' || (!allowEmpty && v.length === 0) || Buffer.byteLength(v) > 255)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"${name}" expected ${allowEmpty ? 'a' : 'a non-empty'} string of at most 255 bytes`,
    );
  return v;
}

/** A client error as ERR_TRANSPORT with its cause; a BlindwireError passes unchanged. */
export function transportError(what: string, e: unknown): BlindwireError {
  if (isBlindwireError(e)) return e;
  return new BlindwireError(ErrorCode.Transport, `${what} failed`, { cause: e });
}
