/**
 * The types of a test-vector case file and of index.json: the one schema of
 * test-vectors/README.md ("File format", "Response cases", "Stream cases",
 * "index.json"), the vectors of SPEC.md §12. Byte strings are lowercase hex,
 * key ids base64url; `now` is in milliseconds, `clockSkew` and `maxAge` in
 * seconds. `parseVectorCase` (parse.ts) checks a file against these types.
 */
import type { CallerJson } from './response-caller.js';

/** The AEAD names a case may allow (SPEC.md §5). */
export const SUITE_NAMES = ['AES-128-GCM', 'AES-256-GCM', 'ChaCha20-Poly1305'] as const;
export type SuiteName = (typeof SUITE_NAMES)[number];

/** The limits a case may lower, by SPEC.md §8 name, and in stream cases §7a.7. */
export const LIMIT_NAMES = [
  'maxEnvelopeBytes',
  'maxHeaderBytes',
  'maxRecipients',
  'maxHeaderFields',
  'maxCborDepth',
  'maxStringBytes',
  'maxContextBytes',
  'maxChunkBytes',
  'maxStreamBytes',
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];
export type VectorLimits = Partial<Record<LimitName, number>>;

export type CaseKind = 'message' | 'response' | 'stream';

/** One of the opener's X25519 key pairs: hex keys, base64url kid. */
export interface KeyPairJson {
  kid: string;
  publicKey: string;
  privateKey: string;
}

/** A public identity document (SPEC.md §10.1), checked by core's importer, not here. */
export type IdentityDocument = Readonly<Record<string, unknown>>;

/** Claim values are strings or integers; compare them as a map (`sameClaims`). */
export type Claims = Record<string, string | number>;

/** `expect` of a success case: what the open releases and reports. */
export interface ExpectSuccess {
  result: 'success';
  /** Hex: the body (a stream: the released plaintext, concatenated). */
  payload: string;
  sender: string;
  senderKid: string;
  /** 32 hex digits. */
  messageId: string;
  contentType?: string;
  claims?: Claims;
}

/** `expect` of a rejected message or response case: exactly this code (SPEC.md §9). */
export interface ExpectError {
  result: 'error';
  code: string;
}

/** `expect` of a rejected stream case: the code, and `releasable` (hex, SPEC.md §7a.5). */
export interface StreamExpectError extends ExpectError {
  /** What an opener may have released before failing: a prefix of it, all of it byte by byte. */
  releasable: string;
}

export type Expect = ExpectSuccess | ExpectError;
export type StreamExpect = ExpectSuccess | StreamExpectError;

/** README "Response cases". */
export interface ResponseJson {
  payload: string;
  now: number;
  ttl: number;
  messageId: string;
  contentType?: string;
  padding?: 'padme' | 'none';
  envelope: string;
  responseSecret: string;
  responseKey: string;
}

/** Informative values of success cases (SPEC.md §4.2-§4.3, §7a.2-§7a.4). */
export interface MessageIntermediates {
  messageSecret: string;
  contentKey: string;
  inner: string;
}
export interface StreamIntermediates {
  messageSecret: string;
  streamKey: string;
  headerHash: string;
  meta: string;
  bodyHash: string;
  signature: string;
}

/** The opener's inputs, common to every kind. */
export interface CaseInputs {
  recipient: KeyPairJson[];
  trustedSenders: IdentityDocument[];
  /** Hex; empty: no context. */
  context: string;
  now: number;
  clockSkew: number;
  maxAge?: number;
  allowedSenders?: string[];
  allowedSuites?: SuiteName[];
  limits?: VectorLimits;
  seenMessageIds?: string[];
}

interface CaseCommon extends CaseInputs {
  description: string;
  /** SPEC.md references, the step or rule tested first: `"§7 step 15, §5.3 rule 2"`. */
  spec: string;
}

export interface MessageCase extends CaseCommon {
  kind: 'message' | 'response';
  envelope: string;
  expect: Expect;
  intermediates?: MessageIntermediates;
  /** Only in `"kind": "response"` cases: the responder's side, re-sealed byte for byte. */
  response?: ResponseJson;
  /** Only in `"kind": "response"` cases: the caller's side (response-caller.ts). */
  caller?: CallerJson;
}

export interface StreamCase extends CaseCommon {
  kind: 'stream';
  stream: string;
  chunkSize?: number;
  splits: number[];
  expect: StreamExpect;
  intermediates?: StreamIntermediates;
}

/** One case file. */
export type VectorCase = MessageCase | StreamCase;

/** One entry of index.json: the file and the outcome it states. */
export interface IndexEntry {
  file: string;
  kind: CaseKind;
  result: 'success' | 'error';
  code?: string;
}

/** test-vectors/cases/index.json. */
export interface VectorIndex {
  description: string;
  version: 1;
  count: number;
  cases: IndexEntry[];
}
