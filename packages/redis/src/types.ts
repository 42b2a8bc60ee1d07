/**
 * What the binding uses of its clients, typed structurally so that ioredis 5.4+
 * and 6 and node-redis 5 and 6 fit without importing them, and the binding's
 * options, results and events (SPEC.md §7b, §11b, §11c).
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

/** A command argument as both clients take it. */
export type RedisArg = string | Buffer;

/** ioredis 5.4+ / 6 (`new Redis()`): raw commands with binary replies, and MULTI. */
export interface IoRedisLike {
  callBuffer(command: string, args: (string | Buffer | number)[]): Promise<unknown>;
  multi(commands: (string | Buffer | number)[][]): {
    exec(): Promise<[Error | null, unknown][] | null>;
  };
}

/** node-redis 5 / 6 (`createClient()`, connected): raw commands, and MULTI. */
export interface NodeRedisLike {
  sendCommand(
    args: ReadonlyArray<RedisArg>,
    options?: { typeMapping?: Record<number, unknown> },
  ): Promise<unknown>;
  multi(): NodeRedisMultiLike;
}

/** node-redis's MULTI builder, as far as used. */
export interface NodeRedisMultiLike {
  addCommand(args: RedisArg[]): unknown;
  exec(): Promise<unknown>;
}

/** The caller's connected client: ioredis or node-redis, told apart by shape. */
export type RedisClientLike = IoRedisLike | NodeRedisLike;

/** What a consumer reads: one stream through one consumer of one group. */
export interface ConsumeTarget {
  stream: string;
  group: string;
  consumer: string;
}

/** The binding's operations, as events name them. */
export type RedisVerb = 'ack' | 'add' | 'consume' | 'dead-letter' | 'reclaim';

/** A consumer's disposition (core's `ConsumeEvent`), with the entry it concerned. */
export interface RedisConsumeEvent extends ConsumeEvent {
  binding: 'redis';
  verb: 'consume';
}

/** An entry written (or not), an ack that failed, or read trouble: metadata only. */
export interface RedisSendEvent {
  binding: 'redis';
  verb: 'ack' | 'add' | 'dead-letter' | 'reclaim';
  destination: string;
  /**
   * `trimmed`: a pending entry was trimmed away (MAXLEN) before it was settled;
   * `settled`: no dead-letter copy written, another consumer had settled the entry.
   */
  outcome: 'sent' | 'failed' | 'trimmed' | 'settled';
  code?: string;
  messageId?: string;
  /** The stream entry id. */
  entryId?: string;
  bytes: number;
  ms: number;
}

/** What the binding reports to `onEvent` for each add and each delivery: no payload, no secret. */
export type RedisEvent = RedisConsumeEvent | RedisSendEvent;

/** A recipient: a key or identity, or a name that `resolveRecipient` turns into one. */
export type To = Recipient | string | (Recipient | string)[];

/** `MAXLEN` of an XADD: a count (approximate `~` trimming), or `{ count, exact: true }`. */
export type MaxLen = number | { count: number; exact?: boolean };

/**
 * Options of `createRedisBinding`: this endpoint's identity, keys and trust, and the streams'
 * policies.
 */
export interface RedisBindingOptions extends BindingSealingOptions, BindingOpeningOptions {
  /**
   * The replay store every consumer of the group shares; required by
   * `consume`: `createRedisReplayStore({ client })` from @blindwire/replay.
   */
  replay?: ReplayStore;
  replayLeaseMs?: number;
  /** Default policy of `consume` (`match`: a SPEC.md §7.1 name pattern or a function). */
  policy?: DestinationPolicy[];
  /** The bound context of a stream key (default `bindingContext('redis', key)`). */
  context?: (stream: string) => string | Uint8Array;
  onEvent?: (e: RedisEvent) => void;
  eventsIncludeSender?: boolean;
  retry?: RetryOptions;
  concurrency?: number;
  clockSkew?: number;
  limits?: Partial<Limits>;
  backend?: CryptoBackend;
  /** The largest entry `add` writes, field names and hints included (default 1 MiB). */
  maxEntryBytes?: number;
  /** Default `MAXLEN` of `add` (default none). */
  maxLen?: MaxLen;
  now?: () => number;
  ttl?: number;
  padding?: Padding;
  aead?: AeadName;
}

/** Options of `add`: the recipients, the envelope's choices and the stream's trimming. */
export interface AddOptions {
  to: To;
  contentType?: string;
  ttl?: number;
  claims?: Record<string, string | number>;
  /** `MAXLEN` of this XADD (default the binding's). */
  maxLen?: MaxLen;
  /** The message id (16 bytes or 32 lowercase hex digits; default random): only to re-send one message. */
  messageId?: Uint8Array | string;
}

/** A sealed XADD: the entry id and the message id. */
export interface AddResult {
  messageId: string;
  /** The stream entry id Redis assigned. */
  id: string;
  /** The envelope's size. */
  bytes: number;
}

/** Options of `consume`. */
export interface ConsumeOptions {
  /** Where dead-letter copies go (default `<stream>:dlq`; on a cluster, same hash slot). */
  deadLetterStream?: string;
  /** `MAXLEN` of the dead-letter stream (default none). */
  deadLetterMaxLen?: MaxLen;
  policy?: DestinationPolicy[];
  /** Deliveries before a transient failure is dead-lettered (default retry.maxAttempts, 5). */
  maxAttempts?: number;
  /** Entries per XREADGROUP / XAUTOCLAIM (default 64). */
  count?: number;
  /** BLOCK of an XREADGROUP issued while nothing is in flight (default 1000 ms). */
  blockMs?: number;
  /** Pending entries idle this long are reclaimed with XAUTOCLAIM (default 30 000 ms). */
  claimIdleMs?: number;
  /** How often XAUTOCLAIM runs (default claimIdleMs / 4, at most 5000 ms). */
  claimIntervalMs?: number;
}

/** Counters of a running consumer, by outcome. */
export interface ConsumeStats {
  read: number;
  reclaimed: number;
  acked: number;
  retried: number;
  deadLettered: number;
  deadLetterFailed: number;
  /** Dead-letter dispositions of entries another consumer had settled meanwhile: no copy written. */
  settledElsewhere: number;
  /** Entries whose XACK failed after their commit: left pending (reclaimed, found done, acked later). */
  ackFailed: number;
  readErrors: number;
}

/** A running consumer-group reader: its counters, and how to stop it. */
export interface ConsumeRun {
  /** Stops reading, lets in-flight handlers finish and settle, then resolves. */
  stop(): Promise<void>;
  readonly done: Promise<void>;
  readonly stats: Readonly<ConsumeStats>;
}

/** Receives each delivered entry, opened and verified; the entry is acknowledged once it settles. */
export type Handler = (m: Delivered) => unknown;
