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

/** Publishes on a confirm channel and resolves on the broker's ack (rejects on a nack or a throw). */
export function confirmedPublish(
  ch: AmqpConfirmChannelLike,
  exchange: string,
  routingKey: string,
  content: Uint8Array,
  properties: AmqpProperties,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    try {
      ch.publish(exchange, routingKey, toBuffer(content), properties, (err) =>
        err === null || err === undefined ? resolve() : reject(err as Error),
      );
    } catch (e) {
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
