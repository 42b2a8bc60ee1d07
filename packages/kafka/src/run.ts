/**
 * `run({ eachMessage })` (SPEC.md §7b): the caller's consumer runs with
 * `autoCommit: false` and the binding's own `eachMessage`, which takes each
 * record through core's consumer pipeline and settles it before it returns:
 *
 * - ack (delivered and committed, or a duplicate) -> the offset is marked;
 * - retry (transient) -> waits the backoff in process, heart-beating, and
 *   tries again with the next attempt; at `maxAttempts` core answers
 *   dead-letter (Kafka has no per-record redelivery);
 * - in-flight (another consumer holds the reservation) -> waits and tries
 *   again without spending an attempt; never dead-lettered; bounded by the
 *   reservation's lease, which is not renewed;
 * - dead-letter -> the unchanged copy to the dead-letter topic, acknowledged,
 *   then the offset committed before `eachMessage` returns (a rebalance
 *   right after it must not hand the record to a member that copies it
 *   again); a failed write is tried again after a pause.
 *
 * Marked offsets are committed (offset + 1) by `commits.ts`, so an offset is
 * committed only after the handler's success and the reservation's commit,
 * or after the acknowledged dead-letter write. Records of one partition
 * arrive one at a time, so a record that waits holds back only its own
 * partition, and never for ever. `stop()` ends the waits: a record left
 * unsettled is not committed, and the group redelivers it.
 */
import {
  BlindwireError,
  ErrorCode,
  isBlindwireError,
  type Delivered,
  type Disposition,
} from '@blindwire/core';
import { createCommits, type Commits } from './commits.js';
import { consumerFor, sendEvent, transportError, type Shared } from './common.js';
import { checkTopicName, deadLetterTopicOf, writeDeadLetter } from './dead-letter.js';
import { producerOf } from './send.js';
import type {
  KafkaClientRunConfig,
  KafkaClients,
  KafkaConsumerLike,
  KafkaDelivered,
  KafkaEachMessagePayload,
  KafkaRun,
  RunConfig,
  RunOptions,
  RunStats,
} from './types.js';
import { createWaits, type Waits } from './waits.js';

function bad(what: string): BlindwireError {
  return new BlindwireError(ErrorCode.InvalidArgument, what);
}

function positive(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw bad(`"${name}" expected a positive integer`);
  return v;
}

function consumerOf(c: KafkaConsumerLike | undefined): KafkaConsumerLike {
  for (const m of ['run', 'commitOffsets', 'stop'] as const)
    if (typeof c?.[m] !== 'function')
      throw bad(`"consumer" expected a connected, subscribed consumer with ${m}()`);
  return c!;
}

function checkRun(config: RunConfig, o: RunOptions): void {
  if (typeof config !== 'object' || config === null || typeof config.eachMessage !== 'function')
    throw bad('"config" expected { eachMessage }');
  if (typeof o !== 'object' || o === null) throw bad('"options" expected an object');
  const d = o.deadLetterTopic;
  if (typeof d === 'string') checkTopicName(d);
  else if (d !== undefined && typeof d !== 'function')
    throw bad('"deadLetterTopic" expected a topic name or a function of the topic');
}

const emptyStats = (): RunStats => ({
  received: 0,
  settled: 0,
  retried: 0,
  inFlightWaits: 0,
  deadLettered: 0,
  deadLetterFailed: 0,
  commits: 0,
  commitFailed: 0,
  unsettled: 0,
});

interface Context {
  s: Shared;
  o: RunOptions;
  waits: Waits;
  stats: RunStats;
  process: (p: KafkaEachMessagePayload, bytes: Uint8Array, attempt: number) => Promise<Disposition>;
  writeCopy: (topic: string, dl: Parameters<typeof writeDeadLetter>[3]) => Promise<void>;
  pauseMs: number;
}

/** How a record ended: settled by an ack or a dead-letter copy, or left unsettled (false). */
type Settled = 'ack' | 'dead-letter' | false;

/** Writes the dead-letter copy until acknowledged; false when the run stopped first. */
async function deadLetter(
  c: Context,
  p: KafkaEachMessagePayload,
  bytes: Uint8Array,
  d: Disposition,
): Promise<Settled> {
  const source = { topic: p.topic, partition: p.partition, offset: p.message.offset };
  const dl = { bytes, reason: d.reason ?? 'ERR_HANDLER', messageId: d.messageId, source };
  for (;;) {
    try {
      await c.writeCopy(dlTopic(c, p, bytes.length), { ...dl, key: p.message.key ?? null });
      c.stats.deadLettered++;
      return 'dead-letter';
    } catch {
      c.stats.deadLetterFailed++;
      if (!(await c.waits.sleep(c.pauseMs, p.heartbeat))) return false;
    }
  }
}

/**
 * The record's dead-letter topic. A `deadLetterTopic` function that names no
 * valid topic (or the consumed one) is reported by a failed dead-letter event
 * with its code each time: the record is never dropped, and its partition
 * waits visibly, not silently.
 */
