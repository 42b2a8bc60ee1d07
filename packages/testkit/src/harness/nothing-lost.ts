/**
 * "Nothing lost" (the consumer rules of SPEC.md §7b) against a real broker:
 * publish a workload, consume it in a child process that is SIGKILLed at
 * random points and restarted, publish replayed copies of committed
 * messages, wait until the broker holds nothing unsettled, then account by
 * message id (accounting.ts). The spy, when given, scans what the adapter
 * reads as stored or forwarded twice: before consumption (the published
 * messages) and after (dead-letter copies, deliveries).
 */
import { openSync, readSync, closeSync, writeFileSync } from 'node:fs';
import { account, type Accounting, type AccountingInput } from './accounting.js';
import type { BlindnessSpy } from './blindness.js';
import { waitForLine } from './child.js';
import { createRng } from './random.js';
import { appendCommitSeen, readRunLog } from './run-log.js';
import type { ChildHandle, HarnessAdapter } from './types.js';
import type { WorkItem, Workload } from './workload.js';

export interface NothingLostOptions {
  adapter: HarnessAdapter;
  workload: Workload;
  /** The run log file (created empty here). */
  logPath: string;
  /** Passed to every start of the child. */
  childConfig: Record<string, unknown>;
  /** Whether the shared replay store holds (messageId, sender) as done. */
  isCommitted(messageId: string, sender: string): Promise<boolean>;
  /** SIGKILLs (default 2), at random points between 10% and 70% of the handler calls expected. */
  kills?: number;
  /** Seeds the kill points (default the workload's seed). */
  seed?: number;
  /** The whole run, publishing included (default 150 s). */
  timeoutMs?: number;
  /** Publishes in flight at once (default 64). */
  publishConcurrency?: number;
  spy?: BlindnessSpy;
}

export interface Kill {
  incarnation: number;
  /** Handler calls logged when the kill was sent. */
  afterHandled: number;
}

export interface NothingLostResult {
  accounting: Accounting;
  /** What the accounting was computed from (for a control: the same data, altered). */
  accountingInput: AccountingInput;
  kills: Kill[];
  incarnations: number;
  /** How the last incarnation ended after the run: SIGTERM honoured, or SIGKILL needed. */
  finalStop: 'term' | 'kill';
  publishMs: number;
  consumeMs: number;
  durationMs: number;
}

/** Runs `fn` over `items` with at most `limit` calls in flight, in order of start. */
async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function publishItem(adapter: HarnessAdapter, it: WorkItem): Promise<void> {
  if (it.via === 'binding') {
    it.messageId = (await adapter.publishSealed(it.destination, it.payload)).messageId;
  } else {
    await adapter.publishRaw(it.destination, it.bytes!, { messageId: it.messageId! });
  }
}

