/**
 * The opening rules of SPEC.md §7 after the header parses, written once, in
 * the order they must run. Their order is a security property: a recipient
 * answers policy (allowed senders, context, replay) only for a sender whose
 * signature verified, and after the header parses every cryptographic failure
 * is the one ERR_OPEN_FAILED (oracle rule).
 *
 * - `admitHeader`: §7 steps 6-8 (suite allow-list, times, recipient entry);
 *   streams run it at §7a.5 step 5.
 * - `admitSender`: §7 steps 14-18 (trusted key, signature, allowed senders,
 *   context check, replay); streams run it at §7a.5 step 9 with the header
 *   signature, and `checkReplayAgain` at §7a.5 step 12.
 * - `admitResponseHeader`, `acceptResponse`: the steps of §6.3 that differ.
 */
import type { CryptoBackend } from '../backend/types.js';
import { equalBytes, toBase64url, toHex } from '../bytes.js';
import { BlindwireError, ErrorCode, openFailed } from '../errors.js';
import type { EncryptionKey } from '../identity/identity.js';
import type { MessageHeader, RecipientEntry, ResponseHeader } from '../wire/header.js';
import { contextCheck } from '../wire/keys.js';
import { suiteFromIds, type EnvelopeSuite } from '../wire/suites.js';
import type { OpeningClock, OpeningPolicy, RecipientKeyPair } from './check-open.js';
import {
  checkReplay,
  isReplayStore,
  keepUntilOf,
  reserveReplay,
  type Reservation,
} from './replay.js';
import { resolvedSenderKey } from './trust-source.js';
import type { SealState } from './state.js';
import { nowMs } from './values.js';

/** What §7 steps 6-8 consult of a message or stream header. */
export type AdmittedHeader = Pick<MessageHeader, 'suite' | 'recipients' | 'issuedAt' | 'expiresAt'>;

/** The suite of the header, and the entry and key pair that open it. */
export interface Admission {
  suite: EnvelopeSuite;
  entry: RecipientEntry;
  key: EncryptionKey;
}

/** SPEC.md §7 steps 6-8 (§7a.5 step 5): suite, times, our recipient entry. */
export function admitHeader(h: AdmittedHeader, policy: OpeningPolicy): Admission {
  // §7 step 6: the suite is known and allowed.
  const suite = suiteFromIds(h.suite, policy.allowedSuites);
  // §7 step 7: the times, against the caller's clock.
  checkTimes(h.issuedAt, h.expiresAt, policy);
  // §7 step 8: which of our keys (or, failing that, which of our tombstones).
  const { entry, key } = findEntry(h.recipients, policy.keys, policy.revokedKids);
  return { suite, entry, key };
}

/** SPEC.md §7 step 7: expiry, maximum age and not-before, with the clock read now. */
export function checkTimes(issuedAt: number, expiresAt: number, clock: OpeningClock): void {
  const nowSeconds = Math.floor(nowMs(clock.now) / 1000);
  const { skew, maxAge } = clock;
  if (nowSeconds > expiresAt + skew) {
    throw new BlindwireError(ErrorCode.Expired, 'envelope has expired');
  }
  if (maxAge !== undefined && nowSeconds > issuedAt + maxAge + skew) {
    throw new BlindwireError(ErrorCode.Expired, 'envelope is older than maxAge');
  }
  if (issuedAt > nowSeconds + skew) {
    throw new BlindwireError(ErrorCode.NotYetValid, 'envelope was issued in the future');
  }
}

/**
 * SPEC.md §7 step 8: the header entry addressed to one of our keys; else, when
 * an entry names a kid we erased for compromise, ERR_KEY_REVOKED. Decided from
 * the header's public kids only, before any secret is used: no oracle.
 */
