/**
 * `createNatsBinding`: Blindwire on the caller's connected nats.js v3
 * `NatsConnection` (SPEC.md §7b, §11b, §11c). It never creates, owns or
 * patches the connection; every verb calls through it.
 */
import type { Delivered } from '@blindwire/core';
import { shared } from './common.js';
import { publish, request, respond, subscribe } from './core-nats.js';
import { jsConsume, jsPublish } from './jetstream.js';
import type {
  ConsumeOptions,
  ConsumeRun,
  JetStreamLike,
  JetStreamPublishOptions,
  JetStreamPublishResult,
  JsConsumerLike,
  NatsBindingOptions,
  NatsConnectionLike,
  NatsSubscription,
  PublishOptions,
  PublishResult,
  RequestOptions,
  RequestResult,
  RespondHandler,
  RespondOptions,
  SubscribeOptions,
} from './types.js';

/**
 * Sealed JetStream `publish` and `consume` on the caller's JetStream client
 * (`binding.jetstream(js)`).
 */
export interface NatsJetStreamBinding {
  publish(
    subject: string,
    payload: Uint8Array | string,
    options: JetStreamPublishOptions,
  ): Promise<JetStreamPublishResult>;
  consume(
    consumer: JsConsumerLike,
    handler: (m: Delivered) => unknown,
    options: ConsumeOptions,
  ): Promise<ConsumeRun>;
}

/**
 * Sealed `publish`, `subscribe`, `request` and `respond` on the caller's nats.js connection, and
 * `jetstream()` for streams (`createNatsBinding`).
 */
export interface NatsBinding {
  publish(
    subject: string,
    payload: Uint8Array | string,
    options: PublishOptions,
  ): Promise<PublishResult>;
  subscribe(
    filter: string,
    handler: (m: Delivered) => unknown,
    options?: SubscribeOptions,
  ): NatsSubscription;
  request(
    subject: string,
    payload: Uint8Array | string,
    options: RequestOptions,
  ): Promise<RequestResult>;
  respond(filter: string, handler: RespondHandler, options?: RespondOptions): NatsSubscription;
  jetstream(js: JetStreamLike): NatsJetStreamBinding;
}

/** Binds Blindwire to `nc`, the caller's connected NatsConnection. */
export function createNatsBinding(
  nc: NatsConnectionLike,
  options: NatsBindingOptions,
): NatsBinding {
  const s = shared(options);
  return {
    publish: (subject, payload, o) => publish(s, nc, subject, payload, o),
    subscribe: (filter, handler, o) => subscribe(s, nc, filter, handler, o),
    request: (subject, payload, o) => request(s, nc, subject, payload, o),
    respond: (filter, handler, o) => respond(s, nc, filter, handler, o),
    jetstream: (js) => ({
      publish: (subject, payload, o) => jsPublish(s, nc, js, subject, payload, o),
      consume: (consumer, handler, o) => jsConsume(s, nc, js, consumer, handler, o),
    }),
  };
}
