/**
 * Real kafkajs 2.2.4 clients against the test broker: records keep their
 * keys, values and binary headers both ways, the broker stores exactly the
 * bytes produced (readRaw, for blindness spies) in batches whose CRC-32C
 * checks with kafkajs's own implementation, and the admin, offset and
 * idempotent-producer paths answer as Kafka does.
 */
import type { Admin, ITopicConfig, Kafka, KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  crc32c,
  startKafkaTestBroker,
  type KafkaTestBroker,
} from '../../src/kafka-broker/index.js';
import { collector, consumer, kafka, kafkajsCrc32c, producer } from './clients.js';

let broker: KafkaTestBroker;
let client: Kafka;
let admin: Admin;

beforeAll(async () => {
  broker = await startKafkaTestBroker();
  client = kafka(broker.brokers);
  admin = client.admin();
  await admin.connect();
});
afterAll(async () => {
  await admin.disconnect();
  await broker.close();
});

const header = (bytes: number[]) => Buffer.from(bytes);

/** The error types of a refused createTopics (kafkajs throws an aggregate of them). */
async function creationErrors(a: Admin, topic: ITopicConfig): Promise<string[]> {
  const e: unknown = await a.createTopics({ topics: [topic] }).then(
    () => new Error('created'),
    (x: unknown) => x,
  );
  return ((e as { errors?: { type: string }[] }).errors ?? []).map((x) => x.type);
}

describe('produce and consume', () => {
  it('round-trips keys, values and binary headers, and stores exactly what was produced', async () => {
    const p = await producer(client);
    const sent = [
      {
        key: Buffer.from([0, 1, 2, 255]),
        value: Buffer.from('first'),
        headers: { bin: header([0, 0xff, 0x80, 7]), txt: 'a' },
      },
      { key: null, value: Buffer.from([]), headers: { empty: header([]) } },
      { key: Buffer.from('k3'), value: null, headers: {} },
      {
        key: Buffer.from('k4'),
        value: Buffer.alloc(100_000, 0xab),
        headers: { multi: [header([1]), header([2])] },
      },
    ];
    await p.send({ topic: 'rt', acks: -1, messages: sent });
    await p.disconnect();

    const got = collector<KafkaMessage>();
    const c = await consumer(client, 'rt-g');
    await c.subscribe({ topic: 'rt', fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => got.push(message) });
    await got.atLeast(4);
    await c.disconnect();

    expect(got.items.map((m) => m.offset)).toEqual(['0', '1', '2', '3']);
    expect(got.items.map((m) => m.key)).toEqual(sent.map((m) => m.key));
    expect(got.items[0]!.value).toEqual(Buffer.from('first'));
    expect(got.items[1]!.value).toEqual(Buffer.alloc(0));
    expect(got.items[2]!.value).toBeNull();
    expect(got.items[3]!.value).toEqual(Buffer.alloc(100_000, 0xab));
    expect(got.items[0]!.headers).toEqual({
      bin: header([0, 0xff, 0x80, 7]),
      txt: Buffer.from('a'),
    });
    expect(got.items[3]!.headers).toEqual({ multi: [header([1]), header([2])] });

    const raw = broker.readRaw('rt');
    expect(raw.records.map((r) => r.offset)).toEqual([0, 1, 2, 3]);
    expect(raw.records[0]!.key).toEqual(new Uint8Array([0, 1, 2, 255]));
    expect(raw.records[0]!.headers).toEqual([
      { key: 'bin', value: new Uint8Array([0, 0xff, 0x80, 7]) },
      { key: 'txt', value: new Uint8Array([0x61]) },
    ]);
    expect(raw.records[1]!.key).toBeNull();
    expect(raw.records[2]!.value).toBeNull();
    expect(raw.records[3]!.headers.map((h) => h.key)).toEqual(['multi', 'multi']);
  });

  it('keeps batches whose CRC-32C checks with kafkajs and with ours, base offsets assigned', async () => {
    const p = await producer(client);
    await p.send({ topic: 'crc', messages: [{ value: 'a' }, { value: 'b' }] });
    await p.send({ topic: 'crc', messages: [{ value: 'c' }] });
    await p.disconnect();
    const { batches } = broker.readRaw('crc');
    expect(batches.map((b) => b.baseOffset)).toEqual([0, 2]);
    for (const b of batches) {
      const bytes = Buffer.from(b.bytes);
      expect(bytes.readBigInt64BE(0)).toBe(BigInt(b.baseOffset));
      expect(bytes.readInt8(16)).toBe(2); // magic
      const covered = bytes.subarray(21); // attributes to the end
      expect(bytes.readUInt32BE(17)).toBe(b.crc);
      expect(crc32c(covered)).toBe(b.crc);
      expect(kafkajsCrc32c(covered)).toBe(b.crc);
    }
  });

  it('answers acks 0, 1 and -1 (acks 0 without a response), and rejects others', async () => {
    const p = await producer(client);
    const offsets = [];
    for (const acks of [1, -1]) {
      const [r] = await p.send({ topic: 'acks', acks, messages: [{ value: String(acks) }] });
      offsets.push(r!.baseOffset);
    }
    expect(offsets).toEqual(['0', '1']);
    expect(await p.send({ topic: 'acks', acks: 0, messages: [{ value: '0' }] })).toEqual([]);
    await expect(p.send({ topic: 'acks', acks: 2, messages: [{ value: 'x' }] })).rejects.toThrow(
      /acks/i,
    );
    await p.disconnect();
    // acks 0 has no response: the record is there once a later request on the connection is answered.
    const p2 = await producer(client);
    await p2.send({ topic: 'acks', messages: [{ value: 'after' }] });
    await p2.disconnect();
    expect(broker.readRaw('acks').records.map((r) => Buffer.from(r.value!).toString())).toEqual([
      '1',
      '-1',
      '0',
      'after',
    ]);
  });

  it('serves an idempotent producer (InitProducerId, sequences from 0)', async () => {
    const p = await producer(client, { idempotent: true, maxInFlightRequests: 1 });
    await p.send({ topic: 'idem', messages: [{ value: 'a' }, { value: 'b' }] });
    await p.send({ topic: 'idem', messages: [{ value: 'c' }] });
    await p.disconnect();
    const { batches, records } = broker.readRaw('idem');
    expect(records.map((r) => r.offset)).toEqual([0, 1, 2]);
    expect(batches.map((b) => b.baseSequence)).toEqual([0, 2]);
    expect(batches[0]!.producerId).toBeGreaterThanOrEqual(0);
    expect(batches[1]!.producerId).toBe(batches[0]!.producerId);
  });
});

