/**
 * The size of a sealed message against the limits of SPEC.md §8
 * (`maxHeaderBytes`, `maxEnvelopeBytes`), computed by one function,
 * `checkSealSize`. `seal` applies it before any key is made or the body
 * hashed (§4.5 step 1: every check before any work), to the header and inner
 * record `messageSizing` builds with zeros of the real lengths, unless a cheap
 * upper bound already shows the message fits; and again to the real header.
 * `sealedSize` (sealed-size.ts) reports the same exact length.
 */
import { KEMS, encLengthOf } from '../wire/suites.js';
import { AEAD_TAG_LENGTH } from '../backend/checks.js';
import { BlindwireError, ErrorCode } from '../errors.js';
import type { Limits } from '../limits.js';
import type { SealOptions } from './seal-options.js';
import { frameLength } from '../wire/frame.js';
import {
  COMMITMENT_LENGTH,
  CONTEXT_CHECK_LENGTH,
  MESSAGE_ID_LENGTH,
  encodeMessageHeader,
  type ClaimValue,
} from '../wire/header.js';
import { innerLength, paddedLength, type Padding } from '../wire/inner.js';
import type { EnvelopeSuite } from '../wire/suites.js';

/** The wrapped message secret of each of several recipients: 32 bytes and the HPKE AEAD tag (SPEC.md §4.3). */
const WRAPPED_SECRET_LENGTH = 32 + AEAD_TAG_LENGTH;
/** An Ed25519 signature (SPEC.md §4.2 meta key 3). */
const SIGNATURE_LENGTH = 64;

/** The length of the envelope (SPEC.md §3) around `header` and an inner record of `innerLength` bytes. */
export function envelopeLength(header: Uint8Array, innerLength: number): number {
  return frameLength(header, innerLength + AEAD_TAG_LENGTH);
}

/** SPEC.md §8: a message with `header` and an inner record of `innerLength` bytes fits the limits. */
export function checkSealSize(header: Uint8Array, innerLength: number, limits: Limits): void {
  if (header.length > limits.maxHeaderBytes) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `header of ${header.length} bytes exceeds maxHeaderBytes`,
    );
  }
  const length = envelopeLength(header, innerLength);
  if (length > limits.maxEnvelopeBytes) {
    throw new BlindwireError(
      ErrorCode.LimitExceeded,
      `envelope of ${length} bytes exceeds maxEnvelopeBytes`,
    );
  }
}

/** What the upper bound looks at. */
export interface SealSizeInput {
  bodyLength: number;
  senderName: string;
  contentType: string | undefined;
  padding: Padding | undefined;
  recipientCount: number;
  hasClaims: boolean;
  /**
   * Each recipient's `enc` length (the KEM's Nenc: 32 for X25519, 1120 for
   * X-Wing); default the largest of any KEM, for a caller that does not know it.
   */
  encLength?: number;
}

/** The largest `enc` of any KEM (X-Wing's 1120 bytes): the bound's default (read once, when first
 * needed: suites.ts is not yet evaluated when this module is, in the import cycle through sync-path). */
let maxEncLength = 0;
const largestEnc = (): number =>
  maxEncLength || (maxEncLength = Math.max(...Object.values(KEMS).map((k) => k.encLength)));

/**
 * SPEC.md §8 before any key is made: true at once when a cheap upper bound
 * is within the limits; otherwise `checkSealSize` on the header and inner
 * record that `sizing` builds with zeros in place of the per-message values
 * (every header field has a fixed length, so the sizes are exact).
 */
export function precheckSealSize(
  input: SealSizeInput,
  sizing: () => { header: Uint8Array; innerLength: number },
  limits: Limits,
): void {
  if (surelyWithinLimits(input, limits)) return;
  const { header, innerLength } = sizing();
  checkSealSize(header, innerLength, limits);
}

/**
 * A cheap upper bound on the header and envelope sizes. Generous on every
 * field (a kid of 64 bytes, 3 UTF-8 bytes per UTF-16 unit, 9-byte CBOR
 * heads; per recipient 128 bytes besides its `enc`, of the KEM's length);
 * with claims it gives up and the exact sizing runs. False means
 * "not known", never "over": a binding that skips `sealedSize` when this is
 * true keeps every ERR_LIMIT_EXCEEDED before any backend call (SPEC.md §8).
 */