function findEntry(
  entries: readonly RecipientEntry[],
  keys: readonly RecipientKeyPair[],
  revokedKids: readonly Uint8Array[] = [],
): { entry: RecipientEntry; key: EncryptionKey } {
  for (const k of keys) {
    for (const e of entries) if (equalBytes(e.kid, k.kid)) return { entry: e, key: k.key };
  }
  for (const kid of revokedKids) {
    for (const e of entries) {
      if (equalBytes(e.kid, kid)) {
        throw new BlindwireError(
          ErrorCode.KeyRevoked,
          'this envelope is addressed to a key erased after its compromise',
        );
      }
    }
  }
  throw new BlindwireError(
    ErrorCode.KeyNotFound,
    'none of the given keys is a recipient of this envelope',
  );
}

/** SPEC.md §7 step 11 (§7a.5 step 6): the key commitment, else ERR_OPEN_FAILED. */
export function checkCommitment(derived: Uint8Array, header: Uint8Array): void {
  if (!equalBytes(derived, header)) throw openFailed();
}

/** The sender's claim, decrypted: who it says it is, and how to check its signature. */
export interface SenderClaim {
  /** The sender name from the inner record (§4.2) or the stream's meta record (§7a.4). */
  sender: string;
  senderKid: Uint8Array;
  /**
   * Verifies the signature (§4.4 or the stream header signature, §7a.4) with
   * `publicKey`: at once on a synchronous twin, else as a promise.
   */
  verify(publicKey: Uint8Array): boolean | Promise<boolean>;
  /** The key of the context check (a copy of the message secret); the caller wipes it. */
  contextKey: Uint8Array;
  /**
   * Optional: computes the context check value (SPEC.md §4.3) under
   * `contextKey` without the backend's promise (a synchronous twin); the
   * same bytes as `contextCheck`.
   */
  contextCheckNow?: (contextKey: Uint8Array, context: Uint8Array) => Uint8Array;
  /** The header's context check value. */
  headerCheck: Uint8Array;
  /** The message id, 32 hex digits, as the replay guard sees it. */
  messageId: string;
  /** The header's times, for how long a replay store keeps the id (§7 step 18). */
  times: { issuedAt: number; expiresAt: number };
}

/** The verified sender: its kid as text and the trusted key its signature verified under. */
export interface AdmittedSender {
  senderKid: string;
  publicKey: Uint8Array;
  /** With a replay store: the lease taken at §7 step 18, the caller's to commit or release. */
  reservation?: Reservation;
}

/**
 * SPEC.md §7 steps 14-18 (§7a.5 step 9), in this order: the trusted key
 * (ERR_KEY_UNTRUSTED), the signature (ERR_OPEN_FAILED), the allowed senders
 * (ERR_SENDER_NOT_ALLOWED), the context check (ERR_CONTEXT_MISMATCH), the
 * replay guard (ERR_REPLAY) or store (a reservation, ERR_REPLAY or
 * ERR_REPLAY_IN_FLIGHT). Policy is decided only for a verified sender. The
 * reservation is the last step: nothing after it can fail and leave it held.
 */
export async function admitSender(
  b: CryptoBackend,
  policy: OpeningPolicy,
  claim: SenderClaim,
): Promise<AdmittedSender> {
  const senderKid = toBase64url(claim.senderKid);
  // §7 step 14: the caller's trust source knows the sender's key.
  // A pinned sender is found without a promise; a resolver is awaited.
  const publicKey =
    pinnedKey(policy, claim.sender, senderKid) ??
    (await resolvedKey(policy, claim.sender, senderKid));
  if (!publicKey)
    throw new BlindwireError(ErrorCode.KeyUntrusted, 'no trusted signing key for the sender');
  // §7 step 15: the signature, under that key.
  const verified = claim.verify(publicKey);
  if (!(verified === true || (verified !== false && (await verified)))) throw openFailed();
  // §7 step 16: the verified sender is allowed.
  if (policy.allowed && !policy.allowed(claim.sender)) {
    throw new BlindwireError(ErrorCode.SenderNotAllowed, 'the sender is not allowed by policy');
  }
  // §7 step 17: the context the sender bound is ours.
  const check = claim.contextCheckNow
    ? claim.contextCheckNow(claim.contextKey, policy.context)
    : await contextCheck(b, claim.contextKey, policy.context);
  if (!equalBytes(check, claim.headerCheck)) {
    throw new BlindwireError(
      ErrorCode.ContextMismatch,
      "the bound context differs from the sender's",
    );
  }
  // §7 step 18: the replay guard, asked with the id and the verified sender;
  // or the store, which reserves them atomically.
  const { replay } = policy;
  if (!isReplayStore(replay)) {
    if (replay !== undefined) await checkReplay(replay, claim.messageId, claim.sender);
    return { senderKid, publicKey };
  }
  const entry = {
    messageId: claim.messageId,
    sender: claim.sender,
    keepUntil: keepUntilOf(claim.times, policy),
  };
  const random = (n: number) => b.randomBytes(n);
  const reservation = await reserveReplay(replay, entry, policy.replayLeaseMs, random);
  return { senderKid, publicKey, reservation };
}

