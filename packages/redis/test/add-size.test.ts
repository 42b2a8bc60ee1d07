/**
 * `add`'s size check (SPEC.md §8, §11c) without a server: a recording client
 * keeps each XADD. The entry limit and core's maxHeaderBytes hold exactly,
 * before any backend call, for X25519 and X-Wing recipients alike, with or
 * without padding (a padded length is a step function: an X-Wing `enc` counted
 * in the body can vanish in it), whether the exact size or the cheap upper
 * bound decided; the bound context is the key's, for keys that alternate,
 * and a binding's own `context` function is asked on every add.
 */
import {
  DEFAULT_LIMITS,
  ErrorCode,
  bindingContext,
  generateIdentity,
  open,
  publicIdentity,
} from '@blindwire/core';
import type { Identity, KemName } from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { Kind, parseFrame } from '@blindwire/core/internal';
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
  const calls = { n: 0, names: [] as string[] };
  const backend = new Proxy(nodeBackend, {
    get(t, k, r) {
      const v = Reflect.get(t, k, r) as unknown;
      return typeof v === 'function'
        ? (...a: unknown[]) => {
            calls.n++;
            calls.names.push(String(k));
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
  const paddings: NonNullable<RedisBindingOptions['padding']>[] = [
    'none',
    { blockSize: 65536 },
    'padme',
  ];
  const cases = (['X25519', 'X-Wing'] as const).flatMap((kem) =>
    [1, 3].flatMap((n) =>
      paddings.flatMap((padding) =>
        [100, 20_000, 60_000].map((size) => ({
          kem,
          n,
          padding,
          size,
          shown: JSON.stringify(padding),
        })),
      ),
    ),
  );
  it.each(cases)(
    'holds exactly before any backend call ($kem x $n, padding $shown, $size bytes)',
    async ({ kem, n, padding, size }) => {
      const to = recipients[kem].slice(0, n).map((r) => publicIdentity(r).encryption);
      const base: RedisBindingOptions = { sender: agent, padding, backend: nodeBackend };
      const probe = recorder();
      await createRedisBinding(probe.client, base).add('k', new Uint8Array(size), { to });
      const entry = bytesOf(probe.added[0]!.fields);
      const { backend, calls } = counting();
      const { client, added } = recorder();
      // At the limit: written, of exactly that size.
      const at = createRedisBinding(client, { ...base, backend, maxEntryBytes: entry });
      await at.add('k', new Uint8Array(size), { to });
      expect(bytesOf(added[0]!.fields)).toBe(entry);
      // One byte under: refused before any backend call, nothing written.
      const under = createRedisBinding(client, { ...base, backend, maxEntryBytes: entry - 1 });
      const before = calls.n;
      const e = await rejection(under.add('k', new Uint8Array(size), { to }));
      expect(e.code).toBe(ErrorCode.LimitExceeded);
      expect(calls.n).toBe(before);
      expect(added.length).toBe(1);
    },
  );

  it.each([1, 3])(
    'checks maxHeaderBytes exactly before any backend call (X-Wing x %i)',
    async (n) => {
      const to = recipients['X-Wing'].slice(0, n).map((r) => publicIdentity(r).encryption);
      const base: RedisBindingOptions = { sender: agent, backend: nodeBackend };
      const { client, added } = recorder();
      await createRedisBinding(client, base).add('k', 'x', { to });
      const fields = added[0]!.fields;
      const envelope = fields[fields.indexOf('bw-envelope') + 1] as Buffer;
      const header = parseFrame(envelope, Kind.Message, DEFAULT_LIMITS).header.length;
      const { backend, calls } = counting();
      const at = createRedisBinding(client, {
        ...base,
        backend,
        limits: { maxHeaderBytes: header },
      });
      await at.add('k', 'x', { to });
      expect(added.length).toBe(2);
      const under = { ...base, backend, limits: { maxHeaderBytes: header - 1 } };
      const before = calls.n;
      const e = await rejection(createRedisBinding(client, under).add('k', 'x', { to }));
      expect(e.code).toBe(ErrorCode.LimitExceeded);
      expect(calls.n).toBe(before);
      expect(added.length).toBe(2);
    },
  );

  // The cheap bound's limits are kept while the options' `limits` object
  // repeats; one changed in place is applied by seal's own check, before any
  // key is made (seal has drawn the message id by then).
  it('applies a limits object changed in place before any key is made', async () => {
    const to = publicIdentity(recipients['X-Wing'][0]!).encryption;
    const { backend, calls } = counting();
    const { client, added } = recorder();
    const limits = { maxHeaderBytes: 64 * 1024, maxEnvelopeBytes: 1024 * 1024 };
    const bw = createRedisBinding(client, { sender: agent, backend, limits });
    await bw.add('k', 'x', { to });
    for (const change of [{ maxHeaderBytes: 1000 }, { maxEnvelopeBytes: 1000 }]) {
      Object.assign(limits, { maxHeaderBytes: 64 * 1024, maxEnvelopeBytes: 1024 * 1024 }, change);
      const before = calls.names.length;
      const e = await rejection(bw.add('k', 'x', { to }));
      expect(e.code).toBe(ErrorCode.LimitExceeded);
      expect(calls.names.slice(before).filter((k) => k !== 'randomBytes')).toEqual([]);
    }
    expect(added.length).toBe(1);
  });
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
