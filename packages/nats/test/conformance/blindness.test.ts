/**
 * Conformance (SPEC.md §11c: the broker sees only envelopes and hints) on
 * NATS JetStream, blindness: a workload of every kind is published (raw and
 * through the binding), consumed by the child, dead-lettered where due; the
 * spy reads the work stream and the dead-letter stream raw
 * (`$JS.API.STREAM.MSG.GET`: stored headers and body) and every core message
 * a plain subscriber saw on the run's subjects and the child's inbox
 * (publishes, dead-letter copies, deliveries). No 8-byte window of any
 * plaintext, and no sender name, appears. The same spy does find a plaintext
 * and a sender name published in the clear, so the reads are not blind.
 */
import { bindingContext } from '@blindwire/core';
import { headers } from '@nats-io/nats-core';
import {
  createBlindnessSpy,
  generateWorkload,
  runNothingLost,
  summaryLine,
  type StoredMessage,
} from '@blindwire/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsHarness, type NatsHarness } from './nats-harness.js';
import { assertReady, core, skip } from './shared.js';

const COUNT = 400;

describe.skipIf(skip)('NATS conformance: blindness', () => {
  let h: NatsHarness;
  beforeAll(async () => {
    assertReady();
    h = await createNatsHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('no plaintext window and no sender name in what JetStream stored or NATS delivered', async () => {
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
        foreignContexts: [bindingContext('redis', h.adapter.destination)],
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
    console.log(summaryLine('nats blindness', result, seed));
    expect(result.accounting.problems).toEqual([]);
    expect(spy.findings).toEqual([]);
    // Every place was read: the stored work and dead-letter streams, and core
    // messages on the run's subjects and on the child's inbox (deliveries).
    const where = (re: RegExp) => seen.filter((m) => re.test(m.where)).length;
    expect(where(/_WORK#/)).toBe(COUNT);
    const c = result.accounting.counts;
    expect(c.deadLettered).toBeGreaterThan(0);
    expect(where(/_DEAD#/)).toBe(c.deadLetterCopies);
    // (a JetStream delivery keeps the stream subject; it reaches the inbox subscription)
    expect(where(/^core bwc\.\S+ bwc\.[0-9a-f]+\.jobs$/)).toBe(COUNT + c.replayCopies);
    expect(where(/^core bwc\.\S+ bwc\.[0-9a-f]+\.dead$/)).toBe(c.deadLetterCopies);
    expect(where(/^core _INBOX_BWC_\S+ bwc\.[0-9a-f]+\.jobs$/)).toBeGreaterThanOrEqual(
      COUNT + c.replayCopies,
    );
    expect(seen.filter((m) => m.headers !== undefined).length).toBeGreaterThan(COUNT);
  }, 120_000);

  it('the same reads find a plaintext and a sender name sent in the clear', async () => {
    const plaintext = new TextEncoder().encode('P:clear-text-control-0123456789');
    const spy = createBlindnessSpy([plaintext], [h.sender.name]);
    await h.adapter.readStored(); // drain what the first case left
    const hdrs = headers();
    hdrs.set('x-note', h.sender.name);
    h.nc.publish(h.adapter.destination, plaintext, { headers: hdrs });
    await h.nc.flush();
    await new Promise((r) => setTimeout(r, 200));
    for (const m of await h.adapter.readStored()) spy.scan(m);
    const kinds = new Set(
      spy.findings.map(
        (f) => `${f.where.split('#')[0]!.replace(/[0-9a-f]{12}/g, 'R')} ${f.part} ${f.what}`,
      ),
    );
    // (a pull request the stopped child left open may deliver it to its inbox too)
    expect([...kinds].sort()).toEqual(
      expect.arrayContaining([
        'BWC_R_WORK body plaintext window',
        'BWC_R_WORK headers sender name',
        'core bwc.R.> bwc.R.jobs body plaintext window',
        'core bwc.R.> bwc.R.jobs headers sender name',
      ]),
    );
  });
});
