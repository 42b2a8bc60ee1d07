/**
 * What the binding's verbs share (SPEC.md §7b, §11b): the checked options,
 * events (metadata only, a throwing listener ignored), and a core
 * `createConsumer` configured for one run.
 */
import {
  BlindwireError,
  ErrorCode,
  createConsumer,
  isBlindwireError,
  type Consumer,
  type ConsumerOptions,
  type Delivered,
  type DestinationPolicy,
  type ReplayStore,
  type RetryOptions,
} from '@blindwire/core';
import { contextOf } from './seal.js';
import type { KafkaBindingOptions, KafkaEvent, KafkaSendEvent } from './types.js';

/** The binding's state shared by its verbs. */
export interface Shared {
  o: KafkaBindingOptions;
  now: () => number;
  emit: (e: KafkaEvent) => void;
}

export function shared(o: KafkaBindingOptions): Shared {
  if (typeof o !== 'object' || o === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options" expected an options object');
  if (o.onEvent !== undefined && typeof o.onEvent !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"onEvent" expected a function');
  const onEvent = o.onEvent;
  return {
    o,
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

/** A send event (send, dead-letter, commit), metadata only. */
export function sendEvent(
  s: Shared,
  verb: KafkaSendEvent['verb'],
  destination: string,
  started: number,
  fields: Partial<KafkaSendEvent>,
): void {
  s.emit({
    binding: 'kafka',
    verb,
    destination,
    outcome: 'sent',
    bytes: 0,
    ...fields,
    ms: Math.max(0, s.now() - started),
  });
}

/** A client error as ERR_TRANSPORT with its cause; a BlindwireError passes unchanged. */
export function transportError(what: string, e: unknown): BlindwireError {
  if (isBlindwireError(e)) return e;
  return new BlindwireError(ErrorCode.Transport, `${what} failed`, { cause: e });
}

/** A topic name as given to a verb: a non-empty string. */
export function checkTopic(name: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0)
    throw new BlindwireError(ErrorCode.InvalidArgument, `"${name}" expected a non-empty string`);
  return v;
}

/** The replay store `run` requires (shared by the group's consumers). */
export function replayOf(o: KafkaBindingOptions): ReplayStore {
  if (o.replay === undefined)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"replay" expected a replay store shared by the group, e.g. createRedisReplayStore({ client }) from @blindwire/replay',
    );
  return o.replay;
}

/** A core consumer for one run (every option checked now). */
export function consumerFor(
  s: Shared,
  policy: DestinationPolicy[] | undefined,
  handler: (m: Delivered) => unknown,
  retry: RetryOptions,
  concurrency: number | undefined,
): Consumer {
  const o = s.o;
  const co: ConsumerOptions = {
    policy: policy ?? o.policy ?? [{ match: () => true }],
    context: (topic) => contextOf(o, topic),
    replay: replayOf(o),
    handler,
    now: s.now,
    retry,
    onEvent: (e) => s.emit({ ...e, binding: 'kafka', verb: 'consume' }),
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
  copy('concurrency', o.concurrency ?? concurrency);
  copy('clockSkew', o.clockSkew);
  copy('limits', o.limits);
  copy('backend', o.backend);
  return createConsumer(co);
}
