/**
 * The consumer's copies (SPEC.md §7b), each written on a confirm channel
 * with `mandatory` and confirmed by the broker, and routed to a queue, before
 * the original is acknowledged: the
 * dead-letter copy (the unchanged envelope with `bw-reason`, to the
 * dead-letter exchange or queue) and the retry copy (the unchanged envelope
 * to the delay queue, `expiration` = the backoff, whose dead-letter exchange
 * sends it back to the consumed queue).
 */
import { deadLetterProperties, retryProperties } from './carrier.js';
import { sendEvent, transportError, type Shared } from './common.js';
import { confirmedPublish } from './publish.js';
import type { AmqpConfirmChannelLike, AmqpMessageLike, ConsumeOptions } from './types.js';

/** What is written: the bytes as delivered, why, and the message id when its header parsed. */
export interface DeadLetter {
  bytes: Uint8Array;
  reason: string;
  messageId: string | undefined;
}

/** Exchange and routing key of the dead-letter destination. */
export function deadLetterTarget(d: ConsumeOptions['deadLetter']): [string, string] {
  return 'queue' in d ? ['', d.queue] : [d.exchange, d.routingKey];
}

/** Writes the dead-letter copy and awaits its confirm (ERR_TRANSPORT when none comes). */
export async function writeDeadLetter(
  s: Shared,
  ch: AmqpConfirmChannelLike,
  target: [string, string],
  dl: DeadLetter,
): Promise<void> {
  const started = s.now();
  const where = `${target[0]}/${target[1]}`;
  const fields = {
    bytes: dl.bytes.length,
    code: dl.reason,
    ...(dl.messageId === undefined ? {} : { messageId: dl.messageId }),
  };
  try {
    const props = deadLetterProperties(dl.bytes, dl.reason, dl.messageId);
    await confirmedPublish(ch, target[0], target[1], dl.bytes, props, true);
  } catch (e) {
    sendEvent(s, 'dead-letter', where, started, { ...fields, outcome: 'failed' });
    throw transportError('publishing the dead-letter copy', e);
  }
  sendEvent(s, 'dead-letter', where, started, fields);
}

/** Writes the retry copy to `retryQueue` and awaits its confirm (ERR_TRANSPORT when none comes). */
export async function writeRetry(
  s: Shared,
  ch: AmqpConfirmChannelLike,
  retryQueue: string,
  m: AmqpMessageLike,
  bytes: Uint8Array,
  next: { attempt: number; delayMs: number; destination: string; messageId?: string | undefined },
): Promise<void> {
  const started = s.now();
  const where = `/${retryQueue}`;
  const fields = {
    bytes: bytes.length,
    ...(next.messageId === undefined ? {} : { messageId: next.messageId }),
  };
  try {
    const props = retryProperties(m, next.attempt, next.delayMs, next.destination);
    await confirmedPublish(ch, '', retryQueue, bytes, props, true);
  } catch (e) {
    sendEvent(s, 'retry', where, started, { ...fields, outcome: 'failed' });
    throw transportError('publishing the retry copy', e);
  }
  sendEvent(s, 'retry', where, started, fields);
}
