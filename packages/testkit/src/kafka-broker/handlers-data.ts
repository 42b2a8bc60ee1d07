/**
 * The data path: Produce v3, Fetch v4 and ListOffsets v1 (Kafka protocol
 * guide, "The Messages": Produce API (Key: 0), Fetch API (Key: 1),
 * ListOffsets API (Key: 2)). One partition, 0, per topic.
 */
import { Writer, type Reader } from './codec.js';
import { CLOSE, type BrokerState, type Handler, type RequestContext } from './context.js';
import { type PartitionLog } from './log.js';
import { ERR } from './protocol.js';
import { BatchRejected, parseProducedBatch } from './record-batch.js';

interface Produced {
  partition: number;
  errorCode: number;
  baseOffset: number;
}

/**
 * Produce v3: transactional_id acks timeout_ms [topic_data: name
 * [partition_data: index records]]. acks 0: no response (and the
 * connection is closed when a partition failed, as Kafka does, since the
 * client would otherwise never learn of it); acks 1 and -1: answered once
 * appended (there are no followers). Response v3: [responses: name
 * [partition_responses: index error_code base_offset log_append_time_ms]]
 * throttle_time_ms.
 */
export const produce: Handler = (r, ctx) => {
  r.nullableString(); // transactional_id: transactional batches are refused below
  const acks = r.int16();
  r.int32(); // timeout_ms: appends are immediate
  const topics = r.array((t) => ({
    name: t.string(),
    partitions: t.array((p) => ({ index: p.int32(), records: p.nullableBytes() })),
  }));
  r.end('Produce');
  const validAcks = acks === 0 || acks === 1 || acks === -1;
  let appended = false;
  const results = topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p): Produced => {
      if (!validAcks)
        return { partition: p.index, errorCode: ERR.INVALID_REQUIRED_ACKS, baseOffset: -1 };
      const out = append(ctx.state, t.name, p.index, p.records);
      appended ||= out.errorCode === ERR.NONE;
      return out;
    }),
  }));
  if (appended) ctx.state.store.notify();
  if (acks === 0)
    return results.some((t) => t.partitions.some((p) => p.errorCode !== ERR.NONE)) ? CLOSE : null;
  return new Writer()
    .array(results, (w, t) =>
      w
        .string(t.name)
        .array(t.partitions, (w2, p) =>
          w2.int32(p.partition).int16(p.errorCode).int64(p.baseOffset).int64(-1),
        ),
    )
    .int32(0);
};

function append(
  state: BrokerState,
  topic: string,
  partition: number,
  records: Buffer | null,
): Produced {
  const log = state.store.get(topic);
  if (log === undefined || partition !== 0)
    return { partition, errorCode: ERR.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1 };
  try {
    const batch = parseProducedBatch(records ?? Buffer.alloc(0), state.options.maxBatchBytes);
    return { partition, errorCode: ERR.NONE, baseOffset: log.append(batch) };
  } catch (e) {
    if (e instanceof BatchRejected) return { partition, errorCode: e.errorCode, baseOffset: -1 };
    throw e;
  }
}

interface FetchPartition {
  partition: number;
  fetchOffset: number;
  maxBytes: number;
}

interface Fetched {
  partition: number;
  errorCode: number;
  highWatermark: number;
  records: Buffer[];
}

/**
 * Fetch v4: replica_id max_wait_ms min_bytes max_bytes isolation_level
 * [topics: topic [partitions: partition fetch_offset partition_max_bytes]].
 * The response waits until `min_bytes` are available or `max_wait_ms` has
 * passed (long poll, woken by appends, never a busy loop); `max_bytes` and
 * `partition_max_bytes` bound it, except that the first batch of the first
 * non-empty partition always comes back (KIP-74). The batches are returned
 * as stored. Response v4: throttle_time_ms [responses: topic [partitions:
 * partition error_code high_watermark last_stable_offset
 * [aborted_transactions] records]].
 */
