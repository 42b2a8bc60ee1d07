/**
 * The accounting of a conformance run (the consumer rules of SPEC.md §7b),
 * by message id: each id is committed exactly once XOR dead-lettered with the
 * expected reason, never both, never neither; a replayed copy is counted as a
 * duplicate and never reaches the handler; a handler runs more than once only
 * for an id that was in flight in an incarnation that was SIGKILLed (its
 * handler had run there once, and that incarnation never reported the
 * commit); no handler starts for an id after the harness saw it committed
 * (a `C` line: a replay copy, or a redelivery of a done id, reached the
 * handler, which the kill allowance and the duplicate count could hide); a
 * dead letter is copied more than once only after a kill.
 */
import type { LoggedEvent, RunLog } from './run-log.js';
import type { DeadLetter } from './types.js';
import type { WorkItem } from './workload.js';

export interface AccountingInput {
  items: WorkItem[];
  log: RunLog;
  deadLetters: DeadLetter[];
  /** Per message id: whether the shared replay store holds it as done. */
  committed: ReadonlyMap<string, boolean>;
  /** The incarnations that were SIGKILLed. */
  killed: ReadonlySet<number>;
}

export interface AccountingCounts {
  ids: number;
  committed: number;
  deadLettered: number;
  /** Dead-lettered ids per reason. */
  reasons: Record<string, number>;
  replayCopies: number;
  /** Events with outcome `duplicate` (replays, and redeliveries of committed ids after a kill). */
  duplicates: number;
  handlerCalls: number;
  /** Handler calls beyond the first: ids in flight at a kill. */
  handlerReruns: number;
  inFlight: number;
  retries: number;
  deadLetterCopies: number;
  /** Extra copies of an already dead-lettered id (a kill between the write and the ack). */
  extraDeadLetterCopies: number;
}

export interface Accounting {
  counts: AccountingCounts;
  /** Empty when the run conforms; else one line per violation. */
  problems: string[];
}

