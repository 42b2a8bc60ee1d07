/**
 * RecordBatch v2 (magic 2), the only record format this broker stores:
 * Kafka documentation, "Message Format" (Record Batch, Record, Record
 * Header). A produced record set is validated before it is appended: one
 * batch, magic 2, the CRC-32C from `attributes` to the end, no compression,
 * not transactional, offsets deltas 0..n-1, every record parsed to its last
 * byte. Failures carry the protocol error code of the partition response
 * (Kafka protocol guide, "Error Codes").
 *
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 |
 *   magic int8 | crc uint32 | attributes int16 | lastOffsetDelta int32 |
 *   baseTimestamp int64 | maxTimestamp int64 | producerId int64 |
 *   producerEpoch int16 | baseSequence int32 | records [Record] (INT32 count)
 */
import { MalformedFrame, Reader, Writer } from './codec.js';
import { crc32c } from './crc32c.js';
import { ERR } from './protocol.js';

/** Bytes of a batch up to and including the record count. */
export const BATCH_OVERHEAD = 61;
/** Offset of the CRC field; the CRC covers everything after it (from attributes). */
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;
const COMPRESSION_MASK = 0x07;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

export interface BatchRecord {
  readonly offsetDelta: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

export interface RecordBatch {
  /** The whole batch as produced (a copy), baseOffset and leader epoch not yet set. */
  readonly bytes: Buffer;
  readonly crc: number;
  readonly attributes: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly records: readonly BatchRecord[];
}

/** A record set refused with a partition error code. */
export class BatchRejected extends Error {
  override readonly name = 'BatchRejected';
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Validates the record set of one partition of a Produce request (v3+: exactly
 * one RecordBatch v2) and returns it parsed.
 */
export function parseProducedBatch(set: Buffer, maxBatchBytes: number): RecordBatch {
  if (set.length > maxBatchBytes)
    throw new BatchRejected(ERR.MESSAGE_TOO_LARGE, `batch of ${set.length} bytes`);
  if (set.length < BATCH_OVERHEAD)
    throw new BatchRejected(ERR.CORRUPT_MESSAGE, `record set of ${set.length} bytes`);
  const batchLength = set.readInt32BE(8);
  if (batchLength + 12 !== set.length)
    // Kafka protocol guide, Produce v3+: one record batch per partition.
    throw new BatchRejected(
      batchLength + 12 < set.length && batchLength >= BATCH_OVERHEAD - 12
        ? ERR.INVALID_RECORD
        : ERR.CORRUPT_MESSAGE,
      `batchLength ${batchLength} does not span the ${set.length}-byte record set`,
    );
  const magic = set.readInt8(16);
  if (magic !== 2) throw new BatchRejected(ERR.INVALID_RECORD, `magic ${magic}, expected 2`);
  const crc = set.readUInt32BE(CRC_AT);
  if (crc32c(set.subarray(ATTRIBUTES_AT)) !== crc)
    throw new BatchRejected(ERR.CORRUPT_MESSAGE, 'CRC-32C mismatch');
  const attributes = set.readInt16BE(ATTRIBUTES_AT);
  if ((attributes & COMPRESSION_MASK) !== 0)
    throw new BatchRejected(ERR.UNSUPPORTED_COMPRESSION_TYPE, 'compressed batches');
  if ((attributes & (TRANSACTIONAL | CONTROL)) !== 0)
    throw new BatchRejected(ERR.INVALID_RECORD, 'transactional or control batch');
  try {
    return readBatch(Buffer.from(set), crc, attributes);
  } catch (e) {
    if (e instanceof MalformedFrame) throw new BatchRejected(ERR.CORRUPT_MESSAGE, e.message);
    throw e;
  }
}

function readBatch(bytes: Buffer, crc: number, attributes: number): RecordBatch {
  const r = new Reader(bytes.subarray(ATTRIBUTES_AT + 2));
  const lastOffsetDelta = r.int32();
  const baseTimestamp = r.int64();
  const maxTimestamp = r.int64();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const baseSequence = r.int32();
  const count = r.int32();
  if (count < 1 || count !== lastOffsetDelta + 1)
    throw new BatchRejected(
      ERR.INVALID_RECORD,
      `${count} records, lastOffsetDelta ${lastOffsetDelta}`,
    );
  const records: BatchRecord[] = [];
  for (let i = 0; i < count; i++) {
    const record = readRecord(r, baseTimestamp);
    if (record.offsetDelta !== i)
      throw new BatchRejected(
        ERR.INVALID_RECORD,
        `record ${i} has offsetDelta ${record.offsetDelta}`,
      );
    records.push(record);
  }
  r.end('RecordBatch');
  return {
    bytes,
    crc,
    attributes,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    records,
  };
}

/** Record: length varint, then attributes .. headers, exactly `length` bytes. */
function readRecord(outer: Reader, baseTimestamp: number): BatchRecord {
  const length = outer.varint();
  const r = new Reader(outer.raw(length));
  r.int8(); // attributes: unused in v2
  const timestamp = baseTimestamp + r.varlong();
  const offsetDelta = r.varint();
  const key = varBytes(r);
  const value = varBytes(r);
  const n = r.varint();
  if (n < 0 || n > r.remaining) throw new MalformedFrame(`header count ${n}`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < n; i++) {
    const k = varBytes(r);
    if (k === null) throw new MalformedFrame('null header key');
    headers.push({ key: k.toString('utf8'), value: varBytes(r) });
  }
  r.end('Record');
  return { offsetDelta, timestamp, key, value, headers };
}

function varBytes(r: Reader): Buffer | null {
  const n = r.varint();
  return n === -1 ? null : r.raw(n);
}

/** Sets the broker-assigned fields (not covered by the CRC) in a stored batch. */
export function assignBaseOffset(bytes: Buffer, baseOffset: number): void {
  bytes.writeBigInt64BE(BigInt(baseOffset), 0);
  bytes.writeInt32BE(0, 12); // partitionLeaderEpoch: this broker is leader epoch 0
}

export interface RecordInput {
  key?: Uint8Array | null;
  value?: Uint8Array | null;
  headers?: ReadonlyArray<{ key: string; value: Uint8Array | null }>;
  timestamp?: number;
}

export interface BatchOptions {
  baseTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  attributes?: number;
}

/**
 * Encodes records as one RecordBatch v2 with its CRC-32C (for tests that
 * speak the protocol without a client, e.g. to send a corrupted batch).
 */
export function encodeRecordBatch(
  records: readonly RecordInput[],
  options: BatchOptions = {},
): Buffer {
  const base = options.baseTimestamp ?? Date.now();
  const body = new Writer()
    .int16(options.attributes ?? 0)
    .int32(records.length - 1)
    .int64(base)
    .int64(Math.max(base, ...records.map((x) => x.timestamp ?? base)))
    .int64(options.producerId ?? -1)
    .int16(options.producerEpoch ?? -1)
    .int32(options.baseSequence ?? -1)
    .int32(records.length);
  records.forEach((x, i) => body.raw(encodeRecord(x, i, base)));
  const tail = body.done();
  return new Writer()
    .int64(0)
    .int32(tail.length + 9)
    .int32(-1)
    .int8(2)
    .int32(crc32c(tail) | 0)
    .raw(tail)
    .done();
}

function encodeRecord(x: RecordInput, offsetDelta: number, base: number): Buffer {
  const w = new Writer()
    .int8(0)
    .varlong((x.timestamp ?? base) - base)
    .varint(offsetDelta);
  writeVarBytes(w, x.key ?? null);
  writeVarBytes(w, x.value ?? null);
  const headers = x.headers ?? [];
  w.varint(headers.length);
  for (const h of headers) {
    writeVarBytes(w, Buffer.from(h.key, 'utf8'));
    writeVarBytes(w, h.value);
  }
  const rec = w.done();
  return new Writer().varint(rec.length).raw(rec).done();
}

function writeVarBytes(w: Writer, b: Uint8Array | null): void {
  if (b === null) w.varint(-1);
  else w.varint(b.length).raw(b);
}
