/**
 * Fetch: a long poll waits for data and wakes on the append that brings it
 * (a fetch that would only end at its max wait of ten minutes fails the
 * test by its timeout instead), waits on while fewer than min_bytes are
 * there, ends when its connection or the broker closes; max_bytes and
 * partition_max_bytes bound the response except for the first batch
 * (KIP-74); offsets beyond the log are OFFSET_OUT_OF_RANGE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API,
  encodeRecordBatch,
  ERR,
  startKafkaTestBroker,
  type KafkaTestBroker,
} from '../../src/kafka-broker/index.js';
import {
  fetchBody,
  fetchedPartition,
  metadataBody,
  produceBody,
  producedPartition,
  RawClient,
} from './raw-client.js';

const TEN_MINUTES = 600_000;
let broker: KafkaTestBroker;
let writer: RawClient;

beforeAll(async () => {
  broker = await startKafkaTestBroker();
  writer = await RawClient.open(broker.port);
});
afterAll(async () => {
  writer.close();
  await broker.close();
});

const create = (topic: string) => writer.request(API.Metadata, 4, metadataBody([topic]));
const batchOf = (size: number, n = 1) =>
  encodeRecordBatch(Array.from({ length: n }, () => ({ value: Buffer.alloc(size, 0x61) })));
async function produce(topic: string, records: Uint8Array): Promise<number> {
  const res = producedPartition(await writer.request(API.Produce, 3, produceBody(topic, records)));
  expect(res.errorCode).toBe(ERR.NONE);
  return res.baseOffset;
}
/** Base offsets of the batches in a fetched record set. */
function baseOffsets(records: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at + 12 <= records.length; at += 12 + records.readInt32BE(at + 8))
    out.push(Number(records.readBigInt64BE(at)));
  return out;
}

describe('long poll', () => {
  it('wakes on the produce that brings data, and returns it', async () => {
    await create('lp');
    const reader = await RawClient.open(broker.port);
    let settled = false;
    const pending = reader
      .request(API.Fetch, 4, fetchBody('lp', 0, { maxWaitMs: TEN_MINUTES }))
      .finally(() => (settled = true));
    await create('lp'); // a round trip on another connection: the fetch is waiting
    expect(settled).toBe(false);
    await produce('lp', batchOf(10));
    const res = fetchedPartition(await pending);
    expect(res).toMatchObject({ errorCode: ERR.NONE, highWatermark: 1 });
    expect(baseOffsets(res.records)).toEqual([0]);
    reader.close();
  });

  it('waits on while fewer than min_bytes are available', async () => {
    await create('mb');
    const reader = await RawClient.open(broker.port);
    let settled = false;
    const pending = reader
      .request(API.Fetch, 4, fetchBody('mb', 0, { maxWaitMs: TEN_MINUTES, minBytes: 500 }))
      .finally(() => (settled = true));
    await produce('mb', batchOf(10)); // ~80 bytes: not enough
    await create('mb');
    expect(settled).toBe(false);
    await produce('mb', batchOf(600));
    expect(baseOffsets(fetchedPartition(await pending).records)).toEqual([0, 1]);
    reader.close();
  });

  it('returns at once with what there is when max_wait is 0 or min_bytes is reached', async () => {
    await create('now');
    const reader = await RawClient.open(broker.port);
    const empty = fetchedPartition(await reader.request(API.Fetch, 4, fetchBody('now', 0)));
    expect(empty).toMatchObject({ errorCode: ERR.NONE, highWatermark: 0 });
    expect(empty.records.length).toBe(0);
    await produce('now', batchOf(10));
    const res = fetchedPartition(
      await reader.request(API.Fetch, 4, fetchBody('now', 0, { maxWaitMs: TEN_MINUTES })),
    );
    expect(baseOffsets(res.records)).toEqual([0]);
    reader.close();
  });

  it('ends when the broker closes', async () => {
    const b = await startKafkaTestBroker();
    const reader = await RawClient.open(b.port);
    await reader.request(API.Metadata, 4, metadataBody(['bye']));
    reader.send(API.Fetch, 4, fetchBody('bye', 0, { maxWaitMs: TEN_MINUTES }));
    await b.close();
    expect(await reader.response()).toBe('closed');
  });
});

describe('sizes and offsets', () => {
  beforeAll(async () => {
    await create('sz');
    for (let i = 0; i < 3; i++) await produce('sz', batchOf(1000, 2)); // offsets 0-1, 2-3, 4-5
  });
  const fetchSz = async (offset: number, o: Parameters<typeof fetchBody>[2] = {}) =>
    fetchedPartition(await writer.request(API.Fetch, 4, fetchBody('sz', offset, o)));

  it('returns whole batches within partition_max_bytes and max_bytes', async () => {
    const size = broker.readRaw('sz').batches[0]!.bytes.length;
    expect(baseOffsets((await fetchSz(0)).records)).toEqual([0, 2, 4]);
    expect(baseOffsets((await fetchSz(0, { partitionMaxBytes: 2 * size })).records)).toEqual([
      0, 2,
    ]);
    expect(baseOffsets((await fetchSz(0, { maxBytes: 2 * size + 1 })).records)).toEqual([0, 2]);
    expect(baseOffsets((await fetchSz(0, { maxBytes: 3 * size })).records)).toEqual([0, 2, 4]);
  });

  it('returns the first batch even when it is larger than the limits (KIP-74)', async () => {
    expect(baseOffsets((await fetchSz(0, { partitionMaxBytes: 10 })).records)).toEqual([0]);
    expect(baseOffsets((await fetchSz(2, { maxBytes: 1 })).records)).toEqual([2]);
  });

  it('starts at the batch that holds the offset', async () => {
    expect(baseOffsets((await fetchSz(3)).records)).toEqual([2, 4]);
    expect(baseOffsets((await fetchSz(5)).records)).toEqual([4]);
    expect((await fetchSz(6)).records.length).toBe(0);
  });

  it('answers OFFSET_OUT_OF_RANGE beyond the log and UNKNOWN_TOPIC_OR_PARTITION for a missing topic', async () => {
    expect(await fetchSz(7)).toMatchObject({
      errorCode: ERR.OFFSET_OUT_OF_RANGE,
      highWatermark: 6,
    });
    expect(await fetchSz(-1)).toMatchObject({ errorCode: ERR.OFFSET_OUT_OF_RANGE });
    const missing = fetchedPartition(await writer.request(API.Fetch, 4, fetchBody('none', 0)));
    expect(missing.errorCode).toBe(ERR.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
