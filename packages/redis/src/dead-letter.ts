/**
 * The dead-letter writer (SPEC.md §7b): the unchanged envelope bytes with
 * `bw-reason`, `bw-message-id` and `bw-source-id` hints, added to the
 * dead-letter stream (`<key>:dlq` by default) and the original XACKed in the
 * same MULTI, so the copy exists before, and exactly when, the original is
 * settled. A failed transaction leaves the original pending: it is
 * reclaimed and the write tried again.
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

/** Writes the copy and acks the original in one MULTI; throws ERR_TRANSPORT when that failed. */
export async function writeDeadLetter(
  s: Shared,
  t: ConsumeTarget,
  dlq: { stream: string; maxLen: MaxLen | undefined },
  dl: DeadLetter,
): Promise<void> {
  const started = s.now();
  const fields = {
    bytes: dl.bytes.length,
    code: dl.reason,
    entryId: dl.entryId,
    ...(dl.messageId === undefined ? {} : { messageId: dl.messageId }),
  };
  try {
    await deadLetterAndAck(
      s.wire,
      { ...dlq, fields: deadLetterFields(dl.bytes, dl.reason, dl.messageId, dl.entryId) },
      t,
      dl.entryId,
    );
  } catch (e) {
    sendEvent(s, 'dead-letter', dlq.stream, started, { ...fields, outcome: 'failed' });
    throw transportError('MULTI XADD dead-letter + XACK', e);
  }
  sendEvent(s, 'dead-letter', dlq.stream, started, fields);
}
