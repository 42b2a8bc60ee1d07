/**
 * What publish checks before any cryptography (SPEC.md §11c), against the real
 * nats-server 2.9 on 127.0.0.1:4222: JetStream `expect` headers count towards
 * `max_payload` exactly (a message at the limit without them is refused with
 * them, ERR_LIMIT_EXCEEDED, not sealed then refused by the client), and are
 * enforced by the server; extra headers nats.js or NATS cannot carry (CR/LF
 * in a value, a bad name) are ERR_INVALID_ARGUMENT, no crypto spent.
 */
import {
  BlindwireError,
  ErrorCode,
  getDefaultBackend,
  sealedSize,
  type CryptoBackend,
} from '@blindwire/core';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService } from '@blindwire/testkit';
import { createNatsBinding, headerBytes, messageHints } from '../src/index.js';
import { CLIENTS, endpoint, fresh, freshStream, parties, type Parties } from './helpers.js';

const nats = await probeService('nats');

/** A backend that counts every call (0: no cryptography was spent). */
function counting(): { backend: CryptoBackend; calls: () => number } {
  let n = 0;
  const b = getDefaultBackend();
  const backend = new Proxy(b, {
    get(t, k, r) {
      const v = Reflect.get(t, k, r) as unknown;
      return typeof v === 'function'
        ? (...a: unknown[]) => (n++, (v as (...x: unknown[]) => unknown).apply(t, a))
        : v;
    },
  }) as CryptoBackend;
  return { backend, calls: () => n };
}

describe.skipIf(nats.skip).each(CLIENTS)('publish checks (nats.js $version)', (client) => {
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

  it('JetStream expect headers count towards max_payload, before any crypto', async () => {
    const prefix = fresh();
    const stream = freshStream();
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: 'memory' as never });
    streams.push(stream);
    const { backend, calls } = counting();
    const alice = createNatsBinding(
      nc,
      endpoint(p.alice, [p.bob], { padding: 'none', backend }),
    ).jetstream(client.js(nc));
    const max = nc.info!.max_payload;
    const h = headerBytes(messageHints('0'.repeat(32), true));
    const sizeOf = (n: number) =>
      sealedSize(n, { sender: p.alice, recipients: p.bob, padding: 'none', context: 'x' }) + h;
    let room = max - sizeOf(0);
    while (sizeOf(room) > max) room--;
    // Exactly at the limit without expectations: one expectation makes it too big.
    const e = await alice
      .publish(`${prefix}.a`, new Uint8Array(room), {
        to: p.bob,
        expect: { streamName: stream },
      })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BlindwireError);
    expect((e as BlindwireError).code).toBe(ErrorCode.LimitExceeded);
    expect(calls()).toBe(0);
    // With room for the header, it is stored; the expectation is enforced by the server.
    const extra = `Nats-Expected-Stream: ${stream}\r\n`.length;
    const ok = await alice.publish(`${prefix}.a`, new Uint8Array(room - extra), {
      to: p.bob,
      expect: { streamName: stream },
    });
    expect(ok).toMatchObject({ stream, seq: 1 });
    const wrong = await alice
      .publish(`${prefix}.a`, 'x', { to: p.bob, expect: { streamName: 'NOT_IT' } })
      .catch((x: unknown) => x);
    expect((wrong as BlindwireError).code).toBe(ErrorCode.Transport);
    const seq = await alice
      .publish(`${prefix}.a`, 'y', { to: p.bob, expect: { lastSequence: 1 } })
      .catch((x: unknown) => x);
    expect(seq).toMatchObject({ seq: 2 });
    const stale = await alice
      .publish(`${prefix}.a`, 'z', { to: p.bob, expect: { lastSequence: 1 } })
      .catch((x: unknown) => x);
    expect((stale as BlindwireError).code).toBe(ErrorCode.Transport);
    const bad = await alice
      .publish(`${prefix}.a`, 'z', { to: p.bob, expect: { lastSeq: 1 } as never })
      .catch((x: unknown) => x);
    expect((bad as BlindwireError).code).toBe(ErrorCode.InvalidArgument);
  });

  it.each([
    ['a value with CR/LF', { 'x-trace': 'a\r\nbw-reason: forged' }],
    ['a name with a space', { 'x trace': 'a' }],
    ['a name with a colon', { 'x:trace': 'a' }],
    ['an empty name', { '': 'a' }],
  ])('extra headers: %s is ERR_INVALID_ARGUMENT before any crypto', async (_what, headers) => {
    const { backend, calls } = counting();
    const alice = createNatsBinding(nc, endpoint(p.alice, [p.bob], { backend }));
    for (const send of [
      () => alice.publish(fresh(), 'x', { to: p.bob, headers }),
      () => alice.jetstream(client.js(nc)).publish(fresh(), 'x', { to: p.bob, headers }),
      () => alice.request(fresh(), 'x', { to: p.bob, headers, timeout: 500 }),
    ]) {
      const e = await send().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(BlindwireError);
      expect((e as BlindwireError).code).toBe(ErrorCode.InvalidArgument);
    }
    expect(calls()).toBe(0);
  });
});
