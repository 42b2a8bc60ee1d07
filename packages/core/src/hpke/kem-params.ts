/**
 * The sizes and abilities of each KEM (RFC 9180 §7.1 Table 2 for
 * DHKEM(X25519, HKDF-SHA256); draft-ietf-hpke-pq-04 §3 and
 * draft-connolly-cfrg-xwing-kem-10 §5 for X-Wing), known without loading a
 * KEM's implementation, so that arguments are checked before any of it runs.
 */
import { Kem, type KemId } from './ids.js';

export interface KemParams {
  readonly id: KemId;
  readonly name: string;
  /** Nsecret, Nenc, Npk, Nsk. */
  readonly nsecret: number;
  readonly nenc: number;
  readonly npk: number;
  readonly nsk: number;
  /** Whether AuthEncap/AuthDecap and the PSK modes are defined (false: Base mode only). */
  readonly allModes: boolean;
  /** The length of the injected encapsulation randomness `ikmE`; undefined: ikmE is a DeriveKeyPair input. */
  readonly encapRandomness?: number;
}

export const X25519_PARAMS: KemParams = Object.freeze({
  id: Kem.DhkemX25519HkdfSha256,
  name: 'DHKEM(X25519, HKDF-SHA256)',
  nsecret: 32,
  nenc: 32,
  npk: 32,
  nsk: 32,
  allModes: true,
});

export const XWING_PARAMS: KemParams = Object.freeze({
  id: Kem.XWing,
  name: 'X-Wing',
  nsecret: 32,
  nenc: 1120, // ct_M (1088) || ct_X (32)
  npk: 1216, // pk_M (1184) || pk_X (32)
  nsk: 32, // the seed (draft-connolly-cfrg-xwing-kem-10 §5.2)
  allModes: false,
  encapRandomness: 64, // EncapsulateDerand's eseed
});

/**
 * The length of `enc` in a header under a KEM id (SPEC.md §4.1): X-Wing's
 * Nenc, else 32, also for ids not implemented (inspect reads them).
 */
export function encLengthOf(kem: number): number {
  return kem === Kem.XWing ? XWING_PARAMS.nenc : X25519_PARAMS.nenc;
}

/** The parameters of a KEM id, or undefined when it is not implemented. */
export function kemParams(id: unknown): KemParams | undefined {
  if (id === Kem.DhkemX25519HkdfSha256) return X25519_PARAMS;
  if (id === Kem.XWing) return XWING_PARAMS;
  return undefined;
}
