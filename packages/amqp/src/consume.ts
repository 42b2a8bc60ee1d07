/**
 * `consume(queue, handler, options)` (SPEC.md §7b): manual acknowledgements
 * with `prefetch`; each delivery through core's consumer pipeline, its
 * disposition mapped to broker actions: ack -> `ack` (after the commit);
 * retry and in-flight -> a confirmed copy to the delay queue (expiration =
 * the backoff, attempt + 1 in `bw-attempt`), then `ack`; dead-letter -> a
 * confirmed unchanged copy with `bw-reason` to the dead-letter destination,
 * then `ack`; a copy the broker did not confirm -> `nack` with requeue after
 * a pause (the write is retried on redelivery). A delivery the pipeline
 * cannot even take is `nack`ed without requeue: the queue's own dead-letter
 * exchange, if any, receives it.
 */
import { BlindwireError, ErrorCode, type Delivered, type Disposition } from '@blindwire/core';
import { attemptOf, bodyBytes, destinationOf } from './carrier.js';
import { checkName, consumerFor, transportError, type Shared } from './common.js';
import { deadLetterTarget, writeDeadLetter, writeRetry } from './dead-letter.js';
import { isConfirmChannel } from './publish.js';
import type {
  AmqpChannelLike,
  AmqpConfirmChannelLike,
  AmqpMessageLike,
  ConsumeOptions,
  ConsumeRun,
  ConsumeStats,
} from './types.js';

function bad(what: string): BlindwireError {
  return new BlindwireError(ErrorCode.InvalidArgument, what);
}

function checkConsume(ch: AmqpChannelLike, o: ConsumeOptions): AmqpConfirmChannelLike {
  if (typeof o !== 'object' || o === null)
    throw bad('"options" expected { deadLetter, retryQueue, ... }');
  const d = o.deadLetter as Record<string, unknown> | undefined;
  if (typeof d !== 'object' || d === null)
    throw bad('"deadLetter" expected { exchange, routingKey } or { queue }');
  if ('queue' in d) checkName('deadLetter.queue', d.queue, false);
  else {
    checkName('deadLetter.exchange', d.exchange, true);
    checkName('deadLetter.routingKey', d.routingKey, true);
  }
  checkName('retryQueue', o.retryQueue, false);
  if (
    o.destination !== undefined &&
    (typeof o.destination !== 'string' || !o.destination.includes('/'))
  )
    throw bad('"destination" expected <exchange>/<routing key>');
  for (const k of ['maxAttempts', 'prefetch'] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 1 || v > 65535))
      throw bad(`"${k}" expected an integer from 1 to 65535`);
  }
  const confirm = o.confirmChannel ?? ch;
  if (!isConfirmChannel(confirm))
    throw bad(
      '"confirmChannel" expected a confirm channel (createConfirmChannel) for retry and dead-letter copies',
    );
  return confirm;
}

/** The delay queue's arguments: expired copies go back to `queue` through the default exchange. */
export function retryQueueArguments(queue: string): Record<string, unknown> {
  return { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue };
}

/** The broker actions of dispositions (SPEC.md §7b), counted in `stats`. */
function disposer(
  s: Shared,
  ch: AmqpChannelLike,
  confirm: AmqpConfirmChannelLike,
  o: ConsumeOptions,
  stats: ConsumeStats,
) {
  const pauseMs = s.o.retry?.backoffMs ?? 1000;
  const target = deadLetterTarget(o.deadLetter);
  const waiting = new Map<ReturnType<typeof setTimeout>, AmqpMessageLike>();
  let stopping = false;
  const settle = (m: AmqpMessageLike, f: 'ack' | 'requeue' | 'reject') => {
    try {
      if (f === 'ack') ch.ack(m);
      else ch.nack(m, false, f === 'requeue');
    } catch {
      // A closed channel: the broker requeues what was not acknowledged.
    }
  };
  // Not acknowledged: back to the queue after a pause (never at once, not to spin).
  const requeueLater = (m: AmqpMessageLike) => {
    stats.writeFailed++;
    if (stopping) return settle(m, 'requeue');
    const t = setTimeout(() => {
      waiting.delete(t);
      settle(m, 'requeue');
    }, pauseMs);
    waiting.set(t, m);
  };
  const write = async (d: Disposition, m: AmqpMessageLike, r: Received) => {
    if (d.action === 'dead-letter') {
      const dl = { bytes: r.bytes, reason: d.reason ?? 'ERR_HANDLER', messageId: d.messageId };
      await writeDeadLetter(s, confirm, target, dl);
      stats.deadLettered++;
    } else {
      // retry and in-flight: never dead-lettered here; the delay queue brings it back.
      const next = {
        attempt: r.attempt + 1,
        delayMs: d.delayMs ?? pauseMs,
        destination: r.destination,
        messageId: d.messageId,
      };
      await writeRetry(s, confirm, o.retryQueue, m, r.bytes, next);
      stats.retried++;
    }
  };
  return {
    settle,
    async dispose(d: Disposition, m: AmqpMessageLike, r: Received): Promise<void> {
      if (d.action !== 'ack') {
        try {
          await write(d, m, r);
        } catch {
          return requeueLater(m);
        }
      }
      settle(m, 'ack');
      stats.acked++;
    },
    /** Requeues at once what waits for its pause. */
    flush() {
      stopping = true;
      for (const [t, m] of waiting) {
        clearTimeout(t);
        settle(m, 'requeue');
      }
      waiting.clear();
    },
  };
}

