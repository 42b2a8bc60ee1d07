/**
 * The encodings under the broker: CRC-32C against known values and against
 * kafkajs's own implementation, zigzag varints, the primitive readers'
 * guards, and RecordBatch v2 validation (every bit of the CRC-covered region
 * counts; the broker-assigned fields do not).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MalformedFrame, Reader, Writer } from '../../src/kafka-broker/codec.js';
import { crc32c, encodeRecordBatch, ERR, type RecordInput } from '../../src/kafka-broker/index.js';
import { BatchRejected, parseProducedBatch } from '../../src/kafka-broker/record-batch.js';
import { kafkajsCrc32c } from './clients.js';

const ascii = (s: string) => Buffer.from(s, 'latin1');
const MAX = 1 << 20;

describe('crc32c', () => {
  it('matches the published check values', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    // RFC 3720 §B.4: 32 bytes of zeros, of ones, ascending, descending.
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('agrees with kafkajs on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => {
        expect(crc32c(b)).toBe(kafkajsCrc32c(Buffer.from(b)));
      }),
    );
  });
});

describe('varint and varlong (zigzag)', () => {
  it('encode known values', () => {
    const hex = (f: (w: Writer) => Writer) => f(new Writer()).done().toString('hex');
    expect(hex((w) => w.varint(0))).toBe('00');
    expect(hex((w) => w.varint(-1))).toBe('01');
    expect(hex((w) => w.varint(1))).toBe('02');
    expect(hex((w) => w.varint(-64))).toBe('7f');
    expect(hex((w) => w.varint(64))).toBe('8001');
    expect(hex((w) => w.varint(300))).toBe('d804');
    expect(hex((w) => w.varint(2147483647))).toBe('feffffff0f');
    expect(hex((w) => w.varint(-2147483648))).toBe('ffffffff0f');
    expect(hex((w) => w.varlong(-1))).toBe('01');
    expect(hex((w) => w.varlong(2 ** 40))).toBe('808080808040');
  });

  it('round-trip', () => {
    fc.assert(
      fc.property(fc.integer(), fc.maxSafeInteger(), (i, l) => {
        const r = new Reader(new Writer().varint(i).varlong(l).done());
        expect(r.varint()).toBe(i);
        expect(r.varlong()).toBe(l);
        r.end('varints');
      }),
    );
  });
});

describe('Reader guards', () => {
  const reading = (hex: string, f: (r: Reader) => unknown) => () =>
    f(new Reader(Buffer.from(hex, 'hex')));
  it('refuse reads past the end, impossible lengths and leftovers', () => {
    expect(reading('00', (r) => r.int16())).toThrow(MalformedFrame);
    expect(reading('0005616263', (r) => r.string())).toThrow(/needs 5 bytes, 3 left/);
    expect(reading('fffe', (r) => r.nullableString())).toThrow(MalformedFrame);
    expect(reading('ffff', (r) => r.string())).toThrow(/null/);
    expect(reading('7fffffff', (r) => r.array((x) => x.int8()))).toThrow(/count/);
    expect(reading('fffffffe', (r) => r.nullableBytes())).toThrow(MalformedFrame);
    expect(reading('ffffffffffffffffff', (r) => r.varint())).toThrow(/VARINT/);
    expect(reading('0001', (r) => (r.int8(), r.end('x')))).toThrow(/1 bytes after/);
    expect(reading('7fffffffffffffff', (r) => r.int64())).toThrow(/safe integer/);
  });
  it('read nulls as null', () => {
    expect(new Reader(Buffer.from('ffff', 'hex')).nullableString()).toBeNull();
    expect(new Reader(Buffer.from('ffffffff', 'hex')).nullableBytes()).toBeNull();
    expect(new Reader(Buffer.from('ffffffff', 'hex')).nullableArray((r) => r.int8())).toBeNull();
  });
});

const bytesOrNull = fc.option(fc.uint8Array({ maxLength: 64 }), { nil: null });
const record: fc.Arbitrary<RecordInput> = fc.record({
  key: bytesOrNull,
  value: bytesOrNull,
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: bytesOrNull }), {
    maxLength: 3,
  }),
  timestamp: fc.integer({ min: 0, max: 2 ** 42 }),
});

function rejection(f: () => unknown): number | 'accepted' {
  try {
    f();
    return 'accepted';
  } catch (e) {
    if (e instanceof BatchRejected) return e.errorCode;
    throw e;
  }
}

describe('RecordBatch v2', () => {
  it('parses what it encodes: keys, values, headers and timestamps', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 5 }), (records) => {
        const base = Math.min(...records.map((r) => r.timestamp!));
        const batch = parseProducedBatch(encodeRecordBatch(records, { baseTimestamp: base }), MAX);
        expect(batch.records.map((r) => r.offsetDelta)).toEqual(records.map((_, i) => i));
        batch.records.forEach((got, i) => {
          const want = records[i]!;
          expect(got.timestamp).toBe(want.timestamp);
          expect(got.key === null ? null : new Uint8Array(got.key)).toEqual(want.key);
          expect(got.value === null ? null : new Uint8Array(got.value)).toEqual(want.value);
          expect(got.headers.map((h) => [h.key, h.value && new Uint8Array(h.value)])).toEqual(
            want.headers!.map((h) => [h.key, h.value]),
          );
        });
      }),
    );
  });

  it('refuses any bit flipped in the CRC or what it covers; the base offset and epoch are not covered', () => {
    const good = encodeRecordBatch([
      { key: ascii('k'), value: ascii('value'), headers: [{ key: 'h', value: ascii('x') }] },
    ]);
    fc.assert(
      fc.property(fc.nat({ max: good.length * 8 - 1 }), (bit) => {
        const bad = Buffer.from(good);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        const at = bit >> 3;
        const outcome = rejection(() => parseProducedBatch(bad, MAX));
        if (at < 8 || (at >= 12 && at < 16)) expect(outcome).toBe('accepted');
        else expect(outcome).not.toBe('accepted');
        if (at >= 17) expect(outcome).toBe(ERR.CORRUPT_MESSAGE);
      }),
    );
  });

  it('refuses compression, transactions, other magics, two batches, sizes and bad counts with their codes', () => {
    const one = [{ value: ascii('v') }];
    const parse = (b: Buffer, max = MAX) => rejection(() => parseProducedBatch(b, max));
    expect(parse(encodeRecordBatch(one))).toBe('accepted');
    for (const codec of [1, 2, 3, 4])
      expect(parse(encodeRecordBatch(one, { attributes: codec }))).toBe(
        ERR.UNSUPPORTED_COMPRESSION_TYPE,
      );
    expect(parse(encodeRecordBatch(one, { attributes: 0x10 }))).toBe(ERR.INVALID_RECORD);
    expect(parse(encodeRecordBatch(one, { attributes: 0x20 }))).toBe(ERR.INVALID_RECORD);
    const magic1 = Buffer.from(encodeRecordBatch(one));
    magic1.writeInt8(1, 16);
    expect(parse(magic1)).toBe(ERR.INVALID_RECORD);
    expect(parse(Buffer.concat([encodeRecordBatch(one), encodeRecordBatch(one)]))).toBe(
      ERR.INVALID_RECORD,
    );
    const b = encodeRecordBatch(one);
    expect(parse(b, b.length - 1)).toBe(ERR.MESSAGE_TOO_LARGE);
    expect(parse(b.subarray(0, 40))).toBe(ERR.CORRUPT_MESSAGE);
    expect(parse(b.subarray(0, b.length - 1))).toBe(ERR.CORRUPT_MESSAGE);
  });
});