describe('admin and offsets', () => {
  it('creates, lists and deletes topics; refuses more than one partition or replica', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'adm' }] })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'adm' }] })).toBe(false); // exists
    expect(await creationErrors(admin, { topic: 'adm3', numPartitions: 3 })).toEqual([
      'INVALID_PARTITIONS',
    ]);
    expect(await creationErrors(admin, { topic: 'adm-r', replicationFactor: 3 })).toEqual([
      'INVALID_REPLICATION_FACTOR',
    ]);
    expect(await creationErrors(admin, { topic: 'bad name!' })).toEqual([
      'INVALID_TOPIC_EXCEPTION',
    ]);
    expect(await admin.listTopics()).toContain('adm');
    const md = await admin.fetchTopicMetadata({ topics: ['adm'] });
    expect(md.topics[0]!.partitions.map((x) => x.partitionId)).toEqual([0]);
    await admin.deleteTopics({ topics: ['adm'] });
    expect(broker.topics()).not.toContain('adm');
    expect(() => broker.readRaw('adm')).toThrow(/no topic/);
  });

  it('lists earliest, latest and by-time offsets', async () => {
    const p = await producer(client);
    await p.send({
      topic: 'lo',
      messages: [
        { value: 'a', timestamp: '1000' },
        { value: 'b', timestamp: '2000' },
      ],
    });
    await p.send({ topic: 'lo', messages: [{ value: 'c', timestamp: '3000' }] });
    await p.disconnect();
    const latest = await admin.fetchTopicOffsets('lo');
    expect(latest[0]).toMatchObject({ partition: 0, offset: '3', low: '0', high: '3' });
    const at = async (ts: number) =>
      (await admin.fetchTopicOffsetsByTimestamp('lo', ts))[0]!.offset;
    expect(await at(1500)).toBe('1');
    expect(await at(2000)).toBe('1');
    expect(await at(2500)).toBe('2');
    // none at or after: kafkajs turns the broker's -1 into the latest offset
    expect(await at(9000)).toBe('3');
  });

  it('stores offsets set without group membership and returns them', async () => {
    const p = await producer(client);
    await p.send({ topic: 'so', messages: [{ value: 'a' }, { value: 'b' }] });
    await p.disconnect();
    await admin.setOffsets({
      groupId: 'so-g',
      topic: 'so',
      partitions: [{ partition: 0, offset: '1' }],
    });
    expect(broker.committedOffset('so-g', 'so')).toBe(1);
    const fetched = await admin.fetchOffsets({ groupId: 'so-g', topics: ['so'] });
    expect(fetched[0]!.partitions[0]).toMatchObject({ partition: 0, offset: '1' });
  });
});
