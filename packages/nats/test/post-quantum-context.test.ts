/**
 * A per-context post-quantum policy applies to publish (SPEC.md §5.4, §11b):
 * the binding hands `resolveRecipient` the bound context of the subject, so a
 * resolver (a directory whose policy lists contexts) can require X-Wing keys
 * for some subjects only. Against the real nats-server; a plain subscriber
 * reads the raw envelopes and their suite.
 */
import {
  BlindwireError,
  ErrorCode,
  generateIdentity,
  inspect,
  publicIdentity,
  type Delivered,
  type Recipient,
} from '@blindwire/core';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode, probeService } from '@blindwire/testkit';
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
    // A directory policy `requirePostQuantum: [contexts]`, reduced to its
    // choice: without a text context (bytes) it cannot tell, and refuses.
    const resolveRecipient = (name: string, o: { context?: string | null }): Recipient => {
      seen.push([name, o]);
      if (name !== p.bob.name) throw new Error(`unknown ${name}`);
      if (o.context === undefined)
        throw new BlindwireError(ErrorCode.InvalidArgument, '"options.context" is required');
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

  it('a bytes context reaches the resolver as no context: the policy refuses, nothing is published', async () => {
    const base = fresh();
    const bobPq = await generateIdentity(p.bob.name, { kem: 'X-Wing' });
    const seen: unknown[] = [];
    const alice = createNatsBinding(nc, {
      sender: p.alice,
      context: (subject) => new TextEncoder().encode(subject),
      resolveRecipient: (name, o) => {
        seen.push(o);
        if (o.context === undefined)
          throw new BlindwireError(ErrorCode.InvalidArgument, '"options.context" is required');
        return publicIdentity(bobPq);
      },
    });
    const raw: string[] = [];
    const spy = nc.subscribe(`${base}.>`, {
      callback: (_e, m) => {
        raw.push(m.subject);
      },
    });
    await expectCode(
      alice.publish(`${base}.payments.eu`, 'pay', { to: p.bob.name }),
      'ERR_INVALID_ARGUMENT',
    );
    await nc.flush();
    expect(seen).toEqual([{}]);
    expect(raw).toEqual([]);
    spy.unsubscribe();
  });

  it('a batch resolver picks one KEM for every recipient of a publish (X25519 when one lacks X-Wing)', async () => {
    const base = fresh();
    const bobPq = await generateIdentity(p.bob.name, { kem: 'X-Wing' });
    const carol = await generateIdentity('spiffe://example.org/carol');
    const keys = new Map<string, Recipient[]>([
      [p.bob.name, [publicIdentity(bobPq), publicIdentity(p.bob)]], // X-Wing first: the strongest
      [carol.name, [publicIdentity(carol)]],
    ]);
    const kemOf = (r: Recipient) => (r === keys.get(p.bob.name)![0] ? 'X-Wing' : 'X25519');
    const seen: unknown[] = [];
    const alice = createNatsBinding(nc, {
      sender: p.alice,
      // One by one, each name would get its strongest key: [X-Wing, X25519], which seal refuses.
      resolveRecipient: (name) => keys.get(name)![0]!,
      // Together (as a directory's resolveRecipients): the strongest KEM every name has.
      resolveRecipients: (names, o) => {
        seen.push([names, o]);
        const all = names.map((n) => keys.get(n)!);
        const kem = all.every((k) => k.some((r) => kemOf(r) === 'X-Wing')) ? 'X-Wing' : 'X25519';
        return all.map((k) => k.find((r) => kemOf(r) === kem)!);
      },
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
    await alice.publish(`${base}.both`, 'to both', { to: [p.bob.name, carol.name] });
    await alice.publish(`${base}.bob`, 'to bob', { to: [p.bob.name] });
    await until(() => got.length === 2 && raw.length === 2, 10_000, 'two deliveries');
    expect(seen).toEqual([
      [[p.bob.name, carol.name], { context: `blindwire/nats/v1 ${base}.both` }],
      [[p.bob.name], { context: `blindwire/nats/v1 ${base}.bob` }],
    ]);
    const suiteOf = (s: string) => raw.find((r) => r.subject === s)?.suite;
    expect(suiteOf(`${base}.both`)).not.toMatch(/X-Wing/);
    expect(suiteOf(`${base}.bob`)).toMatch(/^X-Wing\//);
    // Without the batch resolver, the same publish is refused (one KEM per envelope), not downgraded.
    const oneByOne = createNatsBinding(nc, {
      sender: p.alice,
      resolveRecipient: (name) => keys.get(name)![0]!,
    });
    await expectCode(
      oneByOne.publish(`${base}.both`, 'x', { to: [p.bob.name, carol.name] }),
      'ERR_UNSUPPORTED_SUITE',
    );
    sub.unsubscribe();
    await sub.processed;
    spy.unsubscribe();
  });
});
