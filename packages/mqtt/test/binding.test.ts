/**
 * @blindwire/mqtt against the real Mosquitto 2 on 127.0.0.1:1883, through
 * mqtt.js 5.0.0 and the latest 5.x, each on MQTT 5 and 3.1.1 (SPEC.md §7b,
 * §11b, §11c): the sealed round trip bound to the concrete topic, what the
 * broker forwards (no plaintext, no sender name; MQTT 5 hints only), a PUBACK
 * that waits for the handler (a session dropped mid-handler gets the message
 * again), dead-letter copies (unchanged, with the reason; a copy nobody
 * receives holds the original), in-process retries, duplicates, QoS 2,
 * retained messages, shared subscriptions, request/response, the size check
 * before sealing, and refusals.
 */
import {
  ErrorCode,
  generateIdentity,
  publicIdentity,
  type Delivered,
  type Identity,
} from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { probeService, rejection } from '@blindwire/testkit';
import type { MqttClient } from 'mqtt';
import type { MqttClient as MqttClient50 } from 'mqtt5-0';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createMqttBinding,
  publishPacketBytes,
  readHint,
  type MqttBindingOptions,
  type MqttClientLike,
  type MqttEvent,
} from '../src/index.js';
import {
  RUN,
  VARIANTS,
  closeAll,
  drop,
  endSession,
  fresh,
  rawPublisher,
  reader,
  sleep,
  until,
} from './helpers.js';

// Both ends of the peer range must fit the binding's structural client type (`pnpm typecheck`).
expectTypeOf<MqttClient>().toMatchTypeOf<MqttClientLike>();
expectTypeOf<MqttClient50>().toMatchTypeOf<MqttClientLike>();

const mosquitto = await probeService('mosquitto');
let agent: Identity;
let worker: Identity;
let stranger: Identity;

beforeAll(async () => {
  mosquitto.assertUp();
  [agent, worker, stranger] = (await Promise.all(
    ['agent', 'worker', 'stranger'].map((n) => generateIdentity(`spiffe://bw.test/${n}-${RUN}`)),
  )) as [Identity, Identity, Identity];
});
afterAll(closeAll);

const text = (m: Delivered) => new TextDecoder().decode(m.payload);

