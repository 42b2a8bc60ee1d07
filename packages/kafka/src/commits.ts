/**
 * Offset commits of a run (SPEC.md §7b: ack only after the commit of the
 * reservation or the acknowledged dead-letter write). A record settled at
 * offset n marks n + 1 for its partition (the next record to read, as Kafka
 * counts); one `commitOffsets` at a time carries the newest mark of every
 * partition, so a commit never precedes its settlement and never goes back
 * within a run. A failed commit keeps its marks (unless newer ones replaced
 * them) and is tried again after a pause, up to `MAX_FAILURES` in a row
 * (a consumer that crashed or left its group: its records are delivered
 * again to the next owner, a duplicate for the replay store); `flush()`
 * waits for the marks to be committed before the client's consumer stops.
 * `markAndWait` is for a dead-lettered record: its `eachMessage` returns
 * once the offset is committed (or the attempt failed), so that a rebalance
 * right after it does not hand the record to a member that would write a
 * second copy.
 */
import { sendEvent, type Shared } from './common.js';
import type { KafkaConsumerLike, RunStats } from './types.js';

interface Mark {
  topic: string;
  partition: number;
  next: bigint;
}

export interface Commits {
  /** The record at `offset` of `topic`/`partition` is settled. */
  mark(topic: string, partition: number, offset: string): void;
  /**
   * Marks it, and resolves once a commit covering it succeeded (true) or the
   * next attempt failed (false: the marks stay, retried in the background).
   */
  markAndWait(topic: string, partition: number, offset: string): Promise<boolean>;
  /** Resolves once every mark so far is committed, or after `attempts` failures in a row. */
  flush(attempts?: number): Promise<void>;
}

const RETRY_PAUSE_MS = 250;
/** Failed commits in a row before the marks are given up (about 10 s of pauses, plus the client's retries). */
export const MAX_FAILURES = 40;

interface Waiter {
  key: string;
  next: bigint;
  done: (committed: boolean) => void;
}

/** Who waits for a commit of `key` up to `next`: answered by each commit attempt. */
function createWaiters() {
  let waiters: Waiter[] = [];
  return {
    add: (w: Waiter) => void waiters.push(w),
    /** A committed batch answers those it covers; a failed attempt (undefined) answers all. */
    answer(batch: Mark[] | undefined) {
      const keep: Waiter[] = [];
      for (const w of waiters) {
        const m = batch?.find((x) => `${x.topic}/${x.partition}` === w.key);
        if (batch === undefined) w.done(false);
        else if (m !== undefined && m.next >= w.next) w.done(true);
        else keep.push(w);
      }
      waiters = keep;
    },
  };
}

export function createCommits(s: Shared, consumer: KafkaConsumerLike, stats: RunStats): Commits {
  const marks = new Map<string, Mark>();
  let running: Promise<void> | undefined;
  let failures = 0;
  let giveUpAfter = MAX_FAILURES;
  const waiters = createWaiters();

  const commitOnce = async (batch: Mark[]) => {
    const started = s.now();
    try {
      await consumer.commitOffsets(
        batch.map((m) => ({ topic: m.topic, partition: m.partition, offset: String(m.next) })),
      );
    } catch {
      stats.commitFailed++;
      failures++;
      for (const m of batch) {
        sendEvent(s, 'commit', m.topic, started, {
          outcome: 'failed',
          code: 'ERR_TRANSPORT',
          partition: m.partition,
          offset: String(m.next),
        });
        const key = `${m.topic}/${m.partition}`;
        if (!marks.has(key)) marks.set(key, m); // a newer mark wins
      }
      waiters.answer(undefined);
      if (failures >= giveUpAfter) {
        marks.clear();
        failures = 0;
      } else await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
      return;
    }
    failures = 0;
    stats.commits++;
    waiters.answer(batch);
    for (const m of batch)
      sendEvent(s, 'commit', m.topic, started, { partition: m.partition, offset: String(m.next) });
  };

  const loop = async () => {
    while (marks.size > 0) {
      const batch = [...marks.values()];
      marks.clear();
      await commitOnce(batch);
    }
  };
  const kick = () => {
    running ??= loop().finally(() => {
      running = undefined;
      if (marks.size > 0) kick();
    });
  };

  const mark = (topic: string, partition: number, offset: string) => {
    const next = BigInt(offset) + 1n;
    const key = `${topic}/${partition}`;
    const had = marks.get(key);
    if (had === undefined || had.next < next) marks.set(key, { topic, partition, next });
    kick();
    return { key, next };
  };

  return {
    mark,
    markAndWait(topic, partition, offset) {
      return new Promise<boolean>((done) => {
        const { key, next } = mark(topic, partition, offset);
        waiters.add({ key, next, done });
      });
    },
    async flush(attempts = 5) {
      giveUpAfter = Math.min(MAX_FAILURES, failures + attempts);
      while (running !== undefined) await running;
    },
  };
}
