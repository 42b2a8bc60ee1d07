/**
 * Conformance (SPEC.md §7b, §11c) on Redis Streams, nothing lost: 10,000
 * entries (1% tampered, some expired, some from a disallowed sender, some
 * cross-stream and cross-transport, some added through the binding, some
 * replayed after processing) consumed by a child process on the built
 * packages, SIGKILLed twice at random points and restarted (a new consumer
 * name each time: the dead one's pending entries are reclaimed with
 * XAUTOCLAIM), with the Redis replay store shared across incarnations. Per
 * message id: committed exactly once XOR dead-lettered with the expected
 * reason. The spy reads both streams raw and every command argument Redis
 * received (MONITOR): no plaintext window, no sender name.
 */
import { amqpDestination, bindingContext } from '@blindwire/core';
import {
  createBlindnessSpy,
  generateWorkload,
  runNothingLost,
  summaryLine,
  workloadCounts,
} from '@blindwire/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisHarness, type RedisHarness } from './redis-harness.js';
import { assertReady, core, skip } from './shared.js';

// BW_CONFORMANCE_COUNT: a smaller run while developing; the suite's rule is >= 10,000.
const COUNT = Number(process.env.BW_CONFORMANCE_COUNT ?? 10_000);

describe.skipIf(skip)('Redis Streams conformance: nothing lost', () => {
  let h: RedisHarness | undefined;
  beforeAll(() => assertReady());
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('10,000 entries, two SIGKILLs: every id committed once XOR dead-lettered with its reason', async () => {
    const seed = Number(process.env.BW_CONFORMANCE_SEED ?? Date.now() % 2 ** 31);
    h = await createRedisHarness({ concurrency: 24 });
    const workload = await generateWorkload(
      { count: COUNT, seed },
      {
        core,
        sender: h.sender,
        disallowedSender: h.disallowed,
        recipients: h.consumerId,
        adapter: h.adapter,
        foreignContexts: [
          bindingContext('nats', 'bwc.jobs'),
          bindingContext('amqp', amqpDestination('bwc', h.adapter.destination)),
        ],
      },
    );
    const spy = createBlindnessSpy(
      workload.items.map((it) => it.payload),
      workload.senderNames,
    );
    const result = await runNothingLost({
      adapter: h.adapter,
      workload,
      logPath: h.logPath,
      childConfig: h.childConfig,
      isCommitted: (id, sender) => h!.replay.has(id, sender),
      kills: 2,
      timeoutMs: 240_000,
      spy,
    });
    console.log(summaryLine('redis', result, seed));
    console.log(
      `[conformance redis] workload ${JSON.stringify(workloadCounts(workload))}; blindness: ` +
        `${spy.scanned.messages} messages, ${spy.scanned.bytes} bytes scanned, ` +
        `${spy.windows} plaintext windows, ${spy.findings.length} findings`,
    );
    expect(result.accounting.problems.slice(0, 20)).toEqual([]);
    expect(result.kills).toHaveLength(2);
    const c = result.accounting.counts;
    expect(c.committed + c.deadLettered).toBe(COUNT);
    expect(c.duplicates).toBeGreaterThanOrEqual(c.replayCopies);
    expect(spy.findings.slice(0, 5)).toEqual([]);
    // The spy saw the stored streams and the commands that carried each entry.
    expect(spy.scanned.messages).toBeGreaterThan(2 * COUNT);
  }, 300_000);
});
