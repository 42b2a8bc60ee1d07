/** The options and the result of `open` (SPEC.md §7). */
import type { EncryptionKey, PublicIdentity, SigningPublicKey } from '../identity/identity.js';
import type { AeadName } from '../wire/suites.js';
import type { CommonOptions } from './common-options.js';
import type { EnvelopeInfo } from './envelope-info.js';
import type { ReplayGuard, ReplayStore, Reservation } from './replay.js';

/** A recipient key pair: an `EncryptionKey`, or an identity holding one. */
export type RecipientKey = EncryptionKey | { encryption: EncryptionKey };

/** Returns the trusted Ed25519 public key of `sender` for `kid`, or nothing. */
export type SenderResolver = (
  sender: string,
  kid: string,
) =>
  | Promise<Uint8Array | SigningPublicKey | null | undefined>
  | Uint8Array
  | SigningPublicKey
  | null
  | undefined;

/**
 * Options of `open` (SPEC.md §7): this endpoint's keys, the expected context, where trusted sender
 * keys come from, and the policy.
 */
export interface OpenOptions extends CommonOptions {
  /**
   * This endpoint's key pair(s); the one whose kid is listed in the envelope is
   * used. An empty list is allowed (every envelope is then ERR_KEY_NOT_FOUND or
   * ERR_KEY_REVOKED).
   */
  recipient: RecipientKey | RecipientKey[];
  /**
   * Tombstones: kids of keys this endpoint erased because they were revoked for
   * compromise (a key rotator's `revokedKids()`). An envelope addressed to none
   * of `recipient` but to one of these is ERR_KEY_REVOKED instead of
   * ERR_KEY_NOT_FOUND (SPEC.md §7 step 8), so a dead-letter reader can tell a
   * message lost to a compromise from one that outlived the retention window.
   */
  revokedKids?: Iterable<string>;
  /** The bound context the sender must have used. */
  context?: string | Uint8Array;
  /** Where trusted sender keys come from (a directory's `resolveSigningKey`). */
  resolveSender?: SenderResolver;
  /** Pinned sender identities (checked before `resolveSender`); a `PublicIdentity` fits. */
  trustedSenders?: Pick<PublicIdentity, 'name' | 'signing'>[];
  /** Sender name patterns allowed (SPEC.md §7.1: `*` one or more characters but `/`, `**` one or more of any), or anchored RegExps without `g` or `y`; default any trusted sender. */
  allowedSenders?: (string | RegExp)[];
  /** Accepted AEADs (default all three). */
  allowedSuites?: AeadName[];
  /** The recipient's clock, ms or Date (default `Date.now()`). */
  now?: number | Date;
  /** Clock tolerance in seconds (default 60). */
  clockSkew?: number;
  /** Reject messages issued longer ago than this many seconds, whatever their expiry. */
  maxAge?: number;
  /**
   * Rejects message ids already processed (ERR_REPLAY). A `ReplayStore`
   * (`createMemoryReplayStore()`, `@blindwire/replay`) is reserved atomically
   * instead (SPEC.md §7 step 18): the result carries the `reservation` to
   * commit or release, and an id another consumer holds is ERR_REPLAY_IN_FLIGHT.
   */
  replay?: ReplayGuard | ReplayStore;
  /** The lease of a reservation in ms (default 300 000, at most 86 400 000): longer than processing takes. */
  replayLeaseMs?: number;
}

/** An opened message: its plaintext and the verified sender; `sealResponse` takes it to answer. */
export interface OpenResult {
  payload: Uint8Array;
  /** The verified sender identity name. */
  sender: string;
  /** The kid of the sender's signing key. */
  senderKid: string;
  /** 32 hex digits. */
  messageId: string;
  contentType?: string;
  /** The header as an intermediary sees it. */
  header: EnvelopeInfo;
  /** With a `ReplayStore`: the lease on this message id; commit it once processed, else release it. */
  reservation?: Reservation;
}
