/**
 * @blindwire/kafka with real KafkaJS clients (2.0.0 and 2.2.4) over TCP
 * against the test broker, or `KAFKA_BROKERS` (SPEC.md §7b, §11b, §11c): the
 * sealed round trip, what the broker stores (the envelope, the key, the
 * hints; no plaintext, no sender name), dead-lettering with the reason and
 * the source, in-process retries, commits only after settlement (a record
 * left waiting by `stop()` comes back to the next run of the group), the
 * size check at Kafka's exact limit, and the serde pair on plain clients.
 */
import {
  CarrierHeader,
  ErrorCode,
  MediaType,
  bindingContext,
  createMemoryReplayStore,
  generateIdentity,
  publicIdentity,
  seal,
  sealedSize,
  type Identity,
  type ReplayStore,
} from '@blindwire/core';
import { rejection, requireBuild } from '@blindwire/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  SOURCE_ID_HEADER,
  createKafkaBinding,
  createKafkaDeserializer,
  createKafkaSerializer,
  recordBatchBytes,
  type KafkaBindingOptions,
  type KafkaDelivered,
  type KafkaEvent,
} from '../src/index.js';
import { BROKER_MAIN, startKafka, type TestKafka } from './brokers.js';
import {
  GROUP_TIMINGS,
  RUN,
  VARIANTS,
  committed,
  fresh,
  header,
  readTopic,
  until,
  type KafkaLike,
} from './helpers.js';

// The test broker runs from the built test kit (unless KAFKA_BROKERS names a cluster).
const built = process.env['KAFKA_BROKERS']
  ? { skip: false, assertBuilt: () => {} }
  : requireBuild([BROKER_MAIN], '@blindwire/testkit (the Kafka test broker)');
let k: TestKafka;
let agent: Identity;
let worker: Identity;
const text = (b: Uint8Array) => Buffer.from(b).toString();

beforeAll(async () => {
  if (built.skip) return;
  built.assertBuilt();
  k = await startKafka();
  [agent, worker] = (await Promise.all(
    ['agent', 'worker'].map((n) => generateIdentity(`spiffe://bw.test/${n}-${RUN}`)),
  )) as [Identity, Identity];
});
afterAll(async () => {
  await k?.close();
});

