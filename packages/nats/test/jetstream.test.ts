/**
 * JetStream verbs against the real nats-server 2.9 on 127.0.0.1:4222, at both
 * ends of the client range: publish dedup by message id; consume: ack after
 * the handler, a throwing handler nak'd then redelivered, tampered / expired /
 * disallowed messages dead-lettered unchanged then terminated, in-flight
 * nak'd never terminated, a failed dead-letter write redelivered, max_deliver
 * reached -> dead-lettered by the binding; a raw stream read is blind.
 * Every test has streams of its own, deleted afterwards.
 */
import { ErrorCode, publicIdentity, type Delivered, type ReplayStore } from '@blindwire/core';
import { createMemoryReplayStore } from '@blindwire/core';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService } from '@blindwire/testkit';
import {
  createNatsBinding,
  readHint,
  type NatsBindingOptions,
  type NatsConsumeEvent,
  type NatsEvent,
} from '../src/index.js';
import {
  CLIENTS,
  endpoint,
  fresh,
  freshStream,
  leaks,
  parties,
  sleep,
  until,
  type Parties,
} from './helpers.js';

const nats = await probeService('nats');
const ms = (n: number) => n * 1_000_000;
const enc = (s: string) => new TextEncoder().encode(s);
const fast = { retry: { backoffMs: 50, maxBackoffMs: 100 } };

