/**
 * The conformance suite's contract with a binding (the consumer rules of
 * SPEC.md §7b, the bound context of §11b, the blindness of §11c): what one
 * run against the real broker gives the six cases (`ConformanceTarget`), and
 * what a binding declares once for all of them (`ConformanceSuite`).
 * harness/README.md explains each member. Stable from the `[suite-ready]`
 * commit on: members are added, never changed or removed.
 *
 * The kit imports no workspace package, so core's `seal`, the crypto
 * backend and the binding's clients are passed in and typed by shape.
 */
import type { describe, expect, it } from 'vitest';
import type { AccountingCounts } from './accounting.js';
import type { Finding } from './blindness.js';
import type { CoreFunctions, HarnessAdapter, SenderLike, StoredMessage } from './types.js';

/** The cases, and what `setup` is told it prepares a run for. */
export type CaseName =
  | 'blindness'
  | 'nothing-lost'
  | 'faulty-consumer'
  | 'replay'
  | 'redelivery'
  | 'context'
  | 'limits'
  | 'concurrency';

/** One consume event as the binding's `onEvent` reports it (core's `ConsumeEvent`; metadata only). */
export interface ConsumeEventLike {
  outcome: string;
  action: string;
  code?: string;
  messageId?: string;
  attempt?: number;
}

/** How an in-process consumer's handler behaves. */
export interface ConsumerOptions {
  /** Runs inside the handler after the call was recorded (a slow handler: a sleep). */
  work?: (messageId: string) => Promise<void>;
  /**
   * Never tell the broker the handler is still working (NATS `working()`,
   * an ack deadline extension...), so that a slow handler is redelivered.
   */
  noProgress?: boolean;
}

/** A consumer of the work destination in the test's own process, through the binding. */
export interface InProcessConsumer {
  /** Message ids the handler was called with, in order (recorded before `work`). */
  readonly calls: string[];
  /** Its consume events, in order (only the consume verb's: no send events). */
  readonly events: ConsumeEventLike[];
  /** The binding's consume counters (`acked`, `deadLettered`, `termed`, `retried`...). */
  stats(): Record<string, number>;
  /** Stops consuming (in-flight handlers finish) and closes its own connections. */
  close(): Promise<void>;
}

/**
 * One run against the real service, made by `ConformanceSuite.setup` and
 * closed by the case: its own destinations (a random run id in every name),
 * identities, replay store keys and spy.
 */
export interface ConformanceTarget {
  adapter: HarnessAdapter;
  /** Core's `seal` and `inspect` (with the backend the binding uses). */
  core: CoreFunctions;
  /** The allowed sender: the adapter's `publishSealed` seals as it. */
  sender: SenderLike;
  /** Trusted by the consumers, outside their policy's allowed senders. */
  disallowedSender: SenderLike;
  /** The consumer's key, as `seal` takes it (`recipients`). */
  recipients: unknown;
  /** The work destination's context under other bindings, by label (`{ amqp: ..., redis: ... }`). */
  foreignContexts: Record<string, string | Uint8Array>;
  /** Given to every start of the consumer child (`ChildOptions.config`). */
  childConfig: Record<string, unknown>;
  /** The run log the child appends to. */
  logPath: string;
  /** Whether the run's shared replay store holds (messageId, sender) as done. */
  isCommitted(messageId: string, sender: string): Promise<boolean>;
  /** Starts a consumer of the work destination in this process, on connections of its own. */
  startConsumer(options?: ConsumerOptions): Promise<InProcessConsumer>;
  /** Deletes what the run created (destinations, replay keys, temp dir unless BW_KEEP). */
  close(): Promise<void>;
}

/** What `limits` returns: the binding's size limit and its sealed publish verbs. */
export interface LimitsProbe {
  /** The limit in bytes, as the binding enforces it (read from the server where it can). */
  maxBytes: number;
  /** The crypto backend the publishers are given a counting copy of (core's `nodeBackend`). */
  backend: object;
  /**
   * Each sealed publish verb of the binding, by label, made with `backend`
   * (the counting copy) and publishing to the work destination, to the
   * target's consumer. The first is also used for the payload that fits.
   */
  publishers(backend: object): Record<string, (payload: Uint8Array) => Promise<{ bytes: number }>>;
}

/** What `concurrency.start` returns: two consumers that receive one id at the same moment. */
export interface ConcurrencySetup {
  consumers: [InProcessConsumer, InProcessConsumer];
  /** Where to publish (and seal for): both consumers receive from it. */
  destination: string;
  /** Copies of each envelope to publish there (1 when the destination fans out, 2 for one shared group). */
  copies: number;
  /** Whether an `in-flight` event must be seen (the setup forces an overlap). */
  expectInFlight?: boolean;
  /** Unsettled messages of the destination, when it drains; the case waits for 0. */
  pending?: () => Promise<number>;
  /** Removes what `start` added beyond the target (closing the consumers is the case's). */
  close?: () => Promise<void>;
}

/** The vitest functions the suite registers with (the kit's dist never imports vitest). */
export interface VitestApi {
  describe: typeof describe;
  it: typeof it;
  expect: typeof expect;
}

/** What a binding declares once; `defineConformanceSuite` turns it into the six cases. */
export interface ConformanceSuite<T extends ConformanceTarget = ConformanceTarget> {
  /** The label in test names and printed lines (`nats`, `amqp`, `redis`...). */
  name: string;
  /** True when a service or a build is missing (outside CI): the suite is skipped. */
  skip: boolean;
  /** Throws (fails the suite) when a service or build is missing; called before every case. */
  assertReady(): void;
  /** Sets up one run for `kind` (a transport may choose by it: a quorum queue, a short ack wait...). */
  setup(kind: CaseName): Promise<T>;
  /** Case 2. */
  nothingLost?: {
    /** Messages (default 10,000; BW_CONFORMANCE_COUNT overrides). */
    count?: number;
    /** The least number of messages the spy must have scanned (default published + replays + dead letters). */
    minScanned?: (count: number, counts: AccountingCounts) => number;
  };
  /** Also run the negative case: a child with `fault: 'ack-on-receipt'` must be caught losing ids. */
  faultyConsumer?: boolean;
  /** Case 1. */
  blindness: {
    /** Publishes `plaintext` in the clear to the work destination, with `headerValue` in a header (or a field). */
    publishInClear(t: T, plaintext: Uint8Array, headerValue: string): Promise<void>;
    /** More checks of what the spy read during the workload (counts per place...). */
    checkSeen?(seen: readonly StoredMessage[], counts: AccountingCounts, count: number): void;
    /** More checks of the findings in the clear control (which places, which parts). */
    checkClear?(findings: readonly Finding[]): void;
  };
  /**
   * Case 3b: makes the broker redeliver what `first` holds, whose handler
   * still runs (`noProgress`, a long `work`): wait out an ack deadline, drop
   * its connection... Returns the consumers that may receive the redelivery
   * (`first` itself, or new ones). Omitted: the case is not registered.
   */
  redeliver?(t: T, first: InProcessConsumer): Promise<InProcessConsumer[]>;
  /** Case 5. */
  limits(t: T): LimitsProbe;
  /** Case 6. */
  concurrency: {
    start(t: T, work: () => Promise<void>): Promise<ConcurrencySetup>;
    /** Ids (default 20). */
    count?: number;
    /** How long each handler runs (default 150 ms). */
    workMs?: number;
  };
  /** Binding-specific consume counters each case expects (merged into the generic ones). */
  stats?: { replay?: Record<string, number>; context?: Record<string, number> };
}
