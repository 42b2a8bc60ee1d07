/**
 * The JetStream pull loop (src/js-pull.ts) against the real nats-server on
 * 127.0.0.1:4222 (both ends of the client range): messages pulled far ahead
 * of a slow handler are kept leased from their arrival, so none is
 * redelivered past ack_wait; no more than `maxMessages` are ever delivered
 * and unacknowledged, and more than the concurrency are (it does pull
 * ahead); a stream deleted under an idle run ends `done` with ERR_TRANSPORT.
 */
import { ErrorCode, isBlindwireError } from '@blindwire/core';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService } from '@blindwire/testkit';
import { createNatsBinding, type NatsBindingOptions } from '../src/index.js';
import type { JsConsumerLike, JsMsgLike } from '../src/types.js';
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

/**
 * The consumer seen by the binding, counting the messages it holds: delivered
 * by a fetch and not yet acked, naked or terminated (the most at once in `max`).
 */
function countHeld(inner: JsConsumerLike) {
  const c = { now: 0, max: 0, delivered: 0, consumer: undefined as unknown as JsConsumerLike };
  const settle = (m: JsMsgLike, verb: 'ack' | 'nak' | 'term') => {
    let done = false;
    return (...a: unknown[]) => {
      if (!done) c.now--;
      done = true;
      return (m[verb] as (...x: unknown[]) => void)(...a);
    };
  };
  const wrap = (m: JsMsgLike): JsMsgLike =>
    Object.assign(Object.create(m) as JsMsgLike, {
      ack: settle(m, 'ack'),
      nak: settle(m, 'nak'),
      term: settle(m, 'term'),
      working: () => m.working(),
    });
  c.consumer = {
    info: (cached) => inner.info(cached),
    async fetch(opts) {
      const it = await inner.fetch(opts);
      return {
        stop: (err) => it.stop(err),
        async *[Symbol.asyncIterator]() {
          for await (const m of it) {
            c.delivered++;
            c.max = Math.max(c.max, ++c.now);
            yield wrap(m);
          }
        },
      };
    },
  };
  return c;
}
const ms = (n: number) => n * 1_000_000;

describe.skipIf(nats.skip).each(CLIENTS)('JetStream pull loop (nats.js $version)', (client) => {
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

  async function setup() {
    const prefix = fresh();
    const stream = freshStream();
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: 'memory' as never });
    streams.push(stream);
    await jsm.consumers.add(stream, {
      durable_name: 'w',
      ack_policy: 'explicit' as never,
      ack_wait: ms(1000),
      max_deliver: 10,
    });
    const js = client.js(nc);
    const consumer = await js.consumers.get(stream, 'w');
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob])).jetstream(js);
    return { prefix, stream, dlSubject: `${prefix}-dl`, js, consumer, alice };
  }

  const bob = (extra: Partial<NatsBindingOptions> = {}) =>
    createNatsBinding(nc, endpoint(p.bob, [p.alice], extra));

  it('messages pulled far ahead of a slow handler are leased from arrival: none redelivered', async () => {
    const { prefix, stream, dlSubject, js, consumer, alice } = await setup();
    for (let i = 0; i < 16; i++) await alice.publish(`${prefix}.jobs`, `job ${i}`, { to: p.bob });
    const attempts: number[] = [];
    const run = await bob({ concurrency: 1 })
      .jetstream(js)
      .consume(
        consumer,
        async (m) => {
          attempts.push(m.attempt);
          await sleep(200); // the last of 16 waits 3 s, three times ack_wait
        },
        { deadLetterSubject: dlSubject, maxMessages: 16 },
      );
    await until(() => run.stats.acked >= 16, 20_000, 'sixteen acks');
    await sleep(1500); // a message given up by the server would come back by now
    await run.stop();
    expect(attempts).toEqual(Array(16).fill(1));
    expect(run.stats).toMatchObject({ acked: 16, naked: 0 });
    const ci = await jsm.consumers.info(stream, 'w');
    expect(ci.num_ack_pending).toBe(0);
    expect(ci.num_redelivered).toBe(0);
  });

  it('holds no more than maxMessages delivered and unacknowledged, and more than the concurrency', async () => {
    const { prefix, stream, dlSubject, js, consumer, alice } = await setup();
    for (let i = 0; i < 12; i++) await alice.publish(`${prefix}.jobs`, `job ${i}`, { to: p.bob });
    // Counted where the messages arrive: the server's num_ack_pending lags the acks
    // (it may process the next pull request before an ack sent ahead of it).
    const held = countHeld(consumer);
    const run = await bob({ concurrency: 1 })
      .jetstream(js)
      .consume(held.consumer, () => sleep(100), { deadLetterSubject: dlSubject, maxMessages: 3 });
    await until(() => run.stats.acked >= 12, 20_000, 'twelve acks');
    await run.stop();
    expect(held.max).toBe(3);
    expect(held.delivered).toBe(12);
    expect(held.now).toBe(0);
    expect((await jsm.consumers.info(stream, 'w')).num_pending).toBe(0);
  });

  it('without maxMessages, holds 4 x the concurrency delivered and unacknowledged', async () => {
    const { prefix, stream, dlSubject, js, consumer, alice } = await setup();
    for (let i = 0; i < 12; i++) await alice.publish(`${prefix}.jobs`, `job ${i}`, { to: p.bob });
    const held = countHeld(consumer);
    const run = await bob({ concurrency: 2 })
      .jetstream(js)
      .consume(held.consumer, () => sleep(100), { deadLetterSubject: dlSubject });
    await until(() => run.stats.acked >= 12, 20_000, 'twelve acks');
    await run.stop();
    expect(held.max).toBe(8);
    expect(held.delivered).toBe(12);
    expect(held.now).toBe(0);
    expect((await jsm.consumers.info(stream, 'w')).num_pending).toBe(0);
  });

  it('a stream deleted under an idle run: done rejects with ERR_TRANSPORT', async () => {
    const { stream, dlSubject, js, consumer } = await setup();
    const run = await bob()
      .jetstream(js)
      .consume(consumer, () => {}, {
        deadLetterSubject: dlSubject,
      });
    await sleep(200); // the first fetch is waiting on the server
    await jsm.streams.delete(stream);
    const err = await Promise.race([
      run.done.then(
        () => 'resolved',
        (e: unknown) => e,
      ),
      sleep(8000).then(() => 'still running'),
    ]);
    expect(isBlindwireError(err) && err.code).toBe(ErrorCode.Transport);
    await run.stop().catch(() => undefined);
  });
});
