/**
 * The edges of the JetStream pull loop (src/js-pull.ts, src/js-limits.ts)
 * against the real nats-server on 127.0.0.1:4222, both ends of the client
 * range: a consumer's max_batch / max_waiting / max_expires are kept to; a
 * passing fetch failure (409, missed heartbeats) is fetched again, a 400 or a
 * deleted consumer ends the run; a draining connection ends it cleanly, a
 * closed one is refused at consume(), as is an ordered consumer; stop() gives
 * the messages not yet started back at once (nak) except those on their last
 * delivery, which run; a message waiting unstarted for 3 x ack_wait is left
 * to expire (redelivered by the server), never nak'd; with slow handlers and
 * max_deliver every message is handled or dead-lettered; every failed pull is
 * reported, and a permission violation or a non-nats error ends the run.
 */
import { ErrorCode, isBlindwireError } from '@blindwire/core';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService } from '@blindwire/testkit';
import {
  createNatsBinding,
  type JsConsumerLike,
  type NatsBindingOptions,
  type NatsEvent,
} from '../src/index.js';
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

/** How `done` ended within `wait` ms. */
const outcome = (done: Promise<void>, wait = 8000) =>
  Promise.race([
    done.then(
      () => 'resolved' as unknown,
      (e: unknown) => e,
    ),
    sleep(wait).then(() => 'still running'),
  ]);
const code = (e: unknown) => (isBlindwireError(e) ? e.code : e);

