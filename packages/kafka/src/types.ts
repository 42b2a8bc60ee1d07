/**
 * What the binding uses of its clients, typed structurally so that KafkaJS
 * 2.x and the KafkaJS-compatible API of Confluent's client fit without
 * importing either, and the binding's options, results and events (SPEC.md
 * §7b, §11b, §11c).
 */
import type {
  AeadName,
  ConsumeEvent,
  CryptoBackend,
  Delivered,
  DestinationPolicy,
  Limits,
  Padding,
  Recipient,
  ReplayStore,
  RetryOptions,
} from '@blindwire/core';
import type { BindingOpeningOptions, BindingSealingOptions } from '@blindwire/core/internal';

/** A record header value as KafkaJS takes and gives it (`IHeaders`). */
export type KafkaHeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/** Record headers (`IHeaders`). Names are compared case-insensitively by the carrier. */
export interface KafkaHeaders {
  [name: string]: KafkaHeaderValue;
}

/** A message given to `producer.send` (KafkaJS `Message`), as far as used. */
export interface KafkaOutgoingMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: KafkaHeaders;
  timestamp?: string;
}

/** A record as the broker acknowledged it (KafkaJS `RecordMetadata`). */
export interface KafkaRecordMetadata {
  topicName: string;
  partition: number;
  errorCode: number;
  baseOffset?: string;
  offset?: string;
}

/** The caller's connected producer (KafkaJS `Producer`), as far as used. */
export interface KafkaProducerLike {
  send(record: {
    topic: string;
    messages: KafkaOutgoingMessage[];
    acks?: number;
    timeout?: number;
    compression?: number;
  }): Promise<KafkaRecordMetadata[]>;
}

/** A fetched record (KafkaJS `KafkaMessage`), as far as used. */
export interface KafkaReceivedMessage {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  offset: string;
  headers?: KafkaHeaders;
}

/** What `eachMessage` receives (KafkaJS `EachMessagePayload`), as far as used. */
export interface KafkaEachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaReceivedMessage;
  heartbeat(): Promise<void>;
}

/** The `run` configuration the binding hands to the client. */
export interface KafkaClientRunConfig {
  eachMessage: (payload: KafkaEachMessagePayload) => Promise<void>;
  autoCommit?: boolean;
  partitionsConsumedConcurrently?: number;
}

/** The caller's connected and subscribed consumer (KafkaJS `Consumer`), as far as used. */
export interface KafkaConsumerLike {
  run(config: KafkaClientRunConfig): Promise<void>;
  commitOffsets(offsets: { topic: string; partition: number; offset: string }[]): Promise<void>;
  stop(): Promise<void>;
}

/** The clients a binding calls through: the producer sends and writes dead-letter copies. */
export interface KafkaClients {
  producer?: KafkaProducerLike;
  consumer?: KafkaConsumerLike;
}

/** Where a record was read: topic, partition, offset. */
export interface KafkaSource {
  topic: string;
  partition: number;
  offset: string;
}

/** What the handler of `run` gets: the opened message and the record's public facts. */
export interface KafkaDelivered extends Delivered {
  kafka: KafkaSource & {
    /** The record key as stored (the sender's choice: public, never derived from the plaintext). */
    key: Buffer | null;
    timestamp: string;
    /** The record's headers as received: unauthenticated, hints and tracing only. */
    headers: KafkaHeaders;
  };
}

/** Receives each delivered message, opened and verified; settles when it is processed. */
export type Handler = (m: KafkaDelivered) => unknown;

/** A consumer's disposition (core's `ConsumeEvent`; `destination` is the topic). */
export interface KafkaConsumeEvent extends ConsumeEvent {
  binding: 'kafka';
  verb: 'consume';
}

/** A record written (or not), or an offset commit: metadata only. */
export interface KafkaSendEvent {
  binding: 'kafka';
  verb: 'send' | 'dead-letter' | 'commit';
  /** The topic written to (a commit: the consumed topic). */
  destination: string;
  outcome: 'sent' | 'failed';
  code?: string;
  messageId?: string;
  partition?: number;
  /** The offset of the original (dead-letter) or the offset committed (commit). */
  offset?: string;
  bytes: number;
  ms: number;
}

/** What the binding reports to `onEvent` for each send and each delivery: no payload, no secret. */
export type KafkaEvent = KafkaConsumeEvent | KafkaSendEvent;

/** A recipient: a key or identity, or a name that `resolveRecipient` turns into one. */
export type To = Recipient | string | (Recipient | string)[];

