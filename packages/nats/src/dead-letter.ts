/**
 * The dead-letter writer (SPEC.md §7b): the unchanged envelope bytes with
 * `bw-reason` and `bw-message-id` hints, published to the dead-letter
 * subject. Through JetStream the PubAck is awaited (the copy is stored
 * before the original is terminated) and `Nats-Msg-Id` is
 * `bw-dl:<stream>:<stream sequence>`, so a redelivered write is deduplicated
 * by the dead-letter stream. Through core NATS the copy is fire-and-forget.
 * The bytes go unchanged even when the hints do not fit under max_payload:
 * hints are dropped, least needed first (media type, message id, reason, the
 * dedup key last), so a message at the limit is still copied.
 */
import { CarrierHeader } from '@blindwire/core';
import { NATS_MSG_ID, deadLetterHints, deadLetterKey, headerBytes, type Hints } from './carrier.js';
import { sendEvent, toHeaders, type Shared } from './common.js';
import { transportError } from './seal.js';
import type { JetStreamLike, JsMsgLike, NatsConnectionLike } from './types.js';

/** What is written: the bytes as delivered, why, and the message id when its header parsed. */
export interface DeadLetter {
  bytes: Uint8Array;
  reason: string;
  messageId: string | undefined;
}

/** Core NATS: publishes the copy (no acknowledgement exists); throws ERR_TRANSPORT when the client refuses. */
export function writeDeadLetterCore(
  s: Shared,
  nc: NatsConnectionLike,
  subject: string,
  dl: DeadLetter,
  maxPayload?: number,
): void {
  const started = s.now();
  const fields = { bytes: dl.bytes.length, code: dl.reason, ...idOf(dl) };
  try {
    const h = toHeaders(fit(deadLetterHints(dl.bytes, dl.reason, dl.messageId), dl, maxPayload));
    nc.publish(subject, dl.bytes, h ? { headers: h } : {});
  } catch (e) {
    sendEvent(s, 'dead-letter', subject, started, { ...fields, outcome: 'failed' });
    throw transportError('publishing the dead-letter copy', e);
  }
  sendEvent(s, 'dead-letter', subject, started, fields);
}

/** JetStream: publishes the copy and awaits its PubAck (ERR_TRANSPORT when none comes). */
export async function writeDeadLetterJs(
  s: Shared,
  js: JetStreamLike,
  subject: string,
  m: Pick<JsMsgLike, 'info'>,
  dl: DeadLetter,
  maxPayload?: number,
): Promise<void> {
  const started = s.now();
  const fields = { bytes: dl.bytes.length, code: dl.reason, ...idOf(dl) };
  const key = deadLetterKey(m.info.stream, m.info.streamSequence);
  try {
    const hints = fit(deadLetterHints(dl.bytes, dl.reason, dl.messageId, key), dl, maxPayload);
    const h = toHeaders(hints);
    await js.publish(subject, dl.bytes, {
      ...(hints[NATS_MSG_ID] === undefined ? {} : { msgID: key }),
      ...(h ? { headers: h } : {}),
    });
  } catch (e) {
    sendEvent(s, 'dead-letter', subject, started, { ...fields, outcome: 'failed' });
    throw transportError('publishing the dead-letter copy', e);
  }
  sendEvent(s, 'dead-letter', subject, started, fields);
}

/** Hints dropped, least needed first, until the copy fits under `max` (SPEC.md §7b: bytes unchanged). */
function fit(hints: Hints, dl: DeadLetter, max: number | undefined): Hints {
  if (max === undefined) return hints;
  const h = { ...hints };
  const order = [
    CarrierHeader.ContentType,
    CarrierHeader.MessageId,
    CarrierHeader.Reason,
    NATS_MSG_ID,
  ];
  for (const name of order) {
    if (dl.bytes.length + headerBytes(h) <= max) break;
    delete h[name];
  }
  return h;
}

function idOf(dl: DeadLetter): { messageId?: string } {
  return dl.messageId === undefined ? {} : { messageId: dl.messageId };
}