export function surelyWithinLimits(input: SealSizeInput, limits: Limits): boolean {
  if (input.hasClaims) return false;
  const contentType = input.contentType === undefined ? 0 : 3 * input.contentType.length + 10;
  const perRecipient = 128 + (input.encLength ?? largestEnc());
  const header = 160 + input.recipientCount * perRecipient + contentType;
  const inner = paddedLength(input.bodyLength + 3 * input.senderName.length + 160, input.padding);
  return header <= limits.maxHeaderBytes && header + inner + 64 <= limits.maxEnvelopeBytes;
}

/**
 * `surelyWithinLimits` on a caller's `seal` arguments as given, before `seal`
 * parses them (the broker bindings' cheap check before the exact size of
 * their carrier): a string counts 3 UTF-8 bytes per UTF-16 unit; the KEM is
 * not known yet, so each recipient's `enc` counts at the largest KEM's
 * length. False when not known, including arguments of the wrong shape
 * (`sealedSize` then says what is wrong).
 */
export function surelySealFits(payload: unknown, options: SealOptions, limits: Limits): boolean {
  try {
    const bodyLength =
      typeof payload === 'string'
        ? 3 * payload.length
        : payload instanceof Uint8Array
          ? payload.length
          : NaN;
    const { recipients, contentType } = options;
    const name: unknown = options.sender?.name;
    if (
      !Number.isFinite(bodyLength) ||
      typeof name !== 'string' ||
      !Array.isArray(recipients) ||
      (contentType !== undefined && typeof contentType !== 'string')
    )
      return false;
    return surelyWithinLimits(
      {
        bodyLength,
        senderName: name,
        contentType,
        padding: options.padding,
        recipientCount: recipients.length,
        hasClaims: options.claims !== undefined,
      },
      limits,
    );
  } catch {
    return false; // e.g. a padding `sealedSize` refuses
  }
}

/** What fixes the length of a message: everything `seal` puts in it but its secrets and random values. */
export interface SizedSeal {
  suite: Pick<EnvelopeSuite, 'ids'>;
  recipients: readonly { kid: Uint8Array }[];
  sender: { text: string; kid: Uint8Array };
  issuedAt: number;
  expiresAt: number;
  contentType: string | undefined;
  claims: Map<string, ClaimValue> | undefined;
}

/**
 * The header and the inner record length of the message `seal` makes from
 * `c` and a body of `bodyLength` bytes (SPEC.md §4.1, §4.2), exactly: the
 * header is encoded with zeros in place of the message id, each `enc`, each
 * wrapped secret, the context check and the commitment, which have fixed
 * lengths, and the inner record is measured with a zero signature.
 */
export function messageSizing(
  c: SizedSeal,
  bodyLength: number,
  padding: Padding | undefined,
): { header: Uint8Array; innerLength: number } {
  const multi = c.recipients.length > 1;
  const header = encodeMessageHeader({
    suite: c.suite.ids,
    recipients: c.recipients.map((r) => ({
      kid: r.kid,
      enc: new Uint8Array(encLengthOf(c.suite.ids.kem)),
      ...(multi ? { wrapped: new Uint8Array(WRAPPED_SECRET_LENGTH) } : {}),
    })),
    messageId: new Uint8Array(MESSAGE_ID_LENGTH),
    issuedAt: c.issuedAt,
    expiresAt: c.expiresAt,
    ...(c.contentType !== undefined ? { contentType: c.contentType } : {}),
    contextCheck: new Uint8Array(CONTEXT_CHECK_LENGTH),
    commitment: new Uint8Array(COMMITMENT_LENGTH),
    ...(c.claims ? { claims: c.claims } : {}),
  });
  const inner = innerLength(
    { sender: c.sender.text, senderKid: c.sender.kid, signature: new Uint8Array(SIGNATURE_LENGTH) },
    bodyLength,
    padding,
  );
  return { header, innerLength: inner };
}