/** What sealing needs (the serializer's and the binding's options share it). */
export interface SealingOptions extends BindingSealingOptions {
  /** The bound context of a topic (default `bindingContext('kafka', topic)`, SPEC.md §11b). */
  context?: (topic: string) => string | Uint8Array;
  /**
   * The broker's `message.max.bytes` (default 1048588, Kafka's default): the
   * exact size of a one-record batch (record batch v2, uncompressed) is
   * checked against it before sealing.
   */
  maxMessageBytes?: number;
  ttl?: number;
  padding?: Padding;
  aead?: AeadName;
  clockSkew?: number;
  limits?: Partial<Limits>;
  backend?: CryptoBackend;
  /** Clock in ms (default Date.now). */
  now?: () => number;
}

/** What opening needs (the deserializer's and the binding's options share it). */
export interface OpeningOptions extends BindingOpeningOptions {
  context?: (topic: string) => string | Uint8Array;
  clockSkew?: number;
  limits?: Partial<Limits>;
  backend?: CryptoBackend;
  now?: () => number;
}

export interface KafkaBindingOptions extends SealingOptions, OpeningOptions {
  /** The replay store every consumer of the group shares; required by `run`. */
  replay?: ReplayStore;
  replayLeaseMs?: number;
  /** Default policy of `run` (`match`: a SPEC.md §7.1 name pattern on the topic, or a function). */
  policy?: DestinationPolicy[];
  retry?: RetryOptions;
  concurrency?: number;
  onEvent?: (e: KafkaEvent) => void;
  eventsIncludeSender?: boolean;
}

/** A record to send: its value is sealed, its key and headers travel as given. */
export interface SendMessage extends Omit<KafkaOutgoingMessage, 'value'> {
  /** The plaintext: sealed into the record's value. */
  value: Uint8Array | string;
  /** The message id (16 bytes or 32 lowercase hex digits; default random): only to re-send one message. */
  messageId?: Uint8Array | string;
}

/** `producer.send`'s record with plaintext values. */
export interface SendRecord {
  topic: string;
  messages: SendMessage[];
  acks?: number;
  timeout?: number;
  compression?: number;
}

/** Options of `send`: the recipients and the envelope's choices. */
export interface SendOptions {
  to: To;
  contentType?: string;
  ttl?: number;
  claims?: Record<string, string | number>;
}

/** A sealed send: the message ids and what the producer answered. */
export interface SendResult {
  /** The client's answer, unchanged. */
  metadata: KafkaRecordMetadata[];
  /** Per message, in order: its message id and envelope size. */
  messages: { messageId: string; bytes: number }[];
}

/** What `run` calls: the `eachMessage` handler, and how many partitions run at once (KafkaJS's run config). */
export interface RunConfig {
  /** Runs once per opened message; its success commits the reservation, then the offset. */
  eachMessage: Handler;
  /** Passed to the client's `run` (default the client's, 1). */
  partitionsConsumedConcurrently?: number;
}

/** Options of `run`. */
export interface RunOptions {
  /** Where dead-letter copies go: a topic, or one per consumed topic (default `<topic>.dlq`). */
  deadLetterTopic?: string | ((topic: string) => string);
  policy?: DestinationPolicy[];
  /** Attempts of a transient failure before it is dead-lettered (default retry.maxAttempts, 5). */
  maxAttempts?: number;
  /**
   * Pass `autoCommit: false` to the client's `run` (default true, KafkaJS).
   * Confluent's KafkaJS API refuses it there: create that consumer with
   * `kafkaJS: { autoCommit: false }` and set this to false.
   */
  setAutoCommit?: boolean;
  /** How often a waiting retry calls the client's `heartbeat()` (default 1000 ms). */
  heartbeatMs?: number;
}

/** Counters of a running consumer, by outcome. */
export interface RunStats {
  /** Records given to the binding's `eachMessage`. */
  received: number;
  /** Records settled for a commit: delivered, duplicates, dead-lettered. */
  settled: number;
  /** In-process retries (transient) and waits (in flight elsewhere). */
  retried: number;
  inFlightWaits: number;
  deadLettered: number;
  /** Dead-letter writes that failed (each retried). */
  deadLetterFailed: number;
  commits: number;
  commitFailed: number;
  /** Records left unsettled by `stop()` or a rebalance: their offsets are not committed. */
  unsettled: number;
}

/** A running consumer: its counters, and how to stop it. */
export interface KafkaRun {
  /** Stops taking records, lets settled ones commit, then stops the client's consumer. */
  stop(): Promise<void>;
  readonly stats: Readonly<RunStats>;
}