function dlTopic(c: Context, p: KafkaEachMessagePayload, bytes: number): string {
  try {
    return deadLetterTopicOf(c.o, p.topic);
  } catch (e) {
    sendEvent(c.s, 'dead-letter', p.topic, c.s.now(), {
      outcome: 'failed',
      code: isBlindwireError(e) ? e.code : ErrorCode.InvalidArgument,
      partition: p.partition,
      offset: p.message.offset,
      bytes,
    });
    throw e;
  }
}

/** Takes one record to a settlement (its offset may then be committed), or leaves it unsettled. */
async function settle(c: Context, p: KafkaEachMessagePayload, bytes: Uint8Array): Promise<Settled> {
  let attempt = 1;
  for (;;) {
    let d: Disposition;
    try {
      d = await c.process(p, bytes, attempt);
    } catch {
      // A delivery the pipeline cannot take at all: dead-lettered, never dropped.
      d = { action: 'dead-letter', reason: ErrorCode.InvalidArgument };
    }
    if (d.action === 'ack') return 'ack';
    if (d.action === 'dead-letter') return deadLetter(c, p, bytes, d);
    if (d.action === 'retry') c.stats.retried++;
    else c.stats.inFlightWaits++;
    if (!(await c.waits.sleep(d.delayMs ?? c.pauseMs, p.heartbeat))) return false;
    if (d.action === 'retry') attempt++;
  }
}

/**
 * The binding's `eachMessage`: records the record's facts for the handler,
 * settles it, then marks its offset (a dead-lettered one waits for its
 * commit: a rebalance now would hand it to a member that copies it again).
 */
function eachMessageOf(
  c: Context,
  facts: WeakMap<Uint8Array, KafkaDelivered['kafka']>,
  commits: Commits,
  active: Set<Promise<Settled>>,
) {
  const { stats } = c;
  return async (p: KafkaEachMessagePayload): Promise<void> => {
    if (c.waits.stopped) return; // not settled: never committed by this run
    stats.received++;
    const m = p.message;
    const bytes: Uint8Array = m.value ?? new Uint8Array(0); // a tombstone is no envelope
    const { topic, partition } = p;
    const { offset, key, timestamp } = m;
    facts.set(bytes, { topic, partition, offset, key, timestamp, headers: m.headers ?? {} });
    const settled = settle(c, p, bytes);
    active.add(settled);
    try {
      const how = await settled;
      if (how === false) stats.unsettled++;
      else {
        stats.settled++;
        if (how === 'dead-letter') await commits.markAndWait(topic, partition, offset);
        else commits.mark(topic, partition, offset);
      }
    } catch (e) {
      stats.unsettled++;
      throw e; // the client's own heartbeat error (a rebalance): it rejoins and refetches
    } finally {
      active.delete(settled);
    }
  };
}

export async function run(
  s: Shared,
  clients: KafkaClients,
  config: RunConfig,
  o: RunOptions = {},
): Promise<KafkaRun> {
  checkRun(config, o);
  const consumer = consumerOf(clients.consumer);
  const producer = producerOf(clients.producer, 'dead-letter copies of run');
  const maxAttempts = positive(o.maxAttempts ?? s.o.retry?.maxAttempts ?? 5, 'maxAttempts');
  const waits = createWaits(positive(o.heartbeatMs ?? 1000, 'heartbeatMs'));
  const pcc = config.partitionsConsumedConcurrently;
  if (pcc !== undefined) positive(pcc, 'partitionsConsumedConcurrently');
  const facts = new WeakMap<Uint8Array, KafkaDelivered['kafka']>();
  const handler = config.eachMessage;
  const pipeline = consumerFor(
    s,
    o.policy,
    (d: Delivered) => handler(Object.assign(d, { kafka: facts.get(d.bytes)! })),
    { ...s.o.retry, maxAttempts },
    pcc,
  );
  const stats = emptyStats();
  const commits = createCommits(s, consumer, stats);
  const c: Context = {
    s,
    o,
    waits,
    stats,
    pauseMs: s.o.retry?.backoffMs ?? 1000,
    writeCopy: (topic, dl) => writeDeadLetter(s, producer, topic, dl),
    process: (p, bytes, attempt) =>
      pipeline.process({ bytes, destination: p.topic, attempt, receivedAt: s.now() }),
  };
  const active = new Set<Promise<Settled>>();
  const eachMessage = eachMessageOf(c, facts, commits, active);
  const runConfig: KafkaClientRunConfig = { eachMessage };
  if (o.setAutoCommit ?? true) runConfig.autoCommit = false;
  if (pcc !== undefined) runConfig.partitionsConsumedConcurrently = pcc;
  try {
    await consumer.run(runConfig);
  } catch (e) {
    throw transportError('consumer.run', e);
  }
  return {
    stats,
    async stop() {
      waits.stop();
      while (active.size > 0) await Promise.allSettled([...active]);
      await commits.flush();
      try {
        await consumer.stop();
      } catch (e) {
        throw transportError('consumer.stop', e);
      }
    },
  };
}
