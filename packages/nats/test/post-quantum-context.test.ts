/**
 * A per-context post-quantum policy applies to publish (SPEC.md §5.4, §11b):
 * the binding hands `resolveRecipient` the bound context of the subject, so a
 * resolver (a directory whose policy lists contexts) can require X-Wing keys
 * for some subjects only. Against the real nats-server; a plain subscriber
 * reads the raw envelopes and their suite.
 */
import {
  generateIdentity,
  inspect,
  publicIdentity,
  type Delivered,
  type Recipient,
} from '@blindwire/core';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService } from '@blindwire/testkit';
import { createNatsBinding } from '../src/index.js';
import { CLIENTS, fresh, parties, until, type Parties } from './helpers.js';

const nats = await probeService('nats');

describe.skipIf(nats.skip)('per-context post-quantum policy on publish (core NATS)', () => {
  let nc: NatsConnection;
  let p: Parties;

  beforeAll(async () => {
    nats.assertUp();
    nc = await CLIENTS[0]!.connect();
    p = await parties();
  });
  afterAll(async () => {
    await nc?.close();
  });

  it('payments subjects resolve to the X-Wing key, others to X25519; the resolver sees each context', async () => {
    const base = fresh();
    const bobPq = await generateIdentity(p.bob.name, { kem: 'X-Wing' });
    const pqContexts = new Set([`blindwire/nats/v1 ${base}.payments.eu`]);
    const seen: unknown[] = [];
    // A directory policy `requirePostQuantum: [contexts]`, reduced to its choice.
    const resolveRecipient = (name: string, o: { context?: string | null }): Recipient => {
      seen.push([name, o]);
      if (name !== p.bob.name) throw new Error(`unknown ${name}`);
      return publicIdentity(
        typeof o.context === 'string' && pqContexts.has(o.context) ? bobPq : p.bob,
      );
    };
    const alice = createNatsBinding(nc, {
      sender: p.alice,
      recipient: p.alice,
      trustedSenders: [publicIdentity(p.bob)],
      resolveRecipient,
    });
    const bob = createNatsBinding(nc, {
      sender: p.bob,
      recipient: [bobPq, p.bob],
      trustedSenders: [publicIdentity(p.alice)],
    });
    const raw: { subject: string; suite: string }[] = [];
    const spy = nc.subscribe(`${base}.>`, {
      callback: (_e, m) => {
        raw.push({ subject: m.subject, suite: inspect(m.data).suite.name });
      },
    });
    const got: Delivered[] = [];
    const sub = bob.subscribe(`${base}.>`, (m) => {
      got.push(m);
    });
    await nc.flush();
    await alice.publish(`${base}.payments.eu`, 'pay 12.50', { to: p.bob.name });
    await alice.publish(`${base}.orders.eu`, 'order 42', { to: [p.bob.name] });
    await until(() => got.length === 2 && raw.length === 2, 10_000, 'two deliveries');
    expect(seen).toEqual([
      [p.bob.name, { context: `blindwire/nats/v1 ${base}.payments.eu` }],
      [p.bob.name, { context: `blindwire/nats/v1 ${base}.orders.eu` }],
    ]);
    const suiteOf = (s: string) => raw.find((r) => r.subject === s)?.suite;
    expect(suiteOf(`${base}.payments.eu`)).toMatch(/^X-Wing\//);
    expect(suiteOf(`${base}.orders.eu`)).not.toMatch(/X-Wing/);
    const text = (d: Delivered) => new TextDecoder().decode(d.payload);
    expect(got.map(text).sort()).toEqual(['order 42', 'pay 12.50']);
    sub.unsubscribe();
    await sub.processed;
    spy.unsubscribe();
  });
});
