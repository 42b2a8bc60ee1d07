/**
 * `consume` (SPEC.md §7b): a consumer-group reader over the caller's client.
 * New entries come from XREADGROUP (`>`, attempt 1; BLOCK only while nothing
 * is in flight, so acks never wait behind a blocking read on the shared
 * connection); pending entries idle for `claimIdleMs` (a dead consumer's, or
 * a retry's) are reclaimed with XAUTOCLAIM, their attempt being the delivery
 * count XPENDING reports. Each entry goes through core's consumer pipeline;
 * the disposition becomes: ack -> XACK (after the commit; coalesced with the
 * acks settled meanwhile, acks.ts); retry and
 * in-flight -> XCLAIM IDLE so that the entry is reclaimed after the delay
 * (never acked, never dead-lettered from in-flight); dead-letter -> the
 * unchanged copy XADDed to the dead-letter stream and XACK in one script,
 * only while the entry is still pending (one copy when two consumers
 * dead-letter a reclaimed entry), or left pending if that failed.
 */
import type { Consumer, Disposition } from '@blindwire/core';
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { acker } from './acks.js';
import { checkKey, envelopeOf } from './carrier.js';
import { consumerFor, sendEvent, type Shared } from './common.js';
import { writeDeadLetter } from './dead-letter.js';
import { deliveryCounts, retryAfter, xautoclaim, xreadgroup, type RawEntry } from './streams.js';
import type { ConsumeOptions, ConsumeRun, ConsumeStats, ConsumeTarget, Handler } from './types.js';

interface Settings {
  dlq: { stream: string; maxLen: ConsumeOptions['deadLetterMaxLen'] };
  count: number;
  blockMs: number;
  claimIdleMs: number;
  claimIntervalMs: number;
  backoffMs: number;
}

function positive(o: ConsumeOptions, k: keyof ConsumeOptions, dflt: number, min = 1): number {
  const v = o[k] ?? dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    throw new BlindwireError(ErrorCode.InvalidArgument, `"${k}" expected an integer >= ${min}`);
  return v;
}

