/**
 * @blindwire/amqp against the real RabbitMQ (SPEC.md §7b, §11b, §11c), at
 * both ends of the amqplib range and on classic and quorum queues: publish
 * and consume with the hint properties, a handler failure retried through
 * the delay queue (attempt 2), dead-letter copies unchanged with their
 * reason, transient failures dead-lettered after maxAttempts, and the
 * configuration refused up front (no confirm channel).
 */
import { seal, type Delivered } from '@blindwire/core';
import { expectCode, probeService } from '@blindwire/testkit';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmqpBinding, type AmqpEvent } from '../src/index.js';
import {
  CLIENTS,
  QUEUE_TYPES,
  URL,
  drain,
  optionsOf,
  parties,
  queues,
  until,
  type Parties,
} from './helpers.js';

const rabbit = await probeService('rabbitmq');

describe.skipIf(rabbit.skip).each(CLIENTS)('amqplib $version', (client) => {
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

  describe.each(QUEUE_TYPES)('%s queue', (type) => {
    const setup = async () => {
      const q = await queues(admin, type);
      made.push(q.work, q.retry, q.dead);
      const events: AmqpEvent[] = [];
      const bw = createAmqpBinding(ch, {
        ...optionsOf(p.bob, [p.alice]),
        onEvent: (e) => events.push(e),
      });
      const alice = createAmqpBinding(ch, optionsOf(p.alice, [p.alice]));
      return { q, bw, alice, events };
    };

    it('sendToQueue then consume: opened payload, hint properties, events metadata only', async () => {
      const { q, bw, alice, events } = await setup();
      const got: Delivered[] = [];
      const run = await bw.consume(q.work, (m) => void got.push(m), {
        deadLetter: { queue: q.dead },
        retryQueue: q.retry,
      });
      const r = await alice.sendToQueue(q.work, 'P:hello-amqp', {
        to: p.bob.encryption,
        confirm: true,
      });
      expect(r.ok).toBe(true);
      await until(() => got.length === 1);
      await run.stop();
      expect(new TextDecoder().decode(got[0]!.payload)).toBe('P:hello-amqp');
      expect(got[0]).toMatchObject({
        sender: p.alice.name,
        messageId: r.messageId,
        attempt: 1,
        destination: `/${q.work}`,
      });
      expect(run.stats).toMatchObject({ acked: 1, retried: 0, deadLettered: 0 });
      const e = events.find((x) => x.verb === 'consume')!;
      expect(e).toMatchObject({ outcome: 'deliver', action: 'ack', messageId: r.messageId });
      expect(JSON.stringify(events)).not.toContain(p.alice.name);
      expect(JSON.stringify(events)).not.toContain('hello');
    });

    it('publish through an exchange: properties are hints (content type, message id, timestamp, expiration)', async () => {
      const { q, alice } = await setup();
      const rk = `${q.work}.key`;
      await admin.bindQueue(q.dead, 'amq.topic', rk);
      const r = await alice.publish('amq.topic', rk, 'P:via-exchange', {
        to: p.bob.encryption,
        ttl: 60,
        confirm: true,
      });
      const [m] = await drain(admin, q.dead);
      expect(Buffer.from(m!.content).length).toBe(r.bytes);
      expect(m!.properties).toMatchObject({
        contentType: 'application/vnd.blindwire.envelope',
        messageId: r.messageId,
      });
      expect(Number(m!.properties.expiration)).toBeGreaterThan(50_000);
      expect(Number(m!.properties.expiration)).toBeLessThanOrEqual(60_000);
      expect(typeof m!.properties.timestamp).toBe('number');
      expect(Buffer.from(m!.content).includes('via-exchange')).toBe(false);
    });

    it('a handler failure is retried through the delay queue (attempt 2), then committed', async () => {
      const { q, bw, alice } = await setup();
      const attempts: number[] = [];
      const run = await bw.consume(
        q.work,
        (m) => {
          attempts.push(m.attempt);
          if (attempts.length === 1) throw new Error('first time fails');
        },
        { deadLetter: { queue: q.dead }, retryQueue: q.retry },
      );
      await alice.sendToQueue(q.work, 'P:retry-me', { to: p.bob.encryption, confirm: true });
      await until(() => attempts.length === 2);
      await until(() => run.stats.acked === 2);
      await run.stop();
      expect(attempts).toEqual([1, 2]);
      expect(run.stats).toMatchObject({ retried: 1, deadLettered: 0 });
      expect(await drain(admin, q.dead)).toEqual([]);
    });

    it('permanent failures: the unchanged ciphertext with bw-reason, then ack; transient ones after maxAttempts', async () => {
      const { q, bw, alice } = await setup();
      const calls: string[] = [];
      const run = await bw.consume(
        q.work,
        (m) => {
          calls.push(m.messageId);
          throw new Error('always');
        },
        { deadLetter: { queue: q.dead }, retryQueue: q.retry, maxAttempts: 2 },
      );
      const s = await seal('P:tampered', {
        sender: p.alice,
        recipients: p.bob.encryption,
        context: `blindwire/amqp/v1 /${q.work}`,
      });
      const bad = s.envelope.slice();
      bad[bad.length - 5]! ^= 1;
      const junk = new Uint8Array([1, 2, 3, 4]);
      admin.sendToQueue(q.work, Buffer.from(bad));
      admin.sendToQueue(q.work, Buffer.from(junk));
      const failing = await alice.sendToQueue(q.work, 'P:handler-fails', {
        to: p.bob.encryption,
        confirm: true,
      });
      await until(() => run.stats.deadLettered === 3, 20_000, '3 dead letters');
      await run.stop();
      const dead = await drain(admin, q.dead);
      const byReason = Object.fromEntries(
        dead.map((m) => [String(m.properties.headers?.['bw-reason']), m]),
      );
      expect(Object.keys(byReason).sort()).toEqual([
        'ERR_ENVELOPE_MALFORMED',
        'ERR_HANDLER',
        'ERR_OPEN_FAILED',
      ]);
      expect(Buffer.from(byReason.ERR_OPEN_FAILED!.content).equals(Buffer.from(bad))).toBe(true);
      expect(byReason.ERR_OPEN_FAILED!.properties.messageId).toBe(s.messageId);
      expect(Buffer.from(byReason.ERR_ENVELOPE_MALFORMED!.content).equals(Buffer.from(junk))).toBe(
        true,
      );
      expect(byReason.ERR_HANDLER!.properties.messageId).toBe(failing.messageId);
      expect(calls).toEqual([failing.messageId, failing.messageId]);
    });
  });

  it('refuses up front: no confirm channel, bad names; over max_message_size before sealing', async () => {
    const plain = createAmqpBinding(admin, optionsOf(p.bob, [p.alice]));
    await expectCode(
      plain.consume('q', () => {}, { deadLetter: { queue: 'd' }, retryQueue: 'r' }),
      'ERR_INVALID_ARGUMENT',
    );
    await expectCode(
      plain.consume('q', () => {}, {
        deadLetter: { queue: '' },
        retryQueue: 'r',
        confirmChannel: ch,
      }),
      'ERR_INVALID_ARGUMENT',
    );
    await expectCode(
      plain.publish('a/b', 'k', 'x', { to: p.bob.encryption }),
      'ERR_INVALID_ARGUMENT',
    );
    const small = createAmqpBinding(admin, { ...optionsOf(p.alice, []), maxMessageBytes: 1024 });
    await expectCode(
      small.sendToQueue('nowhere', new Uint8Array(1024), { to: p.bob.encryption }),
      'ERR_LIMIT_EXCEEDED',
    );
    const ok = await small.sendToQueue(`${made[0] ?? 'nowhere'}`, new Uint8Array(200), {
      to: p.bob.encryption,
    });
    expect(ok.bytes).toBeLessThanOrEqual(1024);
  });
});
