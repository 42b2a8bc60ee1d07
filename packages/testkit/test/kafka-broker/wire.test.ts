/**
 * The broker under a bare protocol client: produced batches are checked
 * (CRC-32C, compression, format, size, idempotent sequences) and refused
 * with Kafka's error codes without being stored; frames that break the
 * protocol close the connection and nothing else; random frames never bring
 * the broker down.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writer } from '../../src/kafka-broker/codec.js';
import {
  API,
  crc32c,
  encodeRecordBatch,
  ERR,
  startKafkaTestBroker,
  VERSIONS,
  type KafkaTestBroker,
} from '../../src/kafka-broker/index.js';
import { kafka, producer } from './clients.js';
import { metadataBody, produceBody, producedPartition, RawClient } from './raw-client.js';

let broker: KafkaTestBroker;
let raw: RawClient;
const MAX_FRAME = 64 * 1024;

beforeAll(async () => {
  broker = await startKafkaTestBroker({ maxFrameBytes: MAX_FRAME, maxBatchBytes: 4096 });
  raw = await RawClient.open(broker.port);
  await raw.request(API.Metadata, 4, metadataBody(['w', 'idem']));
});
afterAll(async () => {
  raw.close();
  await broker.close();
});

const batch = (value: string, options = {}) =>
  encodeRecordBatch([{ value: Buffer.from(value) }], options);
const produce = async (records: Uint8Array, topic = 'w', partition = 0) =>
  producedPartition(await raw.request(API.Produce, 3, produceBody(topic, records, -1, partition)));
const stored = (topic = 'w') =>
  broker.readRaw(topic).records.map((r) => Buffer.from(r.value!).toString());

describe('Produce checks', () => {
  it('stores a valid batch and refuses a corrupted one with CORRUPT_MESSAGE', async () => {
    expect(await produce(batch('ok'))).toEqual({ errorCode: ERR.NONE, baseOffset: 0 });
    const bad = Buffer.from(batch('evil'));
    bad[bad.length - 3]! ^= 0x01; // inside the record, covered by the CRC
    expect((await produce(bad)).errorCode).toBe(ERR.CORRUPT_MESSAGE);
    const badCrc = Buffer.from(batch('evil'));
    badCrc.writeUInt32BE((crc32c(badCrc.subarray(21)) ^ 1) >>> 0, 17);
    expect((await produce(badCrc)).errorCode).toBe(ERR.CORRUPT_MESSAGE);
    expect(stored()).toEqual(['ok']);
  });

  it('refuses compressed, transactional, oversized and misplaced batches with their codes', async () => {
    expect((await produce(batch('gz', { attributes: 1 }))).errorCode).toBe(
      ERR.UNSUPPORTED_COMPRESSION_TYPE,
    );
    expect((await produce(batch('tx', { attributes: 0x10 }))).errorCode).toBe(ERR.INVALID_RECORD);
    expect((await produce(encodeRecordBatch([{ value: Buffer.alloc(5000) }]))).errorCode).toBe(
      ERR.MESSAGE_TOO_LARGE,
    );
    expect((await produce(batch('x'), 'nope')).errorCode).toBe(ERR.UNKNOWN_TOPIC_OR_PARTITION);
    expect((await produce(batch('x'), 'w', 1)).errorCode).toBe(ERR.UNKNOWN_TOPIC_OR_PARTITION);
    expect(broker.topics()).not.toContain('nope'); // Produce never creates a topic
    const badAcks = producedPartition(
      await raw.request(API.Produce, 3, produceBody('w', batch('a'), 2)),
    );
    expect(badAcks.errorCode).toBe(ERR.INVALID_REQUIRED_ACKS);
    expect(stored()).toEqual(['ok']);
  });

  it('applies idempotent sequences: a retried batch is not stored twice, gaps and fenced epochs are refused', async () => {
    const p = { producerId: 7, producerEpoch: 0 };
    expect(await produce(batch('s0', { ...p, baseSequence: 0 }), 'idem')).toEqual({
      errorCode: 0,
      baseOffset: 0,
    });
    expect(await produce(batch('s1', { ...p, baseSequence: 1 }), 'idem')).toEqual({
      errorCode: 0,
      baseOffset: 1,
    });
    expect(await produce(batch('s1', { ...p, baseSequence: 1 }), 'idem')).toEqual({
      errorCode: 0,
      baseOffset: 1,
    });
    expect((await produce(batch('s3', { ...p, baseSequence: 3 }), 'idem')).errorCode).toBe(
      ERR.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    expect(
      (await produce(batch('new', { producerId: 8, producerEpoch: 0, baseSequence: 5 }), 'idem'))
        .errorCode,
    ).toBe(ERR.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(
      await produce(batch('e1', { producerId: 7, producerEpoch: 1, baseSequence: 0 }), 'idem'),
    ).toEqual({
      errorCode: 0,
      baseOffset: 2,
    });
    expect((await produce(batch('old', { ...p, baseSequence: 2 }), 'idem')).errorCode).toBe(
      ERR.INVALID_PRODUCER_EPOCH,
    );
    expect(stored('idem')).toEqual(['s0', 's1', 'e1']);
  });

  it('closes the connection when an acks=0 produce fails (there is no response to carry the error)', async () => {
    const c = await RawClient.open(broker.port);
    c.send(API.Produce, 3, produceBody('w', batch('fine'), 0));
    c.send(API.Produce, 3, produceBody('nope', batch('lost'), 0));
    expect(await c.response()).toBe('closed');
    expect(stored()).toEqual(['ok', 'fine']);
  });
});

describe('frames that break the protocol close the connection', () => {
  const header = (apiKey: number, version: number) =>
    new Writer().int16(apiKey).int16(version).int32(1).string('c').done();
  const framed = (body: Uint8Array, size = body.length) =>
    new Writer().int32(size).raw(body).done();

  const cases: [string, Uint8Array][] = [
    ['a frame above maxFrameBytes', new Writer().int32(MAX_FRAME + 1).done()],
    ['a negative frame size', new Writer().int32(-5).done()],
    ['a frame smaller than a request header', framed(Buffer.alloc(4))],
    ['an API the broker does not implement', framed(header(42, 0))],
    ['a version it did not advertise', framed(header(API.Produce, 7))],
    [
      'a truncated field',
      framed(Buffer.concat([header(API.Metadata, 4), Buffer.from([0, 0, 0, 1, 0, 9])])),
    ],
    [
      'bytes after the last field',
      framed(Buffer.concat([header(API.Metadata, 4), metadataBody([]).done(), Buffer.from([1])])),
    ],
    ['a client id longer than the frame', framed(Buffer.from([0, 18, 0, 0, 0, 0, 0, 1, 0, 50]))],
  ];
  it.each(cases)('%s', async (_, bytes) => {
    const c = await RawClient.open(broker.port);
    c.write(bytes);
    expect(await c.response()).toBe('closed');
  });

  it('answers ApiVersions in a version above 2 in v0 with UNSUPPORTED_VERSION and the list', async () => {
    const c = await RawClient.open(broker.port);
    const r = await c.request(API.ApiVersions, 3, Buffer.from([0]));
    expect(r.int16()).toBe(ERR.UNSUPPORTED_VERSION);
    const keys = r.array((x) => [x.int16(), x.int16(), x.int16()]);
    r.end('ApiVersions v0');
    expect(keys).toContainEqual([API.Produce, 3, 3]);
    expect(keys).toHaveLength(Object.keys(VERSIONS).length);
    c.close();
  });
});

describe('random input', () => {
  const keys = Object.keys(VERSIONS).map(Number);
  const request = (k: number, v: number, body: Uint8Array) => {
    const inner = new Writer().int16(k).int16(v).int32(9).string('fuzz').raw(body).done();
    return new Writer().int32(inner.length).raw(inner).done();
  };
  /** A valid Produce v3 request with a few bytes of its body overwritten. */
  const mutatedProduce = fc
    .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
    .map((edits) => {
      const body = Buffer.from(produceBody('w', batch('mutant')).done());
      for (const [at, v] of edits) body[at % body.length] = v;
      return request(API.Produce, 3, body);
    });
  const frame = fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((b) => new Writer().int32(b.length).raw(b).done()),
    fc
      .tuple(
        fc.constantFrom(...keys),
        fc.boolean(),
        fc.integer({ min: -1, max: 5 }),
        fc.uint8Array({ maxLength: 96 }),
      )
      .map(([k, advertised, v, body]) =>
        request(k, advertised ? VERSIONS[k as keyof typeof VERSIONS][1] : v, body),
      ),
    mutatedProduce,
    fc.uint8Array({ minLength: 1, maxLength: 32 }),
  );

  it('never brings the broker down, and stores only valid batches', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 4 }), async (frames) => {
        const c = await RawClient.open(broker.port);
        for (const f of frames) c.write(f);
        // An ApiVersions request after the junk: answered, or the connection was closed
        // (ending our side, so that a frame left incomplete by the junk cannot wait forever).
        c.send(API.ApiVersions, 0, new Uint8Array(0));
        c.end();
        for (;;) {
          const res = await c.response();
          if (res === 'closed' || res.correlationId === c.lastCorrelationId) break;
        }
        c.close();
      }),
      { numRuns: 150 },
    );
    for (const t of broker.topics())
      for (const b of broker.readRaw(t).batches) expect(crc32c(b.bytes.subarray(21))).toBe(b.crc);
    const k = kafka(broker.brokers);
    const p = await producer(k);
    await p.send({ topic: 'after-fuzz', messages: [{ value: 'still up' }] });
    await p.disconnect();
    expect(stored('after-fuzz')).toEqual(['still up']);
  });
});
