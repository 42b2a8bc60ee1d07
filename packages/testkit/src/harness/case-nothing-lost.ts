/**
 * Conformance case 2, nothing lost (SPEC.md §7b): at least 10,000 messages
 * (1% tampered, some expired, some from a disallowed sender, some cross-
 * destination and cross-transport, some through the binding's publish, some
 * replayed after processing) consumed by the child process, SIGKILLed twice
 * at random points and restarted, with the replay store shared across
 * incarnations. Per message id: committed exactly once XOR dead-lettered
 * with the expected reason; replays counted as duplicates. The spy reads
 * what the broker stored and forwarded meanwhile. And the negative case: a
 * consumer that acknowledges on receipt is caught losing the ids in flight.
 */
import { workloadFor } from './case-helpers.js';
import type { ConformanceSuite, ConformanceTarget, VitestApi } from './conformance-types.js';
import { createBlindnessSpy } from './blindness.js';
import { runNothingLost, summaryLine } from './nothing-lost.js';
import { workloadCounts } from './workload.js';
import { knobs } from './wait.js';

export const NOTHING_LOST_COUNT = 10_000;

export async function nothingLost<T extends ConformanceTarget>(
  s: ConformanceSuite<T>,
  t: T,
  expect: VitestApi['expect'],
): Promise<void> {
  const count = knobs.count(s.nothingLost?.count ?? NOTHING_LOST_COUNT);
  const seed = knobs.seed();
  const workload = await workloadFor(t, { count, seed });
  const spy = createBlindnessSpy(
    workload.items.map((it) => it.payload),
    workload.senderNames,
  );
  const result = await runNothingLost({
    adapter: t.adapter,
    workload,
    logPath: t.logPath,
    childConfig: t.childConfig,
    isCommitted: (id, sender) => t.isCommitted(id, sender),
    kills: 2,
    timeoutMs: 240_000,
    spy,
  });
  console.log(summaryLine(s.name, result, seed));
  console.log(
    `[conformance ${s.name}] workload ${JSON.stringify(workloadCounts(workload))}; blindness: ` +
      `${spy.scanned.messages} messages, ${spy.scanned.bytes} bytes scanned, ` +
      `${spy.windows} plaintext windows, ${spy.findings.length} findings`,
  );
  expect(result.accounting.problems.slice(0, 20)).toEqual([]);
  expect(result.kills).toHaveLength(2);
  const c = result.accounting.counts;
  expect(c.committed + c.deadLettered).toBe(count);
  expect(c.duplicates).toBeGreaterThanOrEqual(c.replayCopies);
  expect(spy.findings.slice(0, 5)).toEqual([]);
  const least =
    s.nothingLost?.minScanned?.(count, c) ?? count + c.replayCopies + c.deadLetterCopies;
  expect(spy.scanned.messages).toBeGreaterThanOrEqual(least);
}

/** The lines of a faulty run's problems that are lost ids (never committed, never dead-lettered). */
const LOST = /never committed|not dead-lettered/;
const LOST_OR_UNEVENTED = /never committed|not dead-lettered|no dead-letter event/;

export async function faultyConsumerCaught<T extends ConformanceTarget>(
  s: ConformanceSuite<T>,
  t: T,
  expect: VitestApi['expect'],
): Promise<void> {
  const seed = 77;
  const workload = await workloadFor(t, { count: 2000, seed, rates: { replay: 0 } });
  const result = await runNothingLost({
    adapter: t.adapter,
    workload,
    logPath: t.logPath,
    childConfig: { ...t.childConfig, fault: 'ack-on-receipt' },
    isCommitted: (id, sender) => t.isCommitted(id, sender),
    kills: 2,
    timeoutMs: 120_000,
  });
  console.log(summaryLine(`${s.name} faulty consumer (expected to fail)`, result, seed));
  // Every problem is a lost id: never committed, or never dead-lettered (so no event either).
  const problems = result.accounting.problems;
  expect(problems.filter((p) => LOST.test(p)).length).toBeGreaterThan(0);
  expect(problems.filter((p) => !LOST_OR_UNEVENTED.test(p))).toEqual([]);
}
