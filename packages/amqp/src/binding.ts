/**
 * `createAmqpBinding`: Blindwire on the caller's amqplib channel (SPEC.md
 * §7b, §11b, §11c). It never creates, owns or patches the connection or the
 * channel; every verb calls through it.
 */
import type { Delivered } from '@blindwire/core';
import { shared } from './common.js';
import { consume } from './consume.js';
import { publish, sendToQueue } from './publish.js';
import type {
  AmqpBindingOptions,
  AmqpChannelLike,
  ConsumeOptions,
  ConsumeRun,
  PublishOptions,
  PublishResult,
} from './types.js';

/**
 * Sealed `publish`, `sendToQueue` and `consume` on the caller's amqplib channel
 * (`createAmqpBinding`).
 */
export interface AmqpBinding {
  /** Seals for `<exchange>/<routingKey>` and publishes; `ok` is amqplib's backpressure boolean. */
  publish(
    exchange: string,
    routingKey: string,
    payload: Uint8Array | string,
    options: PublishOptions,
  ): Promise<PublishResult>;
  /** Seals for `/<queue>` (the default exchange) and sends to the queue. */
  sendToQueue(
    queue: string,
    payload: Uint8Array | string,
    options: PublishOptions,
  ): Promise<PublishResult>;
  /** Consumes `queue` with manual acks; the handler gets opened messages only. */
  consume(
    queue: string,
    handler: (m: Delivered) => unknown,
    options: ConsumeOptions,
  ): Promise<ConsumeRun>;
}

/** Binds Blindwire to `channel`, the caller's open amqplib channel (a confirm channel for consume). */
export function createAmqpBinding(
  channel: AmqpChannelLike,
  options: AmqpBindingOptions,
): AmqpBinding {
  const s = shared(options);
  return {
    publish: (exchange, routingKey, payload, o) =>
      publish(s, channel, exchange, routingKey, payload, o),
    sendToQueue: (queue, payload, o) => sendToQueue(s, channel, queue, payload, o),
    consume: (queue, handler, o) => consume(s, channel, queue, handler, o),
  };
}