interface Received {
  bytes: Uint8Array;
  destination: string;
  attempt: number;
}

/** What a delivery is to the pipeline; throws when it cannot even be read. */
function received(m: AmqpMessageLike, queue: string, o: ConsumeOptions): Received {
  const route = { queue, retryQueue: o.retryQueue };
  return {
    bytes: bodyBytes(m.content),
    destination: destinationOf(m, route, o.destination),
    attempt: attemptOf(m, route),
  };
}

async function prepare(ch: AmqpChannelLike, queue: string, o: ConsumeOptions): Promise<void> {
  try {
    if (o.declare === true) {
      if (typeof ch.assertQueue !== 'function')
        throw new TypeError('the channel has no assertQueue');
      await ch.assertQueue(o.retryQueue, { durable: true, arguments: retryQueueArguments(queue) });
    }
    await ch.prefetch(o.prefetch ?? 32);
  } catch (e) {
    throw transportError('preparing the AMQP consumer', e);
  }
}

export async function consume(
  s: Shared,
  ch: AmqpChannelLike,
  queue: string,
  handler: (m: Delivered) => unknown,
  o: ConsumeOptions,
): Promise<ConsumeRun> {
  checkName('queue', queue, false);
  if (typeof handler !== 'function') throw bad('"handler" expected a function');
  const confirm = checkConsume(ch, o);
  const maxAttempts = o.maxAttempts ?? s.o.retry?.maxAttempts ?? 5;
  const pipeline = consumerFor(s, o.policy, handler, { ...s.o.retry, maxAttempts });
  const stats: ConsumeStats = {
    acked: 0,
    retried: 0,
    deadLettered: 0,
    writeFailed: 0,
    rejected: 0,
  };
  const d = disposer(s, ch, confirm, o, stats);
  const pending = new Set<Promise<void>>();
  const reject = (m: AmqpMessageLike) => {
    // The queue's own dead-letter exchange, if it has one, receives it.
    stats.rejected++;
    d.settle(m, 'reject');
  };
  const onMessage = (m: AmqpMessageLike | null) => {
    if (m === null) return; // cancelled by the broker (queue deleted)
    const receivedAt = s.now();
    let r: Received;
    try {
      r = received(m, queue, o);
    } catch {
      return reject(m);
    }
    const q = pipeline
      .process({ bytes: r.bytes, destination: r.destination, attempt: r.attempt, receivedAt })
      .then(
        (disposition) => d.dispose(disposition, m, r),
        () => reject(m),
      )
      .catch(() => undefined);
    pending.add(q);
    void q.finally(() => pending.delete(q));
  };
  await prepare(ch, queue, o);
  let consumerTag: string;
  try {
    ({ consumerTag } = await ch.consume(queue, onMessage, { noAck: false }));
  } catch (e) {
    throw transportError('AMQP consume', e);
  }
  return {
    consumerTag,
    stats,
    async stop() {
      await Promise.resolve(ch.cancel(consumerTag)).catch(() => undefined);
      d.flush();
      while (pending.size > 0) await Promise.all([...pending]);
      d.flush();
    },
  };
}
