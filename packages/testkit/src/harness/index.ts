/**
 * The binding conformance harness (the consumer rules of SPEC.md §7b, the
 * blindness of SPEC.md §11c): adapter types, the workload, the run log, the
 * accounting, the blindness spy, the nothing-lost run with SIGKILLs, and the
 * six cases of the conformance suite (`defineConformanceSuite`, README.md).
 */
export type {
  ChildHandle,
  ChildOptions,
  CoreFunctions,
  DeadLetter,
  HarnessAdapter,
  RawHints,
  SenderLike,
  StoredMessage,
  WorkloadSealOptions,
} from './types.js';
export { createRng, type Rng } from './random.js';
export {
  DEFAULT_RATES,
  MARKER_BYTES,
  PLAINTEXT_PREFIX,
  generateWorkload,
  plaintextFor,
  workloadCounts,
  type Expectation,
  type ItemKind,
  type WorkItem,
  type Workload,
  type WorkloadParties,
  type WorkloadRates,
  type WorkloadSpec,
} from './workload.js';
export {
  openRunLog,
  parseRunLog,
  readRunLog,
  type HandlerCall,
  type LoggedEvent,
  type RunLog,
  type RunLogWriter,
} from './run-log.js';
export {
  account,
  type Accounting,
  type AccountingCounts,
  type AccountingInput,
} from './accounting.js';
export { WINDOW, createBlindnessSpy, type BlindnessSpy, type Finding } from './blindness.js';
export { spawnNodeChild, waitForLine, type SpawnOptions } from './child.js';
export {
  runNothingLost,
  summaryLine,
  type Kill,
  type NothingLostOptions,
  type NothingLostResult,
} from './nothing-lost.js';
export type {
  CaseName,
  ConcurrencySetup,
  ConformanceSuite,
  ConformanceTarget,
  ConsumeEventLike,
  ConsumerOptions,
  InProcessConsumer,
  LimitsProbe,
  VitestApi,
} from './conformance-types.js';
export { defineConformanceSuite, withTarget } from './suite.js';
export { eventsOf, isFinal, sealFor, workloadFor } from './case-helpers.js';
export { countingProxy, knobs, settled, sleep, until } from './wait.js';
export { blindnessControl, blindnessOfWorkload, BLINDNESS_COUNT } from './case-blindness.js';
export { faultyConsumerCaught, nothingLost, NOTHING_LOST_COUNT } from './case-nothing-lost.js';
export { redeliveryBeforeAck, replayAfterAck } from './case-replay.js';
export { crossContextCopies } from './case-context.js';
export { overLimitRefused } from './case-limits.js';
export { oneIdAtOnce } from './case-concurrency.js';
