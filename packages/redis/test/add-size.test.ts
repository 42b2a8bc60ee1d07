/**
 * `add`'s size check (SPEC.md §8, §11c) without a server: a recording client
 * keeps each XADD. The entry limit holds exactly, before any backend call,
 * for X25519 and X-Wing recipients alike, whether the exact size or the cheap
 * upper bound decided; the bound context is the key's, for keys that alternate,
 * and a binding's own `context` function is asked on every add.
 */
import { ErrorCode, bindingContext, generateIdentity, open, publicIdentity } from '@blindwire/core';
import type { Identity, KemName } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { rejection } from '@blindwire/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRedisBinding, type RedisBindingOptions } from '../src/index.js';

/** An ioredis-shaped client that keeps every command and answers XADD with an id. */
function recorder() {
  const added: { key: string; fields: (string | Buffer)[] }[] = [];
  const client = {
    multi: () => ({ exec: async () => null }),
    callBuffer: async (cmd: string, args: (string | Buffer)[]) => {
      if (cmd !== 'XADD') throw new Error(`unexpected ${cmd}`);
      added.push({ key: String(args[0]), fields: args.slice(args.indexOf('*') + 1) });
      return Buffer.from(`${added.length}-0`);
    },
  };
  return { client, added };
}

/** The node backend, every call counted. */
function counting() {
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
}

const bytesOf = (fields: (string | Buffer)[]) =>
  fields.reduce((n, f) => n + Buffer.byteLength(f), 0);

let agent: Identity;
const recipients: Record<KemName, Identity[]> = { X25519: [], 'X-Wing': [] };
beforeAll(async () => {
  agent = await generateIdentity('spiffe://bw.test/agent', { backend: nodeBackend });
  for (const kem of ['X25519', 'X-Wing'] as const)
    recipients[kem] = await Promise.all(
      [0, 1, 2].map((i) =>
        generateIdentity(`spiffe://bw.test/r${i}`, { backend: nodeBackend, kem }),
      ),
    );
});

describe('add: the entry limit', () => {
  const cases = (['X25519', 'X-Wing'] as const).flatMap((kem) =>
    [1, 3].flatMap((n) => [100, 20_000].map((size) => ({ kem, n, size }))),
  );
  it.each(cases)(
    'holds exactly before any backend call ($kem x $n, $size bytes)',
    async ({ kem, n, size }) => {
      const to = recipients[kem].slice(0, n).map((r) => publicIdentity(r).encryption);
      const base: RedisBindingOptions = { sender: agent, padding: 'none', backend: nodeBackend };
      const probe = recorder();
      await createRedisBinding(probe.client, base).add('k', new Uint8Array(size), { to });
      const entry = bytesOf(probe.added[0]!.fields);
      const { backend, calls } = counting();
      const { client, added } = recorder();
      const bw = createRedisBinding(client, { ...base, backend, maxEntryBytes: entry });
      await bw.add('k', new Uint8Array(size), { to });
      expect(bytesOf(added[0]!.fields)).toBe(entry);
      const before = calls.n;
      const e = await rejection(bw.add('k', new Uint8Array(size + 1), { to }));
      expect(e.code).toBe(ErrorCode.LimitExceeded);
      expect(calls.n).toBe(before);
      expect(added.length).toBe(1);
    },
  );
});

describe('add: the bound context', () => {
  it('is the key of each add, for keys that alternate', async () => {
    const worker = recipients.X25519[0]!;
    const { client, added } = recorder();
    const bw = createRedisBinding(client, { sender: agent, backend: nodeBackend });
    for (const key of ['a', 'a', 'b', 'a'])
      await bw.add(key, key, { to: publicIdentity(worker).encryption });
    for (const { key, fields } of added) {
      const envelope = fields[fields.indexOf('bw-envelope') + 1] as Buffer;
      const opened = await open(envelope, {
        recipient: worker,
        trustedSenders: [publicIdentity(agent)],
        context: bindingContext('redis', key),
        backend: nodeBackend,
      });
      expect(new TextDecoder().decode(opened.payload)).toBe(key);
    }
  });

  it("asks the binding's own context function on every add", async () => {
    const asked: string[] = [];
    const { client } = recorder();
    const bw = createRedisBinding(client, {
      sender: agent,
      backend: nodeBackend,
      context: (key) => (asked.push(key), `ctx ${key}`),
    });
    for (const key of ['a', 'a', 'b'])
      await bw.add(key, 'x', { to: publicIdentity(recipients.X25519[0]!).encryption });
    expect(asked).toEqual(['a', 'a', 'b']);
  });
});
