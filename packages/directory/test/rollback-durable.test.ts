/**
 * A raised rollback mark is durable before the key it was raised for is used
 * (SPEC.md §11.2). The directory keeps, per name, the serial its rollback
 * store has confirmed: a resolve whose mark is above it saves first, a failed
 * save leaves it where it was (so the next resolve saves again), and
 * concurrent resolves wait for the one pending save.
 */
import { generateEncryptionKey } from '@blindwire/core';
import { describe, expect, it } from 'vitest';
import { outcomeOf } from '@blindwire/testkit';
import {
  createDirectory,
  createEncryptionKeyRecord,
  createMemoryStore,
  type RollbackMark,
  type RollbackStore,
} from '../src/index.js';
import { S0, T0, makeWorld, type World } from './helpers/world.js';

const tick = () => new Promise((r) => setTimeout(r, 10));

/** The tool with key serials 1 and 2; `addSerial(n)` publishes another. */
async function world() {
  const w = await makeWorld();
  const store = createMemoryStore();
  for (const r of await w.recordsOf(w.tool)) await store.put(w.tool.name, r);
  const addSerial = async (serial: number) => {
    const k = await generateEncryptionKey();
    await store.put(
      w.tool.name,
      await createEncryptionKeyRecord(w.tool, k, {
        now: T0,
        notBefore: S0,
        notAfter: S0 + 86_400,
        serial,
      }),
    );
  };
  await addSerial(2);
  return { w, store, addSerial };
}

/** A rollback store whose saves are held until released, or failed. */
function heldStore() {
  const durable = new Map<string, RollbackMark>();
  const pending: { name: string; mark: RollbackMark; release(): void; fail(): void }[] = [];
  const store: RollbackStore = {
    async load() {
      return [...durable];
    },
    save(name, mark) {
      return new Promise<void>((resolve, reject) => {
        pending.push({
          name,
          mark,
          release: () => {
            durable.set(name, mark);
            resolve();
          },
          fail: () => reject(new Error('EIO')),
        });
      });
    },
  };
  return { store, durable, pending };
}

const directory = (w: World, store: ReturnType<typeof createMemoryStore>, rs: RollbackStore) =>
  createDirectory({ store, trust: w.policy, now: () => T0, rollbackStore: rs });

describe('rollback marks are durable before use', () => {
  it('after a failed save, the next resolve saves the mark again before it returns the key', async () => {
    const { w, store } = await world();
    const h = heldStore();
    const d = directory(w, store, h.store);
    const first = d.resolve(w.tool.name);
    await tick();
    h.pending[0]!.fail();
    expect(await outcomeOf(first)).toBe('EIO');

    let returned = false;
    const second = d.resolve(w.tool.name).then((k) => ((returned = true), k));
    await tick();
    expect(h.pending).toHaveLength(2); // saved again
    expect(returned).toBe(false); // and not handed out before the save completes
    h.pending[1]!.release();
    expect((await second)[0]!.serial).toBe(2);
    expect(h.durable.get(w.tool.name)).toEqual({
      serial: 2,
      notAfter: S0 + 86_400,
      issuerKid: w.tool.signing.kid,
    });

    await d.resolve(w.tool.name); // durable now: no further save
    expect(h.pending).toHaveLength(2);
  });

  it('a concurrent resolve waits for the pending save, and shares its outcome', async () => {
    const { w, store } = await world();
    const h = heldStore();
    const d = directory(w, store, h.store);
    const settled: string[] = [];
    const p1 = d.resolve(w.tool.name).then(() => settled.push('p1'));
    await tick();
    const p2 = d.resolve(w.tool.name).then(() => settled.push('p2'));
    await tick();
    expect(settled).toEqual([]); // nothing handed out while the mark is not durable
    expect(h.pending).toHaveLength(1); // one save per name
    h.pending[0]!.release();
    await Promise.all([p1, p2]);
    expect(settled.sort()).toEqual(['p1', 'p2']);

    // A pending save that fails fails every resolve waiting on it; the next one retries.
    const e = heldStore();
    const d2 = directory(w, store, e.store);
    const q1 = outcomeOf(d2.resolve(w.tool.name));
    await tick();
    const q2 = outcomeOf(d2.resolve(w.tool.name));
    await tick();
    e.pending[0]!.fail();
    expect([await q1, await q2]).toEqual(['EIO', 'EIO']);
    const q3 = d2.resolve(w.tool.name);
    await tick();
    expect(e.pending).toHaveLength(2);
    e.pending[1]!.release();
    expect((await q3)[0]!.serial).toBe(2);
  });

  it('a mark that rose during a pending save is saved after it, before the newer key is used', async () => {
    const { w, store, addSerial } = await world();
    const h = heldStore();
    const d = directory(w, store, h.store);
    const p1 = d.resolve(w.tool.name);
    await tick();
    await addSerial(3);
    d.invalidate(w.tool.name);
    let returned = false;
    const p2 = d.resolve(w.tool.name).then((k) => ((returned = true), k));
    await tick();
    h.pending[0]!.release(); // serial 2 is durable
    await p1;
    await tick();
    expect(h.pending.map((p) => p.mark.serial)).toEqual([2, 3]);
    expect(returned).toBe(false);
    h.pending[1]!.release();
    expect((await p2)[0]!.serial).toBe(3);
    expect(h.durable.get(w.tool.name)!.serial).toBe(3);
  });

  it('marks loaded from the store are durable already: nothing is saved again', async () => {
    const { w, store } = await world();
    const h = heldStore();
    h.durable.set(w.tool.name, { serial: 2, notAfter: S0 + 86_400 });
    const d = directory(w, store, h.store);
    expect((await d.resolve(w.tool.name))[0]!.serial).toBe(2);
    expect(h.pending).toEqual([]);
  });
});
