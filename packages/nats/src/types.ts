/**
 * What the binding uses of nats.js v3 (`@nats-io/transport-node`,
 * `@nats-io/jetstream` 3.x), typed structurally so that any version of the
 * range fits, and the binding's options, results and events (SPEC.md §7b,
 * §11b, §11c).
 */
import type {
  ConsumeEvent,
  CryptoBackend,
  Delivered,
  DestinationPolicy,
  Limits,
  Padding,
  AeadName,
  Recipient,
  ReplayStore,
  Opener,
  RetryOptions,
} from '@blindwire/core';
import type { BindingOpeningOptions, BindingSealingOptions } from '@blindwire/core/internal';
import type { JetStreamExpect } from './carrier.js';

/** nats.js `MsgHdrs`, as far as used. */
export interface NatsHeadersLike {
  keys(): string[];
  get(k: string): string;
  set(k: string, v: string): void;
}

/** A core NATS message. */
export interface NatsMsgLike {
  readonly subject: string;
  readonly reply?: string | undefined;
  readonly data: Uint8Array;
  readonly headers?: NatsHeadersLike | undefined;
  respond(data?: Uint8Array, opts?: { headers?: NatsHeadersLike }): boolean;
}

/** A core NATS subscription (async iterable of messages). */
export interface NatsSubscriptionLike extends AsyncIterable<NatsMsgLike> {
  unsubscribe(max?: number): void;
  drain(): Promise<void>;
  readonly closed: Promise<unknown>;
}

/** The caller's connected `NatsConnection`. */
export interface NatsConnectionLike {
  readonly info?: { max_payload: number; version: string; headers?: boolean } | undefined;
  publish(subject: string, data?: Uint8Array, opts?: { headers?: NatsHeadersLike }): void;
  subscribe(subject: string, opts?: { queue?: string }): NatsSubscriptionLike;
  request(
    subject: string,
    data?: Uint8Array,
    opts?: { timeout: number; headers?: NatsHeadersLike },
  ): Promise<NatsMsgLike>;
  flush(): Promise<void>;
  /** Whether the connection is closed for good (nats.js `isClosed()`). */
  isClosed?(): boolean;
  /** Whether the connection is draining (nats.js `isDraining()`): it closes once drained. */
  isDraining?(): boolean;
}

/** A JetStream message (`JsMsg`). */
export interface JsMsgLike {
  readonly subject: string;
  readonly seq: number;
  readonly data: Uint8Array;
  readonly headers?: NatsHeadersLike | undefined;
  readonly info: { stream: string; deliveryCount: number; streamSequence: number };
  ack(): void;
  nak(millis?: number): void;
  working(): void;
  term(reason?: string): void;
}

/** `JetStreamClient.publish`'s acknowledgement. */
export interface PubAckLike {
  stream: string;
  seq: number;
  duplicate: boolean;
}

/** The caller's `jetstream(nc)`. */
export interface JetStreamLike {
  publish(
    subject: string,
    data?: Uint8Array,
    opts?: { msgID?: string; headers?: NatsHeadersLike; expect?: Record<string, unknown> },
  ): Promise<PubAckLike>;
}

/** What `fetch()` returns: an async iterable of one batch of messages that can be stopped. */
export interface JsFetchLike extends AsyncIterable<JsMsgLike> {
  stop(err?: Error): void;
}

/** The part of a consumer's config (`ConsumerInfo.config`) that `consume` reads. */
export interface JsConsumerConfigLike {
  /** The consumer's name (nats-server 2.9+ sets it, and `durable_name` on a durable). */
  name?: string;
  durable_name?: string;
  ack_wait?: number;
  max_deliver?: number;
  filter_subject?: string;
  filter_subjects?: string[];
  /** Messages per pull request at most. */
  max_batch?: number;
  /** A pull request's expiry at most (ns). */
  max_expires?: number;
  /** Pull requests waiting on the server at once, at most. */
  max_waiting?: number;
  /** Set on a push consumer. */
  deliver_subject?: string;
}

/**
 * A pull consumer (`await js.consumers.get(stream, name)`). `consume` reads it
 * with `fetch` (bounded pull requests); this type used to ask for
 * `consume()` instead, so a wrapper of a nats.js consumer must now offer
 * `fetch`. Ordered consumers are refused.
 */
export interface JsConsumerLike {
  fetch(opts?: { max_messages?: number; expires?: number }): Promise<JsFetchLike>;
  info(cached?: boolean): Promise<{ config: JsConsumerConfigLike }>;
  /** nats.js sets it on an ordered consumer. */
  readonly ordered?: boolean;
}

/** The verbs that emit events. */
export type NatsVerb =
  'publish' | 'subscribe' | 'request' | 'respond' | 'consume' | 'dead-letter' | 'pull';

/** A consumer's disposition (core's `ConsumeEvent`), from a subscription, responder or JetStream consumer. */
export interface NatsConsumeEvent extends ConsumeEvent {
  binding: 'nats';
  verb: 'subscribe' | 'respond' | 'consume';
}

/**
 * A message sent (or not): publish, request, a response, a dead-letter copy;
 * or a JetStream pull (fetch) of `consume` that failed (`pull`, outcome
 * `failed`, code ERR_TRANSPORT, the consumer's name as destination), one per
 * failed pull, passing or fatal. Metadata only.
 */
export interface NatsSendEvent {
  binding: 'nats';
  verb: 'publish' | 'request' | 'respond' | 'dead-letter' | 'pull';
  destination: string;
  outcome: 'sent' | 'failed' | 'dropped';
  code?: string;
  messageId?: string;
  bytes: number;
  suite?: string;
  ms: number;
}

/** What the binding reports to `onEvent` for each send and each delivery: no payload, no secret. */
export type NatsEvent = NatsConsumeEvent | NatsSendEvent;

