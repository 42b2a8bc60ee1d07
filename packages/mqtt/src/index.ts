/**
 * @blindwire/mqtt: sealed messages on MQTT 5 and 3.1.1 through the caller's
 * mqtt.js client (SPEC.md §7b, §11b, §11c).
 *
 * @module @blindwire/mqtt
 */
export { createMqttBinding, type MqttBinding } from './binding.js';
export {
  DEFAULT_DEAD_LETTER_PREFIX,
  MQTT_MAX_PACKET_BYTES,
  NO_MATCHING_SUBSCRIBERS,
  compileTopicFilter,
  deadLetterProperties,
  messageProperties,
  payloadBytes,
  publishPacketBytes,
  readHint,
  responseProperties,
  type MessagePropertyOptions,
  type TopicFilter,
} from './carrier.js';
export type * from './types.js';
