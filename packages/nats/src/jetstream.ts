/**
 * JetStream verbs (SPEC.md §7b): `publish` with `msgID` = the envelope's
 * message id (server-side dedup), and `consume` through the caller's pull
 * consumer, each message through core's consumer pipeline, its disposition
 * mapped to JetStream acknowledgements: ack -> `ack()` (after the commit);
 * retry and in-flight -> `nak(delay)` (never `term`); dead-letter -> the
 * unchanged copy published to the dead-letter subject (PubAck awaited), then
 * `term()`, or `nak(delay)` if that write failed. The attempt is the
 * delivery count; `working()` keeps a running handler's message leased. At
 * the last delivery (`max_deliver`) nothing is nak'd: the binding resolves the
 * message itself. A deleted consumer or stream ends the run (ERR_TRANSPORT).
 */
import type { Consumer, Delivered, Disposition } from '@blindwire/core';
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { dataBytes } from './carrier.js';
import {
  checkHandler,
  checkSubject,
  consumerFor,
  sendEvent,
  toHeaders,
  type Shared,
} from './common.js';
import { writeDeadLetterJs } from './dead-letter.js';
import { sealFor, transportError } from './seal.js';
import { serverFeatures } from './server.js';
import type {
  ConsumeOptions,
  ConsumeRun,
  ConsumeStats,
  JetStreamLike,
  JetStreamPublishOptions,
  JetStreamPublishResult,
  JsConsumerLike,
  JsMsgLike,
  NatsConnectionLike,
} from './types.js';

/** nats.js reports ack_wait in nanoseconds; 30 s when absent. */
const DEFAULT_ACK_WAIT_MS = 30_000;

export async function jsPublish(
  s: Shared,
  nc: NatsConnectionLike,
  js: JetStreamLike,
  subject: string,
  payload: Uint8Array | string,
  p: JetStreamPublishOptions,
): Promise<JetStreamPublishResult> {
  checkSubject('subject', subject);
  const started = s.now();
  const sealed = await sealFor(s.o, nc, subject, payload, p, true);
  const { messageId, envelope } = sealed.result;
  let ack;
  try {
    // `expect` travels in the hints (sized before sealing), not as nats.js options.
    ack = await js.publish(subject, envelope, {
      msgID: messageId,
      headers: toHeaders(sealed.hints)!,
    });
  } catch (e) {
    sendEvent(s, 'publish', subject, started, {
      outcome: 'failed',
      messageId,
      bytes: envelope.length,
      code: 'ERR_TRANSPORT',
    });
    throw transportError('JetStream publish', e);
  }
  sendEvent(s, 'publish', subject, started, { messageId, bytes: envelope.length });
  return {
    messageId,
    bytes: envelope.length,
    seq: ack.seq,
    stream: ack.stream,
    duplicate: ack.duplicate === true,
  };
}

/** The consumer's ack_wait (ms) and max_deliver (undefined: unlimited). */
async function consumerLimits(
  c: JsConsumerLike,
): Promise<{ ackWaitMs: number; maxDeliver?: number }> {
  let info;
  try {
    info = await c.info(true);
  } catch (e) {
    throw transportError('reading the JetStream consumer info', e);
  }
  const ns = info.config.ack_wait;
  const ackWaitMs =
    typeof ns === 'number' && ns > 0 ? Math.max(1, Math.floor(ns / 1e6)) : DEFAULT_ACK_WAIT_MS;
  const md = info.config.max_deliver;
  return typeof md === 'number' && md > 0 ? { ackWaitMs, maxDeliver: md } : { ackWaitMs };
}

function checkConsume(o: ConsumeOptions): void {
  if (typeof o !== 'object' || o === null)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"options" expected { deadLetterSubject, ... }',
    );
  checkSubject('deadLetterSubject', o.deadLetterSubject);
  if (/(^|\.)(\*|>)(\.|$)/.test(o.deadLetterSubject))
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"deadLetterSubject" expected a concrete subject, not a filter',
    );
  for (const k of ['maxAttempts', 'workingIntervalMs', 'maxMessages'] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 1))
      throw new BlindwireError(ErrorCode.InvalidArgument, `"${k}" expected a positive integer`);
  }
}

/** Runs the pipeline again on the same delivery (an in-flight id at the last delivery). */
type Redo = () => Promise<Disposition>;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * SPEC.md §7b: a disposition as JetStream acknowledgements, counted in `stats`.
 * At the last delivery the server allows (`max_deliver`) a `nak` is never
 * answered: an id in flight elsewhere is opened again here and a failed
 * dead-letter write is retried here, the message kept leased meanwhile,
 * until it resolves or the connection closes.
 */
