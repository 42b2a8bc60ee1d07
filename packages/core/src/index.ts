/**
 * @blindwire/core: seal a payload so that only the verified recipient
 * endpoint can open it. The wire format is SPEC.md; HPKE (RFC 9180) is
 * available on its own at `@blindwire/core/hpke`.
 *
 * @module @blindwire/core
 */
export { BlindwireError, ErrorCode, isBlindwireError, OPEN_FAILED_MESSAGE } from './errors.js';
export { DEFAULT_LIMITS, MAX_LIMITS, type Limits } from './limits.js';
export { getDefaultBackend, setDefaultBackend, pureBackend, webBackend } from './backend/index.js';
export type { AeadAlgorithm, CryptoBackend, Sha256Hash, X25519KeyPair } from './backend/types.js';
export { seal } from './envelope/seal.js';
export { isXWingEnabled } from './hpke/kem.js';
export {
  DEFAULT_TTL_SECONDS,
  type SealOptions,
  type SealResult,
  type KeyValidity,
  type KeySuite,
  type RecipientKeyInfo,
  type Recipient,
  type Sender,
} from './envelope/seal-options.js';
export { open } from './envelope/open.js';
export {
  type OpenOptions,
  type OpenResult,
  type RecipientKey,
  type SenderResolver,
} from './envelope/open-options.js';
export { inspect } from './envelope/inspect.js';
export type { EnvelopeInfo } from './envelope/envelope-info.js';
export { sealResponse, openResponse } from './envelope/response.js';
export type {
  SealResponseOptions,
  SealResponseResult,
  OpenResponseOptions,
  OpenResponseResult,
  PendingRequest,
} from './envelope/response-options.js';
export {
  exportResponseState,
  importResponseState,
  type ExportResponseStateOptions,
  type ImportResponseStateOptions,
} from './envelope/response-state.js';
export {
  sealedSize,
  sealedResponseSize,
  type SealedSizeOptions,
  type SizedRecipient,
} from './envelope/sealed-size.js';
export {
  BINDINGS,
  bindingContext,
  isBindingName,
  type BindingName,
  type BindingContextOptions,
} from './binding/context.js';
export { amqpDestination, httpDestination, mcpDestination } from './binding/destinations.js';
export { CarrierHeader, MediaType, mediaTypeOf } from './binding/media-types.js';
export { sealStream, DEFAULT_CHUNK_SIZE } from './stream/seal-stream.js';
export type {
  SealStream,
  SealStreamOptions,
  SealStreamResult,
} from './stream/seal-stream-options.js';
export { openStream } from './stream/open-stream.js';
export type {
  OpenStream,
  OpenStreamOptions,
  OpenStreamResult,
  StreamInfo,
} from './stream/open-stream-options.js';
export { DEFAULT_STREAM_LIMITS, MAX_STREAM_LIMITS, type StreamLimits } from './stream/limits.js';
export {
  DEFAULT_REPLAY_LEASE_MS,
  MAX_REPLAY_LEASE_MS,
  type ReplayGuard,
  type ReplayStore,
  type ReplayEntry,
  type ReserveAnswer,
  type Reservation,
} from './envelope/replay.js';
export {
  createMemoryReplayStore,
  type MemoryReplayStore,
  type MemoryReplayStoreOptions,
} from './envelope/memory-replay-store.js';
export { createConsumer } from './consume/consumer.js';
export { classify, DISPOSITION_TABLE, Reason, type Outcome } from './consume/classify.js';
export type {
  Consumer,
  ConsumerOptions,
  ConsumeEvent,
  Delivered,
  Delivery,
  DestinationPolicy,
  Disposition,
  Opener,
  RecipientKeySource,
  RetryOptions,
} from './consume/consumer-options.js';
export type { Padding } from './wire/inner.js';
export type { AeadName, KemName } from './wire/suites.js';
export { kemOfPublicKey } from './wire/suites.js';
export {
  generateIdentity,
  generateSigningKey,
  generateEncryptionKey,
  publicIdentity,
  exportPublicIdentity,
  importPublicIdentity,
  exportIdentity,
  importIdentity,
  signingKid,
  encryptionKid,
  type Identity,
  type PublicIdentity,
  type PublicIdentityJson,
  type IdentityJson,
  type SigningKey,
  type SigningPublicKey,
  type EncryptionKey,
  type EncryptionPublicKey,
  type KeyGenerationOptions,
} from './identity/identity.js';
export { toBase64url, fromBase64url, toHex, fromHex } from './bytes.js';
