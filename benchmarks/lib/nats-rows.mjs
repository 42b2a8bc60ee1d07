/**
 * The rows of the NATS benchmark that need no binding: plaintext
 * publish + consume, and the minimal hand-wired sealed loop (seal ->
 * publish -> consume -> open with a replay store -> handler -> commit ->
 * ack), on core NATS and on JetStream (a work-queue stream, a pull consumer
 * through `js.consumers.get` + `consume`). See nats-cell.mjs for the row
 * shape: `start(env, cell, ctx) -> { publish(payload, seq), stop() }`.
 *
 * The hand-wired loop does the work the binding does, no less: the context
 * of the concrete subject (`bindingContext('nats', subject)`, per message),
 * one recipient, the node backend, `open` with a replay reservation, the
 * handler on the opened payload, `commit` then `ack`, at most
 * `env.concurrency` deliveries at once (the binding's default, 16), and on
 * JetStream `msgID` = the envelope's message id. It leaves out what only the
 * binding does: hint headers, policy lookup, the disposition table, events.
 */
import { randomUUID } from 'node:crypto';
import { bindingContext, createMemoryReplayStore, open, seal } from '@blindwire/core';
import { limiter } from './nats-cell.mjs';

/** Seals `payload` for `subject` as the binding would (one recipient, the subject's context). */
export function sealFor(env, subject, payload) {
  return seal(payload, {
    sender: env.sender,
    recipients: env.recipientPublic,
    context: bindingContext('nats', subject),
    ttl: env.ttl,
    backend: env.backend,
  });
}

/**
 * Opens one delivery, runs the bench handler, commits: what a hand-wired
 * consumer does per message. Returns the sequence number, or throws.
 */
async function openAndHandle(env, replay, ctx, data, subject) {
  const o = await open(data, {
    recipient: env.recipient,
    trustedSenders: [env.senderPublic],
    context: bindingContext('nats', subject),
    replay,
    backend: env.backend,
  });
  // The same bookkeeping the binding rows do (by message id), so both pay it.
  const ids = ctx.ids;
  ids.set(o.messageId, ctx.handled(o.payload));
  await o.reservation.commit();
  const seq = ids.get(o.messageId);
  ids.delete(o.messageId);
  return seq;
}

/** Drives an async iterable of messages with at most `n` handlers at once. */
function pump(iterable, n, each, fail) {
  const lim = limiter(n);
  return (async () => {
    for await (const m of iterable) {
      const w = lim.acquire();
      if (w) await w;
      each(m).then(lim.release, (e) => {
        lim.release();
        fail(e);
      });
    }
  })();
}

export const plainCore = {
  id: 'plain',
  label: 'plaintext',
  async start(env, cell, ctx) {
    const sub = env.nc.subscribe(cell.subject, {
      callback: (err, m) => {
        if (err) return ctx.fail(err);
        ctx.handled(m.data);
        ctx.complete();
      },
    });
    await env.nc.flush();
    return {
      publish: (p) => env.nc.publish(cell.subject, p),
      stop: async () => sub.unsubscribe(),
    };
  },
};

export const handCore = {
  id: 'hand',
  label: 'hand-wired (memory store)',
  async start(env, cell, ctx) {
    const replay = env.replayFor ? env.replayFor(cell) : createMemoryReplayStore();
    ctx.ids = new Map();
    const sub = env.nc.subscribe(cell.subject);
    const loop = pump(
      sub,
      env.concurrency,
      async (m) => {
        await openAndHandle(env, replay, ctx, m.data, m.subject);
        ctx.complete();
      },
      ctx.fail,
    );
    await env.nc.flush();
    return {
      publish: async (p) =>
        env.nc.publish(cell.subject, (await sealFor(env, cell.subject, p)).envelope),
      stop: async () => {
        await sub.drain();
        await loop;
      },
    };
  },
};

/** A hand-wired row with the Redis replay store of @blindwire/replay: what `binding-redis` is held to. */
function withRedis(row) {
  return {
    id: 'hand-redis',
    label: 'hand-wired (Redis store)',
    start: (env, cell, ctx) =>
      row.start({ ...env, replayFor: (c) => env.redisStore(`${c.subject}:`) }, cell, ctx),
  };
}

export const plainJs = {
  id: 'plain',
  label: 'plaintext',
  async start(env, cell, ctx) {
    const consumer = await env.js.consumers.get(env.stream, cell.durable);
    const messages = await consumer.consume();
    const once = randomUUID(); // msgIDs unique across cells: a reused one is deduplicated, never delivered
    const loop = (async () => {
      for await (const m of messages) {
        ctx.handled(m.data);
        m.ack();
        ctx.complete();
      }
    })();
    return {
      publish: (p, seq) => env.js.publish(cell.subject, p, { msgID: `${once}:${seq}` }),
      stop: async () => {
        await messages.close();
        await loop;
      },
    };
  },
};

export const handJs = {
  id: 'hand',
  label: 'hand-wired (memory store)',
  async start(env, cell, ctx) {
    const replay = env.replayFor ? env.replayFor(cell) : createMemoryReplayStore();
    ctx.ids = new Map();
    const consumer = await env.js.consumers.get(env.stream, cell.durable);
    const messages = await consumer.consume();
    const loop = pump(
      messages,
      env.concurrency,
      async (m) => {
        await openAndHandle(env, replay, ctx, m.data, m.subject);
        m.ack();
        ctx.complete();
      },
      ctx.fail,
    );
    return {
      publish: async (p) => {
        const s = await sealFor(env, cell.subject, p);
        await env.js.publish(cell.subject, s.envelope, { msgID: s.messageId });
      },
      stop: async () => {
        await messages.close();
        await loop;
      },
    };
  },
};

export const handRedisCore = withRedis(handCore);
export const handRedisJs = withRedis(handJs);
