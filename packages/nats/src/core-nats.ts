/**
 * Core NATS verbs (SPEC.md §7b, §11b, §6): `publish` (sealed to the
 * subject's bound context), `subscribe` (each delivery through core's
 * consumer pipeline; a wildcard subscriber binds the concrete subject),
 * `request` (the reply opened with openResponse) and `respond` (the answer
 * sealed with the request's response key and sent to its reply subject).
 * Core NATS has no redelivery: a delivery that is not acked is published
 * unchanged to the dead-letter subject when one is given, always with an
 * event; without one it is reported `dropped`.
 */
import {
  BlindwireError,
  ErrorCode,
  openResponse,
  type Delivered,
  type Disposition,
} from '@blindwire/core';
import { dataBytes } from './carrier.js';
import {
  checkHandler,
  checkSubject,
  consumerFor,
  sendEvent,
  toHeaders,
  type Shared,
} from './common.js';
import { writeDeadLetterCore } from './dead-letter.js';
import { sealAnswer, sealFor, transportError } from './seal.js';
import { compileSubjectFilter } from './subjects.js';
import type {
  NatsConnectionLike,
  NatsMsgLike,
  NatsSubscription,
  PublishOptions,
  PublishResult,
  RequestOptions,
  RequestResult,
  RespondHandler,
  RespondOptions,
  SubscribeOptions,
} from './types.js';

export async function publish(
  s: Shared,
  nc: NatsConnectionLike,
  subject: string,
  payload: Uint8Array | string,
  p: PublishOptions,
): Promise<PublishResult> {
  checkSubject('subject', subject);
  const started = s.now();
  const sealed = await sealFor(s.o, nc, subject, payload, p, false);
  const { messageId, envelope } = sealed.result;
  try {
    nc.publish(subject, envelope, { headers: toHeaders(sealed.hints)! });
  } catch (e) {
    sendEvent(s, 'publish', subject, started, {
      outcome: 'failed',
      messageId,
      bytes: envelope.length,
      code: 'ERR_TRANSPORT',
    });
    throw transportError('NATS publish', e);
  }
  sendEvent(s, 'publish', subject, started, { messageId, bytes: envelope.length });
  return { messageId, bytes: envelope.length };
}

/** Runs `handler` on every opened message of `filter`; see the module comment for the rest. */
export function subscribe(
  s: Shared,
  nc: NatsConnectionLike,
  filter: string,
  handler: (m: Delivered) => unknown,
  opts: SubscribeOptions = {},
  verb: 'subscribe' | 'respond' = 'subscribe',
  onMessage?: (bytes: Uint8Array, m: NatsMsgLike) => void,
): NatsSubscription {
  checkSubject('filter', filter);
  const matches = compileSubjectFilter(filter);
  checkHandler(handler);
  if (opts.deadLetterSubject !== undefined) {
    checkSubject('deadLetterSubject', opts.deadLetterSubject);
    if (matches(opts.deadLetterSubject))
      throw new BlindwireError(
        ErrorCode.InvalidArgument,
        '"deadLetterSubject" expected a subject the filter does not match (a copy would loop)',
      );
  }
  const consumer = consumerFor(s, verb, opts.policy, handler);
  let sub;
  try {
    sub = nc.subscribe(filter, opts.queue === undefined ? {} : { queue: opts.queue });
  } catch (e) {
    throw transportError('NATS subscribe', e);
  }
  const dispose = (d: Disposition, bytes: Uint8Array, subject: string) => {
    if (d.action === 'ack') return;
    const dl = { bytes, reason: d.reason ?? 'ERR_HANDLER', messageId: d.messageId };
    if (opts.deadLetterSubject === undefined) {
      sendEvent(s, 'dead-letter', subject, s.now(), {
        outcome: 'dropped',
        bytes: bytes.length,
        code: dl.reason,
        ...(dl.messageId === undefined ? {} : { messageId: dl.messageId }),
      });
      return;
    }
    try {
      writeDeadLetterCore(s, nc, opts.deadLetterSubject, dl, nc.info?.max_payload);
    } catch {
      // Reported by its event; core NATS cannot redeliver.
    }
  };
  // Deliveries submitted and not yet disposed; `drained` resolves the wait for the last.
  let pending = 0;
  let drained: (() => void) | undefined;
  const settle = () => {
    if (--pending === 0) drained?.();
  };
  const loop = async () => {
    for await (const m of sub) {
      const bytes = dataBytes(m.data);
      onMessage?.(bytes, m);
      const delivery = { bytes, destination: m.subject, attempt: 1, receivedAt: s.now() };
      const { disposition } = await consumer.submit(delivery);
      pending++;
      disposition.then((d) => dispose(d, bytes, m.subject)).then(settle, settle);
    }
    if (pending > 0) await new Promise<void>((r) => (drained = r));
  };
  const processed = loop();
  processed.catch(() => undefined);
  const closed = Promise.resolve(sub.closed).then(() => undefined);
  closed.catch(() => undefined);
  return {
    unsubscribe: () => sub.unsubscribe(),
    drain: async () => {
      await sub.drain().catch((e: unknown) => {
        throw transportError('NATS drain', e);
      });
      await processed;
    },
    closed,
    processed,
  };
}

