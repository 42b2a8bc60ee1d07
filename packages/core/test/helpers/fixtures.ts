/**
 * Identities and envelopes shared by the envelope tests. Rejections are
 * asserted with @blindwire/testkit (`expectCode`, `errorCode`).
 */
import { generateIdentity, publicIdentity, type Identity } from '../../src/identity/identity.js';
import type { CryptoBackend } from '../../src/backend/types.js';
import { backends } from './backends.js';

export const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

export interface Cast {
  alice: Identity; // sender
  bob: Identity; // recipient
  carol: Identity; // another recipient / third party
  mallory: Identity; // attacker with her own keys
}

export async function cast(backend?: CryptoBackend): Promise<Cast> {
  const o = backend ? { backend } : undefined;
  const [alice, bob, carol, mallory] = await Promise.all([
    generateIdentity('spiffe://acme.example/agents/planner', o),
    generateIdentity('spiffe://acme.example/tools/payments', o),
    generateIdentity('spiffe://acme.example/tools/search', o),
    generateIdentity('spiffe://evil.example/mallory', o),
  ]);
  return { alice, bob, carol, mallory };
}

export function trusted(...ids: Identity[]) {
  return ids.map((i) => publicIdentity(i));
}

/** The fastest backend available (node where present), for exhaustive tests. */
export function fastestBackend(): CryptoBackend {
  return backends.find((b) => b.name === 'node') ?? backends[0]!;
}
