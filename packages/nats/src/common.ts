/**
 * What every verb of the binding shares (SPEC.md §7b): the checked binding
 * options, the replay store, events, hint headers as nats.js headers, and a
 * core `createConsumer` configured for one subscription or consumer.
 */
import {
  BlindwireError,
  ErrorCode,
  createConsumer,
  createMemoryReplayStore,
  type Consumer,
  type ConsumerOptions,
  type Delivered,
  type DestinationPolicy,
  type ReplayStore,
  type RetryOptions,
} from '@blindwire/core';
import { headers } from '@nats-io/nats-core';
import type { Hints } from './carrier.js';
import { contextOf } from './seal.js';
import { natsPolicy } from './subjects.js';
import type {
  NatsBindingOptions,
  NatsConsumeEvent,
  NatsEvent,
  NatsHeadersLike,
  NatsSendEvent,
} from './types.js';

/** The binding's state shared by its verbs. */
export interface Shared {
  o: NatsBindingOptions;
  replay: ReplayStore;
  now: () => number;
  emit: (e: NatsEvent) => void;
}

export function shared(o: NatsBindingOptions): Shared {
  if (typeof o !== 'object' || o === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options" expected an options object');
  if (o.onEvent !== undefined && typeof o.onEvent !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"onEvent" expected a function');
  const onEvent = o.onEvent;
  return {
    o,
    replay: o.replay ?? createMemoryReplayStore(),
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

/** A send event, metadata only. */
export function sendEvent(
  s: Shared,
  verb: NatsSendEvent['verb'],
  destination: string,
  started: number,
  fields: Partial<NatsSendEvent>,
): void {
  s.emit({
    binding: 'nats',
    verb,
    destination,
    outcome: 'sent',
    bytes: 0,
    ...fields,
    ms: Math.max(0, s.now() - started),
  });
}

/** nats.js headers holding `hints`, or undefined without any. */
export function toHeaders(hints: Hints): NatsHeadersLike | undefined {
  const entries = Object.entries(hints);
  if (entries.length === 0) return undefined;
  const h = headers();
  for (const [k, v] of entries) h.set(k, v);
  return h;
}

/** The policy of a subscription or consumer: its own, the binding's, or any trusted sender anywhere. */
export function policyOf(s: Shared, own: DestinationPolicy[] | undefined): DestinationPolicy[] {
  if (own !== undefined) return natsPolicy(own, 'policy');
  if (s.o.policy !== undefined) return natsPolicy(s.o.policy, 'policy');
  return natsPolicy([{ match: '>' }], 'policy');
}

/** A core consumer for one subscription or JetStream consumer (every option checked now). */
export function consumerFor(
  s: Shared,
  verb: NatsConsumeEvent['verb'],
  policy: DestinationPolicy[] | undefined,
  handler: (m: Delivered) => unknown,
  retry?: RetryOptions,
): Consumer {
  const o = s.o;
  const co: ConsumerOptions = {
    policy: policyOf(s, policy),
    context: (subject) => contextOf(o, subject),
    replay: s.replay,
    handler,
    now: s.now,
  };
  // Without a listener, core builds no event at all. Core builds a fresh event per
  // disposition and keeps no reference to it: tagged in place, not copied.
  if (o.onEvent)
    co.onEvent = (e) => {
      const tagged = e as NatsConsumeEvent;
      tagged.binding = 'nats';
      tagged.verb = verb;
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
  copy('retry', retry ?? o.retry);
  copy('concurrency', o.concurrency);
  copy('opener', o.opener);
  copy('clockSkew', o.clockSkew);
  copy('limits', o.limits);
  copy('backend', o.backend);
  return createConsumer(co);
}

/** A string argument that names a concrete subject or a filter. */
export function checkSubject(name: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || /\s/.test(v))
    throw new BlindwireError(ErrorCode.InvalidArgument, `"${name}" expected a NATS subject`);
  return v;
}

/** A function argument. */
export function checkHandler(v: unknown): void {
  if (typeof v !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"handler" expected a function');
}
