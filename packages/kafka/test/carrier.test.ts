/**
 * The Kafka carrier (SPEC.md §11c) and the record size: hints only,
 * case-insensitive and Buffer/string/array tolerant reads, reserved names
 * refused, dead-letter headers; the exact one-record batch size checked
 * against KafkaJS's own record batch encoder (an independent implementation
 * of the wire format) by fast-check.
 */
import { createRequire } from 'node:module';
import { CarrierHeader, MediaType } from '@blindwire/core';
import { expectCode } from '@blindwire/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clearRecordHints, userHeaders } from '../src/carrier.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  SOURCE_ID_HEADER,
  deadLetterHeaders,
  readHeader,
  recordBatchBytes,
  setRecordHints,
  sourceId,
  valueBytes,
  type KafkaHeaders,
} from '../src/index.js';
import { varintBytes } from '../src/record-size.js';

const require = createRequire(import.meta.url);
type Encoded = { buffer: Buffer };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (o: Record<string, unknown>) => Promise<Encoded>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
  o: Record<string, unknown>,
) => Encoded;

const id = 'ab'.repeat(16);
const envelopeStart = new Uint8Array([0x42, 0x57, 0x01, 0x01, 9, 9]); // "BW", v1, message

describe('Kafka carrier', () => {
  it('sets the media type and message id hints once, in place, whatever case was there', () => {
    const h: KafkaHeaders = { traceparent: 't', 'BW-Message-Id': 'old', 'bw-CONTENT-type': 'x' };
    expect(setRecordHints(h, id)).toBe(h);
    expect(h).toEqual({
      traceparent: 't',
      [CarrierHeader.ContentType]: MediaType.Envelope,
      [CarrierHeader.MessageId]: id,
    });
    clearRecordHints(h);
    expect(h).toEqual({ traceparent: 't' });
  });

  it('reads a header case-insensitively: string, Buffer, or the first of an array', () => {
    const h: KafkaHeaders = { 'Bw-Reason': Buffer.from('ERR_EXPIRED'), a: ['x', 'y'], b: 'z' };
    expect(readHeader(h, 'bw-reason')).toBe('ERR_EXPIRED');
    expect(readHeader(h, 'A')).toBe('x');
    expect(readHeader(h, 'b')).toBe('z');
    expect(readHeader(h, 'missing')).toBeUndefined();
    expect(readHeader(undefined, 'a')).toBeUndefined();
    expect(readHeader(null, 'a')).toBeUndefined();
  });

  it('refuses reserved bw-* names and non-string values among the sender headers', async () => {
    expect(userHeaders({ traceparent: 'x', tags: ['a', Buffer.from('b')] })).toEqual({
      traceparent: 'x',
      tags: ['a', Buffer.from('b')],
    });
    await expectCode(() => userHeaders({ 'Bw-Reason': 'x' }), 'ERR_INVALID_ARGUMENT', /reserved/);
    await expectCode(() => userHeaders({ n: 1 as never }), 'ERR_INVALID_ARGUMENT', /headers\.n/);
    expect(userHeaders(undefined)).toEqual({});
  });

  it('dead-letter headers: media type only when the bytes start like an envelope; source id', () => {
    const source = { topic: 'orders.created', partition: 3, offset: '42' };
    expect(deadLetterHeaders(envelopeStart, 'ERR_EXPIRED', id, source)).toEqual({
      [CarrierHeader.ContentType]: MediaType.Envelope,
      [CarrierHeader.Reason]: 'ERR_EXPIRED',
      [CarrierHeader.MessageId]: id,
      [SOURCE_ID_HEADER]: 'orders.created/3/42',
    });
    expect(
      deadLetterHeaders(new Uint8Array([1, 2]), 'ERR_ENVELOPE_MALFORMED', undefined, source),
    ).toEqual({
      [CarrierHeader.Reason]: 'ERR_ENVELOPE_MALFORMED',
      [SOURCE_ID_HEADER]: 'orders.created/3/42',
    });
    expect(sourceId(source).split('/')).toEqual(['orders.created', '3', '42']);
  });

  it('reads values as bytes without copying; a tombstone is empty', async () => {
    const b = Buffer.from([1, 2, 3]);
    expect(valueBytes(b)).toBe(b);
    expect([...valueBytes('hé')]).toEqual([...Buffer.from('hé')]);
    expect(valueBytes(null).length).toBe(0);
    await expectCode(() => valueBytes(7 as never), 'ERR_INVALID_ARGUMENT');
  });
});

describe('the size of a one-record batch', () => {
  it('zigzag varints: boundaries', () => {
    expect([0, -1, 63, -64, 64, -65, 8191, 8192, 2 ** 20].map(varintBytes)).toEqual([
      1, 1, 1, 1, 2, 2, 2, 3, 4,
    ]);
  });

  it('the default limit is Kafka message.max.bytes default, 1 MiB plus the log overhead', () => {
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(1024 * 1024 + 12);
  });

  const name = fc.string({ minLength: 1, maxLength: 40 });
  const value = fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }));
  const headers = fc.dictionary(name, fc.oneof(value, fc.array(value, { maxLength: 3 })), {
    maxKeys: 5,
  });
  const buf = (v: string | Uint8Array) => (typeof v === 'string' ? v : Buffer.from(v));
  const asKafka = (h: Record<string, string | Uint8Array | (string | Uint8Array)[]>) =>
    Object.fromEntries(
      Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.map(buf) : buf(v)]),
    ) as KafkaHeaders;

  it('equals what KafkaJS encodes, for any key, value length and headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(value, { nil: null }),
        fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 8000, max: 70_000 })),
        headers,
        async (key, valueLength, h) => {
          const kafkaHeaders = asKafka(h);
          const record = Record({
            key: key === null ? null : buf(key),
            value: Buffer.alloc(valueLength),
            headers: kafkaHeaders,
          });
          const batch = await RecordBatch({ records: [record] });
          expect(recordBatchBytes(key, valueLength, kafkaHeaders)).toBe(batch.buffer.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
