/** The options, deliveries, dispositions and events of `createConsumer` (SPEC.md §7b). */
import type { CryptoBackend } from '../backend/types.js';
import type { EnvelopeInfo } from '../envelope/envelope-info.js';
import type {
  OpenOptions,
  OpenResult,
  RecipientKey,
  SenderResolver,
} from '../envelope/open-options.js';
import type { ReplayStore } from '../envelope/replay.js';
import type { EncryptionKey, PublicIdentity } from '../identity/identity.js';
import type { Limits } from '../limits.js';
import type { AeadName } from '../wire/suites.js';
import type { Outcome, Reason } from './classify.js';

/** One message as the broker handed it over. */
export interface Delivery {
  /** The envelope, exactly as received. */
  bytes: Uint8Array;
  /** Where it arrived: the concrete subject, queue, topic... (never a wildcard filter). */
  destination: string;
  /** The bound context for this delivery, overriding the policy's (a rewritten or republished subject). */
  context?: string | Uint8Array;
  /** 1 for the first delivery, counting the broker's redeliveries. */
  attempt: number;
  /** When it was received, ms (for the event's `ms`; default when `process` was called). */
  receivedAt?: number;
}

/** What the binding must do with the delivery. */
export interface Disposition {
  /**
   * `ack`: done (processed, or a duplicate); `retry`: do not ack, redeliver
   * after `delayMs`; `dead-letter`: write the unchanged envelope with `reason`
   * and `messageId` to the dead-letter destination, then ack (if that write
   * fails, do not ack); `in-flight`: another consumer holds it: do not ack,
   * redeliver after `delayMs`, never dead-letter.
   */
  action: 'ack' | 'retry' | 'dead-letter' | 'in-flight';
  reason?: Reason;
  delayMs?: number;
  /** The envelope's message id, when its header parsed. */
  messageId?: string;
}

/**
 * What the handler gets: only ever an opened, verified message. It answers
 * as the `open` result it came from: `sealResponse(delivered, ...)` and
 * `sealedResponseSize(delivered, ...)` seal a response to it (SPEC.md §6.4).
 */
export interface Delivered {
  payload: Uint8Array;
  /** The verified sender identity name. */
  sender: string;
  senderKid: string;
  messageId: string;
  contentType?: string;
  header: EnvelopeInfo;
  /** The envelope as delivered (for audit or forwarding). */
  bytes: Uint8Array;
  destination: string;
  attempt: number;
}

/** The policy of the destinations `match` selects (first matching entry wins). */
export interface DestinationPolicy {
  /**
   * A name pattern of SPEC.md §7.1 (`*` one or more characters but `/`, `**`
   * one or more of any), or the binding's own matcher (dotted NATS subjects).
   */
  match: string | ((destination: string) => boolean);
  /** Sender name patterns allowed here (SPEC.md §7 step 16); default any trusted sender. */
  allowedSenders?: (string | RegExp)[];
  /** Refuse messages issued longer ago than this many seconds. */
  maxAge?: number;
  allowedSuites?: AeadName[];
  /** The bound context here: fixed, or a function of the destination; default the consumer's `context`. */
  context?: string | Uint8Array | ((destination: string) => string | Uint8Array);
}

/** Where the consumer's own key pairs come from (a key rotator fits). */
export interface RecipientKeySource {
  recipientKeys(): Promise<EncryptionKey[]> | EncryptionKey[];
  revokedKids?(): Promise<Iterable<string>> | Iterable<string>;
}

/**
 * How the consumer pipeline retries a transient failure before it dead-letters the delivery
 * (SPEC.md §7b).
 */
export interface RetryOptions {
  /** Deliveries before a transient failure is dead-lettered (default 5). */
  maxAttempts?: number;
  /** The first retry's delay in ms (default 1000), doubled per attempt, with jitter. */
  backoffMs?: number;
  /** The longest delay in ms (default 60 000). */
  maxBackoffMs?: number;
}

/** Metadata only: never a payload, a key or (unless `eventsIncludeSender`) the sender. */
export interface ConsumeEvent {
  destination: string;
  outcome: Outcome;
  action: Disposition['action'];
  code?: Reason;
  messageId?: string;
  attempt: number;
  /** The envelope's size. */
  bytes: number;
  /** The suite's name, when the header parsed. */
  suite?: string;
  /** From `receivedAt` to the disposition. */
  ms: number;
  sender?: string;
}

/**
 * What opens a delivery: core `open` by default; the Node open pool
 * (`createOpenPool` from `@blindwire/node`) runs it in worker threads.
 * It must keep `open`'s semantics (SPEC.md §7): its checks, order and codes,
 * and with a replay store, a reservation on the caller's store.
 */
export interface Opener {
  open(envelope: Uint8Array, options: OpenOptions): Promise<OpenResult>;
  /** The backend the opener runs, when it is fixed (a pool's): the consumer's `backend` must then be it or absent. */
  readonly backend?: CryptoBackend;
}

/**
 * Options of `createConsumer` (SPEC.md §7b): the keys and trust of `open`, the
 * per-destination policy, the replay store, the handler, retries and concurrency.
 */
export interface ConsumerOptions {
  /** This endpoint's key pair(s); or `keySource`. */
  recipient?: RecipientKey | RecipientKey[];
  /** Key pairs (and tombstones) read per delivery, e.g. a key rotator; or `recipient`. */
  keySource?: RecipientKeySource;
  /** Tombstoned kids (SPEC.md §7 step 8), with `recipient`. */
  revokedKids?: Iterable<string>;
  /** Pinned sender identities; and/or `resolveSender`. */
  trustedSenders?: Pick<PublicIdentity, 'name' | 'signing'>[];
  /** A directory's `resolveSigningKey`. */
  resolveSender?: SenderResolver;
  /** Per destination, in order; a destination no entry matches is dead-lettered (ERR_NO_POLICY). */
  policy: DestinationPolicy[];
  /** The bound context of a destination (the binding's canonical one); required unless every policy entry has one. */
  context?: (destination: string) => string | Uint8Array;
  /** A replay reservation store, shared by every consumer of the messages. */
  replay: ReplayStore;
  replayLeaseMs?: number;
  /** Runs once per opened message; its success commits the reservation, then the message is acked. */
  handler: (message: Delivered) => unknown;
  onEvent?: (event: ConsumeEvent) => void;
  /** Put the verified sender's name in events (default false). */
  eventsIncludeSender?: boolean;
  retry?: RetryOptions;
  /** Deliveries processed at once (default 16). */
  concurrency?: number;
  /** Deliveries with the same key are processed one at a time, in arrival order (default: no key). */
  keyOf?: (delivery: Delivery) => string | undefined;
  clockSkew?: number;
  limits?: Partial<Limits>;
  backend?: CryptoBackend;
  /** Opens each delivery (default core `open`); e.g. an open pool of worker threads (`@blindwire/node`). */
  opener?: Opener;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /** Uniform in [0, 1), for the backoff's jitter (default from the backend's random bytes). */
  random?: () => number;
}

/** The consumer pipeline every binding calls (SPEC.md §7b), made by `createConsumer`. */
export interface Consumer {
  /** Opens, runs the handler and classifies one delivery; resolves when it is done. */
  process(delivery: Delivery): Promise<Disposition>;
  /**
   * Backpressure: resolves once fewer than `concurrency` deliveries wait to
   * start, with the disposition still to come (wrapped, so it is not awaited).
   */
  submit(delivery: Delivery): Promise<{ disposition: Promise<Disposition> }>;
  readonly running: number;
  readonly queued: number;
}
