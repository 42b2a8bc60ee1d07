/**
 * `publish(topic, payload, options)` (SPEC.md §7b, §11b, §11c): sealed for
 * the topic's bound context and handed to the caller's client; resolves on
 * mqtt.js's callback (the PUBACK for QoS 1, the PUBCOMP for QoS 2) with the
 * broker's MQTT 5 reason code.
 */
import { checkTopicName, NO_MATCHING_SUBSCRIBERS } from './carrier.js';
import { sendEvent, transportError, type Shared } from './common.js';
import { qosOf, sealFor } from './seal.js';
import { sendPublish } from './send.js';
import type { PublishOptions, PublishResult } from './types.js';

export async function publish(
  s: Shared,
  topic: string,
  payload: Uint8Array | string,
  p: PublishOptions,
): Promise<PublishResult> {
  checkTopicName('topic', topic);
  const qos = qosOf(p?.qos);
  const started = s.now();
  const { envelope, messageId, properties } = await sealFor(s, topic, payload, p, qos);
  const fields = { messageId, bytes: envelope.length };
  let reasonCode: number | undefined;
  try {
    ({ reasonCode } = await sendPublish(s.client, topic, envelope, {
      qos,
      retain: p.retain === true,
      ...(properties === undefined ? {} : { properties }),
    }));
  } catch (e) {
    sendEvent(s, 'publish', topic, started, {
      ...fields,
      outcome: 'failed',
      code: 'ERR_TRANSPORT',
    });
    throw transportError('MQTT publish', e);
  }
  const outcome = reasonCode === NO_MATCHING_SUBSCRIBERS ? 'no-subscribers' : 'sent';
  sendEvent(s, 'publish', topic, started, { outcome, ...fields });
  return reasonCode === undefined
    ? { messageId, bytes: envelope.length }
    : { messageId, bytes: envelope.length, reasonCode };
}
