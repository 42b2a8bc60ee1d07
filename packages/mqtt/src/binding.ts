/**
 * `createMqttBinding`: Blindwire on the caller's connected mqtt.js 5 client
 * (SPEC.md §7b, §11b, §11c). It never creates, owns or patches the client;
 * every verb calls through it. The caller installs `handleMessage`, mqtt.js's
 * override point for when a message is acknowledged, so that a PUBACK waits
 * for the open, the handler and the commit.
 */
import type { Delivered } from '@blindwire/core';
import { shared } from './common.js';
import { publish } from './publish.js';
import { createRequester, respond } from './request.js';
import { createRouter } from './router.js';
import { subscribe } from './subscribe.js';
import type {
  MqttBindingOptions,
  MqttClientLike,
  MqttPublishPacketLike,
  MqttSubscription,
  PublishOptions,
  PublishResult,
  RequestOptions,
  RequestResult,
  RespondHandler,
  RespondOptions,
  SubscribeOptions,
} from './types.js';

/**
 * Sealed `publish`, `subscribe`, `request` and `respond` on the caller's mqtt.js client
 * (`createMqttBinding`).
 */
export interface MqttBinding {
  /** Seals for `topic` and publishes; resolves on the PUBACK (QoS 1) or PUBCOMP (QoS 2). */
  publish(
    topic: string,
    payload: Uint8Array | string,
    options: PublishOptions,
  ): Promise<PublishResult>;
  /** Subscribes `filter`; the handler gets opened messages only, each bound to its concrete topic. */
  subscribe(
    filter: string,
    handler: (m: Delivered) => unknown,
    options?: SubscribeOptions,
  ): Promise<MqttSubscription>;
  /** MQTT 5: seals a request with a response topic and correlation data; opens the response. */
  request(
    topic: string,
    payload: Uint8Array | string,
    options: RequestOptions,
  ): Promise<RequestResult>;
  /** MQTT 5: answers each request of `filter` on its response topic, sealed with its response key. */
  respond(
    filter: string,
    handler: RespondHandler,
    options?: RespondOptions,
  ): Promise<MqttSubscription>;
  /**
   * Install on the client before subscribing: `client.handleMessage =
   * bw.handleMessage`. Messages of no subscription of the binding are
   * acknowledged at once, as mqtt.js's own does.
   */
  readonly handleMessage: (
    packet: MqttPublishPacketLike,
    callback: (error?: Error) => void,
  ) => void;
  /** The topic `request` receives responses on. */
  readonly responseTopic: string;
}

/** Binds Blindwire to `client`, the caller's connected mqtt.js 5 client (MQTT 5 or 3.1.1). */
export function createMqttBinding(
  client: MqttClientLike,
  options: MqttBindingOptions,
): MqttBinding {
  const s = shared(client, options);
  const router = createRouter();
  const requester = createRequester(s, router);
  return {
    publish: (topic, payload, o) => publish(s, topic, payload, o),
    subscribe: (filter, handler, o) => subscribe(s, router, filter, handler, o),
    request: (topic, payload, o) => requester.request(topic, payload, o),
    respond: (filter, handler, o) => respond(s, router, filter, handler, o),
    handleMessage: router.handleMessage,
    responseTopic: requester.topic,
  };
}
