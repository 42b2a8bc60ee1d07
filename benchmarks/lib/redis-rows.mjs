/**
 * The rows of the Redis Streams benchmark (redis.mjs), in the row shape of
 * nats-cell.mjs: `start(env, cell, ctx) -> { publish(payload), stop() }`,
 * calling `ctx.handled(payload)` from the handler, `ctx.complete()` once a
 * message is done, `ctx.fail(e)` on anything else.
 *
 * - plaintext: `XADD key * data <payload>`; XREADGROUP -> handler -> XACK.
 * - hand-wired: the minimal sealed loop doing the binding's work and no
 *   less: `seal` (one recipient, node backend, `bindingContext('redis', key)`)
 *   -> XADD with the same three fields the binding writes (media type and
 *   message id hints, the envelope); XREADGROUP -> `open` (same context,
 *   pinned sender, the Redis replay store: a reservation) -> handler ->
 *   `commit` -> XACK, at most `env.concurrency` opens at once.
 * - binding: `@blindwire/redis` `add` + `consume` with the Redis replay
 *   store, events on (the consume event with action `ack` completes).
 *
 * All three read the way the binding does: COUNT 64, BLOCK only while
 * nothing is in flight (so XACKs never queue behind a blocking read on the
 * consumer's connection), a 5 ms pause when a read found nothing while
 * entries are in flight. A message is complete once handled (plaintext) or
 * committed (sealed); its XACK follows, and `stop()` waits for every XACK
 * and fails the cell if any entry is left pending.
 */
import { bindingContext, CarrierHeader, MediaType, open, seal } from '@blindwire/core';
import { createRedisBinding } from '@blindwire/redis';
import { limiter } from './nats-cell.mjs';

/** RESP's bulk string type byte: node-redis hands these over as Buffers. */
const BINARY = { typeMapping: { 36: Buffer } };
const COUNT = 64;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const buf = (u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** The entries of an XREADGROUP reply (RESP2 array or RESP3 map), `{ id, fields }`. */
function entriesOf(reply) {
  if (reply === null || reply === undefined) return [];
  const list = Array.isArray(reply)
    ? reply[0][1]
    : reply instanceof Map
      ? [...reply.values()][0]
      : Object.values(reply)[0];
  return list.map(([id, fields]) => ({ id: String(id), fields }));
}

/** The value of field `name` in a flat [k, v, k, v...] list of Buffers (read in place, as the binding does). */
function field(fields, name) {
  for (let i = 0; i + 1 < fields.length; i += 2)
    if (String(fields[i]) === name) return fields[i + 1];
  return undefined;
}

/**
 * The read loop of the plaintext and hand-wired rows: `each(entry)` resolves
 * `{ settled }` once the entry holds a concurrency slot (the binding's
 * `submit` backpressure), `settled` at its XACK; `stop()` ends the loop and
 * waits for every settlement.
 */
function readLoop(env, cell, ctx, each) {
  const { sub } = env;
  const pending = new Set();
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const block = pending.size === 0 ? ['BLOCK', String(env.blockMs)] : [];
      const reply = await sub
        .sendCommand(
          [
            'XREADGROUP',
            'GROUP',
            cell.group,
            'c1',
            'COUNT',
            String(COUNT),
            ...block,
            'STREAMS',
            cell.key,
            '>',
          ],
          BINARY,
        )
        .catch((e) => (ctx.fail(e), null));
      const batch = entriesOf(reply);
      if (batch.length === 0 && pending.size > 0) await sleep(5);
      for (const e of batch) {
        const { settled } = await each(e);
        const q = settled.catch(ctx.fail);
        pending.add(q);
        void q.finally(() => pending.delete(q));
      }
    }
    while (pending.size > 0) await Promise.all([...pending]);
  })();
  return async () => {
    stopped = true;
    await done;
  };
}

const ack = (env, cell, id) => env.sub.sendCommand(['XACK', cell.key, cell.group, id]);

export const plaintext = {
  id: 'plaintext',
  label: 'plaintext',
  start(env, cell, ctx) {
    const stop = readLoop(env, cell, ctx, async (e) => {
      ctx.handled(field(e.fields, 'data'));
      ctx.complete();
      return { settled: ack(env, cell, e.id) };
    });
    return {
      publish: (p) => env.pub.sendCommand(['XADD', cell.key, '*', 'data', buf(p)]),
      stop,
    };
  },
};

export const hand = {
  id: 'hand-wired',
  label: 'hand-wired',
  start(env, cell, ctx) {
    const replay = env.replayStore(cell);
    const lim = limiter(env.concurrency);
    const stop = readLoop(env, cell, ctx, async (e) => {
      const w = lim.acquire();
      if (w) await w;
      const settled = (async () => {
        try {
          const o = await open(field(e.fields, 'bw-envelope'), {
            recipient: env.worker.encryption,
            trustedSenders: env.trusted,
            context: bindingContext('redis', cell.key),
            replay,
            backend: env.backend,
          });
          ctx.handled(o.payload);
          await o.reservation.commit();
        } finally {
          lim.release();
        }
        ctx.complete();
        await ack(env, cell, e.id);
      })();
      return { settled };
    });
    return {
      async publish(p) {
        const s = await seal(p, {
          sender: env.agent,
          recipients: env.worker.encryption,
          context: bindingContext('redis', cell.key),
          backend: env.backend,
        });
        await env.pub.sendCommand([
          'XADD',
          cell.key,
          '*',
          CarrierHeader.ContentType,
          MediaType.Envelope,
          CarrierHeader.MessageId,
          s.messageId,
          'bw-envelope',
          buf(s.envelope),
        ]);
      },
      stop,
    };
  },
};

export const binding = {
  id: 'binding',
  label: 'binding',
  start(env, cell, ctx) {
    const onEvent = (e) => {
      if (e.verb === 'consume') {
        if (e.action === 'ack') ctx.complete();
        else ctx.fail(`consume ${e.action}: ${e.code}`);
      } else if (e.outcome === 'failed') ctx.fail(`${e.verb} failed: ${e.code}`);
    };
    const opts = { backend: env.backend, onEvent };
    const sending = createRedisBinding(env.pub, { ...opts, sender: env.agent });
    const receiving = createRedisBinding(env.sub, {
      ...opts,
      recipient: env.worker.encryption,
      trustedSenders: env.trusted,
      replay: env.replayStore(cell),
      concurrency: env.concurrency,
    });
    const run = receiving.consume(
      { stream: cell.key, group: cell.group, consumer: 'c1' },
      (m) => void ctx.handled(m.payload),
      { blockMs: env.blockMs, count: COUNT },
    );
    return {
      publish: (p) => sending.add(cell.key, p, { to: env.worker.encryption }),
      stop: () => run.stop(),
    };
  },
};
