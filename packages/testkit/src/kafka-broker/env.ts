/**
 * Which Kafka the tests talk to: the cluster named by `KAFKA_BROKERS`
 * (comma-separated host:port) when it is set, so that the same tests run
 * unchanged against a real cluster; else a test broker started in this
 * process. Only the test broker can be read raw (`broker` is null against a
 * real cluster: a blindness spy then reads through a plain consumer).
 */
import { startKafkaTestBroker, type KafkaTestBroker } from './broker.js';
import type { KafkaTestBrokerOptions } from './context.js';

export interface KafkaBrokers {
  readonly brokers: string[];
  /** The in-process test broker, or null when KAFKA_BROKERS names a real cluster. */
  readonly broker: KafkaTestBroker | null;
  /** Closes the test broker (a no-op for a real cluster). */
  close(): Promise<void>;
}

export async function kafkaBrokersForTests(
  options: KafkaTestBrokerOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<KafkaBrokers> {
  const listed = (env['KAFKA_BROKERS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (listed.length > 0) return { brokers: listed, broker: null, close: async () => {} };
  const broker = await startKafkaTestBroker(options);
  return { brokers: broker.brokers, broker, close: () => broker.close() };
}
