/**
 * `open`: the recipient's side (SPEC.md §7, parser and check rules in the
 * order they run). Parse errors are specific; once the header parses, every
 * cryptographic failure is one ERR_OPEN_FAILED. No plaintext, partial or
 * whole, leaves this function unless every check passed.
 */
import { concat, equalBytes, toBase64url, utf8, wipe } from '../bytes.js';
import { BlindwireError, ErrorCode, openFailed } from '../errors.js';
import type { EncryptionKey, PublicIdentity, SigningPublicKey } from '../identity/identity.js';
import { checkOpenOptions, findEntry, trustedKey } from './arguments.js';
import { parseFrame } from '../wire/frame.js';
import { Kind } from '../wire/kinds.js';
import { decodeMessageHeader, type RecipientEntry } from '../wire/header.js';
import { decodeInner } from '../wire/inner.js';
import { recipientSecrets } from '../wire/recipient.js';
import { headerInfo, type EnvelopeInfo } from './inspect.js';
import { ZERO_NONCE, contextCheck, deriveMessageKeys, signatureInput } from '../wire/keys.js';
import { backendOf, checkTimes, hexId, limitsOf, nowMs, type CommonOptions } from './options.js';
import { checkReplay, type ReplayGuard } from './replay.js';
import { rememberOpenState } from './state.js';
import { suiteFromIds, type AeadName } from '../wire/suites.js';

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

export interface OpenOptions extends CommonOptions {
  /** This endpoint's key pair(s); the one whose kid is listed in the envelope is used. */
  recipient: RecipientKey | RecipientKey[];
  /** The bound context the sender must have used. */
  context?: string | Uint8Array;
  /** Where trusted sender keys come from (a directory's `resolveSigningKey`). */
  resolveSender?: SenderResolver;
  /** Pinned sender identities (checked before `resolveSender`); a `PublicIdentity` fits. */
  trustedSenders?: Pick<PublicIdentity, 'name' | 'signing'>[];
  /** Sender names or patterns allowed (`*` within a path segment, `**` across); default any trusted sender. */
  allowedSenders?: (string | RegExp)[];
  /** Accepted AEADs (default all three). */
  allowedSuites?: AeadName[];
  /** The recipient's clock, ms or Date (default `Date.now()`). */
  now?: number | Date;
  /** Clock tolerance in seconds (default 60). */
  clockSkew?: number;
  /** Reject messages issued longer ago than this many seconds, whatever their expiry. */
  maxAge?: number;
  /** Rejects message ids already processed (ERR_REPLAY). */
  replay?: ReplayGuard;
}

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
}

/** Opens an envelope addressed to one of `options.recipient`, verifying the sender. */
export async function open(envelope: Uint8Array, options: OpenOptions): Promise<OpenResult> {
  const b = backendOf(options);
  const limits = limitsOf(options);
  const { context, keys, allowed, skew } = checkOpenOptions(options, limits);

  // §7 steps 1-6: framing, header, suite.
  const frame = parseFrame(envelope, Kind.Message, limits);
  const header = decodeMessageHeader(frame.header, limits);
  const suite = suiteFromIds(header.suite, options.allowedSuites);
  // §7 step 7: time.
  checkTimes(
    header.issuedAt,
    header.expiresAt,
    Math.floor(nowMs(options.now) / 1000),
    skew,
    options.maxAge,
  );
  // §7 step 8: which of our keys.
  const { entry, key } = findEntry(header, keys);

  // §7 steps 9-11: decapsulate, recover the message secret, check the commitment.
  const secrets = await recipientSecrets(b, suite, entry, key, true);
  const messageSecret = secrets.messageSecret;
  const responseSecret = secrets.responseSecret!;
  const mk = await deriveMessageKeys(b, messageSecret, suite.keyLength);
  messageSecret.fill(0);
  if (!equalBytes(mk.commitment, header.commitment)) {
    wipe(responseSecret, mk.contentKey, mk.contextKey);
    throw openFailed();
  }

  // §7 step 12: decrypt; the AAD is the header exactly as transmitted.
  const aad = concat(frame.prefix, frame.header);
  const plaintext = await b.aeadOpen(
    suite.algorithm,
    mk.contentKey,
    ZERO_NONCE,
    frame.ciphertext,
    aad,
  );
  mk.contentKey.fill(0);
  if (plaintext === undefined) {
    wipe(responseSecret, mk.contextKey);
    throw openFailed();
  }
  try {
    // §7 steps 13-15: inner record, the sender's trusted key, the signature.
    const inner = decodeInner(plaintext, true);
    const sender = inner.sender!;
    const senderKid = toBase64url(inner.senderKid!);
    const pk = await trustedKey(options, sender, senderKid);
    if (!pk)
      throw new BlindwireError(ErrorCode.KeyUntrusted, 'no trusted signing key for the sender');
    const tbs = await signatureInput(b, aad, utf8(sender), inner.senderKid!, inner.body);
    if (!(await b.ed25519Verify(pk, tbs, inner.signature!))) throw openFailed();
    // §7 steps 16-17: policy, decided only for a verified sender.
    if (allowed && !allowed(sender)) {
      throw new BlindwireError(ErrorCode.SenderNotAllowed, 'the sender is not allowed by policy');
    }
    const check = await contextCheck(b, mk.contextKey, context);
    if (!equalBytes(check, header.contextCheck)) {
      throw new BlindwireError(
        ErrorCode.ContextMismatch,
        "the bound context differs from the sender's",
      );
    }
    // §7 step 18: replay.
    const messageId = hexId(header.messageId);
    await checkReplay(options.replay, messageId, sender);
    const result: OpenResult = {
      // A view, not a copy: the rest of the record (sender, kid, signature,
      // padding) is zeroed below, so the buffer behind it holds only the body.
      payload: inner.body,
      sender,
      senderKid,
      messageId,
      header: headerInfo(header, frame),
    };
    if (header.contentType !== undefined) result.contentType = header.contentType;
    rememberOpenState(result, {
      suite,
      // Copies: the envelope buffer is the caller's and may be reused.
      requestId: header.messageId.slice(),
      responder: (entry as RecipientEntry).kid.slice(),
      responseSecret,
      responseIds: new Set(),
    });
    const start = inner.body.byteOffset - plaintext.byteOffset;
    plaintext.fill(0, 0, start);
    plaintext.fill(0, start + inner.body.length);
    return result;
  } catch (e) {
    plaintext.fill(0); // never leave a rejected plaintext behind
    responseSecret.fill(0);
    throw e;
  } finally {
    mk.contextKey.fill(0);
  }
}
