/**
 * Conformance case 6, concurrency (SPEC.md §7b, §7 step 18: atomic
 * reservations): two consumers, each on its own connections and replay-store
 * client over the one shared store, receive one id at the same moment (a
 * fan-out, or two copies in one group). Per id exactly one handler call and
 * one `deliver` in all; the other side sees the reservation in flight or
 * done (a duplicate), never runs the handler, and dead-letters nothing.
 */
import { eventsOf, isFinal, sealFor } from './case-helpers.js';
import type { ConformanceSuite, ConformanceTarget, VitestApi } from './conformance-types.js';
import { settled, sleep, until } from './wait.js';

const ALLOWED = ['deliver', 'duplicate', 'in-flight'];

export async function oneIdAtOnce<T extends ConformanceTarget>(
  s: ConformanceSuite<T>,
  t: T,
  expect: VitestApi['expect'],
): Promise<void> {
  const n = s.concurrency.count ?? 20;
  const workMs = s.concurrency.workMs ?? 150;
  const setup = await s.concurrency.start(t, () => sleep(workMs));
  const pair = setup.consumers;
  try {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const e = await sealFor(t, `P:at-once-${i}`, {
        context: t.adapter.context(setup.destination),
      });
      for (let k = 0; k < setup.copies; k++)
        await t.adapter.publishRaw(setup.destination, e.envelope, { messageId: e.messageId });
      ids.push(e.messageId);
    }
    // Two deliveries of each id (one per consumer, or two copies), each finally settled.
    const done = () => ids.every((id) => eventsOf(pair, id).filter(isFinal).length >= 2);
    await until(done, 40_000, 'both deliveries of every id to settle');
    if (setup.pending) await settled(setup.pending, 40_000);

    const calls = pair.flatMap((c) => c.calls).sort();
    expect(calls).toEqual([...ids].sort());
    for (const id of ids) {
      const outcomes = eventsOf(pair, id).map((e) => e.outcome);
      expect(outcomes.filter((o) => o === 'deliver')).toEqual(['deliver']);
      expect(
        outcomes.every((o) => ALLOWED.includes(o)),
        outcomes.join(','),
      ).toBe(true);
      expect(await t.isCommitted(id, t.sender.name)).toBe(true);
    }
    const all = pair.flatMap((c) => c.events);
    const inFlight = all.filter((e) => e.outcome === 'in-flight').length;
    console.log(
      `[conformance ${s.name} concurrency] ids=${n} copies=${setup.copies} ` +
        `handler-calls=${calls.length} a=${pair[0].calls.length} b=${pair[1].calls.length} ` +
        `in-flight=${inFlight} duplicates=${all.filter((e) => e.outcome === 'duplicate').length}`,
    );
    if (setup.expectInFlight === true) expect(inFlight).toBeGreaterThan(0);
    expect(pair.reduce((k, c) => k + (c.stats()['deadLettered'] ?? 0), 0)).toBe(0);
    expect(await t.adapter.readDeadLetters()).toEqual([]);
  } finally {
    for (const c of pair) await c.close();
    await setup.close?.();
  }
}
