/**
 * JetStream verbs (SPEC.md §7b): `publish` with `msgID` = the envelope's
 * message id (server-side dedup), and `consume` through the caller's pull
 * consumer, each message through core's consumer pipeline, its disposition
 * mapped to JetStream acknowledgements: ack -> `ack()` (after the commit);
 * retry and in-flight -> `nak(delay)` (never `term`); dead-letter -> the
 * unchanged copy published to the dead-letter subject (PubAck awaited), then
 * `term()`, or `nak(delay)` if that write failed. The attempt is the
 * delivery count; `working()` keeps every message pulled leased (js-pull.ts). At
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
import { createPuller, type Puller } from './js-pull.js';
import { sealFor, transportError } from './seal.js';
import { consumerLimits, fatalFetch, readBack, recheck } from './js-limits.js';
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

/** core's createConsumer default. */
const DEFAULT_CONCURRENCY = 16;
/** Default pull-ahead per handler running at once (every message pulled is leased). */
const PULL_AHEAD_PER_HANDLER = 4;
/** A message waiting unstarted this many ack_waits is no longer leased: the server redelivers it. */
const STALL_ACK_WAITS = 3;

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
 * Feeds every message held by the pull loop to the pipeline; resolves once all
 * are disposed. A message is taken from the pull loop only when a handler can
 * start it at once (fewer than `concurrency` in the pipeline), so none waits
 * in the pipeline's queue when the run stops. The pull loop keeps each leased
 * from its arrival until its disposition settles it. A fatal fetch failure
 * (consumer deleted, stream gone) rejects, as ERR_TRANSPORT, only after the
 * running ones were disposed; on any end, messages held and not yet started
 * are given back (`nak()`) for redelivery at once.
 */
async function pump(
  s: Shared,
  puller: Puller,
  pipeline: Consumer,
  dispose: (d: Disposition, m: JsMsgLike, bytes: Uint8Array, redo: Redo) => Promise<void>,
  deadLetterSubject: string,
  concurrency: number,
): Promise<void> {
  // Deliveries in the pipeline (not yet through their handler); `room` wakes the wait for one.
  let inPipeline = 0;
  let room: (() => void) | undefined;
  const left = <T>(v: T): T => {
    inPipeline--;
    const r = room;
    room = undefined;
    r?.();
    return v;
  };
  // Deliveries submitted and not yet disposed; `drained` resolves the wait for the last.
  let pending = 0;
  let drained: (() => void) | undefined;
  const one = (m: JsMsgLike) => () => {
    puller.settle(m);
    if (--pending === 0) drained?.();
  };
  // An ack that could not be sent: the server redelivers after ack_wait.
  const ignore = () => undefined;
  try {
    for (;;) {
      while (inPipeline >= concurrency) await new Promise<void>((r) => (room = r));
      const m = await puller.next();
      if (m === undefined) break;
      // A dead-letter copy read back (the stream captures it, no filter): end the run, copy nothing.
      if (m.subject === deadLetterSubject) {
        puller.settle(m);
        throw readBack(deadLetterSubject);
      }
      const bytes = dataBytes(m.data);
      const delivery = {
        bytes,
        destination: m.subject,
        attempt: m.info.deliveryCount,
        receivedAt: s.now(),
      };
      let disposition;
      try {
        ({ disposition } = await pipeline.submit(delivery));
      } catch (e) {
        puller.settle(m);
        throw e;
      }
      const msg = m;
      const redo = () => pipeline.process({ ...delivery, receivedAt: s.now() });
      const done = one(msg);
      pending++;
      inPipeline++;
      disposition
        .then(
          (d) => dispose(left(d), msg, bytes, redo),
          (e: unknown) => Promise.reject(left(e)),
        )
        .then(undefined, ignore)
        .then(done, done);
    }
  } catch (e) {
    throw transportError('JetStream consume', e);
  } finally {
    puller.stop();
    if (pending > 0) await new Promise<void>((r) => (drained = r));
    puller.release();
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
  // Closed or draining for good: nothing to consume (a close during the run ends it as a stop).
  const closed = () => nc.isClosed?.() === true || nc.isDraining?.() === true;
  if (closed())
    throw transportError('JetStream consume', new Error('connection closed or draining'));
  const { ackWaitMs, maxDeliver, name, ...limits } = await consumerLimits(
    consumer,
    opts.deadLetterSubject,
  );
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
  const concurrency = s.o.concurrency ?? DEFAULT_CONCURRENCY;
  const puller = createPuller(consumer, {
    pullAhead: opts.maxMessages ?? PULL_AHEAD_PER_HANDLER * concurrency,
    workingMs,
    stallMs: STALL_ACK_WAITS * ackWaitMs,
    maxDeliver,
    limits,
    closed,
    fatal: fatalFetch,
    recheck: () => recheck(consumer),
    // Every failed pull is visible, fatal or passing (metadata only: the code).
    onFailure: () =>
      sendEvent(s, 'pull', name, s.now(), { outcome: 'failed', code: ErrorCode.Transport }),
  });
  // A deleted consumer or stream ends the run (done rejects), never a silent stall.
  const done = pump(s, puller, pipeline, dispose, opts.deadLetterSubject, concurrency);
  done.catch(() => undefined);
  return {
    stats,
    done,
    stop: async () => {
      stopping = true;
      puller.stop();
      try {
        await done;
      } finally {
        // The acks are fire-and-forget: on the server before stop() resolves.
        await nc.flush().catch(() => undefined);
      }
    },
  };
}
