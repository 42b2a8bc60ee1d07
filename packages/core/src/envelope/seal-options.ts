/** The options and the result of `seal` (SPEC.md §4.5). */
import type { EncryptionPublicKey, SigningKey } from '../identity/identity.js';
import type { Padding } from '../wire/inner.js';
import type { AeadName } from '../wire/suites.js';
import type { CommonOptions } from './common-options.js';

/** Lifetime of a message or response when the caller gives none, in seconds. */
export const DEFAULT_TTL_SECONDS = 3600;

/**
 * A recipient key's validity window, Unix seconds, when known (a directory's
 * resolved key carries it): `seal` refuses the key outside it (SPEC.md §4.5 step 1).
 */
export interface KeyValidity {
  notBefore?: number;
  notAfter?: number;
}

/**
 * The AEAD a recipient's key record names, when known (a directory's resolved
 * key carries it): `seal` uses it, and refuses an `aead` option that differs
 * (SPEC.md §4.5 step 1).
 */
export interface KeySuite {
  aead?: AeadName;
}

/** A recipient key: the public key and kid, with what its key record states when known. */
export type RecipientKeyInfo = EncryptionPublicKey & KeyValidity & KeySuite;

/** A recipient: an encryption public key, or a public identity (its encryption key is used). */
export type Recipient = RecipientKeyInfo | { encryption: RecipientKeyInfo };

/** The sender: a name and an Ed25519 signing key (an `Identity` fits). */
export interface Sender {
  name: string;
  signing: Pick<SigningKey, 'kid' | 'privateKey'>;
}

/**
 * Options of `seal` (SPEC.md §4.5): sender, recipients, context and the choices visible in the
 * header.
 */
export interface SealOptions extends CommonOptions {
  sender: Sender;
  recipients: Recipient | Recipient[];
  /** Bound context (topic, tool, purpose). Never transmitted; `open` must give the same. */
  context?: string | Uint8Array;
  contentType?: string;
  /**
   * Lifetime in whole seconds, 1 to `limits.maxTtlSeconds` (default 3600,
   * at most the limit). Ignored when `expiresAt` is given.
   */
  ttl?: number;
  /** Expiry as Unix seconds, at most `limits.maxTtlSeconds` after issued-at. */
  expiresAt?: number;
  /**
   * The sender's clock: milliseconds since the epoch (a number from 1e12 to
   * (2^32 - 1) * 1000, or a Date); default `Date.now()`. Seconds are refused.
   */
  now?: number | Date;
  /**
   * Clock tolerance in seconds (default 60) applied to a recipient key's
   * validity window: a key with `notAfter` before now - skew is ERR_EXPIRED, one
   * with `notBefore` after now + skew ERR_NOT_YET_VALID.
   */
  clockSkew?: number;
  /** A 16-byte message id (default random). */
  messageId?: Uint8Array;
  padding?: Padding;
  /**
   * The AEAD (default: the one the recipients' key records name, else
   * AES-256-GCM). Every recipient that names an AEAD must name this one.
   */
  aead?: AeadName;
  /**
   * Refuse to seal unless the envelope's KEM is the post-quantum hybrid
   * X-Wing, i.e. every recipient key is an X-Wing key (SPEC.md §5.4);
   * otherwise ERR_UNSUPPORTED_SUITE. Default false.
   */
  requirePostQuantum?: boolean;
  /** Public claims, visible to intermediaries and signed (opt-in; SPEC.md §4.1). */
  claims?: Record<string, string | number>;
}

/** A sealed message: its bytes, its id and its lifetime. */
export interface SealResult {
  envelope: Uint8Array;
  /** The message id, 32 hex digits. */
  messageId: string;
  issuedAt: number;
  expiresAt: number;
}
