/**
 * Identities shared by this package's tests, made with `@blindwire/core`'s
 * public API (the built package, as the pool itself imports it).
 */
import {
  generateIdentity,
  publicIdentity,
  type CryptoBackend,
  type Identity,
} from '@blindwire/core';

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
