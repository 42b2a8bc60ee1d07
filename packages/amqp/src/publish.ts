/**
 * The sending verbs (SPEC.md §7b, §11c): `publish(exchange, routingKey, ...)`
 * and `sendToQueue(queue, ...)` seal for `<exchange>/<routing key>` (the
 * default exchange is the empty string) and hand the envelope to the
 * caller's channel, returning amqplib's backpressure boolean unchanged; with
 * `confirm` on a confirm channel they wait for the broker's ack. Also the
 * confirmed write every copy of the consumer goes through.
 */
import { BlindwireError, ErrorCode, amqpDestination } from '@blindwire/core';
import { toBuffer } from './carrier.js';
import { checkName, sendEvent, transportError, type Shared } from './common.js';
import { sealFor } from './seal.js';
import type {
  AmqpChannelLike,
  AmqpConfirmChannelLike,
  AmqpMessageLike,
  AmqpProperties,
  PublishOptions,
  PublishResult,
} from './types.js';

/** Whether `ch` is a confirm channel (amqplib's `ConfirmChannel` has `waitForConfirms`). */
export function isConfirmChannel(ch: unknown): ch is AmqpConfirmChannelLike {
  return (
    typeof ch === 'object' &&
    ch !== null &&
    typeof (ch as { waitForConfirms?: unknown }).waitForConfirms === 'function'
  );
}

/** A copy published with `mandatory`, awaiting its confirm; `returned` once the broker sent it back. */
interface Outstanding {
  exchange: string;
  routingKey: string;
  content: Buffer;
  returned: boolean;
}

const outstanding = new WeakMap<object, Outstanding[]>();

/**
 * The copies awaiting a confirm on `ch`, watched through one `return`
 * listener per channel (RabbitMQ sends `basic.return` of an unroutable
 * mandatory message before its `basic.ack`); undefined when the channel
 * emits no events.
 */
function watch(ch: AmqpConfirmChannelLike): Outstanding[] | undefined {
  let list = outstanding.get(ch);
  if (list !== undefined) return list;
  if (typeof ch.on !== 'function') return undefined;
  const l: Outstanding[] = [];
  ch.on('return', (m: AmqpMessageLike) => {
    const f = m?.fields as { exchange?: unknown; routingKey?: unknown } | undefined;
    const hit = l.find(
      (o) =>
        !o.returned &&
        o.exchange === f?.exchange &&
        o.routingKey === f?.routingKey &&
        m.content instanceof Uint8Array &&
        o.content.equals(m.content),
    );
    if (hit) hit.returned = true;
  });
  outstanding.set(ch, l);
  list = l;
  return list;
}

/**
 * Publishes on a confirm channel and resolves on the broker's ack (rejects
 * on a nack or a throw). With `mandatory` (the consumer's copies), a message
 * no queue received is a failure too: RabbitMQ acks an unroutable message
 * (it drops it), so the ack alone would let the original be acknowledged
 * with its copy gone.
 */
export function confirmedPublish(
  ch: AmqpConfirmChannelLike,
  exchange: string,
  routingKey: string,
  content: Uint8Array,
  properties: AmqpProperties,
  mandatory = false,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const body = toBuffer(content);
    const list = mandatory ? watch(ch) : undefined;
    const mine: Outstanding = { exchange, routingKey, content: body, returned: false };
    list?.push(mine);
    const done = (err: unknown) => {
      if (list !== undefined) list.splice(list.indexOf(mine) >>> 0, 1);
      if (err !== null && err !== undefined) reject(err as Error);
      else if (mine.returned)
        reject(
          new Error(`unroutable: no queue received the copy sent to ${exchange}/${routingKey}`),
        );
      else resolve();
    };
    try {
      ch.publish(
        exchange,
        routingKey,
        body,
        mandatory ? { ...properties, mandatory } : properties,
        done,
      );
    } catch (e) {
      if (list !== undefined) list.splice(list.indexOf(mine) >>> 0, 1);
      reject(e as Error);
    }
  });
}

export async function publish(
  s: Shared,
  ch: AmqpChannelLike,
  exchange: string,
  routingKey: string,
  payload: Uint8Array | string,
  p: PublishOptions,
): Promise<PublishResult> {
  checkName('exchange', exchange, true);
  checkName('routingKey', routingKey, true);
  const destination = amqpDestination(exchange, routingKey);
  return send(s, ch, 'publish', destination, exchange, routingKey, payload, p);
}

export async function sendToQueue(
  s: Shared,
  ch: AmqpChannelLike,
  queue: string,
  payload: Uint8Array | string,
  p: PublishOptions,
): Promise<PublishResult> {
  checkName('queue', queue, false);
  return send(s, ch, 'sendToQueue', amqpDestination('', queue), '', queue, payload, p);
}

async function send(
  s: Shared,
  ch: AmqpChannelLike,
  verb: 'publish' | 'sendToQueue',
  destination: string,
  exchange: string,
  routingKey: string,
  payload: Uint8Array | string,
  p: PublishOptions,
): Promise<PublishResult> {
  if (p?.confirm === true && !isConfirmChannel(ch))
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"confirm" expected a confirm channel (createConfirmChannel)',
    );
  const started = s.now();
  const { envelope, messageId, properties } = await sealFor(
    s.o,
    s.maxMessageBytes,
    destination,
    payload,
    p,
  );
  const fields = { messageId, bytes: envelope.length };
  let ok: boolean;
  try {
    if (p.confirm === true) {
      ok = true;
      await confirmedPublish(
        ch as AmqpConfirmChannelLike,
        exchange,
        routingKey,
        envelope,
        properties,
      );
    } else if (verb === 'publish') {
      ok = ch.publish(exchange, routingKey, toBuffer(envelope), properties);
    } else {
      ok = ch.sendToQueue(routingKey, toBuffer(envelope), properties);
    }
  } catch (e) {
    sendEvent(s, verb, destination, started, {
      ...fields,
      outcome: 'failed',
      code: 'ERR_TRANSPORT',
    });
    throw transportError(`AMQP ${verb}`, e);
  }
  sendEvent(s, verb, destination, started, fields);
  return { ok, messageId, bytes: envelope.length };
}
