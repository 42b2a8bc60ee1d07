/**
 * `run` and `send` without a broker (SPEC.md §7b): a scripted consumer that
 * calls `eachMessage` as KafkaJS does (one record of a partition at a time)
 * and records every `commitOffsets`, and a producer whose writes can fail.
 * Proves the order the disposition table needs: an offset is committed only
 * after the handler's success and the reservation's commit, or after the
 * acknowledged dead-letter write; a failed write commits nothing; retries
 * and in-flight waits stay in process and heart-beat; `stop()` leaves a
 * waiting record uncommitted and flushes the rest before the client stops.
 */
import {
  CarrierHeader,
  ErrorCode,
  createMemoryReplayStore,
  generateIdentity,
  publicIdentity,
  seal,
  bindingContext,
  type Identity,
} from '@blindwire/core';
import { rejection } from '@blindwire/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  SOURCE_ID_HEADER,
  createKafkaBinding,
  type KafkaBindingOptions,
  type KafkaClientRunConfig,
  type KafkaConsumerLike,
  type KafkaDelivered,
  type KafkaEvent,
  type KafkaOutgoingMessage,
  type KafkaProducerLike,
  type KafkaSendEvent,
} from '../src/index.js';

let agent: Identity;
let worker: Identity;
beforeAll(async () => {
  [agent, worker] = (await Promise.all(
    ['agent', 'worker'].map((n) => generateIdentity(`spiffe://bw.test/${n}`)),
  )) as [Identity, Identity];
});

/** A consumer that records what the binding does with it; `deliver` is KafkaJS's call. */
function scriptedConsumer(log: string[]) {
  let config: KafkaClientRunConfig | undefined;
  let offset = 0;
  const c = {
    heartbeats: 0,
    heartbeatError: undefined as Error | undefined,
    commitFailures: 0,
    get config() {
      return config;
    },
    async run(cfg: KafkaClientRunConfig) {
      config = cfg;
    },
    async commitOffsets(o: { topic: string; partition: number; offset: string }[]) {
      await new Promise((r) => setTimeout(r, 1)); // a round trip
      if (c.commitFailures > 0) {
        c.commitFailures--;
        log.push('commit failed');
        throw new Error('coordinator moved');
      }
      log.push(`commit ${o.map((x) => `${x.topic}/${x.partition}@${x.offset}`).join(',')}`);
    },
    async stop() {
      log.push('stop');
    },
    /** One record to `eachMessage`; resolves when it returned. */
    deliver(topic: string, partition: number, value: Uint8Array | null, key = 'k') {
      const message = {
        key: Buffer.from(key),
        value: value === null ? null : Buffer.from(value),
        timestamp: '1700000000000',
        offset: String(offset++),
        headers: { traceparent: Buffer.from('00-t') },
      };
      return config!.eachMessage({
        topic,
        partition,
        message,
        heartbeat: async () => {
          c.heartbeats++;
          if (c.heartbeatError) throw c.heartbeatError;
        },
      });
    },
  };
  return c satisfies KafkaConsumerLike;
}

function scriptedProducer(log: string[]) {
  const p = {
    failures: 0,
    sent: [] as { topic: string; messages: KafkaOutgoingMessage[] }[],
    async send(r: { topic: string; messages: KafkaOutgoingMessage[] }) {
      if (p.failures > 0) {
        p.failures--;
        log.push(`send failed ${r.topic}`);
        throw new Error('broker down');
      }
      p.sent.push(r);
      log.push(`sent ${r.topic}`);
      return r.messages.map(() => ({ topicName: r.topic, partition: 0, errorCode: 0 }));
    },
  };
  return p satisfies KafkaProducerLike;
}

