/**
 * The consumer's copies against the real RabbitMQ (SPEC.md §7b, §11c), at
 * both ends of the amqplib range: a retry or dead-letter copy the broker
 * cannot route (no such queue, no binding) is confirmed by RabbitMQ anyway
 * and would be dropped, so it must count as a failed write (the original is
 * not acknowledged).
 */
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
});
