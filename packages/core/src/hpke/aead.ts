/**
 * The HPKE AEADs (RFC 9180 §7.3, Table 5): their sizes Nk, Nn, Nt and the
 * backend algorithm each id maps to. The export-only id 0xFFFF has no
 * algorithm: its contexts support Export only (RFC 9180 §5.3).
 */
import type { AeadAlgorithm } from '../backend/types.js';
import { Aead, type AeadId } from './ids.js';

export interface AeadParams {
  readonly id: AeadId;
  /** The backend algorithm, or undefined for export-only. */
  readonly algorithm: AeadAlgorithm | undefined;
  /** Nk: key length in bytes. */
  readonly nk: number;
  /** Nn: nonce length in bytes. */
  readonly nn: number;
  /** Nt: tag length in bytes. */
  readonly nt: number;
}

const AEADS: ReadonlyMap<number, AeadParams> = new Map<number, AeadParams>([
  // RFC 9180 §7.3, Table 5
  [Aead.Aes128Gcm, { id: Aead.Aes128Gcm, algorithm: 'aes-128-gcm', nk: 16, nn: 12, nt: 16 }],
  [Aead.Aes256Gcm, { id: Aead.Aes256Gcm, algorithm: 'aes-256-gcm', nk: 32, nn: 12, nt: 16 }],
  [
    Aead.ChaCha20Poly1305,
    { id: Aead.ChaCha20Poly1305, algorithm: 'chacha20-poly1305', nk: 32, nn: 12, nt: 16 },
  ],
  [Aead.ExportOnly, { id: Aead.ExportOnly, algorithm: undefined, nk: 0, nn: 0, nt: 0 }],
]);

/** The parameters of a supported AEAD id, or undefined. */
export function aeadParams(id: unknown): AeadParams | undefined {
  return typeof id === 'number' ? AEADS.get(id) : undefined;
}
