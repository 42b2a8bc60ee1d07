/**
 * What the binding uses of amqplib (`>=0.10.4 <3`), typed structurally so
 * that any version of the range fits, and the binding's options, results and
 * events (SPEC.md §7b, §11b, §11c).
 */
import type {
  AeadName,
  ConsumeEvent,
  CryptoBackend,
  DestinationPolicy,
  Limits,
  Padding,
  Recipient,
  ReplayStore,
  RetryOptions,
} from '@blindwire/core';
import type { BindingOpeningOptions, BindingSealingOptions } from '@blindwire/core/internal';

/** AMQP basic properties, as amqplib takes and gives them (only what is used). */
export interface AmqpProperties {
  contentType?: string | undefined;
  messageId?: string | undefined;
  timestamp?: number | undefined;
  expiration?: string | number | undefined;
  headers?: Record<string, unknown> | undefined;
  persistent?: boolean | undefined;
  deliveryMode?: number | undefined;
  /** Publish option: return the message when no queue receives it. */
  mandatory?: boolean | undefined;
}

/** A delivered message (`ConsumeMessage`). */
export interface AmqpMessageLike {
  content: Uint8Array;
  fields: {
    deliveryTag: number;
    redelivered: boolean;
    exchange: string;
    routingKey: string;
    consumerTag?: string;
  };
  properties: AmqpProperties;
}

/** amqplib's `Channel`, as far as used. */
export interface AmqpChannelLike {
  publish(exchange: string, routingKey: string, content: Buffer, options?: AmqpProperties): boolean;
  sendToQueue(queue: string, content: Buffer, options?: AmqpProperties): boolean;
  consume(
    queue: string,
    onMessage: (msg: AmqpMessageLike | null) => void,
    options?: { noAck?: boolean; consumerTag?: string; exclusive?: boolean },
  ): Promise<{ consumerTag: string }>;
  ack(message: AmqpMessageLike, allUpTo?: boolean): void;
  nack(message: AmqpMessageLike, allUpTo?: boolean, requeue?: boolean): void;
  prefetch(count: number, global?: boolean): Promise<unknown>;
  cancel(consumerTag: string): Promise<unknown>;
  assertQueue?(queue: string, options?: Record<string, unknown>): Promise<unknown>;
}

/** amqplib's `ConfirmChannel`: publishes take a callback called on the broker's ack or nack. */
export interface AmqpConfirmChannelLike extends AmqpChannelLike {
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options?: AmqpProperties,
    callback?: (err: unknown, ok?: unknown) => void,
  ): boolean;
  waitForConfirms(): Promise<void>;
  /** amqplib channels are event emitters: `return` gives back an unroutable mandatory message. */
  on?(event: 'return', listener: (message: AmqpMessageLike) => void): unknown;
}

/** The verbs that emit events. */
export type AmqpVerb = 'publish' | 'sendToQueue' | 'consume' | 'retry' | 'dead-letter';

/** A consumer's disposition (core's `ConsumeEvent`). */
export interface AmqpConsumeEvent extends ConsumeEvent {
  binding: 'amqp';
  verb: 'consume';
}

/** A message sent (or not): publish, sendToQueue, a retry copy, a dead-letter copy. Metadata only. */
export interface AmqpSendEvent {
  binding: 'amqp';
  verb: 'publish' | 'sendToQueue' | 'retry' | 'dead-letter';
  /** `<exchange>/<routing key>` (SPEC.md §11b form). */
  destination: string;
  outcome: 'sent' | 'failed';
  code?: string;
  messageId?: string;
  bytes: number;
  ms: number;
}

/** What the binding reports to `onEvent` for each send and each delivery: no payload, no secret. */
export type AmqpEvent = AmqpConsumeEvent | AmqpSendEvent;

/** A recipient: a key or identity, or a name that `resolveRecipient` turns into one. */
export type To = Recipient | string | (Recipient | string)[];

/**
 * Options of `createAmqpBinding`: this endpoint's identity, keys and trust, and the destinations'
 * policies.
 */
export interface AmqpBindingOptions extends BindingSealingOptions, BindingOpeningOptions {
  /** Shared by every consumer of the messages (default: one memory store per binding). */
  replay?: ReplayStore;
  replayLeaseMs?: number;
  /** Default policy of consume; `match` is a SPEC.md §7.1 name pattern on `<exchange>/<routing key>`. */
  policy?: DestinationPolicy[];
  /** The bound context of a destination (default `bindingContext('amqp', destination)`). */
  context?: (destination: string) => string | Uint8Array;
  /** The broker's `max_message_size` in bytes (default 134217728, RabbitMQ 3.10's default). */
  maxMessageBytes?: number;
  onEvent?: (e: AmqpEvent) => void;
  eventsIncludeSender?: boolean;
  retry?: RetryOptions;
  concurrency?: number;
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

/** Options of `publish` and `sendToQueue`: the recipients and the envelope's choices. */
export interface PublishOptions {
  to: To;
  contentType?: string;
  ttl?: number;
  claims?: Record<string, string | number>;
  /** Extra AMQP headers (never `bw-*` or `x-*` names; never secrets; keep them tiny). */
  headers?: Record<string, string>;
  /** Persistent delivery mode (default true). */
  persistent?: boolean;
  /** Set AMQP `expiration` from the envelope's expiry (default true). */
  expiration?: boolean;
  /** On a confirm channel: wait for the broker's ack (ERR_TRANSPORT on a nack). */
  confirm?: boolean;
  /** The message id (16 bytes or 32 hex digits; default random): only to publish one message again. */
  messageId?: Uint8Array | string;
}

/** A sealed publish: the channel's answer (`ok`), the message id and the envelope's size. */
export interface PublishResult {
  /** amqplib's return value unchanged: false when the channel's buffer is full (wait for 'drain'). */
  ok: boolean;
  messageId: string;
  /** The envelope's size. */
  bytes: number;
}

/** Options of `consume`. */
export interface ConsumeOptions {
  /** Where dead-letter copies go: `{ exchange, routingKey }` or `{ queue }` (the default exchange). */
  deadLetter: { exchange: string; routingKey: string } | { queue: string };
  /**
   * The retry delay queue (declared by the caller or with `declare`): its
   * dead-letter exchange is `""` and its dead-letter routing key the consumed
   * queue, so an expired retry copy returns there.
   */
  retryQueue: string;
  /** A confirm channel for retry and dead-letter copies (default the consuming channel, if it confirms). */
  confirmChannel?: AmqpConfirmChannelLike;
  /** The destination the messages were sealed for (`<exchange>/<routing key>`); default per delivery. */
  destination?: string;
  policy?: DestinationPolicy[];
  /** Default retry.maxAttempts. */
  maxAttempts?: number;
  /** `channel.prefetch(n)` before consuming (default 32). */
  prefetch?: number;
  /** Declares the retry queue with its arguments (default false: the caller declares it). */
  declare?: boolean;
}

/** Counters of a running consumer, by outcome. */
export interface ConsumeStats {
  acked: number;
  retried: number;
  deadLettered: number;
  /** Copies the broker did not confirm: the original was requeued. */
  writeFailed: number;
  /** Given to the queue's own dead-letter exchange (`nack` without requeue): unreadable deliveries. */
  rejected: number;
}

/** A running consumer: its counters, and how to stop it. */
export interface ConsumeRun {
  readonly consumerTag: string;
  /** Cancels the consumer, lets in-flight handlers finish and dispose, then resolves. */
  stop(): Promise<void>;
  readonly stats: Readonly<ConsumeStats>;
}