function jsDisposer(
  s: Shared,
  nc: NatsConnectionLike,
  js: JetStreamLike,
  deadLetterSubject: string,
  stats: ConsumeStats,
  maxDeliver: number | undefined,
): (d: Disposition, m: JsMsgLike, bytes: Uint8Array, redo: Redo) => Promise<void> {
  const backoffMs = s.o.retry?.backoffMs ?? 1000;
  const maxBackoffMs = s.o.retry?.maxBackoffMs ?? 60_000;
  const { termReason } = serverFeatures(nc);
  const open = () => nc.isClosed?.() !== true;
  return async (first, m, bytes, redo) => {
    const last = maxDeliver !== undefined && m.info.deliveryCount >= maxDeliver;
    let d = first;
    while (last && d.action === 'in-flight' && open()) {
      stats.naked++; // counted as a nak the server would have answered
      await sleep(d.delayMs ?? backoffMs);
      d = await redo();
    }
    if (d.action === 'ack') {
      m.ack();
      stats.acked++;
      return;
    }
    if (d.action === 'retry' || d.action === 'in-flight') {
      // Never term: the broker redelivers after the delay.
      m.nak(d.delayMs);
      stats.naked++;
      return;
    }
    const reason = d.reason ?? 'ERR_HANDLER';
    for (let failures = 0; ;) {
      try {
        await writeDeadLetterJs(s, js, deadLetterSubject, m, {
          bytes,
          reason,
          messageId: d.messageId,
        });
        break;
      } catch {
        stats.deadLetterFailed++;
        failures++;
        if (!last || !open()) {
          // Not terminated: the server redelivers and the write is tried again.
          m.nak(backoffMs);
          stats.naked++;
          return;
        }
        // No redelivery left: retry here (the key dedups a repeated copy).
        await sleep(Math.min(maxBackoffMs, backoffMs * 2 ** Math.min(failures - 1, 20)));
      }
    }
    stats.deadLettered++;
    // A term reason reaches advisories from nats-server 2.10; 2.9 gets a bare +TERM.
    if (termReason) m.term(reason);
    else m.term();
    stats.termed++;
  };
}

/**
 * Feeds every message to the pipeline (backpressure through submit); resolves
 * once all are disposed. An error of the messages (consumer deleted, stream
 * gone) rejects, as ERR_TRANSPORT, only after the running ones were disposed.
 */
async function pump(
  s: Shared,
  messages: AsyncIterable<JsMsgLike>,
  pipeline: Consumer,
  dispose: (d: Disposition, m: JsMsgLike, bytes: Uint8Array, redo: Redo) => Promise<void>,
  workingMs: number,
): Promise<void> {
  const pending = new Set<Promise<void>>();
  try {
    for await (const m of messages) {
      const bytes = dataBytes(m.data);
      // Keeps the message leased from its arrival until its disposition.
      const timer = setInterval(() => {
        try {
          m.working();
        } catch {
          // The connection is gone: the server redelivers after ack_wait.
        }
      }, workingMs);
      const delivery = {
        bytes,
        destination: m.subject,
        attempt: m.info.deliveryCount,
        receivedAt: s.now(),
      };
      const { disposition } = await pipeline.submit(delivery).catch((e: unknown) => {
        clearInterval(timer);
        throw e;
      });
      const redo = () => pipeline.process({ ...delivery, receivedAt: s.now() });
      const q = disposition
        .then((d) => dispose(d, m, bytes, redo))
        // An ack that could not be sent: the server redelivers after ack_wait.
        .catch(() => undefined)
        .finally(() => clearInterval(timer));
      pending.add(q);
      void q.finally(() => pending.delete(q));
    }
  } catch (e) {
    throw transportError('JetStream consume', e);
  } finally {
    while (pending.size > 0) await Promise.all([...pending]);
  }
}

export async function jsConsume(
  s: Shared,
  nc: NatsConnectionLike,
  js: JetStreamLike,
  consumer: JsConsumerLike,
  handler: (m: Delivered) => unknown,
  opts: ConsumeOptions,
): Promise<ConsumeRun> {
  checkConsume(opts);
  checkHandler(handler);
  const { ackWaitMs, maxDeliver } = await consumerLimits(consumer);
  const wanted = opts.maxAttempts ?? s.o.retry?.maxAttempts ?? 5;
  const maxAttempts = maxDeliver === undefined ? wanted : Math.min(wanted, maxDeliver);
  const pipeline = consumerFor(s, 'consume', opts.policy, handler, { ...s.o.retry, maxAttempts });
  const workingMs = opts.workingIntervalMs ?? Math.max(1, Math.floor(ackWaitMs / 3));
  const stats: ConsumeStats = {
    acked: 0,
    naked: 0,
    deadLettered: 0,
    deadLetterFailed: 0,
    termed: 0,
  };
  const dispose = jsDisposer(s, nc, js, opts.deadLetterSubject, stats, maxDeliver);
  let messages;
  try {
    // A deleted consumer or stream ends the run (done rejects), never a silent stall.
    messages = await consumer.consume({
      abort_on_missing_resource: true,
      ...(opts.maxMessages === undefined ? {} : { max_messages: opts.maxMessages }),
    });
  } catch (e) {
    throw transportError('JetStream consume', e);
  }
  const done = pump(s, messages, pipeline, dispose, workingMs).catch((e: unknown) => {
    messages.stop();
    throw e;
  });
  done.catch(() => undefined);
  return {
    stats,
    done,
    stop: async () => {
      messages.stop();
      await done;
    },
  };
}
