/**
 * `seal`: encrypts a payload for one or more recipients and signs it with the
 * sender's identity (SPEC.md §4, the steps of §4.5 in order).
 */
import { AEAD_TAG_LENGTH, aeadSealInto } from '../backend/checks.js';
import { syncPrimitivesOf } from '../backend/sync.js';
import type { CryptoBackend } from '../backend/types.js';
import { toHex, wipe } from '../bytes.js';
import type { RecipientEntry } from '../wire/header.js';
import { encodePrefixedHeader } from '../wire/header-fast.js';
import { allocateFrame } from '../wire/frame.js';
import { innerParts, type Padding } from '../wire/inner.js';
import {
  ZERO_NONCE,
  contextCheck,
  deriveMessageKeys,
  signatureInput,
  type MessageKeys,
} from '../wire/keys.js';
import { Kind, PREFIX_LENGTH } from '../wire/kinds.js';
import { senderSecrets, type SenderSecrets } from '../wire/sender.js';
import {
  SEAL_OPTION_KEYS,
  checkPadding,
  checkSealOptions,
  type CheckedSeal,
} from './check-seal.js';
import { backendOf, checkArguments, limitsOf, readOptions } from './common-options.js';
import type { SealOptions, SealResult } from './seal-options.js';
import { checkSealSize, messageSizing, precheckSealSize } from './seal-size.js';
import { rememberSealState } from './state.js';
import { syncPath, syncSchedules } from './sync-registry.js';
import { payloadBytes } from './values.js';
import type { Limits } from '../limits.js';

/** Seals `payload` so that only the recipients can open it, signed by `sender`. */
export async function seal(
  payload: string | Uint8Array,
  options: SealOptions,
): Promise<SealResult> {
  // SPEC.md §4.5 step 1: every argument, each read once, before any work.
  const { b, limits, body, c, padding } = checkArguments(() => {
    const o = readOptions<SealOptions>(options, SEAL_OPTION_KEYS);
    const b = backendOf(o);
    const limits = limitsOf(o);
    const body = payloadBytes(payload);
    const c = checkSealOptions(o, limits, b);
    return { b, limits, body, c, padding: checkPadding(o.padding) };
  });
  // prefix || header: the AAD (SPEC.md §4.3); the header is its subarray(PREFIX_LENGTH).
  const aadWith = (entries: RecipientEntry[], check: Uint8Array, commitment: Uint8Array) =>
    encodePrefixedHeader(Kind.Message, {
      suite: c.suite.ids,
      recipients: entries,
      messageId: c.messageId,
      issuedAt: c.issuedAt,
      expiresAt: c.expiresAt,
      ...(c.contentType !== undefined ? { contentType: c.contentType } : {}),
      contextCheck: check,
      commitment,
      ...(c.claims ? { claims: c.claims } : {}),
    });
  // SPEC.md §8: the limits hold before any key is made or the body hashed.
  precheckSealSize(
    {
      bodyLength: body.length,
      senderName: c.sender.text,
      contentType: c.contentType,
      padding: padding,
      recipientCount: c.recipients.length,
      hasClaims: c.claims !== undefined,
      encLength: c.suite.encLength,
    },
    () => messageSizing(c, body.length, padding),
    limits,
  );
  // A backend with a synchronous twin seals one recipient without a promise per step.
  const twin =
    c.recipients.length === 1 && syncSchedules(c.suite.ids) ? syncPrimitivesOf(b) : undefined;
  const path = twin && syncPath();
  if (path) return path.sealOne(twin, c, body, padding, limits, aadWith);
  // SPEC.md §4.3: one HPKE context per recipient; the message secret comes from
  // the exporter (one recipient) or is random and sealed to each (several).
  const secrets = await senderSecrets(b, c.suite, c.recipients, true);
  return sealWithSecrets(b, c, body, padding, limits, secrets, aadWith);
}

/**
 * SPEC.md §4.5 steps 3-6: keys, header, signature, inner record, AEAD. Every
 * exit wipes what was derived; a failure also wipes the response secrets,
 * which only a successful seal hands on.
 */
async function sealWithSecrets(
  b: CryptoBackend,
  c: CheckedSeal,
  body: Uint8Array,
  padding: Padding | undefined,
  limits: Limits,
  { entries, messageSecret, responseSecrets }: SenderSecrets,
  aadWith: (entries: RecipientEntry[], check: Uint8Array, commitment: Uint8Array) => Uint8Array,
): Promise<SealResult> {
  let sealed = false;
  let keys: MessageKeys | undefined;
  try {
    keys = await deriveMessageKeys(b, messageSecret, c.suite.keyLength);
    const aad = aadWith(
      entries,
      await contextCheck(b, keys.contextKey, c.context),
      keys.commitment,
    );
    const header = aad.subarray(PREFIX_LENGTH);

    // SPEC.md §4.4: sign the exact header (which binds the context), the sender and the body.
    const tbs = await signatureInput(b, aad, c.sender.name, c.sender.kid, body);
    const signature = await b.ed25519Sign(c.sender.privateKey, tbs);
    // The inner record is encrypted from its pieces straight into the frame:
    // the body is never copied (SPEC.md §4.2).
    const inner = innerParts(
      { sender: c.sender.text, senderKid: c.sender.kid, signature, body },
      padding,
    );
    checkSealSize(header, inner.length, limits); // the same sizes as checked before the keys
    const ciphertextLength = inner.length + AEAD_TAG_LENGTH;
    const { out: envelope, offset } = allocateFrame(Kind.Message, header, ciphertextLength);
    await aeadSealInto(
      b,
      c.suite.algorithm,
      keys.contentKey,
      ZERO_NONCE,
      inner.parts,
      aad,
      envelope,
      offset,
    );
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
      responders: new Map(entries.map((e, i) => [toHex(e.kid), responseSecrets![i]!])),
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
