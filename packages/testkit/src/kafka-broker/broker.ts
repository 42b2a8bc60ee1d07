/**
 * `startKafkaTestBroker`: a single-node, in-memory Kafka broker speaking the
 * wire protocol (Kafka protocol guide) over TCP, for tests only: real kafkajs
 * clients produce, consume and run consumer groups against it, and tests read
 * what it stored, byte for byte, to check that only ciphertext reached the
 * broker. See README.md in this folder for what it implements and what not.
 */
import { createServer, type Socket } from 'node:net';
import { Connection } from './connection.js';
import { DEFAULTS, type BrokerState, type KafkaTestBrokerOptions } from './context.js';
import { GroupCoordinator } from './groups.js';
import { TopicStore } from './log.js';

export interface RawHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

/** A stored record, as the producer sent it, with the offset the broker gave it. */
export interface RawRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly RawHeader[];
}

/** A stored RecordBatch v2: the produced bytes with the broker's base offset (bytes 0-7). */
export interface RawBatch {
  readonly baseOffset: number;
  readonly bytes: Uint8Array;
  readonly crc: number;
  readonly attributes: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

export interface GroupView {
  readonly state: string;
  readonly generationId: number;
  readonly leaderId: string | null;
  readonly protocol: string | null;
  readonly memberIds: readonly string[];
}

export interface KafkaTestBroker {
  /** `['host:port']`, for `new Kafka({ brokers })`. */
  readonly brokers: string[];
  readonly host: string;
  readonly port: number;
  /** Topic names, in creation order. */
  topics(): string[];
  /** Copies of the stored batches and records of `topic`; throws when it does not exist. */
  readRaw(topic: string): { batches: RawBatch[]; records: RawRecord[] };
  /** The committed offset of `groupId` on partition 0 of `topic`, or undefined. */
  committedOffset(groupId: string, topic: string): number | undefined;
  /** The coordinator's view of a group, or undefined when it never existed. */
  group(groupId: string): GroupView | undefined;
  /** Closes every connection and the listener; the state is dropped. */
  close(): Promise<void>;
}

const copy = (b: Uint8Array | null): Uint8Array | null => (b === null ? null : Uint8Array.from(b));

export async function startKafkaTestBroker(
  options: KafkaTestBrokerOptions = {},
): Promise<KafkaTestBroker> {
  const opts = { ...DEFAULTS, ...options };
  const state: BrokerState = {
    store: new TopicStore(),
    groups: new GroupCoordinator(opts),
    options: opts,
    port: opts.port,
    nextProducerId: 1000,
    closed: false,
  };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    new Connection(socket, state);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  state.port = typeof address === 'object' && address !== null ? address.port : opts.port;
  return {
    brokers: [`${opts.host}:${state.port}`],
    host: opts.host,
    port: state.port,
    topics: () => state.store.names(),
    readRaw: (topic) => readRaw(state, topic),
    committedOffset: (groupId, topic) =>
      state.groups.get(groupId)?.offsets.get(topic)?.get(0)?.offset,
    group: (groupId) => {
      const g = state.groups.get(groupId);
      if (g === undefined) return undefined;
      const { state: s, generationId, leaderId, protocol } = g;
      return { state: s, generationId, leaderId, protocol, memberIds: [...g.members.keys()] };
    },
    close: async () => {
      if (state.closed) return;
      state.closed = true;
      state.store.notify();
      state.groups.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readRaw(state: BrokerState, topic: string): { batches: RawBatch[]; records: RawRecord[] } {
  const log = state.store.get(topic);
  if (log === undefined) throw new Error(`no topic '${topic}' on the test broker`);
  const batches: RawBatch[] = [];
  const records: RawRecord[] = [];
  for (const { baseOffset, bytes, batch } of log.batches) {
    const { crc, attributes, producerId, producerEpoch, baseSequence } = batch;
    batches.push({
      baseOffset,
      bytes: Uint8Array.from(bytes),
      crc,
      attributes,
      producerId,
      producerEpoch,
      baseSequence,
    });
    for (const r of batch.records)
      records.push({
        offset: baseOffset + r.offsetDelta,
        timestamp: r.timestamp,
        key: copy(r.key),
        value: copy(r.value),
        headers: r.headers.map((h) => ({ key: h.key, value: copy(h.value) })),
      });
  }
  return { batches, records };
}