describe.skipIf(nats.skip).each(CLIENTS)('JetStream (nats.js $version)', (client) => {
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

  /** A work stream on `<prefix>.>`, a dead-letter stream on `<prefix>-dl`, a pull consumer. */
  async function setup(maxDeliver = 10, ackWaitMs = 3000, dlCaptured = true) {
    const prefix = fresh();
    const stream = freshStream();
    const dlStream = freshStream();
    const dlSubject = `${prefix}-dl`;
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: 'memory' as never });
    streams.push(stream);
    if (dlCaptured) {
      await jsm.streams.add({ name: dlStream, subjects: [dlSubject], storage: 'memory' as never });
      streams.push(dlStream);
    }
    await jsm.consumers.add(stream, {
      durable_name: 'w',
      ack_policy: 'explicit' as never,
      ack_wait: ms(ackWaitMs),
      max_deliver: maxDeliver,
    });
    const js = client.js(nc);
    const consumer = await js.consumers.get(stream, 'w');
    return { prefix, stream, dlStream, dlSubject, js, consumer };
  }

  /** The dead-letter stream's messages: data and hints. */
  async function deadLetters(dlStream: string) {
    const info = await jsm.streams.info(dlStream);
    const out = [];
    for (
      let seq = info.state.first_seq;
      seq <= info.state.last_seq && info.state.messages > 0;
      seq++
    ) {
      const m = await jsm.streams.getMessage(dlStream, { seq });
      if (!m) continue;
      out.push({
        data: m.data,
        reason: readHint(m.header, 'bw-reason'),
        messageId: readHint(m.header, 'BW-MESSAGE-ID'),
        dedup: readHint(m.header, 'nats-msg-id'),
      });
    }
    return out;
  }

  const consumerPending = async (stream: string) => {
    const ci = await jsm.consumers.info(stream, 'w');
    return {
      pending: ci.num_pending,
      ackPending: ci.num_ack_pending,
      redelivered: ci.num_redelivered,
    };
  };

  function bobWith(extra: Partial<NatsBindingOptions> = {}) {
    return createNatsBinding(nc, endpoint(p.bob, [p.alice, p.mallory], { ...fast, ...extra }));
  }

  it('deduplicates a message sealed again under the same id', async () => {
    const { prefix, stream, js } = await setup();
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob])).jetstream(js);
    const a = await alice.publish(`${prefix}.jobs`, 'job', { to: p.bob });
    const b = await alice.publish(`${prefix}.jobs`, 'job', { to: p.bob, messageId: a.messageId });
    const c = await alice.publish(`${prefix}.jobs`, 'job', { to: p.bob });
    expect(a).toMatchObject({ stream, duplicate: false });
    expect(b).toMatchObject({ stream, duplicate: true, seq: a.seq, messageId: a.messageId });
    expect(c.duplicate).toBe(false);
    expect((await jsm.streams.info(stream)).state.messages).toBe(2);
  });

  it("acks after the handler; a throwing handler is nak'd and succeeds on redelivery", async () => {
    const { prefix, stream, dlStream, dlSubject, js, consumer } = await setup();
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob])).jetstream(js);
    const events: NatsEvent[] = [];
    const seen: { id: string; attempt: number; text: string }[] = [];
    let thrown = 0;
    const run = await bobWith({ onEvent: (e) => events.push(e) })
      .jetstream(js)
      .consume(
        consumer,
        (m: Delivered) => {
          const text = new TextDecoder().decode(m.payload);
          seen.push({ id: m.messageId, attempt: m.attempt, text });
          if (text === 'flaky' && m.attempt === 1) {
            thrown++;
            throw new Error('boom');
          }
        },
        { deadLetterSubject: dlSubject },
      );
    const ok = await alice.publish(`${prefix}.jobs`, 'steady', { to: p.bob });
    const flaky = await alice.publish(`${prefix}.jobs`, 'flaky', { to: p.bob });
    await until(() => run.stats.acked === 2, 15_000, 'two acks');
    await run.stop();
    expect(thrown).toBe(1);
    expect(seen.filter((s) => s.id === ok.messageId).map((s) => s.attempt)).toEqual([1]);
    expect(seen.filter((s) => s.id === flaky.messageId).map((s) => s.attempt)).toEqual([1, 2]);
    expect(run.stats).toMatchObject({ acked: 2, naked: 1, deadLettered: 0, termed: 0 });
    expect(await consumerPending(stream)).toMatchObject({ pending: 0, ackPending: 0 });
    expect(await deadLetters(dlStream)).toHaveLength(0);
    const consumed = events.filter((e) => e.verb === 'consume') as NatsConsumeEvent[];
    expect(consumed.map((e) => e.action).sort()).toEqual(['ack', 'ack', 'retry']);
    for (const e of events) expect(JSON.stringify(e)).not.toMatch(/steady|flaky|alice|mallory/);
  });

  it('dead-letters tampered, expired and disallowed messages unchanged, then terminates them', async () => {
    const { prefix, stream, dlStream, dlSubject, js, consumer } = await setup();
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob])).jetstream(js);
    const stale = createNatsBinding(
      nc,
      endpoint(p.alice, [p.bob], { now: () => Date.now() - 7_200_000, ttl: 60 }),
    ).jetstream(js);
    const mallory = createNatsBinding(nc, endpoint(p.mallory, [p.bob])).jetstream(js);
    // A raw copy of a genuine envelope, one ciphertext bit flipped, published as is.
    const raw: Uint8Array[] = [];
    const spy = nc.subscribe(`${prefix}.raw`, { callback: (_e, m) => void raw.push(m.data) });
    await nc.flush();
    const genuine = await alice.publish(`${prefix}.raw`, 'genuine', { to: p.bob });
    await until(() => raw.length === 1);
    spy.unsubscribe();
    const tampered = Uint8Array.from(raw[0]!);
    tampered[tampered.length - 20]! ^= 0x01;
    await js.publish(`${prefix}.jobs`, tampered);
    const expired = await stale.publish(`${prefix}.jobs`, 'old', { to: p.bob });
    const disallowed = await mallory.publish(`${prefix}.jobs`, 'from mallory', { to: p.bob });
    const fine = await alice.publish(`${prefix}.jobs`, 'fine', { to: p.bob });
    const handled: string[] = [];
    const run = await bobWith({
      policy: [{ match: `${prefix}.*`, allowedSenders: [p.alice.name] }],
    })
      .jetstream(js)
      .consume(consumer, (m) => void handled.push(m.messageId), { deadLetterSubject: dlSubject });
    await until(() => run.stats.acked + run.stats.termed === 5, 15_000, 'five dispositions');
    await run.stop();
    expect(handled.sort()).toEqual([genuine.messageId, fine.messageId].sort());
    const dl = await deadLetters(dlStream);
    const byId = new Map(dl.map((d) => [d.reason, d]));
    expect(dl).toHaveLength(3);
    expect(byId.get(ErrorCode.OpenFailed)!.messageId).toBe(genuine.messageId);
    expect(Buffer.from(byId.get(ErrorCode.OpenFailed)!.data).equals(Buffer.from(tampered))).toBe(
      true,
    );
    expect(byId.get(ErrorCode.Expired)!.messageId).toBe(expired.messageId);
    expect(byId.get(ErrorCode.SenderNotAllowed)!.messageId).toBe(disallowed.messageId);
    for (const d of dl) expect(d.dedup).toMatch(new RegExp(`^bw-dl:${stream}:\\d+$`));
    expect(run.stats).toMatchObject({ acked: 2, deadLettered: 3, termed: 3, naked: 0 });
    await sleep(300);
    expect(await consumerPending(stream)).toMatchObject({
      pending: 0,
      ackPending: 0,
      redelivered: 0,
    });
  });

  it("in flight elsewhere: nak'd, never terminated, processed once the lease is free", async () => {
    const { prefix, stream, dlStream, dlSubject, js, consumer } = await setup();
    const replay: ReplayStore = createMemoryReplayStore();
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob])).jetstream(js);
    const sent = await alice.publish(`${prefix}.jobs`, 'once', { to: p.bob });
    // Another consumer holds the reservation of this id.
    const entry = {
      messageId: sent.messageId,
      sender: p.alice.name,
      keepUntil: Math.floor(Date.now() / 1000) + 7200,
    };
    expect(await replay.reserve(entry, 60_000, 'other')).toBe('reserved');
    const handled: number[] = [];
    const run = await bobWith({ replay })
      .jetstream(js)
      .consume(consumer, (m) => void handled.push(m.attempt), {
        deadLetterSubject: dlSubject,
        maxAttempts: 2,
      });
    await until(() => run.stats.naked >= 3, 15_000, 'three naks');
    expect(handled).toEqual([]);
    expect(run.stats.termed).toBe(0);
    await replay.release(entry, 'other');
    await until(() => run.stats.acked === 1, 15_000, 'the ack');
    await run.stop();
    expect(handled).toHaveLength(1);
    expect(handled[0]).toBeGreaterThan(3); // past maxAttempts: in-flight never dead-letters
    expect(await deadLetters(dlStream)).toHaveLength(0);
    expect(await consumerPending(stream)).toMatchObject({ pending: 0, ackPending: 0 });
  });

  it('two consumers sharing one replay store: one handler call per id', async () => {
    const { prefix, stream, dlSubject, js, consumer } = await setup();
    const consumer2 = await client.js(nc).consumers.get(stream, 'w');
    const replay = createMemoryReplayStore();
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob])).jetstream(js);
    const calls = new Map<string, number>();
    const h = async (m: Delivered) => {
      calls.set(m.messageId, (calls.get(m.messageId) ?? 0) + 1);
      await sleep(5);
    };
    const r1 = await bobWith({ replay })
      .jetstream(js)
      .consume(consumer, h, { deadLetterSubject: dlSubject });
    const r2 = await bobWith({ replay })
      .jetstream(js)
      .consume(consumer2, h, { deadLetterSubject: dlSubject });
    const ids = [];
    for (let i = 0; i < 30; i++)
      ids.push((await alice.publish(`${prefix}.jobs`, `job ${i}`, { to: p.bob })).messageId);
    await until(() => r1.stats.acked + r2.stats.acked === 30, 20_000, 'thirty acks');
    await Promise.all([r1.stop(), r2.stop()]);
    expect([...calls.keys()].sort()).toEqual(ids.sort());
    expect([...calls.values()].every((c) => c === 1)).toBe(true);
  });

  it('a failed dead-letter write is not acked: the message is redelivered', async () => {
    const { prefix, stream, dlSubject, js, consumer } = await setup(10, 3000, false);
    const mallory = createNatsBinding(nc, endpoint(p.mallory, [p.bob])).jetstream(js);
    await mallory.publish(`${prefix}.jobs`, 'x', { to: p.bob });
    const events: NatsEvent[] = [];
    const run = await bobWith({
      policy: [{ match: '>', allowedSenders: [p.alice.name] }],
      onEvent: (e) => events.push(e),
    })
      .jetstream(js)
      .consume(consumer, () => {}, { deadLetterSubject: dlSubject });
    await until(() => run.stats.deadLetterFailed >= 2, 20_000, 'two failed writes');
    await run.stop();
    expect(run.stats.termed).toBe(0);
    expect(run.stats.acked).toBe(0);
    const attempts = (events.filter((e) => e.verb === 'consume') as NatsConsumeEvent[]).map(
      (e) => e.attempt,
    );
    expect(attempts.slice(0, 2)).toEqual([1, 2]);
    expect(events.some((e) => e.verb === 'dead-letter' && e.outcome === 'failed')).toBe(true);
    expect(
      (await consumerPending(stream)).pending + (await consumerPending(stream)).ackPending,
    ).toBe(1);
  });

  it('max_deliver reached: the binding dead-letters before the server gives up', async () => {
    const { prefix, stream, dlStream, dlSubject, js, consumer } = await setup(3);
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob])).jetstream(js);
    const sent = await alice.publish(`${prefix}.jobs`, 'always fails', { to: p.bob });
    const attempts: number[] = [];
    const run = await bobWith({ retry: { maxAttempts: 50, backoffMs: 50, maxBackoffMs: 100 } })
      .jetstream(js)
      .consume(
        consumer,
        (m) => {
          attempts.push(m.attempt);
          throw new Error('never');
        },
        { deadLetterSubject: dlSubject },
      );
    await until(() => run.stats.termed === 1, 20_000, 'the termination');
    await run.stop();
    expect(attempts).toEqual([1, 2, 3]);
    const dl = await deadLetters(dlStream);
    expect(dl).toHaveLength(1);
    expect(dl[0]).toMatchObject({ reason: 'ERR_HANDLER', messageId: sent.messageId });
    expect(await consumerPending(stream)).toMatchObject({ pending: 0, ackPending: 0 });
  });

  it('a raw read of the stream sees no plaintext and no sender name', async () => {
    const { prefix, stream, js } = await setup();
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob])).jetstream(js);
    const secret = 'wire 1,000,000 EUR to account DE00 1234 5678';
    await alice.publish(`${prefix}.jobs`, secret, { to: p.bob, contentType: 'text/plain' });
    const m = await jsm.streams.getMessage(stream, { seq: 1 });
    expect(leaks(m!.data, enc(secret))).toBe(false);
    const all = Buffer.concat([Buffer.from(m!.data), Buffer.from(m!.header?.toString() ?? '')]);
    expect(all.includes(Buffer.from(p.alice.name))).toBe(false);
    expect(readHint(m!.header, 'bw-content-type')).toBe('application/vnd.blindwire.envelope');
    expect(publicIdentity(p.alice).name).toBe(p.alice.name);
  });
});
