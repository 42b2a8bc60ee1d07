/** Identities and envelopes shared by the envelope tests. */
import { expect } from 'vitest';
import { generateIdentity, publicIdentity, type Identity } from '../../src/identity/identity.js';
import type { CryptoBackend } from '../../src/backend/types.js';
import { BlindwireError } from '../../src/errors.js';
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

/** Runs `fn`, expects a BlindwireError, returns its code (and fails the test if it returned). */
export async function codeOf(fn: () => Promise<unknown>): Promise<string> {
  let result: unknown;
  try {
    result = await fn();
  } catch (e) {
    if (!(e instanceof BlindwireError)) throw e;
    return e.code;
  }
  throw new Error(`expected a BlindwireError, got a result: ${typeof result}`);
}

/** The BlindwireError a promise rejects with; fails the test if it resolves or throws anything else. */
export async function rejection(p: Promise<unknown>): Promise<BlindwireError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BlindwireError);
    return e as BlindwireError;
  }
  throw new Error('expected a rejection');
}

/** Expects `p` to reject with `code` (and, when given, exactly that message or one matching it). */
export async function expectCode(
  p: Promise<unknown>,
  code: string,
  message?: string | RegExp,
): Promise<BlindwireError> {
  const e = await rejection(p);
  expect(e.code).toBe(code);
  if (typeof message === 'string') expect(e.message).toBe(message);
  else if (message !== undefined) expect(e.message).toMatch(message);
  return e;
}
