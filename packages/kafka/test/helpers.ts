/**
 * Shared set-up of the Kafka binding's integration tests: both ends of the
 * KafkaJS peer range (2.0.0 and 2.2.4, through an npm alias), unique topic
 * names per run, and reading a topic raw: every record's key, value and
 * headers as bytes, through a plain consumer of a group of its own from the
 * first offset (brokers.ts says which Kafka).
 */
import { randomBytes } from 'node:crypto';
import { Kafka as Kafka224, logLevel } from 'kafkajs';
import { Kafka as Kafka200 } from 'kafkajs2-0';

export const RUN = randomBytes(4).toString('hex');
let n = 0;
/** A topic of its own: `bwt.<run>.<n>`. */
export const fresh = (): string => `bwt.${RUN}.${++n}`;

/** What the tests use of a KafkaJS `Kafka` instance (both versions fit). */
export type KafkaLike = InstanceType<typeof Kafka224>;

export interface Variant {
  label: string;
  create(brokers: string[], clientId: string): KafkaLike;
}

export const VARIANTS: Variant[] = [
  {
    label: 'kafkajs 2.2.4',
    create: (brokers, clientId) => new Kafka224({ brokers, clientId, logLevel: logLevel.NOTHING }),
  },
  {
    label: 'kafkajs 2.0.0',
    create: (brokers, clientId) =>
      new Kafka200({ brokers, clientId, logLevel: logLevel.NOTHING }) as unknown as KafkaLike,
  },
];

/** Consumer settings that keep tests short against the test broker (Kafka's minimum session is 6 s). */
export const GROUP_TIMINGS = process.env['KAFKA_BROKERS']
  ? { sessionTimeout: 6000, heartbeatInterval: 1000, rebalanceTimeout: 10_000 }
  : { sessionTimeout: 1500, heartbeatInterval: 300, rebalanceTimeout: 3000, maxWaitTimeInMs: 100 };

export interface RawRecord {
  offset: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: { key: string; value: Uint8Array | null }[];
}

/** Every record of `topic`, in offset order (one partition). */
export async function readTopic(kafka: KafkaLike, topic: string): Promise<RawRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).catch(() => []);
  await admin.disconnect();
  const total = ends.reduce((a, p) => a + Number(p.high) - Number(p.low), 0);
  if (total === 0) return [];
  const out: RawRecord[] = [];
  const c = kafka.consumer({
    groupId: `bwt-reader-${randomBytes(4).toString('hex')}`,
    ...GROUP_TIMINGS,
  });
  await c.connect();
  await c.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve) => {
    void c.run({
      eachMessage: async ({ message }) => {
        const headers = Object.entries(message.headers ?? {}).flatMap(([key, v]) =>
          (Array.isArray(v) ? v : [v]).map((x) => ({
            key,
            value: x === undefined ? null : Buffer.from(x),
          })),
        );
        out.push({
          offset: Number(message.offset),
          key: message.key,
          value: message.value,
          headers,
        });
        if (out.length >= total) resolve();
      },
    });
  });
  await c.disconnect();
  return out.sort((a, b) => a.offset - b.offset);
}

/** The first value of header `name` of a raw record, as text. */
export function header(r: RawRecord, name: string): string | undefined {
  const h = r.headers.find((x) => x.key.toLowerCase() === name);
  return h?.value === null || h === undefined ? undefined : Buffer.from(h.value).toString();
}

/** The committed offset of `group` on partition 0 of `topic` (-1 when none). */
export async function committed(kafka: KafkaLike, group: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return Number(t?.partitions.find((p) => p.partition === 0)?.offset ?? -1);
  } finally {
    await admin.disconnect();
  }
}

/** Waits until `f` is true (polling every 25 ms), or fails after `ms`. */
export async function until(f: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}
