/**
 * What the binding's verbs share (SPEC.md §7b, §11b): the checked options,
 * events (metadata only, a throwing listener ignored), the bound context of a
 * stream key, and a core `createConsumer` configured for one consume run.
 */
import {
  BlindwireError,
  ErrorCode,
  bindingContext,
  createConsumer,
  type Consumer,
  type ConsumerOptions,
  type DestinationPolicy,
  type ReplayStore,
  type RetryOptions,
} from '@blindwire/core';
import type {
  Handler,
  RedisBindingOptions,
  RedisConsumeEvent,
  RedisEvent,
  RedisSendEvent,
} from './types.js';
import { wireOf, type Wire } from './wire.js';
import type { RedisClientLike } from './types.js';

/** The binding's state shared by its verbs. */
export interface Shared {
  o: RedisBindingOptions;
  wire: Wire;
  now: () => number;
  /** Whether an `onEvent` listener is set: without one, no event object is built. */
  listening: boolean;
  emit: (e: RedisEvent) => void;
  /** The bound context of a stream key (`contextOf`, the canonical one reused for a repeated key). */
  context: (stream: string) => string | Uint8Array;
}

export function shared(client: RedisClientLike, o: RedisBindingOptions): Shared {
  if (typeof o !== 'object' || o === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options" expected an options object');
  if (o.onEvent !== undefined && typeof o.onEvent !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"onEvent" expected a function');
  const wire = wireOf(client);
  const onEvent = o.onEvent;
  return {
    o,
    wire,
    now: o.now ?? Date.now,
    listening: onEvent !== undefined,
    context: contextCache(o),
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

/** A send event (add, dead-letter, reclaim), metadata only. */
export function sendEvent(
  s: Shared,
  verb: RedisSendEvent['verb'],
  destination: string,
  started: number,
  fields: Pick<Partial<RedisSendEvent>, 'outcome' | 'bytes' | 'code' | 'messageId' | 'entryId'>,
): void {
  if (!s.listening) return;
  // One literal of one shape, no spread of the caller's fields (each caller passes another shape).
  const e: RedisSendEvent = {
    binding: 'redis',
    verb,
    destination,
    outcome: fields.outcome ?? 'sent',
    bytes: fields.bytes ?? 0,
    ms: Math.max(0, s.now() - started),
  };
  if (fields.code !== undefined) e.code = fields.code;
  if (fields.messageId !== undefined) e.messageId = fields.messageId;
  if (fields.entryId !== undefined) e.entryId = fields.entryId;
  s.emit(e);
}

/** The bound context of `stream`: the binding's function, or SPEC.md §11b's canonical one. */
export function contextOf(o: RedisBindingOptions, stream: string): string | Uint8Array {
  if (o.context) return o.context(stream);
  return bindingContext('redis', stream, o.limits ? { limits: o.limits } : {});
}

/**
 * `contextOf` for each key, the canonical context (a pure function of the key)
 * reused while the key repeats: one check and one UTF-8 encoding per key, not
 * per message. A binding's `context` function is called every time.
 */
function contextCache(o: RedisBindingOptions): (stream: string) => string | Uint8Array {
  if (o.context) return (stream) => contextOf(o, stream);
  let key: string | undefined;
  let context = '';
  return (stream) => {
    if (stream !== key) {
      context = contextOf(o, stream) as string;
      key = stream;
    }
    return context;
  };
}

/** The replay store `consume` requires (shared by the group's consumers). */
export function replayOf(o: RedisBindingOptions): ReplayStore {
  if (o.replay === undefined)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"replay" expected a replay store shared by the group, e.g. createRedisReplayStore({ client }) from @blindwire/replay',
    );
  return o.replay;
}

/** A core consumer for one consume run (every option checked now). */
export function consumerFor(
  s: Shared,
  policy: DestinationPolicy[] | undefined,
  handler: Handler,
  retry: RetryOptions,
): Consumer {
  const o = s.o;
  const co: ConsumerOptions = {
    policy: policy ?? o.policy ?? [{ match: () => true }],
    context: s.context,
    replay: replayOf(o),
    handler,
    now: s.now,
    retry,
  };
  // Core builds no event without a listener; core's event is fresh per delivery, so it is tagged in place.
  if (s.listening)
    co.onEvent = (e) => {
      const tagged = e as RedisConsumeEvent;
      tagged.binding = 'redis';
      tagged.verb = 'consume';
      s.emit(tagged);
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
