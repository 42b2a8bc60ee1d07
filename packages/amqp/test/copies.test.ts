/**
 * The consumer's copies against the real RabbitMQ (SPEC.md §7b, §11c), at
 * both ends of the amqplib range: a retry or dead-letter copy the broker
 * cannot route (no such queue, no binding) is confirmed by RabbitMQ anyway
 * and would be dropped, so it must count as a failed write (the original is
 * not acknowledged); and the retry hints (`bw-destination`, `bw-attempt`)
 * are believed only on a copy that came back from the consumer's own delay
 * queue, never on a message published through an exchange with forged
 * `x-death` headers.
 */
import { seal } from '@blindwire/core';
import { probeService } from '@blindwire/testkit';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmqpBinding } from '../src/index.js';
import { CLIENTS, URL, drain, fresh, optionsOf, parties, queues, until } from './helpers.js';
import type { Parties } from './helpers.js';

const rabbit = await probeService('rabbitmq');

describe.skipIf(rabbit.skip).each(CLIENTS)('copies through amqplib $version', (client) => {
  let conn: ChannelModel;
  let ch: ConfirmChannel;
  let admin: Channel;
  let p: Parties;
  const made: string[] = [];
  beforeAll(async () => {
    rabbit.assertUp();
    conn = (await client.connect(URL)) as ChannelModel;
    ch = await conn.createConfirmChannel();
    admin = await conn.createChannel();
    p = await parties();
  });
  afterAll(async () => {
    for (const q of made) await admin.deleteQueue(q).catch(() => undefined);
    await conn?.close();
  });
  const setup = async () => {
    const q = await queues(admin, 'classic');
    made.push(q.work, q.retry, q.dead);
    return { q, bw: createAmqpBinding(ch, optionsOf(p.bob, [p.alice])) };
  };

  it('an unroutable dead-letter copy is a failed write: the original stays in the queue', async () => {
    const { q, bw } = await setup();
    const run = await bw.consume(q.work, () => {}, {
      deadLetter: { queue: fresh() }, // never declared: RabbitMQ confirms and drops
      retryQueue: q.retry,
    });
    admin.sendToQueue(q.work, Buffer.from([1, 2, 3, 4]));
    await until(() => run.stats.writeFailed >= 1, 10_000, 'a failed write');
    await run.stop();
    expect(run.stats).toMatchObject({ acked: 0, deadLettered: 0 });
    const left = await drain(admin, q.work);
    expect(left.map((m) => [...m.content])).toEqual([[1, 2, 3, 4]]);
  });

  it('an unroutable retry copy is a failed write: the original stays in the queue', async () => {
    const { q, bw } = await setup();
    const alice = createAmqpBinding(ch, optionsOf(p.alice, [p.alice]));
    let calls = 0;
    const run = await bw.consume(
      q.work,
      () => {
        calls++;
        throw new Error('transient');
      },
      { deadLetter: { queue: q.dead }, retryQueue: fresh() }, // no such delay queue
    );
    const sent = await alice.sendToQueue(q.work, 'P:keep-me', {
      to: p.bob.encryption,
      confirm: true,
    });
    await until(() => run.stats.writeFailed >= 1, 10_000, 'a failed write');
    await run.stop();
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(run.stats).toMatchObject({ acked: 0, retried: 0 });
    const left = await drain(admin, q.work);
    expect(left.map((m) => m.properties.messageId)).toEqual([sent.messageId]);
  });

  it('forged x-death and bw-destination on a message from an exchange: context mismatch', async () => {
    const { q, bw } = await setup();
    const rk = `${q.work}.rk`;
    await admin.bindQueue(q.work, 'amq.direct', rk);
    // An envelope sealed for another destination, replayed through amq.direct
    // with the headers a genuine retry copy carries.
    const other = `amq.direct/${q.work}.other`;
    const s = await seal('P:elsewhere', {
      sender: p.alice,
      recipients: p.bob.encryption,
      context: `blindwire/amqp/v1 ${other}`,
    });
    const calls: string[] = [];
    const run = await bw.consume(q.work, (m) => void calls.push(m.destination), {
      deadLetter: { queue: q.dead },
      retryQueue: q.retry,
    });
    admin.publish('amq.direct', rk, Buffer.from(s.envelope), {
      headers: {
        'bw-destination': other,
        'bw-attempt': 1,
        'x-death': [{ queue: q.retry, reason: 'expired', count: 1, exchange: '' }],
      },
    });
    await until(() => run.stats.deadLettered === 1, 10_000, 'a dead letter');
    await run.stop();
    expect(calls).toEqual([]);
    const [dead] = await drain(admin, q.dead);
    expect(dead!.properties.headers?.['bw-reason']).toBe('ERR_CONTEXT_MISMATCH');
  });
});
