/**
 * What crosses to a worker of the open pool (src/pool-call.ts,
 * SPEC.md §7): the bytes of the call and nothing beside them. A Uint8Array
 * posted to a worker is cloned with its whole ArrayBuffer, so a trusted
 * sender's key or a resolver's answer that is a view (a Node Buffer from the
 * shared 8 KiB pool, a slice of a config file) would carry its neighbours:
 * other secrets of the calling thread, never zeroed in the worker. Checked on
 * what a real MessagePort delivers (v8.serialize writes only a view's bytes;
 * postMessage clones the whole buffer).
 */
import { MessageChannel } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { publicIdentity } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { answer, prepareCall, type PoolCall } from '../src/pool-call.js';
import { NOW, cast, type Cast } from './helpers/fixtures.js';

const SECRET = new Uint8Array(32).fill(0xa5);

/** `bytes` as a view into a larger buffer that also holds SECRET. */
function besideSecret(bytes: Uint8Array): Uint8Array {
  const slab = new Uint8Array(bytes.length + 2 * SECRET.length);
  slab.set(SECRET, 0);
  slab.set(bytes, SECRET.length);
  slab.set(SECRET, SECRET.length + bytes.length);
  return slab.subarray(SECRET.length, SECRET.length + bytes.length);
}

/** Every ArrayBuffer reachable from `v`. */
function buffers(v: unknown, out: ArrayBufferLike[] = []): ArrayBufferLike[] {
  if (ArrayBuffer.isView(v)) out.push(v.buffer);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) buffers(x, out);
  return out;
}

/** Whether `v`, posted over a MessagePort as the pool posts it, arrives holding SECRET. */
async function holdsSecret(v: unknown): Promise<boolean> {
  const { port1, port2 } = new MessageChannel();
  const got = new Promise<unknown>((r) => port2.once('message', r));
  port1.postMessage(v);
  const m = await got;
  port1.close();
  return buffers(m).some((b) => Buffer.from(b as ArrayBuffer).includes(Buffer.from(SECRET)));
}

let c: Cast;
beforeAll(async () => {
  c = await cast(nodeBackend);
});

describe('open pool: only the call crosses to the worker', () => {
  it('a trusted sender whose public key is a view of a larger buffer', async () => {
    const alice = publicIdentity(c.alice);
    const viewed = {
      ...alice,
      signing: { ...alice.signing, publicKey: besideSecret(alice.signing.publicKey) },
    };
    const call = prepareCall(
      1,
      new Uint8Array(8),
      { recipient: c.bob, trustedSenders: [viewed], now: NOW },
      nodeBackend,
    );
    expect(call.message.o.trustedSenders?.[0]?.signing.publicKey).toEqual(alice.signing.publicKey);
    expect(await holdsSecret(call.message)).toBe(false);
  });

  it("a resolver's key that is a view of a larger buffer", async () => {
    const key = c.alice.signing.publicKey;
    const call = {
      ...prepareCall(
        2,
        new Uint8Array(8),
        { recipient: c.bob, resolveSender: () => besideSecret(key), now: NOW },
        nodeBackend,
      ),
      refs: [],
      settled: false,
    } as unknown as PoolCall;
    const a = await answer(
      call,
      { t: 'ask', id: 2, n: 0, fn: 'resolve', args: [c.alice.name, c.alice.signing.kid] },
      nodeBackend,
      () => undefined,
    );
    expect(a).toMatchObject({ ok: true, value: { bytes: key } });
    // The check sees a view's neighbours: the same answer with the caller's view does hold SECRET.
    expect(await holdsSecret({ bytes: besideSecret(key) })).toBe(true);
    expect(await holdsSecret(a)).toBe(false);
  });
});