interface PerId {
  handled: number[];
  /** The handler calls' indexes in the log's `handled`, in file order. */
  handledAt: number[];
  /** `handledBefore` of the harness's `C` line for the id, when it wrote one. */
  commitSeen?: number;
  events: LoggedEvent[];
  deadLetters: DeadLetter[];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Groups the log and the dead letters by message id; what belongs to no item is a problem. */
function group(input: AccountingInput, problems: string[]): Map<string, PerId> {
  const byId = new Map<string, PerId>();
  for (const it of input.items) {
    if (it.messageId === undefined) problems.push(`item ${it.index}: never published`);
    else byId.set(it.messageId, { handled: [], handledAt: [], events: [], deadLetters: [] });
  }
  for (const [k, h] of input.log.handled.entries()) {
    const e = byId.get(h.messageId);
    if (e) {
      e.handled.push(h.incarnation);
      e.handledAt.push(k);
    } else problems.push(`handler ran for unknown id ${h.messageId}`);
  }
  for (const c of input.log.commitsSeen ?? []) {
    const e = byId.get(c.messageId);
    if (e && e.commitSeen === undefined) e.commitSeen = c.handledBefore;
  }
  for (const ev of input.log.events) {
    if (ev.messageId !== undefined) byId.get(ev.messageId)?.events.push(ev);
  }
  for (const dl of input.deadLetters) {
    const e = dl.messageId === undefined ? undefined : byId.get(dl.messageId);
    if (e) e.deadLetters.push(dl);
    else problems.push(`dead letter with unknown or missing id ${String(dl.messageId)}`);
  }
  for (const line of input.log.malformed)
    problems.push(`malformed log line ${JSON.stringify(line)}`);
  return byId;
}

/**
 * Every handler call but the last must be in a killed incarnation that never
 * reported the commit, and no incarnation may call it twice (the last call
 * included: two calls in one process are never a crash's rerun).
 */
function checkReruns(
  id: string,
  e: PerId,
  killed: ReadonlySet<number>,
  problems: string[],
): number {
  const seen = new Set<number>();
  let wrong = false;
  e.handled.forEach((inc, k) => {
    const last = k === e.handled.length - 1;
    const delivered = () =>
      e.events.some((ev) => ev.incarnation === inc && ev.outcome === 'deliver');
    if (seen.has(inc) || (!last && (!killed.has(inc) || delivered()))) wrong = true;
    seen.add(inc);
  });
  if (wrong)
    problems.push(
      `${id}: handler ran ${e.handled.length} times (incarnations ${e.handled.join(',')})`,
    );
  return e.handled.length - 1;
}

function checkCommitted(
  it: WorkItem,
  e: PerId,
  input: AccountingInput,
  problems: string[],
): number {
  const id = it.messageId!;
  const committed = input.committed.get(id) === true;
  if (!committed) problems.push(`${id} (${it.kind}): never committed`);
  if (e.deadLetters.length > 0)
    problems.push(`${id} (${it.kind}): dead-lettered, expected a commit`);
  if (committed && e.handled.length === 0)
    problems.push(`${id} (${it.kind}): committed without a handler call`);
  const after = e.handledAt.filter((k) => k >= (e.commitSeen ?? Infinity));
  if (after.length > 0)
    problems.push(
      `${id} (${it.kind}): handler ran ${after.length} time(s) after the harness saw it committed`,
    );
  const duplicates = e.events.filter((ev) => ev.outcome === 'duplicate').length;
  if (duplicates < it.replays)
    problems.push(`${id}: ${it.replays} replayed copies, ${duplicates} counted as duplicates`);
  return e.handled.length === 0 ? 0 : checkReruns(id, e, input.killed, problems);
}

function checkDeadLettered(
  it: WorkItem,
  e: PerId,
  input: AccountingInput,
  problems: string[],
): number {
  const id = it.messageId!;
  const reason = it.expect.outcome === 'dead-letter' ? it.expect.reason : '';
  if (input.committed.get(id) === true) problems.push(`${id} (${it.kind}): committed`);
  if (e.handled.length > 0) problems.push(`${id} (${it.kind}): handler ran`);
  if (e.deadLetters.length === 0) problems.push(`${id} (${it.kind}): not dead-lettered`);
  for (const dl of e.deadLetters) {
    if (dl.reason !== reason)
      problems.push(`${id} (${it.kind}): reason ${dl.reason}, expected ${reason}`);
    if (it.bytes && !sameBytes(dl.bytes, it.bytes))
      problems.push(`${id} (${it.kind}): dead-letter copy differs from the published envelope`);
  }
  // A copy beyond the first needs a kill between its write and the ack (or term) each.
  const extra = e.deadLetters.length - 1;
  if (extra > input.killed.size) {
    const k = input.killed.size;
    problems.push(
      `${id} (${it.kind}): ${e.deadLetters.length} dead-letter copies, ${k} killed incarnation${k === 1 ? '' : 's'}`,
    );
  }
  if (!e.events.some((ev) => ev.action === 'dead-letter' && ev.code === reason))
    problems.push(`${id} (${it.kind}): no dead-letter event with ${reason}`);
  return Math.max(0, e.deadLetters.length - 1);
}

/** The accounting of one run. */
export function account(input: AccountingInput): Accounting {
  const problems: string[] = [];
  const byId = group(input, problems);
  const counts: AccountingCounts = {
    ids: input.items.length,
    committed: 0,
    deadLettered: 0,
    reasons: {},
    replayCopies: 0,
    duplicates: 0,
    handlerCalls: input.log.handled.length,
    handlerReruns: 0,
    inFlight: 0,
    retries: 0,
    deadLetterCopies: input.deadLetters.length,
    extraDeadLetterCopies: 0,
  };
  for (const ev of input.log.events) {
    if (ev.outcome === 'duplicate') counts.duplicates++;
    if (ev.action === 'in-flight') counts.inFlight++;
    if (ev.action === 'retry') counts.retries++;
  }
  for (const it of input.items) {
    const e = it.messageId === undefined ? undefined : byId.get(it.messageId);
    if (!e) continue;
    counts.replayCopies += it.replays;
    if (it.expect.outcome === 'commit') {
      counts.handlerReruns += checkCommitted(it, e, input, problems);
      if (input.committed.get(it.messageId!) === true) counts.committed++;
    } else {
      counts.extraDeadLetterCopies += checkDeadLettered(it, e, input, problems);
      if (e.deadLetters.length > 0) {
        counts.deadLettered++;
        const r = e.deadLetters[0]!.reason ?? '?';
        counts.reasons[r] = (counts.reasons[r] ?? 0) + 1;
      }
    }
  }
  return { counts, problems };
}
