/**
 * JetStream consume at its edges, against the real nats-server 2.9 on
 * 127.0.0.1:4222 (both ends of the client range): at the last delivery the
 * server allows (`max_deliver`), a `nak` is never answered, so an id held in
 * flight elsewhere and a dead-letter write that failed are resolved by the
 * binding itself (the message stays leased), never abandoned without a copy;
 * a connection closed under a running handler does not crash the process
 * through `working()`; a consumer deleted under the run ends `done` with
 * ERR_TRANSPORT after the running handlers were disposed of; messages pulled
 * ahead do not expire inside nats.js (no wasted redelivery); stop() disposes
 * of every pulled message and flushes the acks.
 */
import { createMemoryReplayStore, ErrorCode, isBlindwireError } from '@blindwire/core';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService } from '@blindwire/testkit';
import { createNatsBinding, readHint, type NatsBindingOptions } from '../src/index.js';
import {
  CLIENTS,
  endpoint,
  fresh,
  freshStream,
  parties,
  sleep,
  until,
  type Parties,
} from './helpers.js';

const nats = await probeService('nats');
const ms = (n: number) => n * 1_000_000;
const fast = { retry: { backoffMs: 50, maxBackoffMs: 100 } };

describe.skipIf(nats.skip).each(CLIENTS)('JetStream edges (nats.js $version)', (client) => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let p: Parties;
  const streams: string[] = [];

  beforeAll(async () => {
    nats.assertUp();
    nc = await client.connect();
    jsm = await client.jsm(nc);
    p = await parties();
  });
  afterAll(async () => {
    for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
    await nc?.close();
  });

  async function setup(maxDeliver: number, dlCaptured = true) {
    const prefix = fresh();
    const stream = freshStream();
    const dlStream = freshStream();
    const dlSubject = `${prefix}-dl`;
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: 'memory' as never });
    streams.push(stream);
    const addDl = async () => {
      await jsm.streams.add({ name: dlStream, subjects: [dlSubject], storage: 'memory' as never });
      streams.push(dlStream);
    };
    if (dlCaptured) await addDl();
    await jsm.consumers.add(stream, {
      durable_name: 'w',
      ack_policy: 'explicit' as never,
      ack_wait: ms(1000),
      max_deliver: maxDeliver,
    });
    const js = client.js(nc);
    const consumer = await js.consumers.get(stream, 'w');
    return { prefix, stream, dlStream, dlSubject, js, consumer, addDl };
  }

  const bob = (extra: Partial<NatsBindingOptions> = {}, conn: NatsConnection = nc) =>
    createNatsBinding(conn, endpoint(p.bob, [p.alice, p.mallory], { ...fast, ...extra }));

  it('in flight elsewhere at the last delivery: held and opened again, not abandoned', async () => {
    const { prefix, dlStream, dlSubject, js, consumer } = await setup(2);
    const replay = createMemoryReplayStore();
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob])).jetstream(js);
    const sent = await alice.publish(`${prefix}.jobs`, 'once', { to: p.bob });
    const entry = {
      messageId: sent.messageId,
      sender: p.alice.name,
      keepUntil: Math.floor(Date.now() / 1000) + 7200,
    };
    expect(await replay.reserve(entry, 60_000, 'other')).toBe('reserved');
    const attempts: number[] = [];
    const seen: number[] = [];
    const run = await bob({
      replay,
      onEvent: (e) => void (e.verb === 'consume' && 'attempt' in e && seen.push(e.attempt)),
    })
      .jetstream(js)
      .consume(consumer, (m) => void attempts.push(m.attempt), { deadLetterSubject: dlSubject });
    // Both server deliveries answered in-flight; the second is the last one.
    await until(() => seen.filter((a) => a === 2).length >= 2, 15_000, 'the last delivery, twice');
    await replay.release(entry, 'other');
    await until(() => run.stats.acked === 1, 15_000, 'the ack');
    await run.stop();
    expect(attempts).toEqual([2]);
    expect((await jsm.streams.info(dlStream)).state.messages).toBe(0);
  });

  it('a dead-letter write failing at the last delivery is retried until it lands', async () => {
    const { prefix, dlStream, dlSubject, js, consumer, addDl } = await setup(2, false);
    const mallory = createNatsBinding(nc, endpoint(p.mallory, [p.bob])).jetstream(js);
    const sent = await mallory.publish(`${prefix}.jobs`, 'x', { to: p.bob });
    const run = await bob({ policy: [{ match: '>', allowedSenders: [p.alice.name] }] })
      .jetstream(js)
      .consume(consumer, () => {}, { deadLetterSubject: dlSubject });
    // Two deliveries (the server's all), and more failed writes than deliveries.
    await until(
      () => run.stats.deadLetterFailed >= 4,
      20_000,
      'failed writes past the last delivery',
    );
    await sleep(1500); // past ack_wait: a message given up by the server would not come back
    await addDl();
    await until(() => run.stats.termed === 1, 20_000, 'the termination');
    await run.stop();
    const m = await jsm.streams.getMessage(dlStream, { seq: 1 });
    expect(readHint(m!.header, 'bw-reason')).toBe(ErrorCode.SenderNotAllowed);
    expect(readHint(m!.header, 'bw-message-id')).toBe(sent.messageId);
    expect(run.stats.deadLettered).toBe(1);
  });

  it('messages pulled ahead are not left unleased past ack_wait (no redelivery)', async () => {
    const { prefix, stream, dlSubject, js, consumer } = await setup(10);
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob])).jetstream(js);
    for (let i = 0; i < 16; i++) await alice.publish(`${prefix}.jobs`, `job ${i}`, { to: p.bob });
    const attempts: number[] = [];
    const deliveries: number[] = [];
    const run = await bob({
      concurrency: 1,
      onEvent: (e) => void (e.verb === 'consume' && 'attempt' in e && deliveries.push(e.attempt)),
    })
      .jetstream(js)
      .consume(
        consumer,
        async (m) => {
          attempts.push(m.attempt);
          await sleep(250); // 16 x 250 ms > ack_wait (1 s)
        },
        { deadLetterSubject: dlSubject },
      );
    await until(() => run.stats.acked >= 16, 20_000, 'sixteen acks');
    await sleep(1500);
    await run.stop();
    // Every message delivered once: none expired while it waited in the client.
    expect(attempts).toEqual(Array(16).fill(1));
    expect(deliveries).toEqual(Array(16).fill(1));
    expect((await jsm.consumers.info(stream, 'w')).num_ack_pending).toBe(0);
  });

  it('stop() disposes of the running messages and gives the rest back (nak), none lost', async () => {
    const { prefix, dlSubject, js, consumer } = await setup(10);
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob])).jetstream(js);
    for (let i = 0; i < 6; i++) await alice.publish(`${prefix}.jobs`, `job ${i}`, { to: p.bob });
    let started = 0;
    const run = await bob({ concurrency: 1 })
      .jetstream(js)
      .consume(consumer, async () => void (started++, await sleep(50)), {
        deadLetterSubject: dlSubject,
        maxMessages: 6,
      });
    await until(() => started === 1, 10_000, 'the first handler');
    await run.stop(); // resolves once the acks and naks were flushed to the server
    expect(run.stats.acked).toBe(started);
    expect(started).toBeLessThan(6);
    // The rest were given back, not lost: another run gets each as a redelivery.
    const attempts: number[] = [];
    const next = await bob()
      .jetstream(js)
      .consume(consumer, (m) => void attempts.push(m.attempt), { deadLetterSubject: dlSubject });
    await until(() => next.stats.acked >= 6 - started, 10_000, 'the rest acked');
    await next.stop();
    expect(attempts.length).toBe(6 - started);
    expect(attempts.every((a) => a >= 2)).toBe(true);
  });

  it('stop() ends a wait for a dead-letter stream that never comes', async () => {
    const { prefix, dlSubject, js, consumer } = await setup(1, false);
    const mallory = createNatsBinding(nc, endpoint(p.mallory, [p.bob])).jetstream(js);
    await mallory.publish(`${prefix}.jobs`, 'x', { to: p.bob });
    const run = await bob({ policy: [{ match: '>', allowedSenders: [p.alice.name] }] })
      .jetstream(js)
      .consume(consumer, () => {}, { deadLetterSubject: dlSubject });
    await until(() => run.stats.deadLetterFailed >= 2, 20_000, 'failed writes');
    const ended = await Promise.race([run.stop().then(() => 'stopped'), sleep(5000)]);
    expect(ended).toBe('stopped');
    expect(run.stats.termed).toBe(0);
  });

  it('a connection closed under a running handler: no crash from working()', async () => {
    const { prefix, stream, js, dlSubject } = await setup(5);
    const nc2 = await client.connect();
    const js2 = client.js(nc2);
    const consumer2 = await js2.consumers.get(stream, 'w');
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob])).jetstream(js);
    await alice.publish(`${prefix}.jobs`, 'slow', { to: p.bob });
    let started = 0;
    const errors: unknown[] = [];
    const onError = (e: unknown) => void errors.push(e);
    process.on('uncaughtException', onError);
    try {
      const run = await bob({}, nc2)
        .jetstream(js2)
        .consume(
          consumer2,
          async () => {
            started++;
            await sleep(400);
          },
          { deadLetterSubject: dlSubject, workingIntervalMs: 20 },
        );
      await until(() => started === 1, 10_000, 'the handler');
      await nc2.close();
      await sleep(300);
      await run.done.catch(() => undefined);
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(errors).toEqual([]);
  });

  it('a consumer deleted under the run: done rejects with ERR_TRANSPORT after disposing', async () => {
    const { prefix, stream, dlSubject, js, consumer } = await setup(5);
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob])).jetstream(js);
    await alice.publish(`${prefix}.jobs`, 'job', { to: p.bob });
    let started = 0;
    let finished = 0;
    const run = await bob()
      .jetstream(js)
      .consume(
        consumer,
        async () => {
          started++;
          await sleep(300);
          finished++;
        },
        { deadLetterSubject: dlSubject },
      );
    await until(() => started === 1, 10_000, 'the handler');
    await jsm.consumers.delete(stream, 'w');
    const err = await Promise.race([
      run.done.then(
        () => 'resolved',
        (e: unknown) => e,
      ),
      sleep(8000).then(() => 'still running'),
    ]);
    expect(isBlindwireError(err) && err.code).toBe(ErrorCode.Transport);
    expect(finished).toBe(1);
    await run.stop().catch(() => undefined);
  });
});
