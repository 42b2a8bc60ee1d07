/**
 * The dead-letter writer (SPEC.md §7b): the unchanged envelope bytes with
 * `bw-reason`, `bw-message-id` and `bw-source-id` hints, added to the
 * dead-letter stream (`<key>:dlq` by default) and the original XACKed in
 * one script, only while the original is still pending, so the copy exists
 * before, and exactly when, this consumer settles it: one copy even when two
 * consumers dead-letter one reclaimed entry. A failed write leaves the
 * original pending: it is reclaimed and the write tried again.
 */
import { deadLetterFields } from './carrier.js';
import { sendEvent, type Shared } from './common.js';
import { deadLetterAndAck } from './streams.js';
import type { ConsumeTarget, MaxLen } from './types.js';
import { transportError } from './wire.js';

export interface DeadLetter {
  bytes: Uint8Array;
  reason: string;
  messageId: string | undefined;
  /** The stream entry id of the original. */
  entryId: string;
}

/**
 * Writes the copy and acks the original atomically; false when the original
 * was no longer pending (another consumer settled it: no copy written).
 * Throws ERR_TRANSPORT when the write failed (nothing acked).
 */
export async function writeDeadLetter(
  s: Shared,
  t: ConsumeTarget,
  dlq: { stream: string; maxLen: MaxLen | undefined },
  dl: DeadLetter,
): Promise<boolean> {
  const started = s.now();
  const fields = {
    bytes: dl.bytes.length,
    code: dl.reason,
    entryId: dl.entryId,
    ...(dl.messageId === undefined ? {} : { messageId: dl.messageId }),
  };
  let written: boolean;
  try {
    written = await deadLetterAndAck(
      s.wire,
      { ...dlq, fields: deadLetterFields(dl.bytes, dl.reason, dl.messageId, dl.entryId) },
      t,
      dl.entryId,
    );
  } catch (e) {
    sendEvent(s, 'dead-letter', dlq.stream, started, { ...fields, outcome: 'failed' });
    throw transportError('the dead-letter XADD + XACK script', e);
  }
  sendEvent(s, 'dead-letter', dlq.stream, started, {
    ...fields,
    ...(written ? {} : { outcome: 'settled' }),
  });
  return written;
}
