/**
 * The public types of the HPKE API (`@blindwire/core/hpke`): key pairs, the
 * setup options of RFC 9180 §5.1 (mode inferred from psk and sender key), the
 * contexts of §5.2-§5.3 and the suite with the single-shot APIs of §6.
 */
import type { AeadId, KdfId, KemId } from './ids.js';

/**
 * A raw key pair. X25519: 32-byte private scalar and 32-byte public
 * u-coordinate. X-Wing: the 32-byte seed (never the expanded key) and the
 * 1216-byte public key pk_M || pk_X.
 */
export interface KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/**
 * Sender setup (RFC 9180 §5.1). The mode follows from the options: psk/pskId
 * select PSK, senderKey selects Auth, both select AuthPSK.
 */
export interface SenderOptions {
  /** pkR: Npk bytes (32 for X25519, 1216 for X-Wing). */
  recipientPublicKey: Uint8Array;
  /** Application info bound into the key schedule; default empty. */
  info?: Uint8Array;
  /** Pre-shared key, at least 32 bytes; give with pskId (RFC 9180 §5.1 VerifyPSKInputs). */
  psk?: Uint8Array;
  /** Non-empty PSK identifier; give with psk. */
  pskId?: Uint8Array;
  /** The sender's static key pair, for Auth and AuthPSK. */
  senderKey?: KeyPair;
  /** Injected ephemeral key pair, for known-answer tests only. */
  ephemeralKeyPair?: KeyPair;
  /**
   * For known-answer tests only. X25519: derive the ephemeral key pair with
   * DeriveKeyPair(ikmE). X-Wing: the 64-byte encapsulation randomness (eseed).
   */
  ikmE?: Uint8Array;
}

/** Recipient setup (RFC 9180 §5.1); the mode is inferred as for the sender. */
export interface RecipientOptions {
  /** The encapsulated key from the sender: Nenc bytes (32 for X25519, 1120 for X-Wing). */
  enc: Uint8Array;
  /** The recipient's key pair; publicKey is used as pkRm in the KEM context. */
  recipientKey: KeyPair;
  info?: Uint8Array;
  psk?: Uint8Array;
  pskId?: Uint8Array;
  /** pkS, for Auth and AuthPSK. */
  senderPublicKey?: Uint8Array;
}

/** Sender context (RFC 9180 §5.2, §5.3). Calls on one context run one at a time, in call order. */
export interface SenderContext {
  readonly mode: number;
  seal(plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  export(exporterContext: Uint8Array, length: number): Promise<Uint8Array>;
  /** Erases the context's keys; any later call throws ERR_INVALID_ARGUMENT. */
  dispose(): void;
}

/** Recipient context (RFC 9180 §5.2, §5.3). A failed open does not advance the sequence number. */
export interface RecipientContext {
  readonly mode: number;
  open(ciphertext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  export(exporterContext: Uint8Array, length: number): Promise<Uint8Array>;
  /** Erases the context's keys; any later call throws ERR_INVALID_ARGUMENT. */
  dispose(): void;
}

/** An HPKE ciphersuite (RFC 9180 §5.1) with the single-shot APIs of §6. */
export interface Suite {
  readonly kem: KemId;
  readonly kdf: KdfId;
  readonly aead: AeadId;
  /** "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2) */
  readonly suiteId: Uint8Array;
  generateKeyPair(): Promise<KeyPair>;
  deriveKeyPair(ikm: Uint8Array): Promise<KeyPair>;
  setupSender(options: SenderOptions): Promise<{ enc: Uint8Array; context: SenderContext }>;
  setupRecipient(options: RecipientOptions): Promise<RecipientContext>;
  seal(
    options: SenderOptions,
    plaintext: Uint8Array,
    aad?: Uint8Array,
  ): Promise<{ enc: Uint8Array; ciphertext: Uint8Array }>;
  open(options: RecipientOptions, ciphertext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  sendExport(
    options: SenderOptions,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<{ enc: Uint8Array; exported: Uint8Array }>;
  receiveExport(
    options: RecipientOptions,
    exporterContext: Uint8Array,
    length: number,
  ): Promise<Uint8Array>;
}
