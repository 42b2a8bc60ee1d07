/**
 * The in-memory log: one partition (0) per topic, batches kept as produced
 * with the broker's base offset written in (Kafka documentation, "Message
 * Format": baseOffset and partitionLeaderEpoch are not covered by the CRC).
 * The high watermark is the log end offset: there are no replicas to wait
 * for, so acks 1 and -1 mean the same. Idempotent producers are checked per
 * partition as Kafka's producer state does (KIP-98): sequence numbers must
 * follow on, a retried last batch is answered with its first offset and not
 * appended again.
 */
import { ERR } from './protocol.js';
import { assignBaseOffset, BatchRejected, type RecordBatch } from './record-batch.js';

export interface StoredBatch {
  readonly baseOffset: number;
  /** The batch as stored and as fetched: the produced bytes, base offset assigned. */
  readonly bytes: Buffer;
  readonly batch: RecordBatch;
}

interface ProducerState {
  epoch: number;
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
}

export class PartitionLog {
  readonly batches: StoredBatch[] = [];
  /** Log end offset = high watermark = last stable offset (no transactions). */
  endOffset = 0;
  private readonly producers = new Map<number, ProducerState>();

  /** Appends a validated batch; returns its base offset (a duplicate's original one). */
  append(batch: RecordBatch): number {
    const dup = this.checkSequence(batch);
    if (dup !== undefined) return dup;
    const baseOffset = this.endOffset;
    const bytes = batch.bytes; // a private copy made by parseProducedBatch
    assignBaseOffset(bytes, baseOffset);
    this.batches.push({ baseOffset, bytes, batch });
    this.endOffset += batch.records.length;
    if (batch.producerId >= 0)
      this.producers.set(batch.producerId, {
        epoch: batch.producerEpoch,
        firstSeq: batch.baseSequence,
        lastSeq: batch.baseSequence + batch.records.length - 1,
        baseOffset,
      });
    return baseOffset;
  }

  /** KIP-98 sequence rules; returns the base offset of a duplicate, else undefined. */
  private checkSequence(batch: RecordBatch): number | undefined {
    if (batch.producerId < 0) return undefined;
    const state = this.producers.get(batch.producerId);
    const fresh = state === undefined || batch.producerEpoch > state.epoch;
    if (state !== undefined && batch.producerEpoch < state.epoch)
      throw new BatchRejected(ERR.INVALID_PRODUCER_EPOCH, 'fenced producer epoch');
    if (fresh) {
      if (batch.baseSequence !== 0)
        throw new BatchRejected(ERR.OUT_OF_ORDER_SEQUENCE_NUMBER, 'first sequence is not 0');
      return undefined;
    }
    const lastSeq = batch.baseSequence + batch.records.length - 1;
    if (batch.baseSequence === state.firstSeq && lastSeq === state.lastSeq) return state.baseOffset;
    if (batch.baseSequence !== state.lastSeq + 1)
      throw new BatchRejected(ERR.OUT_OF_ORDER_SEQUENCE_NUMBER, 'sequence gap');
    return undefined;
  }

  /**
   * The batches from the one holding `offset` on, within `maxBytes`; the
   * first batch is returned even when larger if `atLeastOne` (KIP-74, Fetch
   * v3+: the first batch of the first non-empty partition always comes back).
   */
  read(offset: number, maxBytes: number, atLeastOne: boolean): Buffer[] {
    const out: Buffer[] = [];
    let size = 0;
    for (let i = this.indexOf(offset); i < this.batches.length; i++) {
      const b = this.batches[i]!.bytes;
      if (size + b.length > maxBytes && !(atLeastOne && out.length === 0)) break;
      out.push(b);
      size += b.length;
    }
    return out;
  }

  /** Index of the batch holding `offset` (binary search on base offsets). */
  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const b = this.batches[mid]!;
      if (b.baseOffset + b.batch.records.length <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** ListOffsets by time: the first offset whose timestamp is >= `ts`, with it; else null. */
  offsetForTimestamp(ts: number): { offset: number; timestamp: number } | null {
    for (const b of this.batches) {
      if (b.batch.maxTimestamp < ts) continue;
      for (const r of b.batch.records)
        if (r.timestamp >= ts)
          return { offset: b.baseOffset + r.offsetDelta, timestamp: r.timestamp };
    }
    return null;
  }
}

/** The topics, and the wake-ups of long-polling fetches. */
export class TopicStore {
  private readonly topics = new Map<string, PartitionLog>();
  private readonly listeners = new Set<() => void>();

  get(name: string): PartitionLog | undefined {
    return this.topics.get(name);
  }
  names(): string[] {
    return [...this.topics.keys()];
  }
  /** Creates the topic; false when it exists. */
  create(name: string): boolean {
    if (this.topics.has(name)) return false;
    this.topics.set(name, new PartitionLog());
    return true;
  }
  delete(name: string): boolean {
    const had = this.topics.delete(name);
    if (had) this.notify();
    return had;
  }

  /** Calls `listener` after every append or deletion until the returned function is called. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  notify(): void {
    for (const l of [...this.listeners]) l();
  }
}
