/**
 * Trust anchors (SPEC.md §11.1): an organisation's root signing key, its
 * public half as relying parties configure it, its name constraints, and
 * the version 1 JSON document it is exported to and imported from.
 */
import {
  BlindwireError,
  ErrorCode,
  fromBase64url,
  getDefaultBackend,
  signingKid,
  toBase64url,
  type CryptoBackend,
} from '@blindwire/core';
import { hidePrivateKey, isNamePattern } from '@blindwire/core/internal';
import type { TrustAnchor, TrustAnchorPublic } from './types.js';

interface BackendOption {
  backend?: CryptoBackend;
}

/** An anchor that prints and serialises as its public document (never its private key). */
const hidden = (a: TrustAnchor): TrustAnchor =>
  hidePrivateKey(a, 'TrustAnchor', (x) => exportTrustAnchor(x));

/** A new organisation root key. Keep the private key offline. */
export async function createTrustAnchor(
  name: string,
  options?: BackendOption,
): Promise<TrustAnchor> {
  const b = options?.backend ?? getDefaultBackend();
  if (typeof name !== 'string' || name.length === 0) {
    throw new BlindwireError(ErrorCode.InvalidArgument, '"name" expected a non-empty string');
  }
  const privateKey = b.randomBytes(32);
  const publicKey = await b.ed25519PublicKey(privateKey);
  return hidden({ name, kid: await signingKid(publicKey, options), publicKey, privateKey });
}

/** The public part of a trust anchor, for a relying party's `trust.anchors`. */
export function trustAnchorPublic(a: TrustAnchor | TrustAnchorPublic): TrustAnchorPublic {
  const p: TrustAnchorPublic = { name: a.name, kid: a.kid, publicKey: a.publicKey };
  if (a.names !== undefined) p.names = [...a.names];
  return p;
}

/**
 * A trust anchor as JSON (`exportTrustAnchor`, `importTrustAnchor`), with or without its private
 * key.
 */
export interface TrustAnchorJson {
  v: 1;
  name: string;
  kid: string;
  ed25519: string;
  /** Name constraints (TrustAnchor.names), when the anchor has them. */
  names?: string[];
  seed?: string;
}

/** Name constraints must be 1 to 64 name patterns (SPEC.md §7.1) of at most 1024 characters. */
export function checkAnchorNames(names: unknown, what = '"names"'): string[] | undefined {
  if (names === undefined) return undefined;
  if (
    !Array.isArray(names) ||
    names.length === 0 ||
    names.length > 64 ||
    // A plain loop, not every(): every() skips the holes of a sparse array.
    !Array.from(names as unknown[]).every((n) => isNamePattern(n) && n.length <= 1024)
  ) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `${what} expected 1 to 64 name patterns, non-empty and without three consecutive "*" (e.g. "spiffe://acme.example/**")`,
    );
  }
  return [...(names as string[])];
}

/** A trust anchor as JSON; the private key only with `withPrivateKey` (store that file offline). */
export function exportTrustAnchor(
  a: TrustAnchor | TrustAnchorPublic,
  withPrivateKey = false,
): TrustAnchorJson {
  const j: TrustAnchorJson = { v: 1, name: a.name, kid: a.kid, ed25519: toBase64url(a.publicKey) };
  const names = checkAnchorNames(a.names, '"anchor.names"');
  if (names) j.names = names;
  if (withPrivateKey) {
    if (!('privateKey' in a))
      throw new BlindwireError(ErrorCode.InvalidArgument, '"anchor" has no private key');
    j.seed = toBase64url(a.privateKey);
  }
  return j;
}

/**
 * A trust anchor from its JSON (`exportTrustAnchor`, `blindwire anchor create`): with its private
 * key when the JSON holds one, else its public part.
 */
export async function importTrustAnchor(
  json: unknown,
  options?: BackendOption,
): Promise<TrustAnchor | TrustAnchorPublic> {
  const j = json as TrustAnchorJson;
  if (typeof j !== 'object' || j === null || j.v !== 1 || typeof j.name !== 'string') {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"anchor" expected a version 1 trust anchor document',
    );
  }
  const publicKey = fromBase64url(j.ed25519, 'ed25519');
  if (publicKey.length !== 32 || (await signingKid(publicKey, options)) !== j.kid) {
    throw new BlindwireError(ErrorCode.KeyUntrusted, 'trust anchor kid does not match its key');
  }
  const names = checkAnchorNames(j.names, '"anchor.names"');
  const constraint = names ? { names } : {};
  if (j.seed === undefined) return { name: j.name, kid: j.kid, publicKey, ...constraint };
  const privateKey = fromBase64url(j.seed, 'seed');
  const b = options?.backend ?? getDefaultBackend();
  if (toBase64url(await b.ed25519PublicKey(privateKey)) !== j.ed25519) {
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"anchor" private key does not match its public key',
    );
  }
  return hidden({ name: j.name, kid: j.kid, publicKey, privateKey, ...constraint });
}
