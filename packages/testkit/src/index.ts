/**
 * @blindwire/testkit: the private test kit of the Blindwire packages (never
 * published). The vector-case schema, parser and loader of
 * test-vectors/README.md (SPEC.md §12); one way to assert a BlindwireError
 * code (SPEC.md §9); a reference clock; the service probe and the build
 * guard, which skip outside CI and fail under `CI=true`; and the binding
 * conformance harness (harness/: the consumer rules of SPEC.md §7b). No
 * dependency on @blindwire/core, so that core's own tests can use it: the
 * harness takes the few core functions it calls from the test.
 */
export type {
  CaseInputs,
  CaseKind,
  Claims,
  Expect,
  ExpectError,
  ExpectSuccess,
  IdentityDocument,
  IndexEntry,
  KeyPairJson,
  LimitName,
  MessageCase,
  MessageIntermediates,
  ResponseJson,
  StreamCase,
  StreamExpect,
  StreamExpectError,
  StreamIntermediates,
  SuiteName,
  VectorCase,
  VectorIndex,
  VectorLimits,
} from './vectors/types.js';
export { LIMIT_NAMES, SUITE_NAMES } from './vectors/types.js';
export type {
  CallerJson,
  CallerResponseJson,
  ResponseExpect,
  ResponseExpectSuccess,
  ResponseSecretJson,
} from './vectors/response-caller.js';
export { VectorCaseError } from './vectors/fields.js';
export { CASE_FILE, INDEX_FILE, parseVectorCase, parseVectorIndex } from './vectors/parse.js';
export { indexProblems, type IndexedCase } from './vectors/index-check.js';
export {
  listCaseFiles,
  loadCases,
  loadIndex,
  readCase,
  type LoadedCase,
} from './vectors/loader.js';
export {
  feedOpener,
  feedings,
  sameClaims,
  type Fed,
  type Feeding,
  type StreamOpener,
} from './vectors/feeding.js';
export { caseOpenOptions, type CaseOpenCore, type Trust } from './vectors/open-options.js';
export {
  errorCode,
  errorCodeSync,
  expectCode,
  isBlindwireErrorLike,
  outcomeOf,
  outcomeOfSync,
  rejection,
  type BlindwireErrorLike,
  type Subject,
} from './errors.js';
export { createClock, type Clock } from './clock.js';
export { isCI } from './env.js';
export {
  SERVICES,
  probePort,
  probeService,
  type ProbeOptions,
  type Service,
  type ServiceName,
  type ServiceStatus,
} from './services.js';
export {
  BUILD_HINT,
  requireBuild,
  type BuildGuardOptions,
  type BuildStatus,
} from './build-guard.js';
export * from './harness/index.js';
