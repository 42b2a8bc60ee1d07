/**
 * The synchronous path of `seal` (one recipient) and `open` (an entry
 * without a wrapped secret) on a backend's synchronous twin
 * (backend/sync.ts): the same steps, bytes, decisions and wipes as the async
 * path in seal.ts and open.ts, without a promise per primitive. Installed by
 * the node backend (`installSyncPath`), so browser bundles leave it out.
 */
import { AEAD_TAG_LENGTH } from '../backend/checks.js';
import type { SyncPrimitives } from '../backend/sync.js';
import { concat, equalBytes, toHex, wipe } from '../bytes.js';
import { openFailed } from '../errors.js';
import type { Limits } from '../limits.js';
import { allocateFrame, type Frame } from '../wire/frame.js';
import type { MessageHeader, RecipientEntry } from '../wire/header.js';
import { innerParts, type Padding } from '../wire/inner.js';
import { LABEL, ZERO_NONCE, signatureTranscript } from '../wire/keys.js';
import { Kind, PREFIX_LENGTH } from '../wire/kinds.js';
import {
  contextCheckSync,
  messageKeysSync,
  recipientSecretsSync,
  senderSecretsSync,
  type ExportedSecrets,
} from '../wire/sync-secrets.js';
import type { CheckedSeal } from './check-seal.js';
import type { Admission } from './opening-rules.js';
import type { SealResult } from './seal-options.js';
import { checkSealSize } from './seal-size.js';
import { rememberSealState } from './state.js';
import { installSyncPath as install, type Decrypted } from './sync-registry.js';

/**
 * SPEC.md §4.5 steps 2-6 for one recipient on a synchronous twin
 * (backend/sync.ts): the bytes of `senderSecrets` + `sealWithSecrets`, and
 * the same wipes: every exit wipes what was derived; a failure also wipes the
 * response secret, which only a successful seal hands on.
 */
export function sealOneSync(
  s: SyncPrimitives,
  c: CheckedSeal,
  body: Uint8Array,
  padding: Padding | undefined,
  limits: Limits,
  aadWith: (entries: RecipientEntry[], check: Uint8Array, commitment: Uint8Array) => Uint8Array,
): SealResult {
  const recipient = c.recipients[0]!;
  // SPEC.md §4.3: the message and response secrets from the recipient's HPKE exporter.
  const { enc, messageSecret, responseSecret } = senderSecretsSync(
    s,
    c.suite.ids,
    recipient.publicKey,
  );
  let sealed = false;
  let contentKey: Uint8Array | undefined;
  try {
    const keys = messageKeysSync(s, messageSecret, c.suite.keyLength);
    contentKey = keys.contentKey;
    const entry: RecipientEntry = { kid: recipient.kid, enc };
    // prefix || header in one array: the AAD (SPEC.md §4.3), the header a view of it.
    const aad = aadWith([entry], contextCheckSync(s, messageSecret, c.context), keys.commitment);
    const header = aad.subarray(PREFIX_LENGTH);
    // SPEC.md §4.4: sign the exact header (which binds the context), the sender and the body.
    const tbs = signatureTranscript(
      LABEL.signature,
      s.sha256([aad]),
      c.sender.name,
      c.sender.kid,
      s.sha256([body]),
    );
    const signature = s.ed25519Sign(c.sender.privateKey, tbs);
    const inner = innerParts(
      { sender: c.sender.text, senderKid: c.sender.kid, signature, body },
      padding,
      c.sender.name,
    );
    checkSealSize(header, inner.length, limits);
    // Every byte of the frame is written (the AEAD fills ciphertext and tag).
    const { out: envelope, offset } = allocateFrame(
      Kind.Message,
      header,
      inner.length + AEAD_TAG_LENGTH,
      s.allocate,
    );
    s.aeadSealParts(c.suite.algorithm, contentKey, ZERO_NONCE, inner.parts, aad, envelope, offset);
    const result: SealResult = {
      envelope,
      messageId: toHex(c.messageId),
      issuedAt: c.issuedAt,
      expiresAt: c.expiresAt,
    };
    rememberSealState(result, {
      suite: c.suite,
      messageId: c.messageId,
      issuedAt: c.issuedAt,
      expiresAt: c.expiresAt,
      responders: new Map([[toHex(recipient.kid), responseSecret]]),
      acceptedResponses: new Set(),
    });
    sealed = true;
    return result;
  } finally {
    wipe(messageSecret, contentKey);
    if (!sealed) wipe(responseSecret);
  }
}

/**
 * `decrypt` for an entry without a wrapped secret on a synchronous twin: the
 * same steps, decisions and wipes. Every failure is ERR_OPEN_FAILED.
 */
export function decryptSync(
  s: SyncPrimitives,
  { suite, entry, key }: Admission,
  header: MessageHeader,
  frame: Frame,
): Decrypted {
  let secrets: ExportedSecrets;
  try {
    secrets = recipientSecretsSync(s, header.suite, entry.enc, key);
  } catch {
    throw openFailed();
  }
  const { messageSecret, responseSecret } = secrets;
  let mk: { commitment: Uint8Array; contentKey: Uint8Array };
  try {
    mk = messageKeysSync(s, messageSecret, suite.keyLength);
  } catch (e) {
    wipe(responseSecret, messageSecret);
    throw e;
  }
  try {
    if (!equalBytes(mk.commitment, header.commitment)) throw openFailed(); // §7 step 11
  } catch (e) {
    wipe(responseSecret, messageSecret, mk.contentKey);
    throw e;
  }
  // §7 step 12: the AAD is the header exactly as transmitted.
  const aad = concat(frame.prefix, frame.header);
  let plaintext: Uint8Array | undefined;
  try {
    plaintext = s.aeadOpen(suite.algorithm, mk.contentKey, ZERO_NONCE, frame.ciphertext, aad);
  } finally {
    mk.contentKey.fill(0);
  }
  if (plaintext === undefined) {
    wipe(responseSecret, messageSecret);
    throw openFailed();
  }
  // The message secret is the key of the context check (keys.ts `deriveMessageKeys`).
  return { plaintext, aad, contextKey: messageSecret, responseSecret };
}

/** Makes this path the one `seal` and `open` take on a backend with a twin. */
export function installSyncPath(): void {
  install({ sealOne: sealOneSync, decrypt: decryptSync, contextCheck: contextCheckSync });
}