/**
 * SPEC.md §7a.5 step 12: the replay guard again as a stream completes; a copy
 * held back after record 0 until the original was processed is a replay. A
 * store is not asked again: the lease taken at step 9 is ours.
 */
export async function checkReplayAgain(
  policy: OpeningPolicy,
  messageId: string,
  sender: string,
): Promise<void> {
  if (isReplayStore(policy.replay)) return;
  await checkReplay(policy.replay, messageId, sender);
}

/** SPEC.md §7 step 14, first: the caller's pinned senders. */
function pinnedKey(
  o: Pick<OpeningPolicy, 'trustedSenders'>,
  sender: string,
  kid: string,
): Uint8Array | undefined {
  for (const t of o.trustedSenders ?? []) {
    if (t.name === sender && t.signing.kid === kid) return t.signing.publicKey;
  }
  return undefined;
}

/** SPEC.md §7 step 14, then: the resolver (trust-source.ts), if any. */
async function resolvedKey(
  o: Pick<OpeningPolicy, 'resolveSender' | 'backend'>,
  sender: string,
  kid: string,
): Promise<Uint8Array | undefined> {
  if (!o.resolveSender) return undefined;
  return resolvedSenderKey(o.resolveSender, sender, kid, o.backend);
}

/**
 * SPEC.md §6.3 steps 3-5, after the frame and header parse: the request's
 * suite (ERR_UNSUPPORTED_SUITE), the times (ERR_EXPIRED, ERR_NOT_YET_VALID;
 * no maximum age), the request id and a responder among its recipients
 * (ERR_KEY_NOT_FOUND). Returns the responder's response secret.
 */
export function admitResponseHeader(
  h: ResponseHeader,
  state: SealState,
  clock: Pick<OpeningClock, 'now' | 'skew'>,
): Uint8Array {
  // §6.3 step 3: the request's suite, whatever the caller would accept otherwise.
  const s = state.suite.ids;
  if (h.suite.kem !== s.kem || h.suite.kdf !== s.kdf || h.suite.aead !== s.aead) {
    throw new BlindwireError(
      ErrorCode.UnsupportedSuite,
      'response suite differs from the request suite',
    );
  }
  // §6.3 step 4: the times.
  checkTimes(h.issuedAt, h.expiresAt, { now: clock.now, skew: clock.skew, maxAge: undefined });
  // §6.3 step 5: this request, and one of its recipients.
  const secret = state.responders.get(toHex(h.responder));
  if (!equalBytes(h.requestId, state.messageId) || secret === undefined) {
    throw new BlindwireError(ErrorCode.KeyNotFound, 'this response does not answer that request');
  }
  return secret;
}

/**
 * SPEC.md §6.3 step 8, after decryption: each authenticated response opens
 * once per request and responder (ERR_REPLAY), and is then remembered. The responder's
 * kid is part of the key: with several recipients, one could otherwise copy
 * another's (public) response id and answer first, and the genuine response
 * would be refused.
 */
export function acceptResponse(h: ResponseHeader, state: SealState): void {
  const responseId = `${toHex(h.responder)}/${toHex(h.messageId)}`;
  if (state.acceptedResponses.has(responseId)) {
    throw new BlindwireError(ErrorCode.Replay, 'response already accepted for this request');
  }
  state.acceptedResponses.add(responseId);
}
