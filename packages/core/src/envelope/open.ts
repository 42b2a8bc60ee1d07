/**
 * `open`: the recipient's side (SPEC.md §7, parser and check rules in the
 * order they run). Parse errors are specific; once the header parses, every
 * cryptographic failure is one ERR_OPEN_FAILED. No plaintext, partial or
 * whole, leaves this function unless every check passed. The checks after
 * parsing are the shared opening rules (opening-rules.ts).
 */
import { concat, toHex, utf8, wipe } from '../bytes.js';
import { ErrorCode, isBlindwireError, openFailed } from '../errors.js';
import { syncPrimitivesOf } from '../backend/sync.js';
import type { CryptoBackend } from '../backend/types.js';
import { parseFrame, type Frame } from '../wire/frame.js';
import type { MessageHeader } from '../wire/header.js';
import { decodeMessageHeaderFast } from '../wire/header-fast.js';
import { decodeInner } from '../wire/inner.js';
import {
  LABEL,
  ZERO_NONCE,
  deriveMessageKeys,
  signatureInput,
  signatureTranscript,
} from '../wire/keys.js';
import { Kind } from '../wire/kinds.js';
import { recipientSecrets } from '../wire/recipient.js';
import { OPEN_OPTION_KEYS, checkOpenOptions } from './check-open.js';
import { backendOf, checkArguments, limitsOf, readOptions } from './common-options.js';
import { headerInfo } from './envelope-info.js';
import type { OpenOptions, OpenResult } from './open-options.js';
import { admitHeader, admitSender, checkCommitment, type Admission } from './opening-rules.js';
import { rememberOpenState } from './state.js';
import { syncPath, syncSchedules, type Decrypted } from './sync-registry.js';
import { isBytes, notBytes } from './values.js';

/** Opens an envelope addressed to one of `options.recipient`, verifying the sender. */
export async function open(envelope: Uint8Array, options: OpenOptions): Promise<OpenResult> {
  // SPEC.md §7: every ERR_OPEN_FAILED that leaves is this one, built here
  // and only on failure (a success pays for no stack). It is built after the
  // await has resumed, whichever check failed and however early, so its stack
  // holds this frame and the caller's async frames only: never the failing
  // check's or the scheduler's, the same for every failure.
  try {
    return await openEnvelope(envelope, options);
  } catch (e) {
    throw isBlindwireError(e, ErrorCode.OpenFailed) ? openFailed() : e;
  }
}

/**
 * The backend's synchronous twin when this entry may take the synchronous
 * path: no wrapped secret, and the header's suite is DHKEM(X25519,
 * HKDF-SHA256) with HKDF-SHA256 (the only schedule that path implements).
 */
function syncTwinFor(b: CryptoBackend, a: Admission, header: MessageHeader) {
  return a.entry.wrapped === undefined && syncSchedules(header.suite)
    ? syncPrimitivesOf(b)
    : undefined;
}

async function openEnvelope(envelope: Uint8Array, options: OpenOptions): Promise<OpenResult> {
  // Every option, each read once, before the input.
  const { b, limits, policy } = checkArguments(() => {
    const o = readOptions<OpenOptions>(options, OPEN_OPTION_KEYS);
    const b = backendOf(o);
    const limits = limitsOf(o);
    return { b, limits, policy: checkOpenOptions(o, limits, b) };
  });

  // §7 steps 1-5: framing and header.
  const frame = parseFrame(isBytes(envelope) ? envelope : notBytes(), Kind.Message, limits);
  const header = decodeMessageHeaderFast(frame.header, limits);
  // §7 steps 6-8: suite, times, which of our keys.
  const admitted = admitHeader(header, policy);
  const { suite, entry } = admitted;

  // §7 steps 9-12: decapsulate, key schedule, commitment, decrypt; without a
  // promise per step on a backend with a synchronous twin (backend/sync.ts).
  const twin = syncTwinFor(b, admitted, header);
  const path = twin && syncPath();
  const sync = path ? twin : undefined;
  // Every ERR_OPEN_FAILED comes after an await here, as on the async path, so
  // that `open` builds it with the same stack whichever step failed.
  if (sync) await Promise.resolve();
  const { plaintext, aad, contextKey, responseSecret } = sync
    ? path!.decrypt(sync, admitted, header, frame)
    : await decrypt(b, admitted, header, frame);
  try {
    // §7 step 13: the inner record.
    const inner = decodeInner(plaintext, true, limits);
    const sender = inner.sender!;
    const messageId = toHex(header.messageId);
    // §7 steps 14-18: trusted key, signature, allowed senders, context, replay.
    const { senderKid, reservation } = await admitSender(b, policy, {
      sender,
      senderKid: inner.senderKid!,
      verify: sync
        ? (pk) =>
            sync.ed25519Verify(
              pk,
              signatureTranscript(
                LABEL.signature,
                sync.sha256([aad]),
                utf8(sender),
                inner.senderKid!,
                sync.sha256([inner.body]),
              ),
              inner.signature!,
            )
        : async (pk) =>
            b.ed25519Verify(
              pk,
              await signatureInput(b, aad, utf8(sender), inner.senderKid!, inner.body),
              inner.signature!,
            ),
      contextKey,
      ...(sync ? { contextCheckNow: (k, ctx) => path!.contextCheck(sync, k, ctx) } : {}),
      headerCheck: header.contextCheck,
      messageId,
      times: header,
    });
    // §7 step 19: release.
    const result: OpenResult = {
      // A view, not a copy: the rest of the record (sender, kid, signature,
      // padding) is zeroed below, so the buffer behind it holds only the body.
      payload: inner.body,
      sender,
      senderKid,
      messageId,
      header: headerInfo(header, frame, messageId),
    };
    if (header.contentType !== undefined) result.contentType = header.contentType;
    if (reservation) result.reservation = reservation; // §7 step 18: the caller's to commit
    rememberOpenState(result, {
      suite,
      // Copies (not slice(), a view when the envelope is a Buffer): the
      // envelope buffer is the caller's and may be reused.
      requestId: new Uint8Array(header.messageId),
      responder: new Uint8Array(entry.kid),
      responseSecret,
      expiresAt: header.expiresAt,
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
    contextKey.fill(0);
  }
}

/**
 * SPEC.md §7 steps 9-12: decapsulate, recover the message secret, check the
 * commitment, decrypt. Every failure is ERR_OPEN_FAILED and leaves no secret.
 */
async function decrypt(
  b: CryptoBackend,
  { suite, entry, key }: Admission,
  header: MessageHeader,
  frame: Frame,
): Promise<Decrypted> {
  const secrets = await recipientSecrets(b, suite, entry, key, true);
  const messageSecret = secrets.messageSecret;
  const responseSecret = secrets.responseSecret!;
  const mk = await deriveMessageKeys(b, messageSecret, suite.keyLength);
  messageSecret.fill(0);
  try {
    checkCommitment(mk.commitment, header.commitment);
  } catch (e) {
    wipe(responseSecret, mk.contentKey, mk.contextKey);
    throw e;
  }
  // §7 step 12: the AAD is the header exactly as transmitted.
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
  return { plaintext, aad, contextKey: mk.contextKey, responseSecret };
}
