/**
 * The rows of the MQTT benchmark (mqtt.mjs), in the row shape of
 * nats-cell.mjs: `start(env, cell, ctx) -> { publish(payload), stop() }`,
 * calling `ctx.handled(payload)` from the handler, `ctx.complete()` once a
 * message is done, `ctx.fail(e)` on anything else. Every row publishes at
 * QoS 1 from one client (awaiting the PUBACK) and consumes at QoS 1 on
 * another whose `handleMessage` sends the PUBACK only when the message is
 * done, so all three hold each message the same way (mqtt.js handles one
 * incoming message at a time).
 *
 * - plaintext: the payload as is; handler -> PUBACK.
 * - hand-wired: the minimal sealed loop doing the binding's work and no
 *   less: `seal` (one recipient, node backend, `bindingContext('mqtt',
 *   topic)`) -> PUBLISH with the MQTT 5 hints the binding writes (content
 *   type, binary format, expiry, `bw-message-id`); `open` (same context,
 *   pinned sender, a memory replay store: a reservation) -> handler ->
 *   `commit` -> PUBACK.
 * - binding: `@blindwire/mqtt` `publish` + `subscribe` (its `handleMessage`
 *   installed), a memory replay store, events on (the consume event with
 *   action `ack` completes).
 */
import {
  bindingContext,
  CarrierHeader,
  createMemoryReplayStore,
  MediaType,
  open,
  seal,
} from '@blindwire/core';
import { createMqttBinding } from '@blindwire/mqtt';

const buf = (u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

function subscribed(env, cell, ctx, handleMessage) {
  env.sub.handleMessage = handleMessage;
  return new Promise((resolve, reject) =>
    env.sub.subscribe(cell.topic, { qos: 1 }, (e) => (e ? reject(e) : resolve())),
  ).catch(ctx.fail);
}

function unsubscribed(env, cell) {
  return new Promise((resolve) => env.sub.unsubscribe(cell.topic, {}, () => resolve()));
}

function publishRaw(env, topic, bytes, properties) {
  return new Promise((resolve, reject) =>
    env.pub.publish(topic, buf(bytes), { qos: 1, properties }, (e) => (e ? reject(e) : resolve())),
  );
}

export const plaintext = {
  id: 'plaintext',
  label: 'plaintext',
  async start(env, cell, ctx) {
    await subscribed(env, cell, ctx, (packet, callback) => {
      ctx.handled(packet.payload);
      ctx.complete();
      callback();
    });
    return {
      publish: (p) => publishRaw(env, cell.topic, p, undefined),
      stop: () => unsubscribed(env, cell),
    };
  },
};

export const hand = {
  id: 'hand-wired',
  label: 'hand-wired',
  async start(env, cell, ctx) {
    const replay = createMemoryReplayStore();
    const context = bindingContext('mqtt', cell.topic);
    await subscribed(env, cell, ctx, (packet, callback) => {
      void (async () => {
        const o = await open(packet.payload, {
          recipient: env.worker.encryption,
          trustedSenders: env.trusted,
          context,
          replay,
          backend: env.backend,
        });
        ctx.handled(o.payload);
        await o.reservation.commit();
        ctx.complete();
      })().then(
        () => callback(),
        (e) => {
          ctx.fail(e);
          callback();
        },
      );
    });
    return {
      async publish(p) {
        const nowMs = Date.now();
        const s = await seal(p, {
          sender: env.agent,
          recipients: env.worker.encryption,
          context,
          backend: env.backend,
          now: nowMs,
        });
        await publishRaw(env, cell.topic, s.envelope, {
          payloadFormatIndicator: false,
          contentType: MediaType.Envelope,
          messageExpiryInterval: Math.max(1, Math.ceil((s.expiresAt * 1000 - nowMs) / 1000)),
          userProperties: { [CarrierHeader.MessageId]: s.messageId },
        });
      },
      stop: () => unsubscribed(env, cell),
    };
  },
};

export const binding = {
  id: 'binding',
  label: 'binding',
  async start(env, cell, ctx) {
    const onEvent = (e) => {
      if (e.verb === 'subscribe') {
        if (e.action === 'ack') ctx.complete();
        else ctx.fail(`subscribe ${e.action}: ${e.code}`);
      } else if (e.outcome !== 'sent') ctx.fail(`${e.verb} ${e.outcome}: ${e.code}`);
    };
    const opts = { backend: env.backend, onEvent };
    const sending = createMqttBinding(env.pub, { ...opts, sender: env.agent });
    const receiving = createMqttBinding(env.sub, {
      ...opts,
      recipient: env.worker.encryption,
      trustedSenders: env.trusted,
      replay: createMemoryReplayStore(),
      deadLetterClient: env.copies,
    });
    env.sub.handleMessage = receiving.handleMessage;
    const sub = await receiving.subscribe(cell.topic, (m) => void ctx.handled(m.payload));
    return {
      publish: (p) => sending.publish(cell.topic, p, { to: env.worker.encryption }),
      stop: () => sub.unsubscribe(),
    };
  },
};
