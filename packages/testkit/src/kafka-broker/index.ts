/**
 * @blindwire/testkit/kafka-broker: a minimal Kafka wire-protocol broker for
 * tests (never published, never for production): single node, in memory, one
 * partition per topic, the protocol APIs kafkajs 2.2.4 uses, RecordBatch v2
 * with CRC-32C. See README.md in this folder.
 *
 *   const kafka = await kafkaBrokersForTests();   // KAFKA_BROKERS, else a test broker
 *   const client = new Kafka({ brokers: kafka.brokers });
 *   ...
 *   kafka.broker?.readRaw('topic').records       // what the broker stored
 *   await kafka.close();
 */
export {
  startKafkaTestBroker,
  type GroupView,
  type KafkaTestBroker,
  type RawBatch,
  type RawHeader,
  type RawRecord,
} from './broker.js';
export type { KafkaTestBrokerOptions } from './context.js';
export { kafkaBrokersForTests, type KafkaBrokers } from './env.js';
export { crc32c } from './crc32c.js';
export {
  BATCH_OVERHEAD,
  encodeRecordBatch,
  type BatchOptions,
  type RecordInput,
} from './record-batch.js';
export { API, ERR, VERSIONS } from './protocol.js';
