/**
 * Conformance case 4, the bound context (SPEC.md §11b): an envelope sealed
 * for another destination of the transport, or for this destination under
 * another transport, published to the consumed destination fails with
 * ERR_CONTEXT_MISMATCH and lands, unchanged, in the dead-letter destination
 * with its reason and message id; it is never committed; the handler sees
 * only the control message.
 */
import { sealFor } from './case-helpers.js';
import type {
  ConformanceSuite,
  ConformanceTarget,
  InProcessConsumer,
  VitestApi,
} from './conformance-types.js';
import { settled, until } from './wait.js';

export async function crossContextCopies<T extends ConformanceTarget>(
  s: ConformanceSuite<T>,
  t: T,
  expect: VitestApi['expect'],
  consumers: InProcessConsumer[],
): Promise<void> {
  const c = await t.startConsumer();
  consumers.push(c);
  const dest = t.adapter.destination;
  const copies: Record<string, { envelope: Uint8Array; messageId: string }> = {
    'cross-destination': await sealFor(t, 'P:for-another-destination', {
      context: t.adapter.context(t.adapter.otherDestination),
    }),
  };
  for (const [label, context] of Object.entries(t.foreignContexts))
    copies[`cross-transport ${label}`] = await sealFor(t, `P:for-${label}`, { context });
  const n = Object.keys(copies).length;
  expect(n).toBeGreaterThanOrEqual(3); // another destination, and at least two other transports
  const control = await sealFor(t, 'P:control');
  for (const e of [...Object.values(copies), control])
    await t.adapter.publishRaw(dest, e.envelope, { messageId: e.messageId });
  await until(() => c.events.length === n + 1, 20_000, `${n + 1} consume events`);
  await settled(t.adapter);

  expect(c.calls).toEqual([control.messageId]);
  const dead = await t.adapter.readDeadLetters();
  expect(dead).toHaveLength(n);
  for (const [label, e] of Object.entries(copies)) {
    const dl = dead.find((d) => d.messageId === e.messageId);
    expect(dl, label).toBeDefined();
    expect(dl!.reason, label).toBe('ERR_CONTEXT_MISMATCH');
    expect(Buffer.from(dl!.bytes).equals(Buffer.from(e.envelope)), label).toBe(true);
    expect(await t.isCommitted(e.messageId, t.sender.name), label).toBe(false);
  }
  const mismatches = c.events.filter((e) => e.code === 'ERR_CONTEXT_MISMATCH');
  expect(mismatches.map((e) => [e.outcome, e.action])).toEqual(
    Array(n).fill(['permanent', 'dead-letter']),
  );
  expect(c.stats()).toMatchObject({ deadLettered: n, ...s.stats?.context });
}
