/**
 * Conformance (SPEC.md §7b) on RabbitMQ, nothing lost: 20,000 messages (1%
 * tampered, some expired, some from a disallowed sender, some cross-
 * destination and cross-transport, some published through the binding, some
 * replayed after processing) on a quorum queue, consumed by a child process
 * on the built packages, SIGKILLed twice at random points and restarted
 * (the broker requeues what it had not acknowledged), with the Redis replay
 * store shared across incarnations. Per message id: committed exactly once
 * XOR dead-lettered with the expected reason; replays counted as
 * duplicates. The spy queue receives a copy of every publish and every
 * dead-letter copy: no plaintext window, no sender name.
 */
import { bindingContext } from '@blindwire/core';
import {
  createBlindnessSpy,
  generateWorkload,
  runNothingLost,
  summaryLine,
  workloadCounts,
  type WorkloadSpec,
} from '@blindwire/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAmqpHarness, type AmqpHarness } from './amqp-harness.js';
import { assertReady, core, skip } from './shared.js';

// BW_CONFORMANCE_COUNT: a smaller run while developing; the suite's rule is >= 10,000.
const COUNT = Number(process.env.BW_CONFORMANCE_COUNT ?? 20_000);

function workloadFor(h: AmqpHarness, spec: WorkloadSpec) {
  return generateWorkload(spec, {
    core,
    sender: h.sender,
    disallowedSender: h.disallowed,
    recipients: h.consumerId,
    adapter: h.adapter,
    foreignContexts: [
      bindingContext('nats', h.queues.work),
      bindingContext('redis', h.queues.work),
    ],
  });
}

describe.skipIf(skip)('RabbitMQ conformance: nothing lost', () => {
  let h: AmqpHarness | undefined;
  beforeAll(() => assertReady());
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('20,000 messages on a quorum queue, two SIGKILLs: every id committed once XOR dead-lettered', async () => {
    const seed = Number(process.env.BW_CONFORMANCE_SEED ?? Date.now() % 2 ** 31);
    h = await createAmqpHarness({ queueType: 'quorum', concurrency: 24 });
    const workload = await workloadFor(h, { count: COUNT, seed });
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
    console.log(summaryLine('amqp', result, seed));
    console.log(
      `[conformance amqp] workload ${JSON.stringify(workloadCounts(workload))}; blindness: ` +
        `${spy.scanned.messages} messages, ${spy.scanned.bytes} bytes scanned, ` +
        `${spy.windows} plaintext windows, ${spy.findings.length} findings`,
    );
    expect(result.accounting.problems.slice(0, 20)).toEqual([]);
    expect(result.kills).toHaveLength(2);
    const c = result.accounting.counts;
    expect(c.committed + c.deadLettered).toBe(COUNT);
    expect(c.duplicates).toBeGreaterThanOrEqual(c.replayCopies);
    expect(spy.findings.slice(0, 5)).toEqual([]);
    // The spy saw every publish (replays included) and every dead-letter copy.
    expect(spy.scanned.messages).toBeGreaterThanOrEqual(
      COUNT + c.replayCopies + c.deadLetterCopies,
    );
  }, 300_000);

  it('the same run catches a consumer that acknowledges before the commit: messages in flight at a kill are lost', async () => {
    const seed = 77;
    h = await createAmqpHarness({ queueType: 'classic', concurrency: 24 });
    const workload = await workloadFor(h, { count: 2000, seed, rates: { replay: 0 } });
    const result = await runNothingLost({
      adapter: h.adapter,
      workload,
      logPath: h.logPath,
      childConfig: { ...h.childConfig, fault: 'ack-on-receipt' },
      isCommitted: (id, sender) => h!.replay.has(id, sender),
      kills: 2,
      timeoutMs: 120_000,
    });
    console.log(summaryLine('amqp faulty consumer (expected to fail)', result, seed));
    const problems = result.accounting.problems;
    const lost = problems.filter((p) => /never committed|not dead-lettered/.test(p));
    expect(lost.length).toBeGreaterThan(0);
    expect(
      problems.filter((p) => !/never committed|not dead-lettered|no dead-letter event/.test(p)),
    ).toEqual([]);
  }, 180_000);
});
