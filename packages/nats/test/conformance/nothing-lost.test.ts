/**
 * Conformance (SPEC.md §7b) on NATS JetStream, nothing lost: 10,000 messages
 * (1% tampered, some expired, some from a disallowed sender, some cross-
 * subject and cross-transport, some published through the binding, some
 * replayed after processing) consumed by a child process on the built
 * packages, SIGKILLed twice at random points and restarted, with the Redis
 * replay store shared across incarnations. Per message id: committed exactly
 * once XOR dead-lettered with the expected reason; replays counted as
 * duplicates; a second handler call only for an id in flight at a kill. The
 * spy reads both streams raw and every core message on the run's subjects
 * and the child's inbox: no plaintext window, no sender name.
 */
import { bindingContext } from '@blindwire/core';
import {
  createBlindnessSpy,
  generateWorkload,
  runNothingLost,
  summaryLine,
  workloadCounts,
} from '@blindwire/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsHarness, type NatsHarness } from './nats-harness.js';
import { assertReady, core, skip } from './shared.js';

const COUNT = Number(process.env.BW_CONFORMANCE_COUNT ?? 10_000);

describe.skipIf(skip)('NATS conformance: nothing lost', () => {
  let h: NatsHarness;
  beforeAll(async () => {
    assertReady();
    h = await createNatsHarness({ concurrency: 24 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('10,000 messages, two SIGKILLs: every id committed once XOR dead-lettered with its reason', async () => {
    const seed = Number(process.env.BW_CONFORMANCE_SEED ?? Date.now() % 2 ** 31);
    const workload = await generateWorkload(
      { count: COUNT, seed },
      {
        core,
        sender: h.sender,
        disallowedSender: h.disallowed,
        recipients: h.consumerId,
        adapter: h.adapter,
        foreignContexts: [
          bindingContext('amqp', `bwc/${h.adapter.destination}`),
          bindingContext('redis', h.adapter.destination),
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
      isCommitted: (id, sender) => h.replay.has(id, sender),
      kills: 2,
      timeoutMs: 240_000,
      spy,
    });
    console.log(summaryLine('nats', result, seed));
    console.log(
      `[conformance nats] workload ${JSON.stringify(workloadCounts(workload))}; blindness: ` +
        `${spy.scanned.messages} messages, ${spy.scanned.bytes} bytes scanned, ` +
        `${spy.windows} plaintext windows, ${spy.findings.length} findings`,
    );
    expect(result.accounting.problems.slice(0, 20)).toEqual([]);
    expect(result.kills).toHaveLength(2);
    const c = result.accounting.counts;
    expect(c.committed + c.deadLettered).toBe(COUNT);
    expect(c.duplicates).toBeGreaterThanOrEqual(c.replayCopies);
    expect(spy.findings.slice(0, 5)).toEqual([]);
    // The spy saw the stored work stream, the dead letters and the deliveries.
    expect(spy.scanned.messages).toBeGreaterThan(2 * COUNT);
  });
});
