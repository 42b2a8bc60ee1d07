/**
 * Conformance (SPEC.md §11c: the broker sees only envelopes and hints) on
 * RabbitMQ, blindness: a workload of every kind is published (raw and
 * through the binding), consumed by the child, dead-lettered where due; the
 * spy queue, bound to the work and dead-letter routing keys, receives what
 * the broker forwarded (bodies and properties, headers included). No 8-byte
 * window of any plaintext, and no sender name, appears. The same reads do
 * find a plaintext and a sender name published in the clear, so they are
 * not blind.
 */
import { bindingContext } from '@blindwire/core';
import {
  createBlindnessSpy,
  generateWorkload,
  runNothingLost,
  summaryLine,
  type StoredMessage,
} from '@blindwire/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXCHANGE, createAmqpHarness, type AmqpHarness } from './amqp-harness.js';
import { assertReady, core, skip } from './shared.js';

const COUNT = 400;

describe.skipIf(skip)('RabbitMQ conformance: blindness', () => {
  let h: AmqpHarness;
  beforeAll(async () => {
    assertReady();
    h = await createAmqpHarness({ queueType: 'classic' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('no plaintext window and no sender name in what RabbitMQ forwarded', async () => {
    const seed = 4242;
    const workload = await generateWorkload(
      {
        count: COUNT,
        seed,
        rates: { tampered: 0.02, expired: 0.02, disallowed: 0.02, viaBinding: 0.25 },
      },
      {
        core,
        sender: h.sender,
        disallowedSender: h.disallowed,
        recipients: h.consumerId,
        adapter: h.adapter,
        foreignContexts: [bindingContext('redis', h.queues.work)],
      },
    );
    const spy = createBlindnessSpy(
      workload.items.map((it) => it.payload),
      workload.senderNames,
    );
    const seen: StoredMessage[] = [];
    const scan = spy.scan.bind(spy);
    const recording = { ...spy, scan: (m: StoredMessage) => (seen.push(m), scan(m)) };
    const result = await runNothingLost({
      adapter: h.adapter,
      workload,
      logPath: h.logPath,
      childConfig: h.childConfig,
      isCommitted: (id, sender) => h.replay.has(id, sender),
      kills: 0,
      spy: recording,
    });
    console.log(summaryLine('amqp blindness', result, seed));
    expect(result.accounting.problems).toEqual([]);
    expect(spy.findings).toEqual([]);
    const where = (re: RegExp) => seen.filter((m) => re.test(m.where)).length;
    const c = result.accounting.counts;
    expect(where(/\.jobs$/)).toBe(COUNT + c.replayCopies);
    expect(c.deadLettered).toBeGreaterThan(0);
    expect(where(/\.jobs\.dead$/)).toBe(c.deadLetterCopies);
    expect(seen.every((m) => m.headers !== undefined && m.headers.length > 0)).toBe(true);
  }, 120_000);

  it('the same reads find a plaintext and a sender name sent in the clear', async () => {
    const plaintext = new TextEncoder().encode('P:clear-text-control-0123456789');
    const spy = createBlindnessSpy([plaintext], [h.sender.name]);
    await h.adapter.readStored();
    await new Promise<void>((resolve, reject) =>
      h.ch.publish(
        EXCHANGE,
        h.queues.work,
        Buffer.from(plaintext),
        { headers: { 'x-note': h.sender.name } },
        (e) => (e ? reject(e as Error) : resolve()),
      ),
    );
    for (const m of await h.adapter.readStored()) spy.scan(m);
    const kinds = new Set(spy.findings.map((f) => `${f.part} ${f.what}`));
    expect([...kinds].sort()).toEqual(['body plaintext window', 'headers sender name']);
  });
});
