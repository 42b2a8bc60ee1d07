/**
 * The binding conformance harness (the consumer rules of SPEC.md §7b): what a
 * transport plugs in. One small `HarnessAdapter` per transport (NATS
 * JetStream, RabbitMQ, Redis Streams, MQTT, Kafka) publishes raw or sealed
 * bytes, starts the consumer in a child process that can be SIGKILLed and
 * restarted, and reads back everything the broker stored or forwarded.
 *
 * The kit imports no workspace package (it sits below core's own tests), so
 * the few core functions the harness calls are passed in by the test and
 * typed here by shape only.
 */

/** Hints a raw publish may attach; a copy an attacker replays carries none. */
export interface RawHints {
  /** The envelope's message id, for the broker's own dedup (`Nats-Msg-Id`, AMQP `messageId`...). */
  messageId?: string;
  /** The media type hint (`bw-content-type`). */
  contentType?: string;
}

/** One message as the broker stored or forwarded it: the body and, where the transport has them, the raw header bytes. */
export interface StoredMessage {
  /** Where it was read: a stream and sequence, a queue, a subscriber... (for a finding's report). */
  where: string;
  body: Uint8Array;
  /** The transport's headers as it carried them (NATS `NATS/1.0` block, AMQP properties...), raw. */
  headers?: Uint8Array;
}

/** One entry of the dead-letter destination. */
export interface DeadLetter {
  /** The body: the unchanged envelope (SPEC.md §7b). */
  bytes: Uint8Array;
  /** The reason hint (`bw-reason`), or undefined when missing. */
  reason: string | undefined;
  /** The message id hint (`bw-message-id`), or undefined when missing. */
  messageId: string | undefined;
}

/** How the consumer child is started: everything it needs is in `config`, which the adapter writes for it. */
export interface ChildOptions {
  /** The run log the child appends to (run-log.ts), shared by every incarnation. */
  logPath: string;
  /** 1 for the first start, then 2, 3... after each kill. */
  incarnation: number;
  /** The transport-specific rest (keys file, stream, consumer, replay store prefix...). */
  config: Record<string, unknown>;
}

/** A running consumer child (child.ts `spawnNodeChild` makes one). */
export interface ChildHandle {
  readonly pid: number;
  /** Sends `signal` (SIGKILL for a crash, SIGTERM to stop it cleanly). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves when the process has exited, with its code or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines it wrote to stderr (for a failure's report; metadata only). */
  stderrTail(): string;
}

/** What a transport supplies to the harness. */
export interface HarnessAdapter {
  /** The binding token (`nats`, `amqp`, `redis`, `mqtt`, `kafka`). */
  readonly binding: string;
  /** The destination the consumer child consumes. */
  readonly destination: string;
  /** Another destination of the same transport, not consumed (for cross-destination copies). */
  readonly otherDestination: string;
  /** Where dead-letter copies go. */
  readonly deadLetterDestination: string;
  /** The binding's bound context of a destination (SPEC.md §11b). */
  context(destination: string): string | Uint8Array;
  /** Publishes `bytes` unchanged, with only the hints given. */
  publishRaw(destination: string, bytes: Uint8Array, hints?: RawHints): Promise<void>;
  /** Publishes `payload` through the binding's own sealed publish, to the consumer's key. */
  publishSealed(destination: string, payload: Uint8Array): Promise<{ messageId: string }>;
  /** Starts the consumer child. */
  startConsumerChild(options: ChildOptions): Promise<ChildHandle>;
  /** Everything the broker holds for the destination (and any other it stores), raw. */
  readStored(): Promise<StoredMessage[]>;
  /** Everything in the dead-letter destination, in order. */
  readDeadLetters(): Promise<DeadLetter[]>;
  /** Messages of the destination not yet settled (acknowledged or terminated). */
  pending(): Promise<number>;
}

/** A sender as `seal` takes it (core's `Sender`; an `Identity` fits). */
export interface SenderLike {
  name: string;
  signing: unknown;
}

/** The options of core's `seal` the workload uses. */
export interface WorkloadSealOptions {
  sender: SenderLike;
  recipients: unknown;
  context: string | Uint8Array;
  ttl?: number;
  now?: number;
}

/** Core's `seal` and `inspect`, passed in by the test (the kit imports no workspace package). */
export interface CoreFunctions {
  seal(
    payload: Uint8Array,
    options: WorkloadSealOptions,
  ): Promise<{ envelope: Uint8Array; messageId: string }>;
  inspect(envelope: Uint8Array): { ciphertextBytes: number; messageId: string };
}
