/**
 * Anyone who knows a recipient's public key can make `open` look up sender
 * names of their choosing (the sender is resolved before the signature is
 * checked). Names with no records live in their own, smaller LRU
 * (`cache.maxNegativeEntries`), so a flood of them never evicts a cached,
 * verified sender, nor takes away its stale-if-error answer. A name whose
 * records all fail verification counts as one without records.
 */
import { generateIdentity } from '@blindwire/core';
import { describe, expect, it } from 'vitest';
import { createClock } from '@blindwire/testkit';
import {
  certifyIdentity,
  createDirectory,
  createMemoryStore,
  type DirectoryStore,
} from '../src/index.js';
import { T0, makeWorld } from './helpers/world.js';

async function setup(cache: Parameters<typeof createDirectory>[0]['cache'] = {}) {
  const w = await makeWorld();
  const mem = createMemoryStore();
  for (const r of await w.recordsOf(w.agent)) await mem.put(w.agent.name, r);
  for (const r of await w.recordsOf(w.tool)) await mem.put(w.tool.name, r);
  const lists = new Map<string, number>();
  const behaviour = { fail: false };
  const store: DirectoryStore = {
    kind: 'counting',
    put: (n, r) => mem.put(n, r),
    list: async (n) => {
      lists.set(n, (lists.get(n) ?? 0) + 1);
      if (behaviour.fail) throw new Error('connection refused');
      return mem.list(n);
    },
  };
  const clock = createClock(T0);
  const dir = createDirectory({ store, trust: w.policy, now: clock.now, cache });
  return { w, dir, mem, lists, behaviour, advance: clock.advance };
}

describe('negative entries', () => {
  it('10,001 forged sender names do not evict a cached sender (no refetch within its TTL)', async () => {
    const { w, dir, lists } = await setup();
    const kid = w.agent.signing.kid;
    expect(await dir.resolveSigningKey(w.agent.name, kid)).toBeDefined();
    for (let i = 0; i <= 10_000; i++) {
      expect(await dir.resolveSigningKey(`spiffe://forged.example/${i}`, kid)).toBeUndefined();
    }
    expect(await dir.resolveSigningKey(w.agent.name, kid)).toBeDefined();
    expect(lists.get(w.agent.name)).toBe(1);
    expect(dir.stats.evictions).toBe(0);
    expect(dir.stats.negativeEvictions).toBe(10_001 - 1_000); // default maxNegativeEntries
  });

  it('after a flood the cached sender still serves stale when the store fails', async () => {
    const { w, dir, behaviour, advance } = await setup({
      ttlMs: 1_000,
      staleIfErrorMs: 60_000,
      maxEntries: 10,
      maxNegativeEntries: 10,
    });
    const kid = w.agent.signing.kid;
    await dir.resolveSigningKey(w.agent.name, kid);
    for (let i = 0; i < 50; i++) await dir.resolveSigningKey(`spiffe://forged.example/${i}`, kid);
    behaviour.fail = true;
    advance(2_000);
    expect(await dir.resolveSigningKey(w.agent.name, kid)).toBeDefined();
    expect(dir.stats.staleServed).toBe(1);
  });

  it('each LRU is bounded on its own, and evictions are counted', async () => {
    const { w, dir, lists } = await setup({ maxEntries: 1, maxNegativeEntries: 2 });
    await dir.resolve(w.tool.name);
    for (const n of ['spiffe://x/1', 'spiffe://x/2', 'spiffe://x/3'])
      await dir.resolve(n).catch(() => undefined);
    expect(dir.stats).toMatchObject({ evictions: 0, negativeEvictions: 1 });
    await dir.resolve(w.tool.name);
    expect(lists.get(w.tool.name)).toBe(1);
    await dir.resolve(w.agent.name); // a second positive entry evicts the first
    expect(dir.stats.evictions).toBe(1);
    await dir.resolve(w.tool.name);
    expect(lists.get(w.tool.name)).toBe(2);
  });

  it('a name whose records appear moves from the negative to the positive cache', async () => {
    const { w, dir, mem, lists, advance } = await setup({ negativeTtlMs: 1_000, maxEntries: 2 });
    const late = await generateIdentity('spiffe://acme.example/agents/late');
    await expect(dir.resolve(late.name)).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' });
    await dir.resolve(w.tool.name);
    for (const r of await w.recordsOf(late)) await mem.put(late.name, r);
    advance(1_000);
    expect((await dir.resolveRecipient(late.name)).kid).toBe(late.encryption.kid);
    await dir.resolve(w.tool.name);
    await dir.resolve(late.name);
    expect(lists.get(late.name)).toBe(2);
    expect(lists.get(w.tool.name)).toBe(1);
    expect(dir.stats).toMatchObject({ evictions: 0, negativeEvictions: 0 });
  });

  it('names whose records all fail verification are negative too: planted junk does not evict a verified sender', async () => {
    const { w, dir, mem, lists } = await setup({ maxEntries: 10, maxNegativeEntries: 5 });
    const kid = w.agent.signing.kid;
    expect(await dir.resolveSigningKey(w.agent.name, kid)).toBeDefined();
    // Anyone who can write to a shared store plants self-certified records under many names.
    const junk = (i: number) => `spiffe://junk.example/${i}`;
    for (let i = 0; i < 50; i++)
      await mem.put(junk(i), await certifyIdentity(w.otherAnchor, { ...w.mallory, name: junk(i) }));
    for (let i = 0; i < 50; i++) expect(await dir.resolveSigningKey(junk(i), kid)).toBeUndefined();
    expect(dir.stats).toMatchObject({ evictions: 0, negativeEvictions: 45 });
    expect(await dir.resolveSigningKey(w.agent.name, kid)).toBeDefined();
    expect(lists.get(w.agent.name)).toBe(1);
    // Such a name still reports why it has no key.
    await expect(dir.resolve(junk(49))).rejects.toMatchObject({ code: 'ERR_KEY_UNTRUSTED' });
    expect(dir.stats.negativeHits).toBe(1);
  });
});
