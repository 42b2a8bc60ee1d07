/**
 * HPKE wire identifiers: the modes of RFC 9180 §5 (Table 1) and the KEM, KDF
 * and AEAD ids of RFC 9180 §7.1-§7.3 (Tables 2, 3 and 5) that Blindwire
 * implements. Values are on the wire (suite_id, envelope header): never renumber.
 */

/** KEM ids (RFC 9180 §7.1, Table 2; X-Wing from draft-ietf-hpke-pq-04 §3). */
export const Kem = {
  /** 0x0020 DHKEM(X25519, HKDF-SHA256) */
  DhkemX25519HkdfSha256: 0x0020,
  /** 0x647A X-Wing, ML-KEM-768 + X25519 (draft-ietf-hpke-pq-04 §3, draft-connolly-cfrg-xwing-kem-10) */
  XWing: 0x647a,
} as const;

/** KDF ids (RFC 9180 §7.2, Table 3). */
export const Kdf = {
  /** 0x0001 HKDF-SHA256 */
  HkdfSha256: 0x0001,
  /** 0x0011 SHAKE256, a single-stage KDF (draft-ietf-hpke-hpke); with X-Wing only here */
  Shake256: 0x0011,
} as const;

/** AEAD ids (RFC 9180 §7.3, Table 5). */
export const Aead = {
  /** 0x0001 AES-128-GCM */
  Aes128Gcm: 0x0001,
  /** 0x0002 AES-256-GCM */
  Aes256Gcm: 0x0002,
  /** 0x0003 ChaCha20-Poly1305 */
  ChaCha20Poly1305: 0x0003,
  /** 0xFFFF export-only: the context has Export but no Seal/Open (RFC 9180 §5.3) */
  ExportOnly: 0xffff,
} as const;

/** HPKE modes (RFC 9180 §5, Table 1). */
export const Mode = {
  /** 0x00 mode_base */
  Base: 0x00,
  /** 0x01 mode_psk */
  Psk: 0x01,
  /** 0x02 mode_auth */
  Auth: 0x02,
  /** 0x03 mode_auth_psk */
  AuthPsk: 0x03,
} as const;

/** An RFC 9180 KEM identifier (§7.1): one of the values of `Kem`. */
export type KemId = (typeof Kem)[keyof typeof Kem];
/** An RFC 9180 KDF identifier (§7.2): one of the values of `Kdf`. */
export type KdfId = (typeof Kdf)[keyof typeof Kdf];
/** An RFC 9180 AEAD identifier (§7.3): one of the values of `Aead`. */
export type AeadId = (typeof Aead)[keyof typeof Aead];
export type ModeId = (typeof Mode)[keyof typeof Mode];

/** `0x0020` style rendering of an id for error messages; tolerates non-numbers. */
export function formatId(id: unknown): string {
  return typeof id === 'number' && Number.isInteger(id) && id >= 0
    ? `0x${id.toString(16).padStart(4, '0')}`
    : String(id);
}