export const fetch: Handler = async (r, ctx) => {
  r.int32(); // replica_id: consumers send -1
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = r.int32();
  r.int8(); // isolation_level: there are no transactions, so both levels read the same
  const topics = r.array((t) => ({
    name: t.string(),
    partitions: t.array((p): FetchPartition => ({
      partition: p.int32(),
      fetchOffset: p.int64(),
      maxBytes: p.int32(),
    })),
  }));
  r.end('Fetch');
  const deadline = Date.now() + Math.max(0, maxWaitMs);
  let result = collect(ctx.state, topics, maxBytes);
  while (result.size < minBytes && !ctx.state.closed && !ctx.signal.aborted) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    await nextAppend(ctx, left);
    result = collect(ctx.state, topics, maxBytes);
  }
  return new Writer().int32(0).array(result.topics, (w, t) =>
    w.string(t.name).array(t.partitions, (w2, p) =>
      w2
        .int32(p.partition)
        .int16(p.errorCode)
        .int64(p.highWatermark)
        .int64(p.highWatermark)
        .array([], () => undefined)
        .bytes(Buffer.concat(p.records)),
    ),
  );
};

function collect(
  state: BrokerState,
  topics: { name: string; partitions: FetchPartition[] }[],
  maxBytes: number,
): { size: number; topics: { name: string; partitions: Fetched[] }[] } {
  let size = 0;
  const out = topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p): Fetched => {
      const log = state.store.get(t.name);
      if (log === undefined || p.partition !== 0)
        return {
          partition: p.partition,
          errorCode: ERR.UNKNOWN_TOPIC_OR_PARTITION,
          highWatermark: -1,
          records: [],
        };
      const errorCode = outOfRange(log, p.fetchOffset) ? ERR.OFFSET_OUT_OF_RANGE : ERR.NONE;
      const budget = Math.min(p.maxBytes, maxBytes - size);
      const records = errorCode === ERR.NONE ? log.read(p.fetchOffset, budget, size === 0) : [];
      for (const b of records) size += b.length;
      return { partition: p.partition, errorCode, highWatermark: log.endOffset, records };
    }),
  }));
  return { size, topics: out };
}

function outOfRange(log: PartitionLog, offset: number): boolean {
  return offset < 0 || offset > log.endOffset;
}

/** Resolves at the next append or deletion, after `ms`, or when the connection or broker closes. */
function nextAppend(ctx: RequestContext, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      ctx.signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const unsubscribe = ctx.state.store.subscribe(done);
    ctx.signal.addEventListener('abort', done);
  });
}

/**
 * ListOffsets v1: replica_id [topics: name [partitions: partition_index
 * timestamp]]; timestamp -1 is the latest offset (the high watermark), -2
 * the earliest (0: nothing is ever deleted), else the first offset whose
 * record timestamp is at or after it. Response v1: [topics: name
 * [partitions: partition_index error_code timestamp offset]].
 */
export const listOffsets: Handler = (r: Reader, ctx) => {
  r.int32(); // replica_id
  const topics = r.array((t) => ({
    name: t.string(),
    partitions: t.array((p) => ({ partition: p.int32(), timestamp: p.int64() })),
  }));
  r.end('ListOffsets');
  return new Writer().array(topics, (w, t) =>
    w.string(t.name).array(t.partitions, (w2, p) => {
      const log = ctx.state.store.get(t.name);
      if (log === undefined || p.partition !== 0)
        return void w2.int32(p.partition).int16(ERR.UNKNOWN_TOPIC_OR_PARTITION).int64(-1).int64(-1);
      const found =
        p.timestamp === -1
          ? { offset: log.endOffset, timestamp: -1 }
          : p.timestamp === -2
            ? { offset: 0, timestamp: -1 }
            : (log.offsetForTimestamp(p.timestamp) ?? { offset: -1, timestamp: -1 });
      w2.int32(p.partition).int16(ERR.NONE).int64(found.timestamp).int64(found.offset);
    }),
  );
};
