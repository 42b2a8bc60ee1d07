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
import type { Handler, RedisBindingOptions, RedisEvent, RedisSendEvent } from './types.js';
import { wireOf, type Wire } from './wire.js';
import type { RedisClientLike } from './types.js';

/** The binding's state shared by its verbs. */
export interface Shared {
  o: RedisBindingOptions;
  wire: Wire;
  now: () => number;
  emit: (e: RedisEvent) => void;
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
  fields: Partial<RedisSendEvent>,
): void {
  s.emit({
    binding: 'redis',
    verb,
    destination,
    outcome: 'sent',
    bytes: 0,
    ...fields,
    ms: Math.max(0, s.now() - started),
  });
}

/** The bound context of `stream`: the binding's function, or SPEC.md §11b's canonical one. */
export function contextOf(o: RedisBindingOptions, stream: string): string | Uint8Array {
  if (o.context) return o.context(stream);
  return bindingContext('redis', stream, o.limits ? { limits: o.limits } : {});
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
    context: (stream) => contextOf(o, stream),
    replay: replayOf(o),
    handler,
    now: s.now,
    retry,
    onEvent: (e) => s.emit({ ...e, binding: 'redis', verb: 'consume' }),
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
