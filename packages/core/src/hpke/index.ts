/**
 * `@blindwire/core/hpke`: Hybrid Public Key Encryption per RFC 9180 with
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-128-GCM, AES-256-GCM,
 * ChaCha20-Poly1305 or export-only, in the Base, PSK, Auth and AuthPSK modes
 * (RFC 9180 §5); and the post-quantum hybrid X-Wing KEM (0x647a,
 * draft-ietf-hpke-pq-04), Base mode only, with HKDF-SHA256 or the single-stage
 * SHAKE256 KDF (0x0011, draft-ietf-hpke-hpke). All primitives run on a pluggable
 * CryptoBackend (ML-KEM-768 is @noble/post-quantum on every backend).
 *
 * @module @blindwire/core/hpke
 */
export { Aead, Kdf, Kem, Mode } from './ids.js';
export type { AeadId, KdfId, KemId } from './ids.js';
export { createSuite } from './suite.js';
export type {
  KeyPair,
  RecipientContext,
  RecipientOptions,
  SenderContext,
  SenderOptions,
  Suite,
} from './types.js';
