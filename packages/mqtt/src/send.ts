/**
 * One PUBLISH through a caller's client, awaited (SPEC.md §7b, §11c): the
 * promise settles on mqtt.js's callback (after the write for QoS 0, on the
 * PUBACK for QoS 1, on the PUBCOMP for QoS 2) with the broker's MQTT 5 reason
 * code, which mqtt.js does not pass to the callback: it is read from the
 * `packetreceive` event of the acknowledgement, one listener per client.
 */
import { toBuffer } from './carrier.js';
import type { MqttClientLike, MqttClientPublishOptions, MqttPacketLike } from './types.js';

/** The reason codes of the latest PUBACK / PUBREC per packet id, per client. */
const trackers = new WeakMap<object, Map<number, number>>();

function tracker(client: MqttClientLike): Map<number, number> {
  let t = trackers.get(client);
  if (t !== undefined) return t;
  const codes = new Map<number, number>();
  client.on('packetreceive', (p: MqttPacketLike) => {
    if ((p?.cmd !== 'puback' && p?.cmd !== 'pubrec') || typeof p.messageId !== 'number') return;
    // MQTT 3.1.1 acknowledgements carry no reason code.
    if (typeof p.reasonCode === 'number') codes.set(p.messageId, p.reasonCode);
    else codes.delete(p.messageId);
  });
  trackers.set(client, codes);
  t = codes;
  return t;
}

/** Publishes and resolves with the reason code (MQTT 5, QoS > 0), or rejects with mqtt.js's error. */
export function sendPublish(
  client: MqttClientLike,
  topic: string,
  payload: Uint8Array,
  options: MqttClientPublishOptions,
): Promise<{ reasonCode?: number }> {
  const codes = (options.qos ?? 0) > 0 ? tracker(client) : undefined;
  return new Promise((resolve, reject) => {
    try {
      client.publish(topic, toBuffer(payload), options, (err, packet) => {
        if (err) return reject(err);
        const id = (packet as { messageId?: unknown } | undefined)?.messageId;
        if (codes === undefined || typeof id !== 'number') return resolve({});
        const reasonCode = codes.get(id);
        codes.delete(id);
        resolve(reasonCode === undefined ? {} : { reasonCode });
      });
    } catch (e) {
      reject(e as Error);
    }
  });
}
