/**
 * `seal`: encrypts a payload for one or more recipients and signs it with the
 * sender's identity (SPEC.md §4, the steps of §4.5 in order).
 */
import { concat, wipe } from '../bytes.js';
import { BlindwireError, ErrorCode, invalidArgument } from '../errors.js';
import type { EncryptionPublicKey, PublicIdentity, SigningKey } from '../identity/identity.js';
import {
  DEFAULT_TTL_SECONDS,
  checkClaims,
  checkContentType,
  checkRecipients,
  checkSender,
  checkTimesAndId,
} from './arguments.js';
import {
  COMMITMENT_LENGTH,
  CONTEXT_CHECK_LENGTH,
  encodeMessageHeader,
  type MessageHeader,
} from '../wire/header.js';
import { senderSecrets } from '../wire/sender.js';
import { AEAD_TAG_LENGTH, aeadSealInto } from '../backend/checks.js';
import { allocateFrame, frameLength } from '../wire/frame.js';
import { Kind, prefixFor } from '../wire/kinds.js';
import { innerParts, paddedLength, type Padding } from '../wire/inner.js';
import { ZERO_NONCE, contextCheck, deriveMessageKeys, signatureInput } from '../wire/keys.js';
import {
  backendOf,
  contextBytes,
  hexId,
  limitsOf,
  payloadBytes,
  type CommonOptions,
} from './options.js';
import type { Limits } from '../limits.js';
import { rememberSealState } from './state.js';
import { suiteByName, type AeadName } from '../wire/suites.js';

/** A recipient: an encryption public key, or a public identity (its encryption key is used). */
export type Recipient = EncryptionPublicKey | Pick<PublicIdentity, 'encryption'>;

/** The sender: a name and an Ed25519 signing key (an `Identity` fits). */
export interface Sender {
  name: string;
  signing: Pick<SigningKey, 'kid' | 'privateKey'>;
}

export interface SealOptions extends CommonOptions {
  sender: Sender;
  recipients: Recipient | Recipient[];
  /** Bound context (topic, tool, purpose). Never transmitted; `open` must give the same. */
  context?: string | Uint8Array;
  contentType?: string;
  /** Lifetime in seconds (default 3600). Ignored when `expiresAt` is given. */
  ttl?: number;
  /** Expiry as Unix seconds. */
  expiresAt?: number;
  /** The sender's clock, in milliseconds or a Date (default `Date.now()`). */
  now?: number | Date;
  /** A 16-byte message id (default random). */
  messageId?: Uint8Array;
  padding?: Padding;
  /** The AEAD (default AES-256-GCM). */
  aead?: AeadName;
  /** Public claims, visible to intermediaries and signed (opt-in; SPEC.md §4.1). */
  claims?: Record<string, string | number>;
}

export interface SealResult {
  envelope: Uint8Array;
  /** The message id, 32 hex digits. */
  messageId: string;
  issuedAt: number;
  expiresAt: number;
}

export { DEFAULT_TTL_SECONDS };

/** The wrapped message secret of each of several recipients: 32 bytes and the HPKE AEAD tag. */
const WRAPPED_SECRET_LENGTH = 32 + AEAD_TAG_LENGTH;

/**
 * A cheap upper bound on the header and envelope sizes: when it is within the
 * limits the exact sizing (a header encoded from zeros) is skipped. Generous
 * on every field (a kid of 64 bytes, 3 UTF-8 bytes per UTF-16 unit, 9-byte
 * CBOR heads); with claims it gives up and the exact sizing runs.
 */
function surelyWithinLimits(
  bodyLength: number,
  options: SealOptions,
  recipientCount: number,
  claims: unknown,
  limits: Limits,
): boolean {
  if (claims !== undefined) return false;
  const contentType = options.contentType === undefined ? 0 : 3 * options.contentType.length + 10;
  const header = 160 + recipientCount * 160 + contentType;
  const inner = paddedLength(bodyLength + 3 * options.sender.name.length + 160, options.padding);
  return header <= limits.maxHeaderBytes && header + inner + 64 <= limits.maxEnvelopeBytes;
}

/** SPEC.md §8: maxHeaderBytes and maxEnvelopeBytes for a header and an inner record of these lengths. */
function checkSealSizes(header: Uint8Array, innerLength: number, limits: Limits): void {
  if (header.length > limits.maxHeaderBytes) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `header of ${header.length} bytes exceeds maxHeaderBytes`,
    );
  }
  const envelopeLength = frameLength(header, innerLength + AEAD_TAG_LENGTH);
  if (envelopeLength > limits.maxEnvelopeBytes) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `envelope of ${envelopeLength} bytes exceeds maxEnvelopeBytes`,
    );
  }
}

