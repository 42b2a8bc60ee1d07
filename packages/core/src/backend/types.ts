/**
 * The crypto backend interface. HPKE and the envelope reach every primitive
 * through it, so the pure (@noble), node (node:crypto) and web (WebCrypto)
 * backends plug in without touching either. Every backend must give
 * byte-identical outputs and identical accept/reject decisions; the test suite
 * runs the vectors on each one.
 */

export type AeadAlgorithm = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

/** A raw X25519 key pair (RFC 7748), 32 bytes each. */
export interface X25519KeyPair {
  /** 32-byte scalar as in RFC 7748. */
  privateKey: Uint8Array;
  /** 32-byte u-coordinate. */
  publicKey: Uint8Array;
}

/** An incremental SHA-256 (FIPS 180-4): feed it with `update`, then `digest` once. */
export interface Sha256Hash {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/**
 * The primitives the envelope needs (X25519, Ed25519, SHA-256, HMAC, HKDF, the AEADs, random
 * bytes), implemented by the pure, node and web backends.
 */
export interface CryptoBackend {
  /** `pure`, `node` or `web`. */
  readonly name: string;

  /** Cryptographically secure random bytes. */
  randomBytes(length: number): Uint8Array;

  sha256(data: Uint8Array): Promise<Uint8Array>;
  sha512(data: Uint8Array): Promise<Uint8Array>;
  hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /**
   * Optional: an incremental SHA-256, for inputs that never sit in memory at
   * once (streams hash their body chunk by chunk). Without it, callers fall
   * back to @noble/hashes.
   */
  createSha256?(): Sha256Hash;

  /** A fresh X25519 key pair. */
  x25519GenerateKeyPair(): Promise<X25519KeyPair>;
  /** The public key of a 32-byte X25519 private key (clamping as in RFC 7748). */
  x25519PublicKey(privateKey: Uint8Array): Promise<Uint8Array>;
  /**
   * X25519(privateKey, publicKey). May return the all-zero value or throw for
   * low-order inputs; HPKE treats both as failure (RFC 9180 §7.1.4).
   */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array>;

  /** The Ed25519 public key of a 32-byte seed (RFC 8032 §5.1.5). */
  ed25519PublicKey(seed: Uint8Array): Promise<Uint8Array>;
  /** A deterministic RFC 8032 signature. */
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /**
   * Strict verification, identical across backends: canonical A and R, no
   * small-order A or R, S < L, and the cofactorless equation [S]B = R + [k]A
   * checked by comparing the encoding of R (see ed25519-strict.ts).
   */
  ed25519Verify(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean>;

  /** AEAD encryption; returns ciphertext || 16-byte tag. */
  aeadSeal(
    alg: AeadAlgorithm,
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array,
  ): Promise<Uint8Array>;
  /**
   * Optional: AEAD encryption of the concatenation of `parts`, written into
   * `out` at `offset` as ciphertext || tag (the parts' total length + 16
   * bytes). The bytes are those of `aeadSeal` over the concatenation; a large
   * message is neither assembled nor copied. Without it, callers concatenate
   * and copy (see `aeadSealInto` in checks.ts).
   */
  aeadSealParts?(
    alg: AeadAlgorithm,
    key: Uint8Array,
    nonce: Uint8Array,
    parts: readonly Uint8Array[],
    aad: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): Promise<void>;
  /** AEAD decryption; returns undefined (never partial plaintext) when the tag does not verify. */
  aeadOpen(
    alg: AeadAlgorithm,
    key: Uint8Array,
    nonce: Uint8Array,
    ciphertext: Uint8Array,
    aad: Uint8Array,
  ): Promise<Uint8Array | undefined>;
}
