/**
 * kafkajs clients for the test broker's tests: quiet logs, the default
 * partitioner, short timeouts, and a `kafkajsCrc32c` reference (kafkajs's
 * own CRC-32C, an independent implementation to check ours against).
 */
import { createRequire } from 'node:module';
import {
  Kafka,
  logLevel,
  Partitioners,
  type Consumer,
  type ConsumerConfig,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';

const require = createRequire(import.meta.url);

/** kafkajs's CRC-32C (src/protocol/recordBatch/crc32C), unsigned. */
export const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (
  bytes: Buffer,
) => number;

export function kafka(brokers: string[], clientId = 'kbroker-test'): Kafka {
  return new Kafka({
    brokers,
    clientId,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 500 },
  });
}

export async function producer(k: Kafka, config: ProducerConfig = {}): Promise<Producer> {
  const p = k.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
  await p.connect();
  return p;
}

/** A consumer with short group timers (the broker accepts session timeouts from 100 ms). */
export async function consumer(
  k: Kafka,
  groupId: string,
  config: Partial<ConsumerConfig> = {},
): Promise<Consumer> {
  const c = k.consumer({
    groupId,
    sessionTimeout: 3000,
    heartbeatInterval: 200,
    rebalanceTimeout: 5000,
    maxWaitTimeInMs: 200,
    retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 500 },
    ...config,
  });
  await c.connect();
  return c;
}

/** Resolves once `predicate` holds, checked after every message `consume` collects. */
export function collector<T>() {
  const items: T[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  return {
    items,
    push(x: T) {
      items.push(x);
      waiters = waiters.filter((w) => (items.length >= w.n ? (w.resolve(), false) : true));
    },
    /** Resolves when at least `n` items arrived. */
    atLeast(n: number): Promise<T[]> {
      if (items.length >= n) return Promise.resolve(items);
      return new Promise((resolve) => waiters.push({ n, resolve: () => resolve(items) }));
    },
  };
}