/** Seals `payload` so that only the recipients can open it, signed by `sender`. */
export async function seal(
  payload: string | Uint8Array,
  options: SealOptions,
): Promise<SealResult> {
  if (typeof options !== 'object' || options === null)
    throw invalidArgument('options', 'an object with sender and recipients');
  const b = backendOf(options);
  const limits = limitsOf(options);
  const body = payloadBytes(payload);
  const context = contextBytes(options.context, limits);
  const suite = suiteByName(options.aead);
  const sender = checkSender(options.sender, limits);
  const senderName = sender.name;
  const senderKid = sender.kid;
  checkContentType(options.contentType, limits);
  const claims = checkClaims(options.claims, limits);
  const recipients = checkRecipients(options.recipients, limits.maxRecipients);
  const { issuedAt, expiresAt, messageId } = checkTimesAndId(options, b);
  paddedLength(0, options.padding); // SPEC.md §4.5 step 1: every argument before any work
  // SPEC.md §8: the limits hold before any key is made or the body hashed.
  // Every header field has a fixed length, so zeros of the same lengths give
  // the sizes of the header and the envelope exactly.
  /** The header with these per-message values; every other field is fixed above. */
  const headerWith = (
    entries: MessageHeader['recipients'],
    check: Uint8Array,
    commitment: Uint8Array,
  ) =>
    encodeMessageHeader({
      suite: suite.ids,
      recipients: entries,
      messageId,
      issuedAt,
      expiresAt,
      ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
      contextCheck: check,
      commitment,
      ...(claims ? { claims } : {}),
    });
  const multi = recipients.length > 1;
  if (!surelyWithinLimits(body.length, options, recipients.length, claims, limits)) {
    const sizingHeader = headerWith(
      recipients.map((r) => ({
        kid: r.kid,
        enc: new Uint8Array(32),
        ...(multi ? { wrapped: new Uint8Array(WRAPPED_SECRET_LENGTH) } : {}),
      })),
      new Uint8Array(CONTEXT_CHECK_LENGTH),
      new Uint8Array(COMMITMENT_LENGTH),
    );
    checkSealSizes(
      sizingHeader,
      innerParts(
        { sender: options.sender.name, senderKid, signature: new Uint8Array(64), body },
        options.padding,
      ).length,
      limits,
    );
  }

  // SPEC.md §4.3: one HPKE context per recipient; the message secret comes from
  // the exporter (one recipient) or is random and sealed to each (several).
  const { entries, messageSecret, responseSecrets } = await senderSecrets(
    b,
    suite,
    recipients,
    true,
  );
  // Every exit from here on wipes what was derived; a failure also wipes the
  // response secrets, which only a successful seal hands on.
  let sealed = false;
  let keys: Awaited<ReturnType<typeof deriveMessageKeys>> | undefined;
  try {
    keys = await deriveMessageKeys(b, messageSecret, suite.keyLength);
    const header = headerWith(
      entries,
      await contextCheck(b, keys.contextKey, context),
      keys.commitment,
    );
    const aad = concat(prefixFor(Kind.Message), header);

    // SPEC.md §4.4: sign the exact header (which binds the context), the sender and the body.
    const tbs = await signatureInput(b, aad, senderName, senderKid, body);
    const signature = await b.ed25519Sign(sender.privateKey, tbs);
    // The inner record is encrypted from its pieces straight into the frame:
    // the body is never copied (SPEC.md §4.2).
    const inner = innerParts(
      { sender: options.sender.name, senderKid, signature, body },
      options.padding,
    );
    const ciphertextLength = inner.length + AEAD_TAG_LENGTH;
    checkSealSizes(header, inner.length, limits); // the same sizes as checked above
    const { out: envelope, offset } = allocateFrame(Kind.Message, header, ciphertextLength);
    await aeadSealInto(
      b,
      suite.algorithm,
      keys.contentKey,
      ZERO_NONCE,
      inner.parts,
      aad,
      envelope,
      offset,
    );
    const result: SealResult = { envelope, messageId: hexId(messageId), issuedAt, expiresAt };
    rememberSealState(result, {
      suite,
      messageId,
      responders: new Map(entries.map((e, i) => [hexId(e.kid), responseSecrets![i]!])),
      acceptedResponses: new Set(),
    });
    sealed = true;
    return result;
  } finally {
    wipe(messageSecret);
    if (keys) wipe(keys.contentKey, keys.contextKey);
    if (!sealed) wipe(...responseSecrets!);
  }
}
