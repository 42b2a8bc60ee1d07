/**
 * Unstable helpers for sibling packages (directory, bindings, CLI, test
 * vectors). Not part of the public API: may change in any release.
 */
export { concat, equalBytes, utf8, fromUtf8, assertBytes, wipe, i2osp } from './bytes.js';
export { encodeCborReference } from './envelope/cbor-encoder.js';
export {
  encodeCbor,
  decodeCbor,
  encodeHead,
  readHead,
  type CborValue,
  type CborMap,
  type CborLimits,
} from './envelope/cbor.js';
export { parseFrame, writeFrame, prefixFor, Kind, VERSION } from './envelope/format.js';
export {
  encodeMessageHeader,
  decodeMessageHeader,
  encodeResponseHeader,
  decodeResponseHeader,
  HeaderKey,
  type MessageHeader,
  type ResponseHeader,
  type RecipientEntry,
} from './envelope/header.js';
export { encodeInner, decodeInner, padme } from './envelope/inner.js';
export {
  LABEL,
  deriveMessageKeys,
  deriveResponseKey,
  contextCheck,
  signatureInput,
  ZERO_NONCE,
} from './envelope/keys.js';
export { strictPreconditions, isCanonicalPoint } from './backend/ed25519-strict.js';
export { assertIdentityName } from './identity/identity.js';
export { hpkeSuite, suiteByName } from './envelope/suites.js';
export { sealResponseWithId } from './envelope/response.js';