function settingsOf(s: Shared, t: ConsumeTarget, o: ConsumeOptions): Settings {
  if (typeof o !== 'object' || o === null)
    throw new BlindwireError(ErrorCode.InvalidArgument, '"options" expected an object');
  const claimIdleMs = positive(o, 'claimIdleMs', 30_000);
  const dlq = o.deadLetterStream ?? `${t.stream}:dlq`;
  checkKey('deadLetterStream', dlq);
  if (dlq === t.stream)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"deadLetterStream" expected a stream other than the consumed one',
    );
  return {
    dlq: { stream: dlq, maxLen: o.deadLetterMaxLen },
    count: positive(o, 'count', 64),
    blockMs: positive(o, 'blockMs', 1000, 0),
    claimIdleMs,
    claimIntervalMs: positive(
      o,
      'claimIntervalMs',
      Math.max(1, Math.min(5000, Math.floor(claimIdleMs / 4))),
    ),
    backoffMs: s.o.retry?.backoffMs ?? 1000,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** SPEC.md §7b: a disposition as stream commands, counted in `stats`. */
function disposer(s: Shared, t: ConsumeTarget, c: Settings, stats: ConsumeStats) {
  const later = (id: string, delayMs: number) => retryAfter(s.wire, t, id, delayMs, c.claimIdleMs);
  const ack = acker(s.wire, t.stream, t.group);
  return async (d: Disposition, id: string, bytes: Uint8Array): Promise<void> => {
    if (d.action === 'ack') {
      const started = s.now();
      try {
        await ack(id);
      } catch (e) {
        // Left pending: reclaimed later, found done by the replay store, acked.
        stats.ackFailed++;
        sendEvent(s, 'ack', t.stream, started, {
          outcome: 'failed',
          code: 'ERR_TRANSPORT',
          entryId: id,
          messageId: d.messageId,
        });
        throw e;
      }
      stats.acked++;
      return;
    }
    if (d.action === 'retry' || d.action === 'in-flight') {
      stats.retried++;
      await later(id, d.delayMs ?? c.backoffMs);
      return;
    }
    const reason = d.reason ?? 'ERR_HANDLER';
    let written: boolean;
    try {
      const dl = { bytes, reason, messageId: d.messageId, entryId: id };
      written = await writeDeadLetter(s, t, c.dlq, dl);
    } catch {
      // Not acked: reclaimed after the delay, and the write tried again.
      stats.deadLetterFailed++;
      await later(id, c.backoffMs);
      return;
    }
    if (written) stats.deadLettered++;
    else stats.settledElsewhere++;
  };
}

/** The reader: new entries, and every `claimIntervalMs` the idle pending ones. */
function reader(s: Shared, t: ConsumeTarget, c: Settings, stats: ConsumeStats) {
  let cursor = '0-0';
  let lastClaim = -Infinity;
  const reclaim = async (): Promise<{ e: RawEntry; attempt: number }[]> => {
    lastClaim = s.now();
    const r = await xautoclaim(s.wire, t, c.claimIdleMs, cursor, c.count);
    cursor = r.next;
    for (const id of r.deleted)
      sendEvent(s, 'reclaim', t.stream, lastClaim, { outcome: 'trimmed', entryId: id });
    const live = r.claimed.filter((e) => e.fields !== null);
    if (live.length === 0) return [];
    const counts = await deliveryCounts(s.wire, t, live[0]!.id, live.at(-1)!.id, c.count * 4);
    stats.reclaimed += live.length;
    return live.map((e) => ({ e, attempt: Math.max(1, counts.get(e.id) ?? 1) }));
  };
  return async (idle: boolean): Promise<{ e: RawEntry; attempt: number }[]> => {
    if (s.now() - lastClaim >= c.claimIntervalMs) {
      const claimed = await reclaim();
      if (claimed.length > 0) return claimed;
    }
    const fresh = await xreadgroup(s.wire, t, c.count, idle ? c.blockMs : undefined);
    stats.read += fresh.length;
    return fresh.map((e) => ({ e, attempt: 1 }));
  };
}

async function pump(
  s: Shared,
  t: ConsumeTarget,
  c: Settings,
  pipeline: Consumer,
  stats: ConsumeStats,
  stopped: () => boolean,
): Promise<void> {
  const read = reader(s, t, c, stats);
  const dispose = disposer(s, t, c, stats);
  // Entries submitted and not yet settled; `drained` wakes the final wait.
  let unsettled = 0;
  let drained: (() => void) | undefined;
  const settle = async (disposition: Promise<Disposition>, id: string, bytes: Uint8Array) => {
    try {
      await dispose(await disposition, id, bytes);
    } catch {
      // A settlement that failed leaves the entry pending: it is reclaimed later.
    }
    if (--unsettled === 0) drained?.();
  };
  while (!stopped()) {
    let batch;
    try {
      batch = await read(unsettled === 0);
    } catch {
      stats.readErrors++;
      await sleep(Math.min(1000, c.claimIntervalMs));
      continue;
    }
    if (batch.length === 0 && unsettled > 0) await sleep(5);
    for (const { e, attempt } of batch) {
      const bytes = envelopeOf(e.fields) ?? new Uint8Array(0);
      const delivery = { bytes, destination: t.stream, attempt, receivedAt: s.now() };
      const { disposition } = await pipeline.submit(delivery);
      unsettled++;
      void settle(disposition, e.id, bytes);
    }
  }
  while (unsettled > 0) await new Promise<void>((r) => (drained = r));
}

export function consume(
  s: Shared,
  t: ConsumeTarget,
  handler: Handler,
  o: ConsumeOptions = {},
): ConsumeRun {
  if (typeof t !== 'object' || t === null)
    throw new BlindwireError(
      ErrorCode.InvalidArgument,
      '"target" expected { stream, group, consumer }',
    );
  checkKey('stream', t.stream);
  checkKey('group', t.group);
  checkKey('consumer', t.consumer);
  if (typeof handler !== 'function')
    throw new BlindwireError(ErrorCode.InvalidArgument, '"handler" expected a function');
  const c = settingsOf(s, t, o);
  const maxAttempts = positive(o, 'maxAttempts', s.o.retry?.maxAttempts ?? 5);
  const pipeline = consumerFor(s, o.policy, handler, { ...s.o.retry, maxAttempts });
  const target = { stream: t.stream, group: t.group, consumer: t.consumer };
  const stats: ConsumeStats = {
    read: 0,
    reclaimed: 0,
    acked: 0,
    retried: 0,
    deadLettered: 0,
    deadLetterFailed: 0,
    settledElsewhere: 0,
    ackFailed: 0,
    readErrors: 0,
  };
  let stop = false;
  const done = pump(s, target, c, pipeline, stats, () => stop);
  done.catch(() => undefined);
  return {
    stats,
    done,
    stop: async () => {
      stop = true;
      await done;
    },
  };
}
