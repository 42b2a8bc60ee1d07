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
import { jsDisposer, type Redo } from './js-disposer.js';
import { sealFor, transportError } from './seal.js';
import { compileSubjectFilter } from './subjects.js';
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
/** core's createConsumer default. */
const DEFAULT_CONCURRENCY = 16;

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

/**
 * The consumer's ack_wait (ms) and max_deliver (undefined: unlimited); refuses
 * a dead-letter subject its filter matches (each copy would be read back,
 * fail its context and be copied again, without end).
 */
async function consumerLimits(
  c: JsConsumerLike,
  deadLetterSubject: string,
): Promise<{ ackWaitMs: number; maxDeliver?: number }> {
  let info;
  try {
    info = await c.info(true);
  } catch (e) {
    throw transportError('reading the JetStream consumer info', e);
  }
  const { filter_subject: one, filter_subjects: many } = info.config;
  const filters = [...(typeof one === 'string' && one ? [one] : []), ...(many ?? [])];
  if (filters.some((f) => compileSubjectFilter(f)(deadLetterSubject)))
    throw readBack(deadLetterSubject);
  const ns = info.config.ack_wait;
  const ackWaitMs =
    typeof ns === 'number' && ns > 0 ? Math.max(1, Math.floor(ns / 1e6)) : DEFAULT_ACK_WAIT_MS;
  const md = info.config.max_deliver;
  return typeof md === 'number' && md > 0 ? { ackWaitMs, maxDeliver: md } : { ackWaitMs };
}

function readBack(deadLetterSubject: string): BlindwireError {
  return new BlindwireError(
    ErrorCode.InvalidArgument,
    `"deadLetterSubject" expected a subject this consumer does not read (${deadLetterSubject} would loop)`,
  );
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

/**
 * Feeds every message to the pipeline (backpressure through submit); resolves
 * once all are disposed. One `working()` timer per run keeps every message
 * leased from its arrival until its disposition (each gets its first
 * `working()` at most `workingMs` after arriving), running only while some
 * are. An error of the messages (consumer deleted, stream gone) rejects, as
 * ERR_TRANSPORT, only after the running ones were disposed.
 */
async function pump(
  s: Shared,
  messages: AsyncIterable<JsMsgLike>,
  pipeline: Consumer,
  dispose: (d: Disposition, m: JsMsgLike, bytes: Uint8Array, redo: Redo) => Promise<void>,
  workingMs: number,
  deadLetterSubject: string,
): Promise<void> {
  const leased = new Set<JsMsgLike>();
  let timer: ReturnType<typeof setInterval> | undefined;
  const working = () => {
    for (const m of leased) {
      try {
        m.working();
      } catch {
        // The connection is gone: the server redelivers after ack_wait.
      }
    }
  };
  const settle = (m: JsMsgLike) => {
    leased.delete(m);
    if (leased.size > 0 || timer === undefined) return;
    clearInterval(timer);
    timer = undefined;
  };
  const pending = new Set<Promise<void>>();
  try {
    for await (const m of messages) {
      // A dead-letter copy read back (the stream captures it, no filter): end the run, copy nothing.
      if (m.subject === deadLetterSubject) throw readBack(deadLetterSubject);
      const bytes = dataBytes(m.data);
      const delivery = {
        bytes,
        destination: m.subject,
        attempt: m.info.deliveryCount,
        receivedAt: s.now(),
      };
      // Leased only once the delivery exists: nothing above can leave a timer behind.
      leased.add(m);
      timer ??= setInterval(working, workingMs);
      const { disposition } = await pipeline.submit(delivery).catch((e: unknown) => {
        settle(m);
        throw e;
      });
      const redo = () => pipeline.process({ ...delivery, receivedAt: s.now() });
      const q = disposition
        .then((d) => dispose(d, m, bytes, redo))
        // An ack that could not be sent: the server redelivers after ack_wait.
        .catch(() => undefined)
        .finally(() => settle(m));
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
  const { ackWaitMs, maxDeliver } = await consumerLimits(consumer, opts.deadLetterSubject);
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
  let stopping = false;
  const dispose = jsDisposer(s, nc, js, opts.deadLetterSubject, stats, maxDeliver, () => stopping);
  let messages;
  try {
    // A deleted consumer or stream ends the run (done rejects), never a silent stall.
    // Messages pulled ahead wait unleased in nats.js until the pump takes them
    // (their working() starts there): by default no more than run at once.
    messages = await consumer.consume({
      abort_on_missing_resource: true,
      max_messages: opts.maxMessages ?? s.o.concurrency ?? DEFAULT_CONCURRENCY,
    });
  } catch (e) {
    throw transportError('JetStream consume', e);
  }
  const done = pump(s, messages, pipeline, dispose, workingMs, opts.deadLetterSubject).catch(
    (e: unknown) => {
      messages.stop();
      throw e;
    },
  );
  done.catch(() => undefined);
  return {
    stats,
    done,
    stop: async () => {
      stopping = true;
      messages.stop();
      try {
        await done;
      } finally {
        // The acks are fire-and-forget: on the server before stop() resolves.
        await nc.flush().catch(() => undefined);
      }
    },
  };
}
