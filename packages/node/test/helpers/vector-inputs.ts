/**
 * The opener's inputs of a test-vector case (test-vectors/README.md, "File
 * format"): key pairs, trusted senders (pinned or through a resolver),
 * context, clock and policy, for the message and response cases.
 */
import { fileURLToPath } from 'node:url';
import { loadCases, type CaseInputs, type MessageCase } from '@blindwire/testkit';
import {
  createMemoryReplayStore,
  fromHex,
  importPublicIdentity,
  type CryptoBackend,
} from '@blindwire/core';

const CASES_DIR = fileURLToPath(new URL('../../../../test-vectors/cases/', import.meta.url));

/** The message and response cases of test-vectors/cases, checked against the schema. */
export const messageCases = loadCases(CASES_DIR).filter(
  (x): x is { file: string; c: MessageCase } => x.c.kind !== 'stream',
);

/** Trusted senders given as pinned identities, or answered by a resolver. */
export type Trust = 'trustedSenders' | 'resolveSender';

/** `open` options for the case: exactly its inputs, nothing else. */
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
