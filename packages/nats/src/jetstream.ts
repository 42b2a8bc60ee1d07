/**
 * JetStream verbs (SPEC.md §7b): `publish` with `msgID` = the envelope's
 * message id (server-side dedup), and `consume` through the caller's pull
 * consumer, each message through core's consumer pipeline, its disposition
 * mapped to JetStream acknowledgements: ack -> `ack()` (after the commit);
 * retry and in-flight -> `nak(delay)` (never `term`); dead-letter -> the
 * unchanged copy published to the dead-letter subject (PubAck awaited), then
 * `term()`, or `nak(delay)` if that write failed. The attempt is the
 * delivery count; `working()` keeps a running handler's message leased.
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
    ack = await js.publish(subject, envelope, {
      msgID: messageId,
      headers: toHeaders(sealed.hints)!,
      ...(p.expect === undefined ? {} : { expect: p.expect }),
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

/** SPEC.md §7b: a disposition as JetStream acknowledgements, counted in `stats`. */
function jsDisposer(
  s: Shared,
  nc: NatsConnectionLike,
  js: JetStreamLike,
  deadLetterSubject: string,
  stats: ConsumeStats,
): (d: Disposition, m: JsMsgLike, bytes: Uint8Array) => Promise<void> {
  const nakDelay = s.o.retry?.backoffMs ?? 1000;
  const { termReason } = serverFeatures(nc);
  return async (d, m, bytes) => {
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
    try {
      await writeDeadLetterJs(s, js, deadLetterSubject, m, {
        bytes,
        reason,
        messageId: d.messageId,
      });
    } catch {
      // Not terminated: the server redelivers and the write is tried again.
      stats.deadLetterFailed++;
      m.nak(nakDelay);
      stats.naked++;
      return;
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
 * once all are disposed. One `working()` timer per run keeps every message
 * leased from its arrival until its disposition (each gets its first
 * `working()` at most `workingMs` after arriving), running only while some are.
 */
async function pump(
  s: Shared,
  messages: AsyncIterable<JsMsgLike>,
  pipeline: Consumer,
  dispose: (d: Disposition, m: JsMsgLike, bytes: Uint8Array) => Promise<void>,
  workingMs: number,
): Promise<void> {
  const leased = new Set<JsMsgLike>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let drained: (() => void) | undefined;
  const working = () => {
    for (const m of leased) {
      try {
        m.working();
      } catch {
        // Not sent: the next tick tries again; past ack_wait the server redelivers.
      }
    }
  };
  const settle = (m: JsMsgLike) => {
    leased.delete(m);
    if (leased.size > 0) return;
    clearInterval(timer);
    timer = undefined;
    drained?.();
  };
  for await (const m of messages) {
    const bytes = dataBytes(m.data);
    leased.add(m);
    timer ??= setInterval(working, workingMs);
    const delivery = {
      bytes,
      destination: m.subject,
      attempt: m.info.deliveryCount,
      receivedAt: s.now(),
    };
    const { disposition } = await pipeline.submit(delivery).catch((e: unknown) => {
      settle(m);
      throw e;
    });
    // An ack that could not be sent: the server redelivers after ack_wait.
    disposition
      .then((d) => dispose(d, m, bytes))
      .then(
        () => settle(m),
        () => settle(m),
      );
  }
  if (leased.size > 0) await new Promise<void>((r) => (drained = r));
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
  const dispose = jsDisposer(s, nc, js, opts.deadLetterSubject, stats);
  let messages;
  try {
    messages = await consumer.consume(
      opts.maxMessages === undefined ? {} : { max_messages: opts.maxMessages },
    );
  } catch (e) {
    throw transportError('JetStream consume', e);
  }
  const done = pump(s, messages, pipeline, dispose, workingMs);
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
