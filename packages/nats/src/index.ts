/**
 * @blindwire/nats: sealed messages on NATS and JetStream through the
 * caller's nats.js v3 connection (SPEC.md §7b, §11b, §11c).
 *
 * @module @blindwire/nats
 */
export { createNatsBinding, type NatsBinding, type NatsJetStreamBinding } from './binding.js';
export {
  NATS_MSG_ID,
  dataBytes,
  deadLetterHints,
  deadLetterKey,
  headerBytes,
  messageHints,
  readHint,
  responseHints,
  type HeadersLike,
  type JetStreamExpect,
  type Hints,
} from './carrier.js';
export { compileSubjectFilter } from './subjects.js';
export { serverFeatures, serverVersion } from './server.js';
export type * from './types.js';
