/**
 * Conformance case 5, over-limit (SPEC.md §8 limits, the bindings' size
 * rule): a payload whose envelope would exceed the binding's limit is
 * refused with ERR_LIMIT_EXCEEDED by every sealed publish verb, before any
 * crypto (the backend is never called), and nothing reaches the broker; a
 * payload that fits goes through the same verb and backend (so the counter
 * counts) and is stored.
 */
import { expectCode } from '../errors.js';
import type { ConformanceSuite, ConformanceTarget, VitestApi } from './conformance-types.js';
import { countingProxy, sleep } from './wait.js';

export async function overLimitRefused<T extends ConformanceTarget>(
  s: ConformanceSuite<T>,
  t: T,
  expect: VitestApi['expect'],
): Promise<void> {
  const probe = s.limits(t);
  const max = probe.maxBytes;
  const { proxy, calls } = countingProxy(probe.backend);
  const publishers = Object.entries(probe.publishers(proxy));
  expect(publishers.length).toBeGreaterThan(0);
  for (const size of [max, max - 64, max + 1]) {
    for (const [label, publish] of publishers)
      await expectCode(() => publish(new Uint8Array(size)), 'ERR_LIMIT_EXCEEDED').catch(
        (e: unknown) => {
          throw new Error(`${label} with ${size} bytes: ${String(e)}`, { cause: e });
        },
      );
  }
  expect(calls()).toBe(0);
  await sleep(200);
  expect(await t.adapter.pending()).toBe(0);
  expect(await t.adapter.readStored()).toEqual([]);

  // The same verb with a payload that fits: sealed (the backend is called) and stored.
  const ok = await publishers[0]![1](new Uint8Array(Math.floor(max / 2)));
  expect(calls()).toBeGreaterThan(0);
  expect(ok.bytes).toBeLessThan(max);
  expect(await t.adapter.pending()).toBe(1);
}
