/**
 * The opener's inputs of a test-vector case (test-vectors/README.md, "File
 * format"), shared by the message and the stream vector tests: key pairs,
 * trusted senders (pinned or through a resolver), context, clock and policy
 * (the options themselves are built by @blindwire/testkit's caseOpenOptions).
 */
import { fileURLToPath } from 'node:url';
import {
  caseOpenOptions as openOptionsOf,
  listCaseFiles,
  loadCases,
  loadIndex,
  type CaseInputs,
  type LoadedCase,
  type MessageCase,
  type StreamCase,
  type Trust,
} from '@blindwire/testkit';
import {
  createMemoryReplayStore,
  importPublicIdentity,
  type CryptoBackend,
} from '../../src/index.js';

const CASES_DIR = fileURLToPath(new URL('../../../../test-vectors/cases/', import.meta.url));

/** The case files of test-vectors/cases (NNN-name.json), in order. */
export const caseFiles: string[] = listCaseFiles(CASES_DIR);

/** Every case file, parsed and checked against the schema (@blindwire/testkit). */
export const allCases: LoadedCase[] = loadCases(CASES_DIR);

/** The message and response cases. */
export const messageCases = allCases.filter(
  (x): x is { file: string; c: MessageCase } => x.c.kind !== 'stream',
);

/** The stream cases. */
export const streamCases = allCases.filter(
  (x): x is { file: string; c: StreamCase } => x.c.kind === 'stream',
);

/** test-vectors/cases/index.json, checked against the schema. */
export const vectorIndex = loadIndex(CASES_DIR);

/** Every code open() and openStream() reject a vector with: each kind's cases cover all of them. */
export const OPEN_CODES = [
  'ERR_CONTEXT_MISMATCH',
  'ERR_ENVELOPE_MALFORMED',
  'ERR_EXPIRED',
  'ERR_KEY_NOT_FOUND',
  'ERR_KEY_UNTRUSTED',
  'ERR_LIMIT_EXCEEDED',
  'ERR_NOT_YET_VALID',
  'ERR_OPEN_FAILED',
  'ERR_REPLAY',
  'ERR_SENDER_NOT_ALLOWED',
  'ERR_UNSUPPORTED_SUITE',
  'ERR_UNSUPPORTED_VERSION',
];

/** `open` / `openStream` options for the case: exactly its inputs, nothing else. */
export const caseOpenOptions = <T>(
  c: CaseInputs,
  backend: CryptoBackend,
  trust: Trust,
): Promise<T> =>
  openOptionsOf<T>(c, backend, trust, { importPublicIdentity, createMemoryReplayStore });

export type { Trust };
