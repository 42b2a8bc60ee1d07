/**
 * Core NATS verbs against the real nats-server on 127.0.0.1:4222, at both
 * ends of the client range: publish/subscribe round trip (a wildcard
 * subscriber binds the concrete subject), queue groups, request/respond
 * (no responders -> ERR_TRANSPORT), max_payload refused before any crypto,
 * blindness of what a plain subscriber sees, events without plaintext.
 */
import {
  BlindwireError,
  ErrorCode,
  getDefaultBackend,
  sealedSize,
  type CryptoBackend,
  type Delivered,
} from '@blindwire/core';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService } from '@blindwire/testkit';
import {
  createNatsBinding,
  headerBytes,
  messageHints,
  readHint,
  type NatsConsumeEvent,
  type NatsEvent,
} from '../src/index.js';
import { CLIENTS, endpoint, fresh, leaks, parties, sleep, until, type Parties } from './helpers.js';

const nats = await probeService('nats');
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe.skipIf(nats.skip).each(CLIENTS)('core NATS (nats.js $version)', (client) => {
  let nc: NatsConnection;
  let p: Parties;

  beforeAll(async () => {
    nats.assertUp();
    nc = await client.connect();
    p = await parties();
  });
  afterAll(async () => {
    await nc?.close();
  });

  it('round-trips through a wildcard subscriber bound to the concrete subject', async () => {
    const base = fresh();
    const events: NatsEvent[] = [];
    const bob = createNatsBinding(
      nc,
      endpoint(p.bob, [p.alice], { onEvent: (e) => events.push(e) }),
    );
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob]));
    const got: Delivered[] = [];
    const sub = bob.subscribe(`${base}.*`, (m) => {
      got.push(m);
    });
    await nc.flush();
    const r1 = await alice.publish(`${base}.created`, 'order 42 secret', {
      to: p.bob,
      contentType: 'text/plain',
    });
    const r2 = await alice.publish(`${base}.deleted`, new Uint8Array([1, 2, 3]), { to: [p.bob] });
    await until(() => got.length === 2, 10_000, 'two deliveries');
    const byId = new Map(got.map((m) => [m.messageId, m]));
    expect(text(byId.get(r1.messageId)!.payload)).toBe('order 42 secret');
    expect(byId.get(r1.messageId)!.destination).toBe(`${base}.created`);
    expect(byId.get(r1.messageId)!.contentType).toBe('text/plain');
    expect(byId.get(r1.messageId)!.sender).toBe(p.alice.name);
    expect([...byId.get(r2.messageId)!.payload]).toEqual([1, 2, 3]);
    sub.unsubscribe();
    await sub.processed;
    const consumed = events.filter((e) => e.verb === 'subscribe') as NatsConsumeEvent[];
    expect(consumed.map((e) => e.action)).toEqual(['ack', 'ack']);
    for (const e of events) {
      expect(JSON.stringify(e)).not.toContain('order 42');
      expect(JSON.stringify(e)).not.toContain('alice');
    }
  });

  it('events carry the sender only when eventsIncludeSender is set', async () => {
    const subject = fresh();
    const events: NatsEvent[] = [];
    const bob = createNatsBinding(
      nc,
      endpoint(p.bob, [p.alice], { eventsIncludeSender: true, onEvent: (e) => events.push(e) }),
    );
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob]));
    const sub = bob.subscribe(subject, () => {});
    await nc.flush();
    await alice.publish(subject, 'hello there', { to: p.bob });
    await until(() => events.length === 1);
    expect(events[0]).toMatchObject({ verb: 'subscribe', action: 'ack', sender: p.alice.name });
    expect(JSON.stringify(events)).not.toContain('hello there');
    sub.unsubscribe();
  });

  it('without a dead-letter subject a failed delivery is reported dropped, never silent', async () => {
    const subject = fresh();
    const events: NatsEvent[] = [];
    const bob = createNatsBinding(
      nc,
      endpoint(p.bob, [p.alice], { onEvent: (e) => events.push(e) }),
    );
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob]));
    const sub = bob.subscribe(subject, () => {
      throw new Error('handler down');
    });
    await nc.flush();
    const sent = await alice.publish(subject, 'x', { to: p.bob });
    await until(() => events.length === 2);
    expect(events).toMatchObject([
      { verb: 'subscribe', action: 'retry', code: 'ERR_HANDLER', messageId: sent.messageId },
      { verb: 'dead-letter', outcome: 'dropped', destination: subject, code: 'ERR_HANDLER' },
    ]);
    sub.unsubscribe();
  });

  it('refuses a copy republished to another subject (context mismatch) and dead-letters it', async () => {
    const base = fresh();
    const bob = createNatsBinding(nc, endpoint(p.bob, [p.alice]));
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob]));
    const handled: Delivered[] = [];
    const dl: { data: Uint8Array; reason?: string }[] = [];
    const dlSubject = fresh();
    const spy = nc.subscribe(dlSubject, {
      callback: (_e, m) => void dl.push({ data: m.data, reason: readHint(m.headers, 'BW-REASON') }),
    });
    const raw: Uint8Array[] = [];
    const rawSub = nc.subscribe(`${base}.a`, { callback: (_e, m) => void raw.push(m.data) });
    const sub = bob.subscribe(`${base}.*`, (m) => void handled.push(m), {
      deadLetterSubject: dlSubject,
    });
    await nc.flush();
    await alice.publish(`${base}.a`, 'for a only', { to: p.bob });
    await until(() => raw.length === 1 && handled.length === 1);
    nc.publish(`${base}.b`, raw[0]!); // an intermediary moves it to another subject
    await until(() => dl.length === 1, 10_000, 'the dead-letter copy');
    expect(handled).toHaveLength(1);
    expect(dl[0]!.reason).toBe(ErrorCode.ContextMismatch);
    expect(Buffer.from(dl[0]!.data).equals(Buffer.from(raw[0]!))).toBe(true);
    sub.unsubscribe();
    spy.unsubscribe();
    rawSub.unsubscribe();
  });

  it('delivers each message to one member of a queue group', async () => {
    const subject = fresh();
    const bob = createNatsBinding(nc, endpoint(p.bob, [p.alice]));
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob]));
    const a: string[] = [];
    const b: string[] = [];
    const s1 = bob.subscribe(subject, (m) => void a.push(m.messageId), { queue: 'workers' });
    const s2 = bob.subscribe(subject, (m) => void b.push(m.messageId), { queue: 'workers' });
    await nc.flush();
    const ids = [];
    for (let i = 0; i < 20; i++)
      ids.push((await alice.publish(subject, `job ${i}`, { to: p.bob })).messageId);
    await until(() => a.length + b.length === 20);
    await sleep(100);
    expect([...a, ...b].sort()).toEqual([...ids].sort());
    s1.unsubscribe();
    s2.unsubscribe();
  });

  it('answers a request with a response sealed to it; the requester opens it', async () => {
    const subject = fresh();
    const bob = createNatsBinding(nc, endpoint(p.bob, [p.alice]));
    const alice = createNatsBinding(
      nc,
      endpoint(p.alice, [p.bob], { resolveRecipient: () => p.bob }),
    );
    const sub = bob.respond(subject, (m) => ({
      payload: `echo ${text(m.payload)}`,
      contentType: 'text/plain',
    }));
    const seen: Uint8Array[] = [];
    const spy = nc.subscribe('_INBOX.>', { callback: (_e, m) => void seen.push(m.data) });
    await nc.flush();
    const reply = await alice.request(subject, 'ping secret', { to: p.bob.name, timeout: 5000 });
    expect(text(reply.payload)).toBe('echo ping secret');
    expect(reply.contentType).toBe('text/plain');
    expect(reply.sender).toBe(p.bob.name);
    expect(reply.responder).toBe(p.bob.encryption.kid);
    expect(reply.requestId).toMatch(/^[0-9a-f]{32}$/);
    await until(() => seen.length >= 1);
    for (const s of seen)
      expect(leaks(s, new TextEncoder().encode('echo ping secret'))).toBe(false);
    sub.unsubscribe();
    spy.unsubscribe();
  });

  it('"no responders" is ERR_TRANSPORT with the client error as cause', async () => {
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob]));
    const e = await alice
      .request(fresh(), 'x', { to: p.bob, timeout: 2000 })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BlindwireError);
    expect((e as BlindwireError).code).toBe(ErrorCode.Transport);
    expect((e as BlindwireError).message).toMatch(/no responders/);
    expect((e as BlindwireError).cause).toBeDefined();
  });

  it('refuses a payload over max_payload before any crypto', async () => {
    const max = nc.info!.max_payload;
    let calls = 0;
    const b = getDefaultBackend();
    const counting = new Proxy(b, {
      get(t, k, r) {
        const v = Reflect.get(t, k, r) as unknown;
        return typeof v === 'function'
          ? (...a: unknown[]) => (calls++, (v as (...x: unknown[]) => unknown).apply(t, a))
          : v;
      },
    }) as CryptoBackend;
    const sender = {
      name: p.alice.name,
      signing: {
        kid: p.alice.signing.kid,
        get privateKey(): Uint8Array {
          throw new Error('the signing key must not be touched');
        },
      },
    };
    const alice = createNatsBinding(nc, { sender, backend: counting });
    const subject = fresh();
    const seen: unknown[] = [];
    const spy = nc.subscribe(subject, { callback: (_e, m) => void seen.push(m) });
    await nc.flush();
    const e = await alice
      .publish(subject, new Uint8Array(max), { to: p.bob })
      .catch((x: unknown) => x);
    expect((e as BlindwireError).code).toBe(ErrorCode.LimitExceeded);
    const e2 = await alice
      .request(subject, new Uint8Array(max - 100), { to: p.bob })
      .catch((x: unknown) => x);
    expect((e2 as BlindwireError).code).toBe(ErrorCode.LimitExceeded);
    expect(calls).toBe(0);
    await nc.flush();
    expect(seen).toHaveLength(0);
    spy.unsubscribe();
  });

  it('a payload exactly at max_payload (headers included) passes; one byte more does not', async () => {
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob], { padding: 'none' }));
    const subject = fresh();
    const h = headerBytes(messageHints('0'.repeat(32), false));
    const sizeOf = (n: number) =>
      sealedSize(n, { sender: p.alice, recipients: p.bob, padding: 'none', context: 'x' }) + h;
    let room = nc.info!.max_payload - sizeOf(0);
    while (sizeOf(room) > nc.info!.max_payload) room--;
    const bob = createNatsBinding(nc, endpoint(p.bob, [p.alice]));
    const got: number[] = [];
    const sub = bob.subscribe(subject, (m) => void got.push(m.payload.length));
    await nc.flush();
    await alice.publish(subject, new Uint8Array(room), { to: p.bob, ttl: 3600 });
    const e = await alice
      .publish(subject, new Uint8Array(room + 1), { to: p.bob })
      .catch((x: unknown) => x);
    expect((e as BlindwireError).code).toBe(ErrorCode.LimitExceeded);
    await until(() => got.length === 1);
    expect(got[0]).toBe(room);
    sub.unsubscribe();
  });

  it('a plain subscriber sees no plaintext and no sender name; hints never claim more', async () => {
    const subject = fresh();
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob]));
    const seen: { data: Uint8Array; hdr: string }[] = [];
    const spy = nc.subscribe(subject, {
      callback: (_e, m) => void seen.push({ data: m.data, hdr: m.headers?.toString() ?? '' }),
    });
    await nc.flush();
    const secret = 'the quarterly numbers are 12345678 and rising';
    await alice.publish(subject, secret, { to: p.bob, headers: { 'x-trace': 'abc' } });
    await until(() => seen.length === 1);
    expect(leaks(seen[0]!.data, new TextEncoder().encode(secret))).toBe(false);
    expect(Buffer.from(seen[0]!.data).includes(Buffer.from('alice'))).toBe(false);
    expect(seen[0]!.hdr).not.toContain('alice');
    expect(seen[0]!.hdr).toContain('x-trace: abc');
    spy.unsubscribe();
  });

  it('refuses a dead-letter subject its own filter matches (a loop)', () => {
    const bob = createNatsBinding(nc, endpoint(p.bob, [p.alice]));
    const base = fresh();
    expect(() => bob.subscribe(`${base}.>`, () => {}, { deadLetterSubject: `${base}.dl` })).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }),
    );
  });

  it('refuses user headers with reserved names', async () => {
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob]));
    for (const name of ['bw-reason', 'BW-Message-Id', 'Nats-Msg-Id']) {
      const e = await alice
        .publish(fresh(), 'x', { to: p.bob, headers: { [name]: 'v' } })
        .catch((x: unknown) => x);
      expect((e as BlindwireError).code).toBe(ErrorCode.InvalidArgument);
    }
  });
});