describe.skipIf(mosquitto.skip).each(VARIANTS)('through $label', (variant) => {
  const v5 = variant.protocolVersion === 5;

  /** A consuming client with the binding's hook, a dead-letter client, and a reader of the copies. */
  const setup = async (extra: Partial<MqttBindingOptions> = {}, clientId?: string) => {
    const events: MqttEvent[] = [];
    const topic = fresh();
    const client = await variant.connect(
      clientId === undefined ? {} : { clientId, persistent: true },
    );
    const deadLetterClient = await variant.connect();
    const dead = await reader([`bw-dlq/${topic}/#`]);
    const bw = createMqttBinding(client, {
      sender: agent,
      recipient: worker,
      trustedSenders: [publicIdentity(agent), publicIdentity(stranger)],
      deadLetterClient,
      retry: { maxAttempts: 3, backoffMs: 20, maxBackoffMs: 40 },
      onEvent: (e) => events.push(e),
      ...extra,
    });
    client.handleMessage = bw.handleMessage;
    return { bw, client, topic, events, dead };
  };

  it('delivers the plaintext bound to the concrete topic; the broker forwards envelope and hints only', async () => {
    const { bw, topic, events } = await setup();
    const spy = await reader([`${topic}/#`]);
    const secret = `secret-${RUN}-plaintext`;
    const got: Delivered[] = [];
    const sub = await bw.subscribe(`${topic}/+`, (m) => void got.push(m));
    const binary = new Uint8Array(256).map((_, i) => i);
    const a = await bw.publish(`${topic}/a`, secret, { to: publicIdentity(worker), ttl: 600 });
    const b = await bw.publish(`${topic}/b`, binary, { to: publicIdentity(worker) });
    await until(() => got.length === 2 && spy.got.length === 2);
    await sub.unsubscribe();
    expect(got.map(text)[0]).toBe(secret);
    expect([...got[1]!.payload]).toEqual([...binary]);
    expect(got.map((m) => m.destination)).toEqual([`${topic}/a`, `${topic}/b`]);
    expect(got.map((m) => m.sender)).toEqual([agent.name, agent.name]);
    expect(got.map((m) => m.messageId)).toEqual([a.messageId, b.messageId]);
    expect(sub.stats).toMatchObject({ received: 2, acked: 2, deadLettered: 0 });
    for (const c of spy.got) {
      const all = Buffer.concat([
        c.payload,
        Buffer.from(JSON.stringify(c.packet.properties ?? {})),
      ]);
      expect(all.includes(Buffer.from(secret))).toBe(false);
      expect(all.includes(Buffer.from(agent.name))).toBe(false);
    }
    const p = spy.got[0]!.packet.properties;
    if (v5) {
      expect(p?.contentType).toBe('application/vnd.blindwire.envelope');
      expect(p?.payloadFormatIndicator).toBe(false);
      expect(readHint(p, 'bw-message-id')).toBe(a.messageId);
      expect(p?.messageExpiryInterval).toBeGreaterThan(590);
      expect(p?.messageExpiryInterval).toBeLessThanOrEqual(600);
      expect(a.reasonCode).toBe(0);
    } else {
      // 3.1.1: the payload alone (the spy reads with MQTT 5: no property arrives).
      expect(p?.contentType).toBeUndefined();
      expect(p?.userProperties).toBeUndefined();
      expect(a.reasonCode).toBeUndefined();
    }
    expect(spy.got[0]!.payload.length).toBe(a.bytes);
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(JSON.stringify(events)).not.toContain(agent.name);
    await spy.end();
  });

  it('reports to the onEvent given at creation, for subscriptions made after the options object changed', async () => {
    const events: MqttEvent[] = [];
    const topic = fresh();
    const client = await variant.connect();
    const options: MqttBindingOptions = {
      sender: agent,
      recipient: worker,
      trustedSenders: [publicIdentity(agent)],
      deadLetterClient: await variant.connect(),
      onEvent: (e) => events.push(e),
    };
    const bw = createMqttBinding(client, options);
    client.handleMessage = bw.handleMessage;
    delete options.onEvent; // every option is read at creation: this changes nothing
    const got: Delivered[] = [];
    const sub = await bw.subscribe(topic, (m) => void got.push(m));
    await bw.publish(topic, 'x', { to: publicIdentity(worker) });
    await until(() => got.length === 1 && events.some((e) => e.verb === 'subscribe'));
    await sub.unsubscribe();
    expect(events.filter((e) => e.verb === 'subscribe')).toMatchObject([
      { binding: 'mqtt', destination: topic, action: 'ack' },
    ]);
    expect(events.some((e) => e.verb === 'publish')).toBe(true);
  });

  it('holds the PUBACK until the handler returns: a session dropped mid-handler gets the message again', async () => {
    const clientId = `bwt-${RUN}-hold-${variant.protocolVersion}-${variant.label.includes('5.0.0') ? 'a' : 'b'}`;
    const first = await setup({}, clientId);
    let release!: () => void;
    const started: Delivered[] = [];
    await first.bw.subscribe(first.topic, (m) => {
      started.push(m);
      return new Promise<void>((r) => (release = r));
    });
    // From another client: this one's PUBACK would wait behind the message it holds.
    const publisher = createMqttBinding(await variant.connect(), { sender: agent });
    const sent = await publisher.publish(first.topic, 'held', { to: publicIdentity(worker) });
    await until(() => started.length === 1);
    await drop(first.client); // no PUBACK was sent: the handler had not returned
    release();
    // The same session again, a new process's binding (its own replay store), set up in the
    // tick that connects: the broker sends the waiting message right after the CONNACK.
    const deadLetterClient = await variant.connect();
    const again = variant.open({ clientId, persistent: true });
    const bw2 = createMqttBinding(again, {
      recipient: worker,
      trustedSenders: [publicIdentity(agent)],
      deadLetterClient,
    });
    again.handleMessage = bw2.handleMessage;
    const got: Delivered[] = [];
    await bw2.subscribe(first.topic, (m) => void got.push(m));
    await until(() => got.length === 1);
    expect(got[0]!.messageId).toBe(sent.messageId);
    expect(got[0]!.attempt).toBe(2); // DUP: the broker sent it before
    await drop(again);
    await endSession(clientId);
  });

  it('a subscription stopped while a message waits for its retry leaves it unacknowledged: the session gets it again', async () => {
    const clientId = `bwt-${RUN}-left-${variant.protocolVersion}-${variant.label.includes('5.0.0') ? 'a' : 'b'}`;
    const first = await setup({ retry: { maxAttempts: 5, backoffMs: 60_000 } }, clientId);
    const attempts: number[] = [];
    const sub = await first.bw.subscribe(first.topic, (m) => {
      attempts.push(m.attempt);
      throw new Error('transient');
    });
    const publisher = createMqttBinding(await variant.connect(), { sender: agent });
    const sent = await publisher.publish(first.topic, 'left', { to: publicIdentity(worker) });
    await until(() => attempts.length === 1); // now waiting 30-60 s for its retry
    await sub.unsubscribe(); // ends the wait: no PUBACK
    expect(sub.stats).toMatchObject({ received: 1, acked: 0, leftUnacked: 1 });
    expect(first.events.filter((e) => e.verb === 'ack').map((e) => e.outcome)).toEqual(['failed']);
    // UNSUBSCRIBE ended the subscription, not the message: a new connection of the session gets it.
    await drop(first.client);
    const deadLetterClient = await variant.connect();
    const again = variant.open({ clientId, persistent: true });
    const bw2 = createMqttBinding(again, {
      recipient: worker,
      trustedSenders: [publicIdentity(agent)],
      deadLetterClient,
    });
    again.handleMessage = bw2.handleMessage;
    const got: Delivered[] = [];
    await bw2.subscribe(first.topic, (m) => void got.push(m));
    await until(() => got.length === 1);
    expect(got[0]!.messageId).toBe(sent.messageId);
    expect(got[0]!.attempt).toBe(2);
    await drop(again);
    await endSession(clientId);
  });

  it('dead-letters tampered and moved envelopes unchanged with their reason, then acknowledges them', async () => {
    const { bw, topic, dead } = await setup();
    const raw = await rawPublisher();
    const calls: Delivered[] = [];
    const sub = await bw.subscribe(`${topic}/in`, (m) => void calls.push(m));
    // An envelope sealed for another topic, and a copy of it with one bit flipped.
    const spy = await reader([`${topic}/other`]);
    await bw.publish(`${topic}/other`, 'moved', { to: publicIdentity(worker) });
    await until(() => spy.got.length === 1);
    const env = spy.got[0]!.payload;
    const flipped = Buffer.from(env);
    flipped[flipped.length - 20]! ^= 1;
    await raw.publish(`${topic}/in`, flipped);
    await raw.publish(`${topic}/in`, env);
    await raw.publish(`${topic}/in`, Buffer.from('not an envelope'));
    await until(() => dead.got.length === 3);
    expect(calls).toEqual([]);
    expect(dead.got.map((d) => d.topic)).toEqual(Array(3).fill(`bw-dlq/${topic}/in`));
    expect(dead.got.map((d) => [...d.payload])).toEqual([
      [...flipped],
      [...env],
      [...Buffer.from('not an envelope')],
    ]);
    const reasons = dead.got.map((d) => readHint(d.packet.properties, 'bw-reason'));
    if (v5) {
      expect(reasons).toEqual([
        'ERR_OPEN_FAILED',
        'ERR_CONTEXT_MISMATCH',
        'ERR_ENVELOPE_MALFORMED',
      ]);
      const ids = dead.got.map((d) => readHint(d.packet.properties, 'bw-message-id'));
      expect(ids[0]).toBe(ids[1]);
      expect(ids[2]).toBeUndefined();
    } else {
      expect(reasons).toEqual([undefined, undefined, undefined]); // 3.1.1 copies carry no properties
    }
    expect(sub.stats).toMatchObject({ received: 3, deadLettered: 3, acked: 3 });
    await sub.unsubscribe();
    await Promise.all([raw.end(), spy.end(), dead.end()]);
  });

  it('retries transient handler failures in process, then dead-letters ERR_HANDLER after maxAttempts', async () => {
    const { bw, topic, dead, events } = await setup();
    const attempts: number[] = [];
    const sub = await bw.subscribe(topic, (m) => {
      attempts.push(m.attempt);
      if (text(m) === 'always' || m.attempt < 3) throw new Error('not yet');
    });
    await bw.publish(topic, 'third time', { to: publicIdentity(worker) });
    await until(() => attempts.length === 3);
    await bw.publish(topic, 'always', { to: publicIdentity(worker) });
    await until(() => dead.got.length === 1);
    expect(attempts).toEqual([1, 2, 3, 1, 2, 3]);
    if (v5) expect(readHint(dead.got[0]!.packet.properties, 'bw-reason')).toBe('ERR_HANDLER');
    const consume = events.filter((e) => e.verb === 'subscribe').map((e) => e.action);
    expect(consume).toEqual(['retry', 'retry', 'ack', 'retry', 'retry', 'dead-letter']);
    expect(sub.stats).toMatchObject({ retried: 4, deadLettered: 1, acked: 2 });
    await sub.unsubscribe();
    await dead.end();
  });

  it('a dead-letter copy no subscription receives (0x10) is a failed write: the original waits for a stored copy', async (ctx) => {
    if (!v5) return ctx.skip(); // 3.1.1 acknowledgements carry no reason code
    const prefix = `bw-unread-${RUN}-${variant.label.length}/`;
    const { bw, topic, events } = await setup({ deadLetterPrefix: prefix });
    const raw = await rawPublisher();
    const sub = await bw.subscribe(topic, () => undefined);
    await raw.publish(topic, Buffer.from('junk'));
    await until(() => sub.stats.deadLetterFailed >= 2);
    expect(sub.stats.acked).toBe(0);
    const late = await reader([`${prefix}#`]);
    await until(() => late.got.length === 1);
    await until(() => sub.stats.acked === 1);
    expect(late.got[0]!.topic).toBe(`${prefix}${topic}`);
    const dl = events.filter((e) => e.verb === 'dead-letter').map((e) => e.outcome);
    expect(dl.at(-1)).toBe('sent');
    expect(dl.slice(0, -1).every((o) => o === 'no-subscribers')).toBe(true);
    await sub.unsubscribe();
    await Promise.all([raw.end(), late.end()]);
  });

  it('counts a replay after the ack as a duplicate; the handler runs once', async () => {
    const { bw, topic, events } = await setup();
    const spy = await reader([topic]);
    const raw = await rawPublisher();
    const calls: string[] = [];
    const sub = await bw.subscribe(topic, (m) => void calls.push(m.messageId));
    const sent = await bw.publish(topic, 'once', { to: publicIdentity(worker) });
    await until(() => calls.length === 1 && spy.got.length === 1);
    await raw.publish(topic, spy.got[0]!.payload);
    await raw.publish(topic, spy.got[0]!.payload, 0);
    await until(() => sub.stats.acked === 3);
    expect(calls).toEqual([sent.messageId]);
    const outcomes = events.filter((e) => e.verb === 'subscribe').map((e) => e.outcome);
    expect(outcomes).toEqual(['deliver', 'duplicate', 'duplicate']);
    await sub.unsubscribe();
    await Promise.all([raw.end(), spy.end()]);
  });

  it('QoS 2 and retained messages: each new subscription gets the retained envelope, processed once', async () => {
    const { bw, topic } = await setup();
    const calls: string[] = [];
    const s1 = await bw.subscribe(topic, (m) => void calls.push(text(m)), { qos: 2 });
    expect(s1.qos).toBe(2);
    await bw.publish(topic, 'kept', { to: publicIdentity(worker), qos: 2, retain: true });
    await until(() => s1.stats.acked === 1);
    await s1.unsubscribe();
    const s2 = await bw.subscribe(topic, (m) => void calls.push(text(m)), { qos: 1 });
    await until(() => s2.stats.acked === 1); // the retained copy again: a duplicate
    expect(calls).toEqual(['kept']);
    await s2.unsubscribe();
    const raw = await rawPublisher();
    await raw.publish(topic, new Uint8Array(0), 1, true); // clears the retained message
    await raw.end();
  });

  it('a shared subscription binds each message to its concrete topic', async () => {
    const one = await setup();
    const two = await setup();
    const got: Delivered[] = [];
    const filter = `$share/g${RUN}/${one.topic}/+`;
    const subs = [
      await one.bw.subscribe(filter, (m) => void got.push(m)),
      await two.bw.subscribe(filter, (m) => void got.push(m)),
    ];
    for (let i = 0; i < 6; i++)
      await one.bw.publish(`${one.topic}/t${i}`, `m${i}`, { to: publicIdentity(worker) });
    await until(() => got.length === 6);
    await sleep(100);
    expect(got.length).toBe(6);
    expect(got.map((m) => m.destination).sort()).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => `${one.topic}/t${i}`),
    );
    expect(subs.every((s) => s.stats.received > 0)).toBe(true);
    await Promise.all(subs.map((s) => s.unsubscribe()));
  });

  it('request and response over MQTT 5 (response topic, binary correlation data); refused on 3.1.1', async () => {
    const { bw, topic } = await setup({ sender: worker });
    const caller = await setup({ sender: agent });
    if (!v5) {
      const e = await rejection(caller.bw.request(topic, 'ping', { to: publicIdentity(worker) }));
      expect(e.code).toBe(ErrorCode.InvalidArgument);
      expect((await rejection(bw.respond(topic, () => 'x'))).code).toBe(ErrorCode.InvalidArgument);
      return;
    }
    const spy = await reader([topic, caller.bw.responseTopic]);
    const responder = await bw.respond(topic, (m) => ({
      payload: `echo ${text(m)}`,
      contentType: 'text/plain',
    }));
    const r = await caller.bw.request(topic, 'ping', { to: publicIdentity(worker), timeout: 5000 });
    expect(new TextDecoder().decode(r.payload)).toBe('echo ping');
    expect(r.contentType).toBe('text/plain');
    await until(() => spy.got.length === 2);
    const [req, res] = spy.got;
    expect(req!.packet.properties?.responseTopic).toBe(caller.bw.responseTopic);
    expect(req!.packet.properties?.correlationData?.toString('hex')).toBe(r.requestId);
    expect(res!.packet.properties?.correlationData?.toString('hex')).toBe(r.requestId);
    expect(res!.packet.properties?.contentType).toBe('application/vnd.blindwire.response');
    expect(readHint(res!.packet.properties, 'bw-request-id')).toBe(r.requestId);
    expect(res!.payload.includes(Buffer.from('echo ping'))).toBe(false);
    // No responder: a timeout is ERR_TRANSPORT.
    const e = await rejection(
      caller.bw.request(`${topic}/nobody`, 'x', { to: publicIdentity(worker), timeout: 200 }),
    );
    expect(e.code).toBe(ErrorCode.Transport);
    await responder.unsubscribe();
    await spy.end();
  });

  /** The node backend, every call counted (`calls.n`). */
  const countingBackend = () => {
    const calls = { n: 0 };
    const backend = new Proxy(nodeBackend, {
      get(t, k, r) {
        const v = Reflect.get(t, k, r) as unknown;
        return typeof v === 'function'
          ? (...a: unknown[]) => {
              calls.n++;
              return (v as (...x: unknown[]) => unknown).apply(t, a);
            }
          : v;
      },
    });
    return { backend, calls };
  };

  it('refuses a packet over the limit before sealing (ERR_LIMIT_EXCEEDED), exactly at the limit', async () => {
    const { backend: counting, calls } = countingBackend();
    const { bw: probe, topic } = await setup({ padding: 'none' });
    const spy = await reader([topic]);
    await probe.publish(topic, new Uint8Array(1000), { to: publicIdentity(worker) });
    await until(() => spy.got.length === 1);
    // The packet of a 1000-byte payload, as the binding computes it, is the limit.
    const props = spy.got[0]!.packet.properties;
    const limit = publishPacketBytes(topic, spy.got[0]!.payload.length, 1, v5 ? props : undefined);
    const { bw } = await setup({ padding: 'none', maxPacketBytes: limit, backend: counting });
    await bw.publish(topic, new Uint8Array(1000), { to: publicIdentity(worker) });
    const before = calls.n;
    const e = await rejection(
      bw.publish(topic, new Uint8Array(1001), { to: publicIdentity(worker) }),
    );
    expect(e.code).toBe(ErrorCode.LimitExceeded);
    expect(calls.n).toBe(before); // refused before any cryptography
    await sleep(50);
    expect(spy.got.length).toBe(2);
    await spy.end();
  });

  it('refuses an envelope over maxEnvelopeBytes before any backend call, whether or not the packet limit could be reached', async () => {
    const { bw: probe, topic } = await setup({ padding: 'none' });
    const spy = await reader([topic]);
    await probe.publish(topic, new Uint8Array(1000), { to: publicIdentity(worker) });
    await until(() => spy.got.length === 1);
    // The envelope of a 1000-byte payload is maxEnvelopeBytes; the packet holding it is `packet`.
    const envelope = spy.got[0]!.payload.length;
    const props = spy.got[0]!.packet.properties;
    const packet = publishPacketBytes(topic, envelope, 1, v5 ? props : undefined);
    const limits = { maxEnvelopeBytes: envelope };
    // The server's limit (far over any packet of such an envelope), the packet of the
    // largest envelope exactly, and one byte less (the exact packet size is computed).
    let sent = 1;
    for (const maxPacketBytes of [undefined, packet, packet - 1]) {
      const { backend, calls } = countingBackend();
      const { bw } = await setup({
        padding: 'none',
        limits,
        backend,
        ...(maxPacketBytes === undefined ? {} : { maxPacketBytes }),
      });
      if (maxPacketBytes === packet - 1) {
        // The packet of the largest envelope is over: the exact size decides.
        const over = await rejection(
          bw.publish(topic, new Uint8Array(1000), { to: publicIdentity(worker) }),
        );
        expect(over.code).toBe(ErrorCode.LimitExceeded);
        expect(over.message).toContain('maximum packet size');
        await bw.publish(topic, new Uint8Array(999), { to: publicIdentity(worker) });
      } else await bw.publish(topic, new Uint8Array(1000), { to: publicIdentity(worker) });
      await bw.publish(topic, 'small', { to: publicIdentity(worker) });
      sent += 2;
      const before = calls.n;
      const e = await rejection(
        bw.publish(topic, new Uint8Array(1001), { to: publicIdentity(worker) }),
      );
      expect(e.code).toBe(ErrorCode.LimitExceeded);
      expect(e.message).toContain('maxEnvelopeBytes');
      expect(calls.n).toBe(before); // no backend call, not even for the message id
      await until(() => spy.got.length === sent);
    }
    await sleep(50);
    expect(spy.got.length).toBe(sent);
    expect(spy.got.map((g) => g.payload.length).filter((n) => n === envelope).length).toBe(3);
    expect(spy.got.some((g) => g.payload.length > envelope)).toBe(false);
    await spy.end();
  });

  it('refuses what cannot work, before anything is sent', async () => {
    const { bw, client, topic } = await setup();
    const bad = async (p: Promise<unknown>) => (await rejection(p)).code;
    expect(await bad(bw.publish(`${topic}/+`, 'x', { to: publicIdentity(worker) }))).toBe(
      ErrorCode.InvalidArgument,
    );
    expect(await bad(bw.publish(topic, 'x', { to: publicIdentity(worker), qos: 3 as 1 }))).toBe(
      ErrorCode.InvalidArgument,
    );
    expect(
      await bad(
        bw.publish(topic, 'x', {
          to: publicIdentity(worker),
          userProperties: { 'bw-reason': 'x' },
        }),
      ),
    ).toBe(ErrorCode.InvalidArgument);
    expect(await bad(bw.subscribe('#', () => undefined))).toBe(ErrorCode.InvalidArgument); // would loop
    expect(await bad(bw.subscribe(topic, () => undefined, { deadLetterClient: client }))).toBe(
      ErrorCode.InvalidArgument,
    );
    const bare = await variant.connect();
    const noHook = createMqttBinding(bare, {
      recipient: worker,
      trustedSenders: [publicIdentity(agent)],
      deadLetterClient: client,
    });
    expect(await bad(noHook.subscribe(topic, () => undefined))).toBe(ErrorCode.InvalidArgument);
    bare.handleMessage = noHook.handleMessage;
    const noDead = createMqttBinding(bare, {
      recipient: worker,
      trustedSenders: [publicIdentity(agent)],
    });
    bare.handleMessage = noDead.handleMessage;
    expect(await bad(noDead.subscribe(topic, () => undefined))).toBe(ErrorCode.InvalidArgument);
    expect(() => createMqttBinding({} as MqttClientLike, {})).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }),
    );
  });
});
