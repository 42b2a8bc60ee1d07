/**
 * Test hooks for HPKE contexts. Not re-exported from index.ts and not a
 * package entry point: only the test suite imports this file. Moving a
 * context's sequence number breaks nonce uniqueness (RFC 9180 §5.2); never
 * use this outside tests.
 */
import { sequenceOf } from './context.js';
import type { RecipientContext, SenderContext } from './types.js';

/** The context's current sequence number. */
export function getSequenceNumber(context: SenderContext | RecipientContext): bigint {
  return sequenceOf(context).value;
}

/** Sets the context's sequence number (0 ≤ seq ≤ 2^96 - 1). */
export function setSequenceNumber(context: SenderContext | RecipientContext, seq: bigint): void {
  sequenceOf(context).value = seq;
}
