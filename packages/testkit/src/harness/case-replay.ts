/**
 * Conformance case 3, replay (SPEC.md §7b, §7 step 18): a copy of a
 * processed message published again (bytes unchanged, no hint, as an
 * attacker would) is counted as a duplicate and acknowledged, the handler
 * not called; a redelivery by the broker before the first delivery was
 * acknowledged meets the held reservation and is processed once.
 */
import { eventsOf, isFinal, sealFor } from './case-helpers.js';
import type {
  ConformanceSuite,
  ConformanceTarget,
  InProcessConsumer,
  VitestApi,
} from './conformance-types.js';
import { settled, sleep, until } from './wait.js';

export async function replayAfterAck<T extends ConformanceTarget>(
  s: ConformanceSuite<T>,
  t: T,
  expect: VitestApi['expect'],
  consumers: InProcessConsumer[],
): Promise<void> {
  const c = await t.startConsumer();
  consumers.push(c);
  const dest = t.adapter.destination;
  const { envelope, messageId } = await sealFor(t, 'P:replayed-after-ack');
  await t.adapter.publishRaw(dest, envelope, { messageId });
  await until(() => c.events.some((e) => e.messageId === messageId && e.outcome === 'deliver'));
  await settled(t.adapter);
  expect(await t.isCommitted(messageId, t.sender.name)).toBe(true);

  await t.adapter.publishRaw(dest, envelope); // the same bytes, no hint
  await t.adapter.publishRaw(dest, envelope);
  await until(() => c.events.filter((e) => e.outcome === 'duplicate').length === 2);
  await settled(t.adapter);
  expect(c.calls).toEqual([messageId]);
  expect(c.events.map((e) => [e.outcome, e.action, e.code, e.messageId])).toEqual([
    ['deliver', 'ack', undefined, messageId],
    ['duplicate', 'ack', 'ERR_REPLAY', messageId],
    ['duplicate', 'ack', 'ERR_REPLAY', messageId],
  ]);
  expect(c.stats()).toMatchObject({ acked: 3, deadLettered: 0, ...s.stats?.replay });
  expect(await t.adapter.readDeadLetters()).toEqual([]);
}

export async function redeliveryBeforeAck<T extends ConformanceTarget>(
  s: ConformanceSuite<T>,
  t: T,
  expect: VitestApi['expect'],
  consumers: InProcessConsumer[],
): Promise<void> {
  let entered = false;
  const first = await t.startConsumer({
    noProgress: true,
    work: async () => {
      entered = true;
      await sleep(3000);
    },
  });
  consumers.push(first);
  const { envelope, messageId } = await sealFor(t, 'P:redelivered-before-ack');
  await t.adapter.publishRaw(t.adapter.destination, envelope, { messageId });
  await until(() => entered, 20_000, 'the first handler');
  const others = (await s.redeliver!(t, first)).filter((c) => c !== first);
  consumers.push(...others);
  const all = [first, ...others];
  await until(() => eventsOf(all, messageId).some(isFinal), 30_000, 'the commit');
  await settled(t.adapter);
  expect(first.calls).toEqual([messageId]);
  expect(others.flatMap((c) => c.calls)).toEqual([]);
  const early = all.flatMap((c) => c.events).filter((e) => e.outcome === 'in-flight');
  expect(early.length).toBeGreaterThan(0);
  for (const e of early) {
    expect(e).toMatchObject({ action: 'in-flight', code: 'ERR_REPLAY_IN_FLIGHT', messageId });
    expect(e.attempt).toBeGreaterThan(1); // a redelivery by the broker
  }
  expect(early[0]!.attempt).toBe(2);
  expect(await t.isCommitted(messageId, t.sender.name)).toBe(true);
  expect(await t.adapter.readDeadLetters()).toEqual([]);
}
