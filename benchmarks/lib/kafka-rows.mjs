/**
 * The rows of the Kafka benchmark (kafka.mjs), in the row shape of
 * nats-cell.mjs: `start(env, cell, ctx) -> { publish(payload), stop() }`,
 * calling `ctx.handled(payload)` from the handler, `ctx.complete()` once a
 * message is done, `ctx.fail(e)` on anything else. Each cell has its own
 * topic and consumer group; every row consumes with KafkaJS `eachMessage`
 * (one record of the partition at a time) with autoCommit off, and commits
 * offset + 1 after each settled record through one coalescing committer
 * (one `commitOffsets` in flight, carrying the newest offset), as the
 * binding does.
 *
 * - plaintext: `producer.send` of the payload; eachMessage -> handler -> commit.
 * - hand-wired: the minimal sealed loop doing the binding's work and no
 *   less: `seal` (one recipient, node backend, `bindingContext('kafka',
 *   topic)`) -> `producer.send` with the two hint headers the binding adds;
 *   eachMessage -> `open` (same context, pinned sender, the replay store: a
 *   reservation) -> handler -> `commit` -> offset commit.
 * - binding: `@blindwire/kafka` `send` + `run` with the same replay store,
 *   events on (the consume event with action `ack` completes).
 */
import { bindingContext, CarrierHeader, MediaType, open, seal } from '@blindwire/core';

/** One `commitOffsets` at a time, always the newest offset (what the binding's committer does). */
export function committer(consumer, topic, ctx) {
  let newest = -1n;
  let done = -1n;
  let running = null;
  const loop = async () => {
    while (newest > done) {
      const next = newest;
      await consumer.commitOffsets([{ topic, partition: 0, offset: String(next) }]);
      done = next;
    }
  };
  return {
    mark(offset) {
      newest = BigInt(offset) + 1n;
      running ??= loop()
        .catch(ctx.fail)
        .finally(() => (running = null));
    },
    async flush() {
      while (running) await running;
      if (newest > done) await loop();
    },
  };
}

/** A consumer of the cell's group, subscribed and running `eachMessage` (autoCommit off). */
async function consume(env, cell, eachMessage) {
  const consumer = env.kafka.consumer({ groupId: cell.group, ...env.timings });
  await consumer.connect();
  await consumer.subscribe({ topics: [cell.topic], fromBeginning: true });
  await consumer.run({ autoCommit: false, eachMessage });
  return consumer;
}

export const plaintext = {
  id: 'plaintext',
  label: 'plaintext',
  async start(env, cell, ctx) {
    let commits;
    const consumer = await consume(env, cell, async ({ message }) => {
      ctx.handled(message.value);
      ctx.complete();
      commits.mark(message.offset);
    });
    commits = committer(consumer, cell.topic, ctx);
    return {
      publish: (p) =>
        env.producer.send({ topic: cell.topic, messages: [{ value: Buffer.from(p) }] }),
      async stop() {
        await commits.flush();
        await consumer.disconnect();
      },
    };
  },
};

export const hand = {
  id: 'hand-wired',
  label: 'hand-wired',
  async start(env, cell, ctx) {
    const replay = env.replayStore(cell);
    let commits;
    const consumer = await consume(env, cell, async ({ topic, message }) => {
      const o = await open(message.value, {
        recipient: env.worker.encryption,
        trustedSenders: env.trusted,
        context: bindingContext('kafka', topic),
        replay,
        backend: env.backend,
      });
      ctx.handled(o.payload);
      await o.reservation.commit();
      ctx.complete();
      commits.mark(message.offset);
    });
    commits = committer(consumer, cell.topic, ctx);
    return {
      async publish(p) {
        const s = await seal(p, {
          sender: env.agent,
          recipients: env.worker.encryption,
          context: bindingContext('kafka', cell.topic),
          backend: env.backend,
        });
        const headers = {
          [CarrierHeader.ContentType]: MediaType.Envelope,
          [CarrierHeader.MessageId]: s.messageId,
        };
        await env.producer.send({
          topic: cell.topic,
          messages: [
            {
              value: Buffer.from(s.envelope.buffer, s.envelope.byteOffset, s.envelope.length),
              headers,
            },
          ],
        });
      },
      async stop() {
        await commits.flush();
        await consumer.disconnect();
      },
    };
  },
};

export const binding = {
  id: 'binding',
  label: 'binding',
  async start(env, cell, ctx) {
    const onEvent = (e) => {
      if (e.verb === 'consume') {
        if (e.action === 'ack') ctx.complete();
        else ctx.fail(`consume ${e.action}: ${e.code}`);
      } else if (e.outcome === 'failed') ctx.fail(`${e.verb} failed: ${e.code}`);
    };
    const consumer = env.kafka.consumer({ groupId: cell.group, ...env.timings });
    await consumer.connect();
    await consumer.subscribe({ topics: [cell.topic], fromBeginning: true });
    const opts = { backend: env.backend, onEvent };
    const sending = env.createKafkaBinding(
      { producer: env.producer },
      { ...opts, sender: env.agent },
    );
    const receiving = env.createKafkaBinding(
      { consumer, producer: env.producer },
      {
        ...opts,
        recipient: env.worker.encryption,
        trustedSenders: env.trusted,
        replay: env.replayStore(cell),
      },
    );
    const run = await receiving.run({ eachMessage: (m) => void ctx.handled(m.payload) });
    return {
      publish: (p) =>
        sending.send(
          { topic: cell.topic, messages: [{ value: p }] },
          { to: env.worker.encryption },
        ),
      async stop() {
        await run.stop();
        await consumer.disconnect();
      },
    };
  },
};