describe.skipIf(nats.skip).each(CLIENTS)(
  'JetStream pull loop edges (nats.js $version)',
  (client) => {
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

    async function setup(config: Record<string, unknown> = {}, conn = nc) {
      const prefix = fresh();
      const stream = freshStream();
      await jsm.streams.add({
        name: stream,
        subjects: [`${prefix}.>`],
        storage: 'memory' as never,
      });
      streams.push(stream);
      await jsm.consumers.add(stream, {
        durable_name: 'w',
        ack_policy: 'explicit' as never,
        ack_wait: ms(30_000),
        max_deliver: 10,
        ...config,
      });
      const js = client.js(conn);
      const consumer = await js.consumers.get(stream, 'w');
      const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob])).jetstream(client.js(nc));
      const send = async (n: number) => {
        for (let i = 0; i < n; i++)
          await alice.publish(`${prefix}.jobs`, `job ${i}`, { to: p.bob });
      };
      return { prefix, stream, dlSubject: `${prefix}-dl`, js, consumer, send };
    }

    const bob = (extra: Partial<NatsBindingOptions> = {}, conn = nc) =>
      createNatsBinding(conn, endpoint(p.bob, [p.alice], extra));

    it('a consumer with max_batch 8 runs with the default pull-ahead (64)', async () => {
      const { dlSubject, js, consumer, send } = await setup({ max_batch: 8 });
      await send(20);
      const run = await bob()
        .jetstream(js)
        .consume(consumer, () => {}, { deadLetterSubject: dlSubject });
      await until(() => run.stats.acked >= 20, 10_000, 'twenty acks');
      await run.stop();
      expect(run.stats.acked).toBe(20);
    });

    it('a consumer with max_waiting 1 and max_expires 2 s runs', async () => {
      const { dlSubject, js, consumer, send } = await setup({
        max_waiting: 1,
        max_expires: ms(2000),
      });
      await send(6);
      const run = await bob({ concurrency: 1 })
        .jetstream(js)
        .consume(consumer, () => sleep(20), { deadLetterSubject: dlSubject, maxMessages: 8 });
      await until(() => run.stats.acked >= 6, 10_000, 'six acks');
      await sleep(2500); // a fetch expired on the server, and the next is taken
      await send(6);
      await until(() => run.stats.acked >= 12, 10_000, 'twelve acks');
      expect(await outcome(run.done, 10)).toBe('still running');
      await run.stop();
    });

    it('a passing fetch failure (409 Leadership Change, missed heartbeats) is fetched again', async () => {
      const { dlSubject, js, consumer, send } = await setup();
      const errors = [
        Object.assign(new Error('leadership change'), { name: 'JetStreamStatusError', code: 409 }),
        Object.assign(new Error('heartbeats missed'), { name: 'JetStreamError' }),
      ];
      let calls = 0;
      const flaky: JsConsumerLike = {
        info: (cached) => consumer.info(cached),
        fetch: (o) =>
          calls++ < errors.length ? Promise.reject(errors[calls - 1]!) : consumer.fetch(o),
      };
      await send(5);
      const run = await bob()
        .jetstream(js)
        .consume(flaky, () => {}, { deadLetterSubject: dlSubject });
      await until(() => run.stats.acked >= 5, 10_000, 'five acks');
      await run.stop();
      expect(calls).toBeGreaterThan(errors.length);
    });

    it('a 400 Bad Request from fetch ends the run (ERR_TRANSPORT)', async () => {
      const { dlSubject, js, consumer } = await setup();
      const bad: JsConsumerLike = {
        info: (cached) => consumer.info(cached),
        fetch: () =>
          Promise.reject(
            Object.assign(new Error('bad request'), { name: 'JetStreamStatusError', code: 400 }),
          ),
      };
      const run = await bob()
        .jetstream(js)
        .consume(bad, () => {}, { deadLetterSubject: dlSubject });
      expect(code(await outcome(run.done))).toBe(ErrorCode.Transport);
    });

    it('a consumer deleted under an idle run: done rejects with ERR_TRANSPORT', async () => {
      const { stream, dlSubject, js, consumer } = await setup();
      const run = await bob()
        .jetstream(js)
        .consume(consumer, () => {}, { deadLetterSubject: dlSubject });
      await sleep(200);
      await jsm.consumers.delete(stream, 'w');
      expect(code(await outcome(run.done))).toBe(ErrorCode.Transport);
    });

    it('drain() under an idle run ends it cleanly; consume() on a closed connection throws ERR_TRANSPORT', async () => {
      const other = await client.connect();
      const { dlSubject, js, consumer } = await setup({}, other);
      const run = await bob({}, other)
        .jetstream(js)
        .consume(consumer, () => {}, {
          deadLetterSubject: dlSubject,
        });
      await sleep(200); // a fetch is waiting on the server
      await other.drain();
      expect(await outcome(run.done)).toBe('resolved');
      const again = bob({}, other)
        .jetstream(js)
        .consume(consumer, () => {}, { deadLetterSubject: dlSubject });
      expect(code(await again.catch((e: unknown) => e))).toBe(ErrorCode.Transport);
    });

    it('an ordered consumer is refused at consume() (ERR_INVALID_ARGUMENT)', async () => {
      const { stream, dlSubject, js } = await setup();
      const ordered = await js.consumers.get(stream);
      const r = bob()
        .jetstream(js)
        .consume(ordered, () => {}, { deadLetterSubject: dlSubject });
      expect(code(await r.catch((e: unknown) => e))).toBe(ErrorCode.InvalidArgument);
    });

    it('stop() starts nothing more and gives the held messages back at once', async () => {
      const { dlSubject, js, consumer, send } = await setup(); // ack_wait 30 s
      await send(8);
      let stopped = false;
      let afterStop = 0;
      const first: number[] = [];
      const run = await bob({ concurrency: 1 })
        .jetstream(js)
        .consume(
          consumer,
          async (m) => {
            if (stopped) afterStop++;
            first.push(m.attempt);
            await sleep(300);
          },
          { deadLetterSubject: dlSubject, maxMessages: 8 },
        );
      await until(() => first.length >= 1, 5000, 'a first handler');
      await sleep(50); // all eight pulled by now
      stopped = true;
      await run.stop();
      expect(afterStop).toBe(0);
      // The rest come again long before ack_wait (30 s): they were nak'd, not forgotten.
      const attempts: number[] = [];
      const next = await bob()
        .jetstream(js)
        .consume(consumer, (m) => void attempts.push(m.attempt), {
          deadLetterSubject: dlSubject,
        });
      await until(() => next.stats.acked + run.stats.acked >= 8, 5000, 'all eight acked');
      await next.stop();
      expect(attempts.length).toBe(8 - run.stats.acked);
      expect(attempts.every((a) => a >= 2)).toBe(true);
    });

    it('hung handlers: messages not started expire after 3 x ack_wait (no working()), for another instance', async () => {
      const { stream, dlSubject, js, consumer, send } = await setup({ ack_wait: ms(1000) });
      await send(4);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const hung = await bob({ concurrency: 1 })
        .jetstream(js)
        .consume(consumer, () => gate, { deadLetterSubject: dlSubject, maxMessages: 4 });
      let held = 0;
      for (let i = 0; i < 50 && held < 4; i++, await sleep(50))
        held = (await jsm.consumers.info(stream, 'w')).num_ack_pending;
      expect(held).toBe(4);
      const got: number[] = [];
      const other = await bob({ concurrency: 4 })
        .jetstream(js)
        .consume(consumer, (m) => void got.push(m.attempt), { deadLetterSubject: dlSubject });
      await until(() => got.length >= 3, 8000, 'three given back');
      expect(got.every((a) => a >= 2)).toBe(true);
      expect(hung.stats.acked).toBe(0);
      // Stopped before the gate opens: the stale copies held are given back, not run.
      const stopping = hung.stop();
      release();
      await stopping;
      await other.stop();
      expect(hung.stats.acked + other.stats.acked).toBe(4);
    });

    it('slow handlers with max_deliver 3: every message is handled or dead-lettered, none lost', async () => {
      const { stream, dlSubject, js, consumer, send } = await setup({
        ack_wait: ms(1000),
        max_deliver: 3,
      });
      const n = 6;
      await send(n);
      const handled = new Set<string>();
      const run = await bob({ concurrency: 1 })
        .jetstream(js)
        .consume(
          consumer,
          async (m) => {
            handled.add(new TextDecoder().decode(m.payload));
            await sleep(3500); // longer than 3 x ack_wait: slow, not hung
          },
          { deadLetterSubject: dlSubject, maxMessages: n },
        );
      await until(
        () => run.stats.acked + run.stats.deadLettered >= n && handled.size >= n,
        60_000,
        'every message handled or dead-lettered',
      );
      await run.stop();
      const ci = await jsm.consumers.info(stream, 'w');
      expect(ci.num_pending).toBe(0);
      expect(ci.num_ack_pending).toBe(0);
      expect(handled.size + run.stats.deadLettered).toBeGreaterThanOrEqual(n);
    }, 90_000);

    it('stop(): a message on its last delivery is run, not given back (it would be lost)', async () => {
      const { stream, dlSubject, js, consumer, send } = await setup({ max_deliver: 1 });
      await send(4);
      const got: string[] = [];
      let firstStarted!: () => void;
      const started = new Promise<void>((r) => (firstStarted = r));
      const run = await bob({ concurrency: 1 })
        .jetstream(js)
        .consume(
          consumer,
          async (m) => {
            got.push(new TextDecoder().decode(m.payload));
            firstStarted();
            await sleep(300);
          },
          { deadLetterSubject: dlSubject, maxMessages: 4 },
        );
      await started;
      await sleep(100); // all four pulled by now (each on its only delivery)
      await run.stop();
      expect(new Set(got).size).toBe(4);
      expect(run.stats.acked).toBe(4);
      const ci = await jsm.consumers.info(stream, 'w');
      expect(ci.num_ack_pending).toBe(0);
      expect(ci.num_pending).toBe(0);
    });

    it('a passing failed pull is reported (pull event, ERR_TRANSPORT); a permission violation ends the run', async () => {
      const { dlSubject, js, consumer } = await setup();
      const events: NatsEvent[] = [];
      let calls = 0;
      const flaky: JsConsumerLike = {
        info: (cached) => consumer.info(cached),
        fetch: (o) =>
          calls++ === 0
            ? Promise.reject(
                Object.assign(new Error('leadership change'), {
                  name: 'JetStreamStatusError',
                  code: 409,
                }),
              )
            : consumer.fetch(o),
      };
      const run = await bob({ onEvent: (e) => void events.push(e) })
        .jetstream(js)
        .consume(flaky, () => {}, { deadLetterSubject: dlSubject });
      await until(() => calls > 1, 5000, 'a second pull');
      const pulls = events.filter((e) => e.verb === 'pull');
      expect(pulls).toEqual([
        expect.objectContaining({ outcome: 'failed', code: ErrorCode.Transport, destination: 'w' }),
      ]);
      expect(await outcome(run.done, 10)).toBe('still running');
      await run.stop();

      for (const e of [
        Object.assign(new Error('denied'), { name: 'PermissionViolationError' }),
        Object.assign(new Error('Permissions Violation'), {
          name: 'JetStreamStatusError',
          code: 403,
        }),
        new TypeError('wrapper bug'),
      ]) {
        const seen: NatsEvent[] = [];
        const denied: JsConsumerLike = {
          info: (cached) => consumer.info(cached),
          fetch: () => Promise.reject(e),
        };
        const r = await bob({ onEvent: (ev) => void seen.push(ev) })
          .jetstream(js)
          .consume(denied, () => {}, { deadLetterSubject: dlSubject });
        expect(code(await outcome(r.done))).toBe(ErrorCode.Transport);
        expect(seen.filter((ev) => ev.verb === 'pull').length).toBe(1);
      }
    });
  },
);