function setup(extra: Partial<KafkaBindingOptions> = {}) {
  const log: string[] = [];
  const events: KafkaEvent[] = [];
  const consumer = scriptedConsumer(log);
  const producer = scriptedProducer(log);
  const bw = createKafkaBinding(
    { consumer, producer },
    {
      sender: agent,
      recipient: worker,
      trustedSenders: [publicIdentity(agent)],
      replay: createMemoryReplayStore(),
      retry: { maxAttempts: 3, backoffMs: 4, maxBackoffMs: 8 },
      onEvent: (e) => events.push(e),
      ...extra,
    },
  );
  return { bw, log, events, consumer, producer };
}

/** Polls `f` every 5 ms until it holds (the test's own timeout bounds it). */
async function until(f: () => boolean): Promise<void> {
  while (!f()) await new Promise((r) => setTimeout(r, 5));
}

const sealFor = async (topic: string, payload: string) =>
  (
    await seal(payload, {
      sender: agent,
      recipients: publicIdentity(worker),
      context: bindingContext('kafka', topic),
    })
  ).envelope;

describe('run', () => {
  it('commits offset + 1 only after the handler returned; the handler sees the record facts', async () => {
    const { bw, log, consumer } = setup();
    const got: KafkaDelivered[] = [];
    const r = await bw.run({
      eachMessage: async (m) => {
        log.push(`handler ${Buffer.from(m.payload).toString()}`);
        got.push(m);
      },
    });
    expect(consumer.config!.autoCommit).toBe(false);
    await consumer.deliver('orders', 2, await sealFor('orders', 'one'), 'customer-7');
    await r.stop();
    expect(log).toEqual(['handler one', 'commit orders/2@1', 'stop']);
    expect(got[0]!.sender).toBe(agent.name);
    expect(got[0]!.kafka).toMatchObject({ topic: 'orders', partition: 2, offset: '0' });
    expect(got[0]!.kafka.key!.toString()).toBe('customer-7');
    expect(got[0]!.kafka.headers.traceparent!.toString()).toBe('00-t');
    expect(r.stats).toMatchObject({ received: 1, settled: 1, commits: 1, unsettled: 0 });
  });

  it('dead-letters a tampered record unchanged, with its key and hints, then commits', async () => {
    const { bw, log, producer, consumer } = setup();
    let calls = 0;
    const r = await bw.run({ eachMessage: () => void calls++ });
    const env = await sealFor('orders', 'secret');
    env[env.length - 3]! ^= 1;
    await consumer.deliver('orders', 0, env, 'key-1');
    // eachMessage returned only once the copy was acknowledged and the offset committed.
    expect(log).toEqual(['sent orders.dlq', 'commit orders/0@1']);
    await r.stop();
    expect(calls).toBe(0);
    expect(log).toEqual(['sent orders.dlq', 'commit orders/0@1', 'stop']);
    const copy = producer.sent[0]!.messages[0]!;
    expect(Buffer.compare(copy.value as Buffer, Buffer.from(env))).toBe(0);
    expect(copy.key!.toString()).toBe('key-1');
    expect(copy.headers![CarrierHeader.Reason]).toBe(ErrorCode.OpenFailed);
    expect(copy.headers![CarrierHeader.MessageId]).toMatch(/^[0-9a-f]{32}$/);
    expect(copy.headers![SOURCE_ID_HEADER]).toBe('orders/0/0');
    expect(r.stats).toMatchObject({ deadLettered: 1, settled: 1 });
  });

  it('a failed dead-letter write commits nothing; it is written again, then committed', async () => {
    const { bw, log, producer, consumer, events } = setup();
    const r = await bw.run({ eachMessage: () => undefined }, { deadLetterTopic: 'errors' });
    producer.failures = 2;
    await consumer.deliver('orders', 1, new Uint8Array([1, 2, 3]));
    await r.stop();
    expect(log).toEqual([
      'send failed errors',
      'send failed errors',
      'sent errors',
      'commit orders/1@1',
      'stop',
    ]);
    expect(producer.sent[0]!.messages[0]!.headers![CarrierHeader.Reason]).toBe(
      ErrorCode.EnvelopeMalformed,
    );
    expect(r.stats).toMatchObject({ deadLetterFailed: 2, deadLettered: 1 });
    const dl = events.filter((e) => e.verb === 'dead-letter').map((e) => e.outcome);
    expect(dl).toEqual(['failed', 'failed', 'sent']);
    expect(consumer.heartbeats).toBeGreaterThanOrEqual(2);
  });

  it('a deadLetterTopic function naming the consumed topic: failed events, never a drop', async () => {
    const { bw, log, consumer, events } = setup();
    let calls = 0;
    // Wrong twice (the consumed topic, then no valid name), then right.
    const names = ['orders', 'no spaces', 'orders.errors'];
    const r = await bw.run(
      { eachMessage: () => undefined },
      { deadLetterTopic: () => names[Math.min(calls++, 2)]! },
    );
    await consumer.deliver('orders', 3, new Uint8Array([1, 2, 3]));
    await r.stop();
    expect(log).toEqual(['sent orders.errors', 'commit orders/3@1', 'stop']);
    const dl = events.filter((e) => e.verb === 'dead-letter');
    expect(dl.map((e) => [e.outcome, e.destination, 'code' in e ? e.code : undefined])).toEqual([
      ['failed', 'orders', ErrorCode.InvalidArgument],
      ['failed', 'orders', ErrorCode.InvalidArgument],
      ['sent', 'orders.errors', ErrorCode.EnvelopeMalformed],
    ]);
    expect(r.stats).toMatchObject({ deadLetterFailed: 2, deadLettered: 1, settled: 1 });
  });

  it('a throwing handler is retried in process up to maxAttempts, then dead-lettered', async () => {
    const { bw, log, producer, consumer } = setup();
    let calls = 0;
    const r = await bw.run({
      eachMessage: () => {
        calls++;
        log.push(`handler ${calls}`);
        throw new Error('boom');
      },
    });
    await consumer.deliver('jobs', 0, await sealFor('jobs', 'x'));
    await r.stop();
    expect(calls).toBe(3);
    expect(log).toEqual([
      'handler 1',
      'handler 2',
      'handler 3',
      'sent jobs.dlq',
      'commit jobs/0@1',
      'stop',
    ]);
    expect(producer.sent[0]!.messages[0]!.headers![CarrierHeader.Reason]).toBe('ERR_HANDLER');
    expect(r.stats).toMatchObject({ retried: 2, deadLettered: 1 });
  });

  it('a handler that succeeds on a retry commits once; a replayed copy is a duplicate', async () => {
    const { bw, log, consumer } = setup();
    let calls = 0;
    const r = await bw.run({
      eachMessage: () => {
        if (++calls === 1) throw new Error('once');
      },
    });
    const env = await sealFor('jobs', 'y');
    await consumer.deliver('jobs', 0, env);
    await consumer.deliver('jobs', 0, env); // the same envelope again (a replay)
    await r.stop();
    expect(calls).toBe(2);
    expect(log.filter((l) => l.startsWith('commit')).at(-1)).toBe('commit jobs/0@2');
    expect(r.stats).toMatchObject({ settled: 2, retried: 1, deadLettered: 0 });
  });

  it('one id on two partitions at once: the second waits in flight, then is a duplicate', async () => {
    const { bw, consumer, events } = setup({ replayLeaseMs: 60_000 });
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const r = await bw.run({
      eachMessage: async () => {
        calls++;
        await gate;
      },
      partitionsConsumedConcurrently: 2,
    });
    expect(consumer.config!.partitionsConsumedConcurrently).toBe(2);
    const env = await sealFor('jobs', 'z');
    const first = consumer.deliver('jobs', 0, env);
    await until(() => calls === 1);
    const second = consumer.deliver('jobs', 1, env);
    await until(() => r.stats.inFlightWaits >= 2); // waited, and tried again still in flight
    release();
    await Promise.all([first, second]);
    await r.stop();
    expect(calls).toBe(1);
    const outcomes = events.filter((e) => e.verb === 'consume').map((e) => e.outcome);
    expect(outcomes.filter((o) => o === 'in-flight').length).toBeGreaterThanOrEqual(1);
    expect(outcomes.filter((o) => o === 'deliver').length).toBe(1);
    expect(outcomes.at(-1)).toBe('duplicate');
    expect(r.stats).toMatchObject({ settled: 2, deadLettered: 0 });
  });

  it('stop() ends a wait: the record is not committed; later records are not processed', async () => {
    const { bw, log, consumer } = setup({ retry: { maxAttempts: 5, backoffMs: 60_000 } });
    const calls: string[] = [];
    const r = await bw.run({
      eachMessage: (m) => {
        const text = Buffer.from(m.payload).toString();
        calls.push(text);
        if (text === 'waits') throw new Error('fails: retried after a minute');
      },
    });
    await consumer.deliver('jobs', 0, await sealFor('jobs', 'first'));
    const waiting = consumer.deliver('jobs', 1, await sealFor('jobs', 'waits'));
    await until(() => r.stats.retried === 1);
    await r.stop();
    await waiting;
    await consumer.deliver('jobs', 1, await sealFor('jobs', 'after stop'));
    expect(calls).toEqual(['first', 'waits']);
    expect(log.filter((l) => l.startsWith('commit'))).toEqual(['commit jobs/0@1']);
    expect(log.at(-1)).toBe('stop');
    expect(r.stats).toMatchObject({ received: 2, settled: 1, unsettled: 1 });
  });

  it('flushes settled offsets before the client stops', async () => {
    const { bw, log, consumer } = setup();
    const r = await bw.run({ eachMessage: () => undefined });
    await consumer.deliver('a', 0, await sealFor('a', '1'));
    await consumer.deliver('a', 0, await sealFor('a', '2'));
    await consumer.deliver('b', 3, await sealFor('b', '3'));
    await r.stop();
    const commits = log.filter((l) => l.startsWith('commit')).join(' ');
    expect(commits).toContain('a/0@2');
    expect(commits).toContain('b/3@3');
    expect(log.at(-1)).toBe('stop');
  });

  it('a failed offset commit is tried again, newest offset first; stop() gives up after a few', async () => {
    const { bw, log, consumer, events } = setup();
    const r = await bw.run({ eachMessage: () => undefined });
    consumer.commitFailures = 1;
    await consumer.deliver('a', 0, await sealFor('a', '1'));
    await until(() => r.stats.commits === 1);
    expect(log).toEqual(['commit failed', 'commit a/0@1']);
    consumer.commitFailures = 100;
    await consumer.deliver('a', 0, await sealFor('a', '2'));
    await until(() => r.stats.commitFailed === 2);
    await r.stop(); // one failure in a row so far: five more, then the mark is given up
    expect(log.filter((l) => l === 'commit failed').length).toBe(1 + 6);
    expect(log.at(-1)).toBe('stop');
    expect(r.stats).toMatchObject({ commits: 1, commitFailed: 7 });
    const failed = events.filter(
      (e) => e.verb === 'commit' && e.outcome === 'failed',
    ) as KafkaSendEvent[];
    expect(failed.map((e) => e.offset)).toEqual(['1', ...Array(6).fill('2')]);
  });

  it("a heartbeat error (the client's rebalance) is rethrown; the record is not committed", async () => {
    const { bw, log, consumer } = setup();
    const r = await bw.run({
      eachMessage: () => {
        throw new Error('fails');
      },
    });
    consumer.heartbeatError = new Error('The group is rebalancing');
    await expect(consumer.deliver('jobs', 0, await sealFor('jobs', 'x'))).rejects.toThrow(
      /rebalancing/,
    );
    await r.stop();
    expect(log).toEqual(['stop']);
    expect(r.stats.unsettled).toBe(1);
  });

  it('with setAutoCommit false, autoCommit is not passed (Confluent takes it at creation)', async () => {
    const { bw, consumer } = setup();
    const r = await bw.run({ eachMessage: () => undefined }, { setAutoCommit: false });
    expect('autoCommit' in consumer.config!).toBe(false);
    await r.stop();
  });

  it('refuses a run it cannot do, before calling the client', async () => {
    const { bw } = setup();
    const bad = async (f: () => Promise<unknown>, re: RegExp) =>
      expect((await rejection(f())).message).toMatch(re);
    await bad(() => bw.run({} as never), /eachMessage/);
    await bad(
      () => bw.run({ eachMessage: () => 1 }, { deadLetterTopic: 'a b' }),
      /deadLetterTopic/,
    );
    await bad(() => bw.run({ eachMessage: () => 1 }, { maxAttempts: 0 }), /maxAttempts/);
    const noReplay = setup({ replay: undefined });
    await bad(() => noReplay.bw.run({ eachMessage: () => 1 }), /replay/);
    const noProducer = createKafkaBinding(
      { consumer: scriptedConsumer([]) },
      { recipient: worker, replay: createMemoryReplayStore() },
    );
    await bad(() => noProducer.run({ eachMessage: () => 1 }), /producer/);
  });
});