/** A recipient: a key or identity, or a name that `resolveRecipient` turns into one. */
export type To = Recipient | string | (Recipient | string)[];

/**
 * Options of `createNatsBinding`: this endpoint's identity, keys and trust, and the subjects'
 * policies.
 */
export interface NatsBindingOptions extends BindingSealingOptions, BindingOpeningOptions {
  /** Shared by every consumer of the messages (default: one memory store per binding). */
  replay?: ReplayStore;
  replayLeaseMs?: number;
  /** Default policy of subscribe/respond/consume; `match` may be a NATS subject filter. */
  policy?: DestinationPolicy[];
  /** The bound context of a subject (default `bindingContext('nats', subject)`). */
  context?: (subject: string) => string | Uint8Array;
  onEvent?: (e: NatsEvent) => void;
  eventsIncludeSender?: boolean;
  retry?: RetryOptions;
  concurrency?: number;
  /**
   * Opens deliveries in place of core's `open`: `createOpenPool()` from
   * `@blindwire/node` runs them in worker threads (measured slower on 2
   * cores; see its README).
   */
  opener?: Opener;
  clockSkew?: number;
  limits?: Partial<Limits>;
  backend?: CryptoBackend;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /** Sealing defaults. */
  ttl?: number;
  padding?: Padding;
  aead?: AeadName;
}

/** Options of `publish`: the recipients and the envelope's choices. */
export interface PublishOptions {
  to: To;
  contentType?: string;
  ttl?: number;
  claims?: Record<string, string | number>;
  /** Extra hint headers (never `bw-*` or `Nats-*` names; never secrets). */
  headers?: Record<string, string>;
  /**
   * The message id (16 bytes or 32 hex digits; default random). Only to seal
   * the same message again after a publish whose outcome is unknown, so that
   * JetStream deduplicates it; never for two different messages.
   */
  messageId?: Uint8Array | string;
}

/** A sealed publish: the message id and the envelope's size. */
export interface PublishResult {
  messageId: string;
  /** The envelope's size. */
  bytes: number;
}

/** Options of `subscribe`. */
export interface SubscribeOptions {
  queue?: string;
  policy?: DestinationPolicy[];
  /** Where retry / in-flight / dead-letter deliveries go, unchanged with `bw-reason`. */
  deadLetterSubject?: string;
}

/** A sealed subscription: its counters, and how to end it. */
export interface NatsSubscription {
  unsubscribe(): void;
  /** Drains the NATS subscription, then waits for every delivery's disposition. */
  drain(): Promise<void>;
  /** Resolves when the NATS subscription closed. */
  readonly closed: Promise<void>;
  /** Resolves when the subscription closed and every delivery was disposed of. */
  readonly processed: Promise<void>;
}

/** Options of `request`: the recipient, the envelope's choices and the timeout. */
export interface RequestOptions {
  to: To;
  /** ms (default 5000). */
  timeout?: number;
  contentType?: string;
  ttl?: number;
  claims?: Record<string, string | number>;
  headers?: Record<string, string>;
}

/** The answer to a `request`, opened and verified. */
export interface RequestResult {
  payload: Uint8Array;
  contentType?: string;
  /** The response's id. */
  messageId: string;
  requestId: string;
  /** The kid of the recipient key that answered. */
  responder: string;
  /** The recipient's name, when `to` was one name: only its holder can answer. */
  sender?: string;
}

/** A responder's answer: bytes or text, with an optional content type. */
export type Answer = Uint8Array | string | { payload: Uint8Array | string; contentType?: string };

/** Answers each request: the returned payload is sealed as the response. */
export type RespondHandler = (m: Delivered) => Answer | Promise<Answer>;

/** Options of `respond`. */
export interface RespondOptions {
  queue?: string;
  policy?: DestinationPolicy[];
  deadLetterSubject?: string;
  /** The response's lifetime in seconds (default: the binding's ttl). */
  ttl?: number;
}

/** Options of a JetStream `publish`: those of core NATS, and the stream's expectations. */
export interface JetStreamPublishOptions extends PublishOptions {
  /** JetStream publish expectations, sent as their `Nats-Expected-*` headers (counted in the size). */
  expect?: JetStreamExpect;
}

/** A sealed JetStream publish: the message id and the stream's acknowledgement. */
export interface JetStreamPublishResult extends PublishResult {
  seq: number;
  stream: string;
  duplicate: boolean;
}

/** Options of a JetStream `consume`. */
export interface ConsumeOptions {
  /** Captured by a stream: the binding writes dead-letter copies there, then terms. */
  deadLetterSubject: string;
  policy?: DestinationPolicy[];
  /** Default retry.maxAttempts, capped at the consumer's max_deliver. */
  maxAttempts?: number;
  /** How often `working()` is sent while a handler runs (default ack_wait / 3). */
  workingIntervalMs?: number;
  /**
   * Messages pulled ahead: held (arrived, not yet disposed of) plus asked for
   * (default: 4 x the binding's `concurrency`, 64 by default). Every message
   * held is kept leased with `working()` from its arrival.
   */
  maxMessages?: number;
}

/** Counters of a running consumer, by outcome. */
export interface ConsumeStats {
  acked: number;
  naked: number;
  deadLettered: number;
  deadLetterFailed: number;
  termed: number;
}

/** A running JetStream consumer: its counters, and how to stop it. */
export interface ConsumeRun {
  /** Stops pulling, disposes of every message already pulled, flushes the acks, then resolves. */
  stop(): Promise<void>;
  /** Resolves when the run ended (stopped, or the consumer's messages closed). */
  readonly done: Promise<void>;
  readonly stats: Readonly<ConsumeStats>;
}
