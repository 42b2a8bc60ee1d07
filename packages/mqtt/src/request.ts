/**
 * Request and response over MQTT 5 (SPEC.md §6, §7b): `request` seals the
 * request with a Response Topic (the binding's own, subscribed once) and
 * Correlation Data (the request's 16-byte message id: public, never anything
 * of the plaintext), then opens the response that comes back with the same
 * correlation data with `openResponse`. `respond` subscribes, and its
 * handler's answer is sealed with the request's response key and published
 * to the request's response topic with its correlation data, before the
 * request's reservation is committed. MQTT 3.1.1 has no response topic.
 */
import {
  BlindwireError,
  ErrorCode,
  openResponse,
  type Delivered,
  type SealResult,
} from '@blindwire/core';
import { checkTopicName, hex, payloadBytes, toBuffer } from './carrier.js';
import { sendEvent, transportError, type Shared } from './common.js';
import type { Router } from './router.js';
import { qosOf, sealAnswer, sealFor } from './seal.js';
import { sendPublish } from './send.js';
import { subscribe } from './subscribe.js';
import type {
  MqttPublishPacketLike,
  MqttSubscription,
  RequestOptions,
  RequestResult,
  RespondHandler,
  RespondOptions,
} from './types.js';

interface Waiting {
  result: SealResult;
  resolve(r: RequestResult): void;
  reject(e: unknown): void;
  timer: ReturnType<typeof setTimeout>;
}

function needsV5(s: Shared, verb: string): void {
  if (!s.v5)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      `"${verb}" expected an MQTT 5 client (protocolVersion 5): 3.1.1 has no response topic`,
    );
}

/** Opens a response on `topic` for the request waiting on its correlation data; ignores the rest. */
function responseListener(s: Shared, topic: string, waiting: Map<string, Waiting>) {
  return (t: string, payload: Buffer, packet: MqttPublishPacketLike) => {
    if (t !== topic) return;
    const cd = packet?.properties?.correlationData;
    const w = cd instanceof Uint8Array ? waiting.get(hex(cd)) : undefined;
    if (w === undefined) return; // late or unknown: no one waits for it
    waiting.delete(w.result.messageId);
    clearTimeout(w.timer);
    const o = s.o;
    openResponse(w.result, payloadBytes(payload), {
      now: s.now(),
      ...(o.clockSkew === undefined ? {} : { clockSkew: o.clockSkew }),
      ...(o.limits === undefined ? {} : { limits: o.limits }),
      ...(o.backend === undefined ? {} : { backend: o.backend }),
    }).then((r) => {
      const out: RequestResult = {
        payload: r.payload,
        messageId: r.messageId,
        requestId: w.result.messageId,
        responder: r.responder,
      };
      if (r.contentType !== undefined) out.contentType = r.contentType;
      w.resolve(out);
    }, w.reject);
  };
}

/** The requesting side of a binding: one response topic, the requests waiting on it. */
export function createRequester(s: Shared, router: Router) {
  const topic = checkTopicName(
    'responseTopic',
    s.o.responseTopic ?? `bw-reply/${hex(crypto.getRandomValues(new Uint8Array(12)))}`,
  );
  router.passthrough.add(topic);
  const waiting = new Map<string, Waiting>();
  const onMessage = responseListener(s, topic, waiting);
  let subscribed: Promise<void> | undefined;
  const ready = () =>
    (subscribed ??= new Promise<void>((resolve, reject) => {
      s.client.on('message', onMessage);
      s.client.subscribe(topic, { qos: 1 }, (err, granted) => {
        const g = granted?.[0]?.qos;
        if (err || typeof g !== 'number' || g >= 0x80) {
          subscribed = undefined;
          s.client.removeListener('message', onMessage);
          return reject(
            transportError('subscribing the response topic', err ?? new Error(String(g))),
          );
        }
        resolve();
      });
    }));

  return {
    topic,
    async request(
      target: string,
      payload: Uint8Array | string,
      p: RequestOptions,
    ): Promise<RequestResult> {
      checkTopicName('topic', target);
      needsV5(s, 'request');
      const qos = qosOf(p?.qos);
      const timeout = p?.timeout ?? 5000;
      if (!Number.isSafeInteger(timeout) || timeout < 1)
        throw new BlindwireError(
          ErrorCode.InvalidArgument,
          '"timeout" expected a positive integer',
        );
      await ready();
      const started = s.now();
      const sealed = await sealFor(s, target, payload, p, qos, topic);
      const fields = { messageId: sealed.messageId, bytes: sealed.envelope.length };
      const answer = new Promise<RequestResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(sealed.messageId);
          reject(new BlindwireError(ErrorCode.Transport, `no response within ${timeout} ms`));
        }, timeout);
        waiting.set(sealed.messageId, { result: sealed.result, resolve, reject, timer });
      });
      answer.catch(() => undefined);
      try {
        await sendPublish(s.client, target, sealed.envelope, {
          qos,
          properties: sealed.properties!,
        });
      } catch (e) {
        const w = waiting.get(sealed.messageId);
        if (w) clearTimeout(w.timer);
        waiting.delete(sealed.messageId);
        sendEvent(s, 'request', target, started, {
          ...fields,
          outcome: 'failed',
          code: 'ERR_TRANSPORT',
        });
        throw transportError('MQTT publish of the request', e);
      }
      sendEvent(s, 'request', target, started, fields);
      return answer;
    },
  };
}

/** A responder: the answer is published before the request's reservation is committed. */
export async function respond(
  s: Shared,
  router: Router,
  filter: string,
  handler: RespondHandler,
  o: RespondOptions = {},
): Promise<MqttSubscription> {
  if (typeof handler !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"handler" expected a function');
  needsV5(s, 'respond');
  const qos = qosOf(o?.responseQos, 'responseQos');
  const packets = new WeakMap<Uint8Array, MqttPublishPacketLike>();
  const answer = async (d: Delivered) => {
    const props = packets.get(d.bytes)?.properties;
    const to = props?.responseTopic;
    if (typeof to !== 'string') throw new Error('the request has no response topic');
    checkTopicName('responseTopic', to);
    const started = s.now();
    const sealed = await sealAnswer(s, d, await handler(d), to, props?.correlationData, qos, o.ttl);
    const fields = { messageId: sealed.messageId, bytes: sealed.envelope.length };
    // Not awaited: its PUBACK would wait behind the request this client holds.
    s.client.publish(to, toBuffer(sealed.envelope), { qos, properties: sealed.properties }, (e) => {
      if (e)
        sendEvent(s, 'respond', to, started, {
          ...fields,
          outcome: 'failed',
          code: 'ERR_TRANSPORT',
        });
    });
    sendEvent(s, 'respond', to, started, fields);
  };
  return subscribe(s, router, filter, answer, o, (bytes, packet) => packets.set(bytes, packet));
}
