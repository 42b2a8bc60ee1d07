/**
 * The `opener` option against the real nats-server: deliveries of a
 * subscription are opened by the worker-thread pool (`createOpenPool`
 * from `@blindwire/node`) and dispose as with the in-thread `open`: the
 * genuine ones reach the handler, a tampered copy does not and is
 * dead-lettered with ERR_OPEN_FAILED.
 */
import { bindingContext, seal, type Delivered, type OpenOptions } from '@blindwire/core';
import { createOpenPool } from '@blindwire/node';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService } from '@blindwire/testkit';
import { createNatsBinding, readHint, type NatsConsumeEvent } from '../src/index.js';
import { SERVERS, endpoint, fresh, parties, until, type Parties } from './helpers.js';

const nats = await probeService('nats');

describe.skipIf(nats.skip)('the opener option (worker-thread pool)', () => {
  let nc: NatsConnection;
  let p: Parties;
  const pool = createOpenPool({ size: 1 });

  beforeAll(async () => {
    nats.assertUp();
    nc = await connect({ servers: SERVERS });
    p = await parties();
  });
  afterAll(async () => {
    await nc?.close();
    await pool.close();
  });

  it('opens every delivery through the pool; a tampered copy is dead-lettered, never handled', async () => {
    const base = fresh();
    let opened = 0;
    const opener = {
      backend: pool.backend,
      open: (bytes: Uint8Array, o: OpenOptions) => {
        opened++;
        return pool.open(bytes, o);
      },
    };
    const events: NatsConsumeEvent[] = [];
    const bob = createNatsBinding(
      nc,
      endpoint(p.bob, [p.alice], {
        opener,
        onEvent: (e) => void (e.verb === 'subscribe' && events.push(e)),
      }),
    );
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob]));
    const got: Delivered[] = [];
    const dead: { reason: string; id: string }[] = [];
    const dl = nc.subscribe(`${base}.dlq`, {
      callback: (_e, m) =>
        void dead.push({
          reason: readHint(m.headers, 'bw-reason')!,
          id: readHint(m.headers, 'bw-message-id')!,
        }),
    });
    const sub = bob.subscribe(`${base}.jobs`, (m) => void got.push(m), {
      deadLetterSubject: `${base}.dlq`,
    });
    await nc.flush();
    const sent = [];
    for (const t of ['one', 'two', 'three'])
      sent.push(await alice.publish(`${base}.jobs`, t, { to: p.bob }));
    const bad = await seal('tampered', {
      sender: p.alice,
      recipients: p.bob,
      context: bindingContext('nats', `${base}.jobs`),
    });
    const bytes = bad.envelope.slice();
    bytes[bytes.length - 3]! ^= 1;
    nc.publish(`${base}.jobs`, bytes);
    await until(
      () => got.length === 3 && dead.length === 1,
      15_000,
      'three handled, one dead letter',
    );
    await sub.drain();
    dl.unsubscribe();
    expect(opened).toBe(4);
    expect(got.map((m) => new TextDecoder().decode(m.payload)).sort()).toEqual([
      'one',
      'three',
      'two',
    ]);
    expect(got.map((m) => m.messageId).sort()).toEqual(sent.map((r) => r.messageId).sort());
    expect(dead).toEqual([{ reason: 'ERR_OPEN_FAILED', id: bad.messageId }]);
    expect(events.map((e) => e.action).sort()).toEqual(['ack', 'ack', 'ack', 'dead-letter']);
  });
});
