/**
 * @blindwire/kafka: sealed record values on Kafka through the caller's
 * KafkaJS (or KafkaJS-compatible) producer and consumer, and a
 * serializer/deserializer pair (SPEC.md §7b, §11b, §11c).
 *
 * @module @blindwire/kafka
 */
export { createKafkaBinding, type KafkaBinding } from './binding.js';
export {
  createKafkaDeserializer,
  createKafkaSerializer,
  type InnerDeserializer,
  type InnerSerializer,
  type KafkaDeserializer,
  type KafkaDeserializerOptions,
  type KafkaOpened,
  type KafkaSerializer,
  type KafkaSerializerOptions,
} from './serde.js';
export {
  SOURCE_ID_HEADER,
  deadLetterHeaders,
  readHeader,
  setRecordHints,
  sourceId,
  valueBytes,
} from './carrier.js';
export { DEFAULT_MAX_MESSAGE_BYTES, recordBatchBytes } from './record-size.js';
export type * from './types.js';
