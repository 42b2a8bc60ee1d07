/**
 * The `open` / `openStream` options of a test-vector case (test-vectors/
 * README.md, "File format"): exactly its inputs (key pairs, trusted senders
 * pinned or through a resolver, context, clock, policy, limits, the replay
 * store's seen ids), nothing else. The kit does not depend on
 * @blindwire/core: the caller passes the two core functions it needs.
 */
import type { CaseInputs } from './types.js';

/** Trusted senders given as pinned identities, or answered by a resolver. */
export type Trust = 'trustedSenders' | 'resolveSender';

/** The core functions `caseOpenOptions` calls (`importPublicIdentity`, `createMemoryReplayStore`). */
export interface CaseOpenCore {
  importPublicIdentity(
    json: unknown,
    options: { backend: never },
  ): Promise<{ name: string; signing: { kid: string; publicKey: Uint8Array } }>;
  createMemoryReplayStore(): { record(messageId: string, expiresAt: number): unknown };
}

const hexBytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

/** The opener's options for case `c` on `backend`, trusting its senders the `trust` way. */
export async function caseOpenOptions<T>(
  c: CaseInputs,
  backend: unknown,
  trust: Trust,
  core: CaseOpenCore,
): Promise<T> {
  const identities = await Promise.all(
    c.trustedSenders.map((j) => core.importPublicIdentity(j, { backend: backend as never })),
  );
  const o: Record<string, unknown> = {
    recipient: c.recipient.map((k) => ({
      kid: k.kid,
      publicKey: hexBytes(k.publicKey),
      privateKey: hexBytes(k.privateKey),
    })),
    context: hexBytes(c.context),
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
    const replay = core.createMemoryReplayStore();
    for (const id of c.seenMessageIds) await replay.record(id, 0xffffffff);
    o['replay'] = replay;
  }
  return o as T;
}
