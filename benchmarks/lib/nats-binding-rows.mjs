/**
 * The @blindwire/nats rows of the NATS benchmark: `createNatsBinding` with
 * its pipeline, events on (a listener that does the completion bookkeeping,
 * as a metrics exporter would), one recipient, the node backend, the same
 * concurrency as the hand-wired loop; with the default memory replay store,
 * or with the Redis one of @blindwire/replay (node-redis on 127.0.0.1:6379).
 * A fresh binding (so a fresh memory store) per cell, like the hand-wired
 * loop's fresh store. Row shape: see nats-cell.mjs.
 */
import { createMemoryReplayStore } from '@blindwire/core';

/** The binding, or the reason it cannot be measured (not merged, not built). */
export async function loadBinding() {
  try {
    const m = await import('@blindwire/nats');
    if (typeof m.createNatsBinding !== 'function') return { reason: 'no createNatsBinding export' };
    return { createNatsBinding: m.createNatsBinding };
  } catch (e) {
    return { reason: `@blindwire/nats not available (${e.code ?? e.message})` };
  }
}

/**
 * The binding's options for one cell. Completion is counted on the event
 * (the disposition), the latency in the handler, linked by the message id.
 */
function bindingFor(env, ctx, replay, extra = {}) {
  const ids = new Map();
  ctx.events = 0;
  const bw = env.createNatsBinding(env.nc, {
    sender: env.sender,
    recipient: env.recipient,
    trustedSenders: [env.senderPublic],
    replay,
    ttl: env.ttl,
    backend: env.backend,
    concurrency: env.concurrency,
    onEvent: (e) => {
      ctx.events++;
      if (e.verb === 'publish' || e.outcome === undefined) return;
      if (e.outcome === 'deliver' && e.action === 'ack') {
        if (!ids.delete(e.messageId)) ctx.fail(new Error(`event for an unknown id ${e.messageId}`));
        else ctx.complete();
      } else {
        ctx.fail(new Error(`disposition ${e.action} (${e.outcome}, ${e.code ?? 'no code'})`));
      }
    },
    ...extra,
  });
  const handler = (m) => {
    ids.set(m.messageId, ctx.handled(m.payload));
  };
  return { bw, handler };
}

function coreRow(id, label, replayOf) {
  return {
    id,
    label,
    needsBinding: true,
    async start(env, cell, ctx) {
      const { bw, handler } = bindingFor(env, ctx, await replayOf(env, cell));
      const sub = bw.subscribe(cell.subject, handler);
      await env.nc.flush();
      const to = env.recipientPublic;
      return {
        publish: (p) => bw.publish(cell.subject, p, { to }),
        stop: async () => {
          await sub.drain();
        },
      };
    },
  };
}

function jsRow(id, label, replayOf) {
  return {
    id,
    label,
    needsBinding: true,
    async start(env, cell, ctx) {
      const { bw, handler } = bindingFor(env, ctx, await replayOf(env, cell));
      const jsb = bw.jetstream(env.js);
      const consumer = await env.js.consumers.get(env.stream, cell.durable);
      const run = await jsb.consume(consumer, handler, {
        deadLetterSubject: env.deadLetterSubject,
        ...(env.maxMessages === undefined ? {} : { maxMessages: env.maxMessages }),
      });
      const to = env.recipientPublic;
      return {
        publish: (p) => jsb.publish(cell.subject, p, { to }),
        stop: () => run.stop(),
      };
    },
  };
}

const memory = async () => createMemoryReplayStore();
const redis = async (env, cell) => env.redisStore(`${cell.subject}:`);

export const bindingCore = coreRow('binding', 'binding (memory store)', memory);
export const bindingRedisCore = coreRow('binding-redis', 'binding (Redis store)', redis);
export const bindingJs = jsRow('binding', 'binding (memory store)', memory);
export const bindingRedisJs = jsRow('binding-redis', 'binding (Redis store)', redis);