describe('send', () => {
  it('seals each value for the topic; keys, partitions and headers pass; hints added', async () => {
    const { bw, producer, events } = setup();
    const res = await bw.send(
      {
        topic: 'orders',
        messages: [
          { key: 'c-1', value: 'first secret', headers: { traceparent: '00-x' } },
          { key: null, value: new Uint8Array([0, 255]), partition: 4 },
        ],
        acks: 1,
      },
      { to: publicIdentity(worker) },
    );
    const sent = producer.sent[0]!;
    expect(sent).toMatchObject({ topic: 'orders', acks: 1 });
    expect(sent.messages[0]!.key).toBe('c-1');
    expect(sent.messages[1]!.partition).toBe(4);
    expect(sent.messages[0]!.headers).toEqual({
      traceparent: '00-x',
      [CarrierHeader.ContentType]: 'application/vnd.blindwire.envelope',
      [CarrierHeader.MessageId]: res.messages[0]!.messageId,
    });
    expect((sent.messages[0]!.value as Buffer).includes(Buffer.from('first secret'))).toBe(false);
    expect(res.metadata).toHaveLength(2);
    expect(events.filter((e) => e.verb === 'send')).toHaveLength(2);
  });

  it('refuses reserved headers, an empty record and a missing producer', async () => {
    const { bw } = setup();
    const to = { to: publicIdentity(worker) };
    const msg = async (p: Promise<unknown>) => (await rejection(p)).message;
    expect(
      await msg(bw.send({ topic: 't', messages: [{ value: 'x', headers: { 'bw-x': 'y' } }] }, to)),
    ).toMatch(/reserved/);
    expect(await msg(bw.send({ topic: 't', messages: [] }, to))).toMatch(/messages/);
    expect(await msg(bw.send({ topic: '', messages: [{ value: 'x' }] }, to))).toMatch(/topic/);
    const noProducer = createKafkaBinding({}, { sender: agent });
    expect(await msg(noProducer.send({ topic: 't', messages: [{ value: 'x' }] }, to))).toMatch(
      /producer/,
    );
  });

  it('a failing producer is ERR_TRANSPORT with its cause, and a failed send event', async () => {
    const { bw, producer, events } = setup();
    producer.failures = 1;
    const e = await rejection(
      bw.send({ topic: 't', messages: [{ value: 'x' }] }, { to: publicIdentity(worker) }),
    );
    expect(e.code).toBe(ErrorCode.Transport);
    expect((e.cause as Error).message).toBe('broker down');
    expect(events.map((x) => x.outcome)).toEqual(['failed']);
  });
});