export async function request(
  s: Shared,
  nc: NatsConnectionLike,
  subject: string,
  payload: Uint8Array | string,
  p: RequestOptions,
): Promise<RequestResult> {
  checkSubject('subject', subject);
  const started = s.now();
  const sealed = await sealFor(s.o, nc, subject, payload, p, false);
  const { result } = sealed;
  let reply: NatsMsgLike;
  try {
    reply = await nc.request(subject, result.envelope, {
      timeout: p.timeout ?? 5000,
      headers: toHeaders(sealed.hints)!,
    });
  } catch (e) {
    const noResponders = /no responders/i.test(String((e as Error)?.message ?? e));
    sendEvent(s, 'request', subject, started, {
      outcome: 'failed',
      messageId: result.messageId,
      bytes: result.envelope.length,
      code: 'ERR_TRANSPORT',
    });
    throw transportError(`NATS request${noResponders ? ' (no responders)' : ''}`, e);
  }
  sendEvent(s, 'request', subject, started, {
    messageId: result.messageId,
    bytes: result.envelope.length,
  });
  const o = s.o;
  const opened = await openResponse(result, dataBytes(reply.data), {
    now: s.now(),
    ...(o.clockSkew === undefined ? {} : { clockSkew: o.clockSkew }),
    ...(o.limits === undefined ? {} : { limits: o.limits }),
    ...(o.backend === undefined ? {} : { backend: o.backend }),
  });
  const out: RequestResult = {
    payload: opened.payload,
    messageId: opened.messageId,
    requestId: result.messageId,
    responder: opened.responder,
  };
  if (opened.contentType !== undefined) out.contentType = opened.contentType;
  if (typeof p.to === 'string') out.sender = p.to;
  return out;
}

/** A responder: the answer is sealed and sent before the request's reservation is committed. */
export function respond(
  s: Shared,
  nc: NatsConnectionLike,
  filter: string,
  handler: RespondHandler,
  opts: RespondOptions = {},
): NatsSubscription {
  checkHandler(handler);
  const msgs = new WeakMap<Uint8Array, NatsMsgLike>();
  const answer = async (d: Delivered) => {
    const m = msgs.get(d.bytes);
    if (!m?.reply) throw new Error('the request has no reply subject');
    const started = s.now();
    const sealed = await sealAnswer(s.o, nc, d, await handler(d), opts.ttl);
    const ok = m.respond(sealed.envelope, { headers: toHeaders(sealed.hints)! });
    if (!ok) throw new Error('the reply was not sent');
    sendEvent(s, 'respond', m.reply, started, {
      messageId: sealed.messageId,
      bytes: sealed.envelope.length,
    });
  };
  return subscribe(s, nc, filter, answer, opts, 'respond', (bytes, m) => msgs.set(bytes, m));
}
