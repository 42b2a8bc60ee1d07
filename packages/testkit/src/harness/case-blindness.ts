/**
 * Conformance case 1, blindness (SPEC.md §11c: the broker sees only
 * envelopes and hints): a workload of every kind is published (raw and
 * through the binding), consumed by the child, dead-lettered where due; the
 * spy reads everything the adapter reads as stored or forwarded. No 8-byte
 * window of any plaintext (nor its base64 or hex), and no sender name,
 * appears. The same reads do find a plaintext and a sender name sent in the
 * clear, so they are not blind.
 */
import { workloadFor } from './case-helpers.js';
import type { ConformanceSuite, ConformanceTarget, VitestApi } from './conformance-types.js';
import { createBlindnessSpy, type BlindnessSpy } from './blindness.js';
import { runNothingLost, summaryLine } from './nothing-lost.js';
import type { StoredMessage } from './types.js';
import { sleep } from './wait.js';

export const BLINDNESS_COUNT = 400;
const SEED = 4242;

/** A spy that also keeps every message it scans. */
function recording(spy: BlindnessSpy, seen: StoredMessage[]): BlindnessSpy {
  return {
    scan: (m) => {
      seen.push(m);
      spy.scan(m);
    },
    get findings() {
      return spy.findings;
    },
    get scanned() {
      return spy.scanned;
    },
    get windows() {
      return spy.windows;
    },
  };
}

export async function blindnessOfWorkload<T extends ConformanceTarget>(
  s: ConformanceSuite<T>,
  t: T,
  expect: VitestApi['expect'],
): Promise<void> {
  const rates = { tampered: 0.02, expired: 0.02, disallowed: 0.02, viaBinding: 0.25 };
  const workload = await workloadFor(t, { count: BLINDNESS_COUNT, seed: SEED, rates });
  const spy = createBlindnessSpy(
    workload.items.map((it) => it.payload),
    workload.senderNames,
  );
  const seen: StoredMessage[] = [];
  const result = await runNothingLost({
    adapter: t.adapter,
    workload,
    logPath: t.logPath,
    childConfig: t.childConfig,
    isCommitted: (id, sender) => t.isCommitted(id, sender),
    kills: 0,
    spy: recording(spy, seen),
  });
  console.log(summaryLine(`${s.name} blindness`, result, SEED));
  expect(result.accounting.problems).toEqual([]);
  expect(spy.findings).toEqual([]);
  const c = result.accounting.counts;
  expect(c.deadLettered).toBeGreaterThan(0);
  // Every publish (replays included) and every dead-letter copy was read at least once.
  expect(seen.length).toBeGreaterThanOrEqual(BLINDNESS_COUNT + c.replayCopies + c.deadLetterCopies);
  s.blindness.checkSeen?.(seen, c, BLINDNESS_COUNT);
}

export async function blindnessControl<T extends ConformanceTarget>(
  s: ConformanceSuite<T>,
  t: T,
  expect: VitestApi['expect'],
): Promise<void> {
  const plaintext = new TextEncoder().encode('P:clear-text-control-0123456789');
  const name = t.sender.name;
  const spy = createBlindnessSpy([plaintext], [name]);
  await t.adapter.readStored(); // drain what the set-up left
  await s.blindness.publishInClear(t, plaintext, name);
  await sleep(200);
  const found = () => new Set(spy.findings.map((f) => f.what));
  for (let i = 0; i < 25 && found().size < 2; i++) {
    for (const m of await t.adapter.readStored()) spy.scan(m);
    if (found().size < 2) await sleep(200);
  }
  expect([...found()].sort()).toEqual(['plaintext window', 'sender name']);
  s.blindness.checkClear?.(spy.findings);
}