/** Counts the handler lines appended to the run log since the last poll. */
class LogTail {
  private offset = 0;
  private rest = '';
  handled = 0;
  constructor(private readonly path: string) {}
  poll(): void {
    const fd = openSync(this.path, 'r');
    try {
      const buf = Buffer.alloc(1 << 16);
      for (let n; (n = readSync(fd, buf, 0, buf.length, this.offset)) > 0;) {
        this.offset += n;
        const lines = (this.rest + buf.subarray(0, n).toString('utf8')).split('\n');
        this.rest = lines.pop()!;
        for (const l of lines) if (l.startsWith('H ')) this.handled++;
      }
    } finally {
      closeSync(fd);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Committed-ness of every published item, 256 queries at a time. */
async function committedMap(
  items: WorkItem[],
  isCommitted: NothingLostOptions['isCommitted'],
): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  const known = items.filter((it) => it.messageId !== undefined);
  await pool(known, 256, async (it) => {
    out.set(it.messageId!, await isCommitted(it.messageId!, it.sender));
  });
  return out;
}

interface RunState {
  child: ChildHandle;
  incarnation: number;
  killed: Set<number>;
  kills: Kill[];
  expectedExit: boolean;
}

async function start(o: NothingLostOptions, s: RunState, timeoutMs: number): Promise<void> {
  s.child = await o.adapter.startConsumerChild({
    logPath: o.logPath,
    incarnation: s.incarnation,
    config: o.childConfig,
  });
  s.expectedExit = false;
  await waitForLine(o.logPath, `R ${s.incarnation}`, { timeoutMs, child: s.child });
}

async function stop(s: RunState): Promise<'term' | 'kill'> {
  s.expectedExit = true;
  s.child.kill('SIGTERM');
  const ended = await Promise.race([
    s.child.exited.then(() => true),
    sleep(15_000).then(() => false),
  ]);
  if (ended) return 'term';
  s.child.kill('SIGKILL');
  await s.child.exited;
  return 'kill';
}

/** Publishes the replay copies of the candidates the store holds as done; returns those still waiting. */
async function publishReplays(o: NothingLostOptions, waiting: WorkItem[]): Promise<WorkItem[]> {
  const later: WorkItem[] = [];
  for (const it of waiting) {
    if (!(await o.isCommitted(it.messageId!, it.sender))) {
      later.push(it);
      continue;
    }
    // From here on no handler may start for it (accounting.ts); then an attacker's copy:
    // the same bytes, no dedup hint.
    appendCommitSeen(o.logPath, it.messageId!);
    for (let r = 0; r < it.replays; r++) await o.adapter.publishRaw(it.destination, it.bytes!);
  }
  return later;
}

export async function runNothingLost(o: NothingLostOptions): Promise<NothingLostResult> {
  const t0 = Date.now();
  const timeoutMs = o.timeoutMs ?? 150_000;
  const deadline = t0 + timeoutMs;
  const items = o.workload.items;
  writeFileSync(o.logPath, '');
  await pool(items, o.publishConcurrency ?? 64, (it) => publishItem(o.adapter, it));
  const publishMs = Date.now() - t0;
  if (o.spy) for (const m of await o.adapter.readStored()) o.spy.scan(m);

  const expected = items.filter((it) => it.expect.outcome === 'commit').length;
  const rng = createRng((o.seed ?? o.workload.seed) ^ 0x5eed);
  const nKills = o.kills ?? 2;
  const points = Array.from(
    { length: nKills },
    (_, k) => Math.floor((expected * (k + 0.3 + 0.4 * rng.next())) / (nKills + 1)) + 1,
  );
  const replayAt = Math.max(Math.floor(expected * 0.6), ...points);
  let waiting = items.filter((it) => it.replays > 0);
  const tail = new LogTail(o.logPath);
  const t1 = Date.now();
  const s = { incarnation: 1, killed: new Set<number>(), kills: [] as Kill[] } as RunState;
  await start(o, s, 30_000);
  let exited = false;
  const watch = (c: ChildHandle) =>
    void c.exited.then(() => {
      if (c === s.child && !s.expectedExit) exited = true;
    });
  watch(s.child);
  let lastPending = 0;
  for (;;) {
    await sleep(50);
    if (exited) throw new Error(`the consumer child died: ${s.child.stderrTail()}`);
    if (Date.now() > deadline) {
      await stop(s);
      throw new Error(`not settled within ${timeoutMs} ms (${tail.handled} handler calls)`);
    }
    tail.poll();
    if (s.kills.length < points.length && tail.handled >= points[s.kills.length]!) {
      s.expectedExit = true;
      s.child.kill('SIGKILL');
      await s.child.exited;
      s.killed.add(s.incarnation);
      s.kills.push({ incarnation: s.incarnation, afterHandled: tail.handled });
      s.incarnation++;
      await start(o, s, 30_000);
      watch(s.child);
      continue;
    }
    if (tail.handled >= replayAt && waiting.length > 0) waiting = await publishReplays(o, waiting);
    if (s.kills.length < points.length || waiting.length > 0) continue;
    if (Date.now() - lastPending < 250) continue;
    lastPending = Date.now();
    if ((await o.adapter.pending()) === 0) break;
  }
  const consumeMs = Date.now() - t1;
  const finalStop = await stop(s);
  const deadLetters = await o.adapter.readDeadLetters();
  if (o.spy) for (const m of await o.adapter.readStored()) o.spy.scan(m);
  const accountingInput: AccountingInput = {
    items,
    log: readRunLog(o.logPath),
    deadLetters,
    committed: await committedMap(items, o.isCommitted),
    killed: s.killed,
  };
  return {
    accounting: account(accountingInput),
    accountingInput,
    kills: s.kills,
    incarnations: s.incarnation,
    finalStop,
    publishMs,
    consumeMs,
    durationMs: Date.now() - t0,
  };
}

/** One line for the test output: counts per outcome, kills, duration. */
export function summaryLine(label: string, r: NothingLostResult, seed: number): string {
  const c = r.accounting.counts;
  const reasons = Object.entries(c.reasons)
    .sort()
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return (
    `[conformance ${label}] ids=${c.ids} committed=${c.committed} dead-lettered=${c.deadLettered} ` +
    `(${reasons}) replay-copies=${c.replayCopies} duplicates=${c.duplicates} ` +
    `handler-calls=${c.handlerCalls} reruns-after-kill=${c.handlerReruns} in-flight=${c.inFlight} ` +
    `retries=${c.retries} dl-copies=${c.deadLetterCopies} extra-dl-copies=${c.extraDeadLetterCopies} ` +
    `kills=${r.kills.length} (after ${r.kills.map((k) => k.afterHandled).join(', ')} handler calls) ` +
    `incarnations=${r.incarnations} stop=${r.finalStop} problems=${r.accounting.problems.length} ` +
    `seed=${seed} publish=${(r.publishMs / 1000).toFixed(1)}s consume=${(r.consumeMs / 1000).toFixed(1)}s ` +
    `total=${(r.durationMs / 1000).toFixed(1)}s`
  );
}
