/**
 * The opener's inputs of a test-vector case (test-vectors/README.md, "File
 * format"): key pairs, trusted senders (pinned or through a resolver),
 * context, clock and policy, for the message and response cases.
 */
import { fileURLToPath } from 'node:url';
import {
  caseOpenOptions as openOptionsOf,
  loadCases,
  type CaseInputs,
  type MessageCase,
  type Trust,
} from '@blindwire/testkit';
import { createMemoryReplayStore, importPublicIdentity, type CryptoBackend } from '@blindwire/core';

const CASES_DIR = fileURLToPath(new URL('../../../../test-vectors/cases/', import.meta.url));

/** The message and response cases of test-vectors/cases, checked against the schema. */
export const messageCases = loadCases(CASES_DIR).filter(
  (x): x is { file: string; c: MessageCase } => x.c.kind !== 'stream',
);

export type { Trust };

/** `open` options for the case: exactly its inputs, nothing else. */
export const caseOpenOptions = <T>(
  c: CaseInputs,
  backend: CryptoBackend,
  trust: Trust,
): Promise<T> =>
  openOptionsOf<T>(c, backend, trust, { importPublicIdentity, createMemoryReplayStore });
