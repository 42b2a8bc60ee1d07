/**
 * The opener's inputs of a test-vector case (test-vectors/README.md, "File
 * format"), shared by the message and the stream vector tests: key pairs,
 * trusted senders (pinned or through a resolver), context, clock and policy.
 */
import { fileURLToPath } from 'node:url';
import {
  listCaseFiles,
  loadCases,
  loadIndex,
  type CaseInputs,
  type LoadedCase,
  type MessageCase,
  type StreamCase,
} from '@blindwire/testkit';
import {
  createMemoryReplayStore,
  fromHex,
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

/** Trusted senders given as pinned identities, or answered by a resolver. */
export type Trust = 'trustedSenders' | 'resolveSender';

/** `open` / `openStream` options for the case: exactly its inputs, nothing else. */
export async function caseOpenOptions<T>(
  c: CaseInputs,
  backend: CryptoBackend,
  trust: Trust,
): Promise<T> {
  const identities = await Promise.all(
    c.trustedSenders.map((j) => importPublicIdentity(j, { backend })),
  );
  const o: Record<string, unknown> = {
    recipient: c.recipient.map((k) => ({
      kid: k.kid,
      publicKey: fromHex(k.publicKey),
      privateKey: fromHex(k.privateKey),
    })),
    context: fromHex(c.context),
    now: c.now,
    clockSkew: c.clockSkew,
    backend,
  };
  if (trust === 'trustedSenders') {
    o['trustedSenders'] = identities;
  } else {
    o['resolveSender'] = (name: string, kid: string) =>
      identities.find((i) => i.name === name && i.signing.kid === kid)?.signing.publicKey;
  }
  if (c.maxAge !== undefined) o['maxAge'] = c.maxAge;
  if (c.allowedSenders) o['allowedSenders'] = c.allowedSenders;
  if (c.allowedSuites) o['allowedSuites'] = c.allowedSuites;
  if (c.limits) o['limits'] = c.limits;
  if (c.seenMessageIds) {
    const replay = createMemoryReplayStore();
    for (const id of c.seenMessageIds) await replay.record(id, 0xffffffff);
    o['replay'] = replay;
  }
  return o as T;
}
