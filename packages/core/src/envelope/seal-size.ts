/**
 * The size of a sealed message against the limits of SPEC.md §8
 * (`maxHeaderBytes`, `maxEnvelopeBytes`), computed by one function,
 * `checkSealSize`. `seal` applies it before any key is made or the body
 * hashed (§4.5 step 1: every check before any work), to a header of zeros
 * of the real lengths, unless a cheap upper bound already shows the message
 * fits; and again to the real header.
 */
import { AEAD_TAG_LENGTH } from '../backend/checks.js';
import { BlindwireError, ErrorCode } from '../errors.js';
import type { Limits } from '../limits.js';
import { frameLength } from '../wire/frame.js';
import { paddedLength, type Padding } from '../wire/inner.js';

/** SPEC.md §8: a message with `header` and an inner record of `innerLength` bytes fits the limits. */
export function checkSealSize(header: Uint8Array, innerLength: number, limits: Limits): void {
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

/** What the upper bound looks at. */
export interface SealSizeInput {
  bodyLength: number;
  senderName: string;
  contentType: string | undefined;
  padding: Padding | undefined;
  recipientCount: number;
  hasClaims: boolean;
}

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
 * heads); with claims it gives up and the exact sizing runs.
 */
function surelyWithinLimits(input: SealSizeInput, limits: Limits): boolean {
  if (input.hasClaims) return false;
  const contentType = input.contentType === undefined ? 0 : 3 * input.contentType.length + 10;
  const header = 160 + input.recipientCount * 160 + contentType;
  const inner = paddedLength(input.bodyLength + 3 * input.senderName.length + 160, input.padding);
  return header <= limits.maxHeaderBytes && header + inner + 64 <= limits.maxEnvelopeBytes;
}