describe.skipIf(built.skip).each(VARIANTS)('through $label', (variant) => {
  let kafka: KafkaLike;
  let producer: ReturnType<KafkaLike['producer']>;
  const consumers: ReturnType<KafkaLike['consumer']>[] = [];
  beforeAll(async () => {
    kafka = variant.create(k.brokers, `bwt-${RUN}`);
    producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
  });
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
    await producer.disconnect();
  });

  /** A connected consumer of `group` subscribed to `topic` from the beginning. */
  const consumerOf = async (group: string, topic: string) => {
    const c = kafka.consumer({ groupId: group, ...GROUP_TIMINGS });
    consumers.push(c);
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    return c;
  };
  const bindings = (extra: Partial<KafkaBindingOptions> = {}, replay?: ReplayStore) => {
    const events: KafkaEvent[] = [];
    const options: KafkaBindingOptions = {
      sender: agent,
      recipient: worker,
      trustedSenders: [publicIdentity(agent)],
      replay: replay ?? createMemoryReplayStore(),
      retry: { maxAttempts: 3, backoffMs: 20, maxBackoffMs: 40 },
      onEvent: (e) => events.push(e),
      ...extra,
    };
    return { options, events };
  };
  const sealFor = async (topic: string, payload: string) =>
    (
      await seal(payload, {
        sender: agent,
        recipients: publicIdentity(worker),
        context: bindingContext('kafka', topic),
      })
    ).envelope;

  it('delivers the plaintext; the broker stores the envelope, the key and the hints only', async () => {
    const topic = fresh();
    const { options } = bindings();
    const secret = `secret-${RUN}-plaintext`;
    const bytes = new Uint8Array(256).map((_, i) => i); // every byte value, invalid UTF-8
    const sent = await createKafkaBinding({ producer }, options).send(
      {
        topic,
        messages: [
          { key: 'customer-7', value: bytes, headers: { traceparent: '00-abc' } },
          { key: null, value: secret },
        ],
      },
      { to: publicIdentity(worker), contentType: 'text/plain' },
    );
    const got: KafkaDelivered[] = [];
    const group = `g-${topic}`;
    const consumer = await consumerOf(group, topic);
    const run = await createKafkaBinding({ consumer, producer }, options).run({
      eachMessage: (m) => void got.push(m),
    });
    await until(() => got.length === 2);
    await run.stop();
    expect([...got[0]!.payload]).toEqual([...bytes]);
    expect(text(got[1]!.payload)).toBe(secret);
    expect(got.map((m) => m.sender)).toEqual([agent.name, agent.name]);
    expect(got.map((m) => m.messageId)).toEqual(sent.messages.map((m) => m.messageId));
    expect(got[0]!.kafka.key!.toString()).toBe('customer-7');
    expect(got[0]!.kafka.headers.traceparent!.toString()).toBe('00-abc');
    expect(got.map((m) => m.kafka.offset)).toEqual(['0', '1']);
    expect(await committed(kafka, group, topic)).toBe(2);

    const stored = await readTopic(kafka, topic);
    expect(stored).toHaveLength(2);
    expect(stored[0]!.key && text(stored[0]!.key)).toBe('customer-7');
    expect(stored[1]!.key).toBeNull();
    expect(stored[0]!.headers.map((h) => h.key)).toEqual([
      'traceparent',
      CarrierHeader.ContentType,
      CarrierHeader.MessageId,
    ]);
    for (const [i, r] of stored.entries()) {
      expect(header(r, CarrierHeader.MessageId)).toBe(sent.messages[i]!.messageId);
      expect(header(r, CarrierHeader.ContentType)).toBe('application/vnd.blindwire.envelope');
      expect(r.value!.length).toBe(sent.messages[i]!.bytes);
      const all = Buffer.concat([r.value!, ...r.headers.map((h) => h.value ?? Buffer.alloc(0))]);
      expect(all.includes(Buffer.from(secret))).toBe(false);
      expect(all.includes(Buffer.from(agent.name))).toBe(false);
    }
  });

  it('dead-letters what does not open: unchanged value, original key, reason and source', async () => {
    const topic = fresh();
    const dlq = `${topic}.dlq`;
    const { options, events } = bindings();
    const tampered = await sealFor(topic, 'tampered');
    tampered[tampered.length - 5]! ^= 1;
    const elsewhere = await sealFor(`${topic}.other`, 'sealed for another topic');
    await producer.send({
      topic,
      messages: [
        { key: 'k1', value: Buffer.from(tampered) },
        { key: 'k2', value: Buffer.from(elsewhere) },
        { key: 'k3', value: null },
        { key: 'k4', value: Buffer.from(await sealFor(topic, 'fine')) },
      ],
    });
    const calls: string[] = [];
    const consumer = await consumerOf(`g-${topic}`, topic);
    const run = await createKafkaBinding({ consumer, producer }, options).run({
      eachMessage: (m) => void calls.push(text(m.payload)),
    });
    await until(async () => (await committed(kafka, `g-${topic}`, topic)) === 4);
    await run.stop();
    expect(calls).toEqual(['fine']);
    const dead = await readTopic(kafka, dlq);
    expect(dead.map((r) => header(r, CarrierHeader.Reason))).toEqual([
      ErrorCode.OpenFailed,
      ErrorCode.ContextMismatch,
      ErrorCode.EnvelopeMalformed,
    ]);
    expect(Buffer.compare(Buffer.from(dead[0]!.value!), Buffer.from(tampered))).toBe(0);
    expect(Buffer.compare(Buffer.from(dead[1]!.value!), Buffer.from(elsewhere))).toBe(0);
    expect(dead[2]!.value?.length ?? 0).toBe(0);
    expect(dead.map((r) => text(r.key!))).toEqual(['k1', 'k2', 'k3']);
    expect(dead.map((r) => header(r, SOURCE_ID_HEADER))).toEqual([
      `${topic}/0/0`,
      `${topic}/0/1`,
      `${topic}/0/2`,
    ]);
    expect(header(dead[0]!, CarrierHeader.MessageId)).toMatch(/^[0-9a-f]{32}$/);
    expect(header(dead[2]!, CarrierHeader.MessageId)).toBeUndefined();
    expect(run.stats).toMatchObject({ deadLettered: 3, settled: 4 });
    const verbs = events.filter((e) => e.verb === 'dead-letter').map((e) => e.outcome);
    expect(verbs).toEqual(['sent', 'sent', 'sent']);
  });

  it('retries a failing handler in process, then dead-letters it with ERR_HANDLER', async () => {
    const topic = fresh();
    const { options } = bindings();
    await createKafkaBinding({ producer }, options).send(
      { topic, messages: [{ value: 'flaky' }, { value: 'broken' }] },
      { to: publicIdentity(worker) },
    );
    const calls: string[] = [];
    const consumer = await consumerOf(`g-${topic}`, topic);
    const run = await createKafkaBinding({ consumer, producer }, options).run({
      eachMessage: (m) => {
        calls.push(`${text(m.payload)}#${m.attempt}`);
        if (text(m.payload) === 'broken' || m.attempt === 1) throw new Error('not now');
      },
    });
    await until(async () => (await committed(kafka, `g-${topic}`, topic)) === 2);
    await run.stop();
    expect(calls).toEqual(['flaky#1', 'flaky#2', 'broken#1', 'broken#2', 'broken#3']);
    const dead = await readTopic(kafka, `${topic}.dlq`);
    expect(dead.map((r) => header(r, CarrierHeader.Reason))).toEqual(['ERR_HANDLER']);
    expect(run.stats).toMatchObject({ retried: 3, deadLettered: 1, settled: 2 });
  });

  it('a record left waiting by stop() is not committed: the next run of the group gets it', async () => {
    const topic = fresh();
    const group = `g-${topic}`;
    const replay = createMemoryReplayStore();
    const slow = bindings({ retry: { maxAttempts: 5, backoffMs: 60_000 } }, replay);
    await createKafkaBinding({ producer }, slow.options).send(
      { topic, messages: [{ value: 'first' }, { value: 'second' }] },
      { to: publicIdentity(worker) },
    );
    const calls: string[] = [];
    const c1 = await consumerOf(group, topic);
    const run1 = await createKafkaBinding({ consumer: c1, producer }, slow.options).run({
      eachMessage: (m) => {
        calls.push(`1:${text(m.payload)}`);
        if (text(m.payload) === 'second') throw new Error('fails once, then waits a minute');
      },
    });
    await until(() => run1.stats.retried === 1);
    await run1.stop();
    await c1.disconnect();
    expect(await committed(kafka, group, topic)).toBe(1);

    const c2 = await consumerOf(group, topic);
    const run2 = await createKafkaBinding(
      { consumer: c2, producer },
      bindings({}, replay).options,
    ).run({
      eachMessage: (m) => void calls.push(`2:${text(m.payload)}`),
    });
    await until(async () => (await committed(kafka, group, topic)) === 2);
    await run2.stop();
    expect(calls).toEqual(['1:first', '1:second', '2:second']);
  });

  it("refuses over maxMessageBytes before sealing; the broker takes Kafka's limit exactly", async () => {
    const topic = fresh();
    const { options } = bindings();
    const bw = createKafkaBinding({ producer }, options);
    // The payload whose one-record batch is exactly message.max.bytes (no key, the hints only).
    const hints = {
      [CarrierHeader.ContentType]: MediaType.Envelope,
      [CarrierHeader.MessageId]: 'x'.repeat(32),
    };
    const size = (n: number) =>
      recordBatchBytes(
        null,
        sealedSize(n, {
          sender: agent,
          recipients: publicIdentity(worker),
          context: bindingContext('kafka', topic),
        }),
        hints,
      );
    let n = 1_040_000;
    n += DEFAULT_MAX_MESSAGE_BYTES - size(n);
    expect(size(n)).toBe(DEFAULT_MAX_MESSAGE_BYTES);
    const to = { to: publicIdentity(worker) };
    await bw.send({ topic, messages: [{ value: new Uint8Array(n) }] }, to);
    const over = await rejection(
      bw.send({ topic, messages: [{ value: new Uint8Array(n + 1) }] }, to),
    );
    expect(over.code).toBe(ErrorCode.LimitExceeded);
    expect((await readTopic(kafka, topic)).map((r) => r.value!.length)).toHaveLength(1);
    if (k.testBroker) {
      // The test broker counts as Kafka does: one byte more, sealed anyway, is refused there.
      const lax = createKafkaBinding({ producer }, { ...options, maxMessageBytes: 2_000_000 });
      const e = await rejection(
        lax.send({ topic, messages: [{ value: new Uint8Array(n + 1) }] }, to),
      );
      expect(e.code).toBe(ErrorCode.Transport);
    }
  });

  it('the serde pair on plain clients, stacked over an inner serde', async () => {
    const topic = fresh();
    const inner = {
      serialize: (_t: string, v: unknown) => Buffer.from(JSON.stringify(v)),
      deserialize: (_t: string, b: Buffer) => JSON.parse(b.toString()) as unknown,
    };
    const ser = createKafkaSerializer({ sender: agent, to: publicIdentity(worker), inner });
    const de = createKafkaDeserializer({
      recipient: worker,
      trustedSenders: [publicIdentity(agent)],
      inner,
    });
    const headers = {};
    const value = await ser.serialize(topic, { order: 42 }, headers);
    await producer.send({ topic, messages: [{ key: 'o-42', value, headers }] });
    const consumer = await consumerOf(`g-${topic}`, topic);
    const got: unknown[] = [];
    await consumer.run({
      eachMessage: async ({ topic: t, message }) => {
        got.push(await de.open(t, message.value, message.headers));
      },
    });
    await until(() => got.length === 1);
    await consumer.stop();
    expect(got[0]).toMatchObject({ value: { order: 42 }, sender: agent.name });
  });
});
