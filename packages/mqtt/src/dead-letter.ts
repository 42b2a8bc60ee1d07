/**
 * The dead-letter writer (SPEC.md §7b): the unchanged envelope bytes
 * published at QoS 1 to `<prefix><topic>` through the dead-letter client,
 * with `bw-reason` and `bw-message-id` user properties (MQTT 5), awaited
 * before the original is acknowledged. MQTT stores nothing for a topic
 * nobody subscribes to: an MQTT 5 broker that answers 0x10 (no matching
 * subscribers) dropped the copy, so that is a failed write too, and the
 * original is not acknowledged.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { NO_MATCHING_SUBSCRIBERS, deadLetterProperties } from './carrier.js';
import { sendEvent, transportError, type Shared } from './common.js';
import { sendPublish } from './send.js';
import type { MqttClientLike } from './types.js';

export interface DeadLetter {
  bytes: Uint8Array;
  reason: string;
  messageId: string | undefined;
}

/** Publishes the copy and awaits its PUBACK; throws ERR_TRANSPORT when it was not stored. */
export async function writeDeadLetter(
  s: Shared,
  client: MqttClientLike,
  topic: string,
  dl: DeadLetter,
): Promise<void> {
  const started = s.now();
  const fields = {
    bytes: dl.bytes.length,
    code: dl.reason,
    ...(dl.messageId === undefined ? {} : { messageId: dl.messageId }),
  };
  const v5 = client.options?.protocolVersion === 5;
  let reasonCode: number | undefined;
  try {
    ({ reasonCode } = await sendPublish(client, topic, dl.bytes, {
      qos: 1,
      retain: false,
      ...(v5 ? { properties: deadLetterProperties(dl.bytes, dl.reason, dl.messageId) } : {}),
    }));
  } catch (e) {
    sendEvent(s, 'dead-letter', topic, started, { ...fields, outcome: 'failed' });
    throw transportError('publishing the dead-letter copy', e);
  }
  if (reasonCode === NO_MATCHING_SUBSCRIBERS) {
    sendEvent(s, 'dead-letter', topic, started, { ...fields, outcome: 'no-subscribers' });
    throw new BlindwireError(
      ErrorCode.Transport,
      `no subscription received the dead-letter copy on ${topic} (subscribe a persistent session to it)`,
    );
  }
  sendEvent(s, 'dead-letter', topic, started, fields);
}
