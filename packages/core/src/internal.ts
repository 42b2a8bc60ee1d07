/**
 * Unstable helpers for sibling packages (directory, bindings, CLI, test
 * vectors). Not part of the public API: may change in any release.
 */
export { setSyncPrimitives, type SyncPrimitives } from './backend/sync.js';
export { concat, equalBytes, utf8, fromUtf8, assertBytes, wipe, i2osp } from './bytes.js';
export { encodeCborReference } from './wire/cbor-reference.js';
export {
  encodeCbor,
  decodeCbor,
  encodeHead,
  readHead,
  type CborValue,
  type CborMap,
  type CborLimits,
} from './wire/cbor.js';
export { parseFrame, writeFrame } from './wire/frame.js';
export {
  prefixFor,
  Kind,
  RecordKind,
  MAGIC_0,
  MAGIC_1,
  VERSION,
  PREFIX_LENGTH,
} from './wire/kinds.js';
export {
  encodeMessageHeader,
  decodeMessageHeader,
  encodeResponseHeader,
  decodeResponseHeader,
  HeaderKey,
  type MessageHeader,
  type ResponseHeader,
  type RecipientEntry,
} from './wire/header.js';
export { encodeInner, decodeInner, padme } from './wire/inner.js';
export {
  LABEL,
  deriveMessageKeys,
  deriveResponseKey,
  contextCheck,
  signatureInput,
  ZERO_NONCE,
} from './wire/keys.js';
export { strictPreconditions, isCanonicalPoint } from './backend/ed25519-strict.js';
export { assertIdentityName, isIdentityName } from './identity/name.js';
export { hidePrivateKey } from './identity/redact.js';
export { compileNamePattern, isNamePattern } from './envelope/patterns.js';
export { hpkeSuite, suiteByName } from './wire/suites.js';
export { requesterFromSecrets, sealResponseWithId } from './envelope/response.js';
export {
  backendOf,
  checkArguments,
  isOptionsObject,
  limitsOf,
  readOptions,
} from './envelope/common-options.js';
export { invalidArgument, openFailed, shown, wrongAnswer } from './errors.js';
export {
  messageIdOption,
  resolveRecipients,
  type RecipientResolver,
  type RecipientsResolver,
  type RecipientResolveOptions,
} from './binding/recipients.js';
export type { BindingOpeningOptions, BindingSealingOptions } from './binding/endpoint-options.js';
// `open` in another thread (@blindwire/node's open pool): the option checks of
// SPEC.md §7 run where the call is made, the result rebuilt as `open` returns it.
export { OPEN_OPTION_KEYS, checkOpenOptions } from './envelope/check-open.js';
export { createReservation, isReplayStore } from './envelope/replay.js';
export { openStateOf, rememberOpenState, type OpenState } from './envelope/state.js';
export { resolvedSenderKey } from './envelope/trust-source.js';
export { isBytes, notBytes } from './envelope/values.js';
export { surelySealFits, surelyWithinLimits, type SealSizeInput } from './envelope/seal-size.js';
export { suiteFromIds } from './wire/suites.js';
