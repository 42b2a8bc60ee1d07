/**
 * The NATS KV store against the real nats-server (JetStream) on
 * 127.0.0.1:4222. Each run uses its own random buckets and destroys them
 * afterwards.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, toBase64url } from '@blindwire/core';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { probeService, rejection } from '@blindwire/testkit';
import { createNatsKvStore, type NatsKvStore } from '../src/stores/nats-store.js';
import { recordId } from '../src/records/record-id.js';
import { runStoreBasics, runStoreConformance } from './helpers/conformance.js';
import { runPagedListing } from './helpers/paging.js';

const SERVERS = '127.0.0.1:4222';
const nats = await probeService('nats');

/** The KV key of record `id` of `name`, as the store writes it. */
export function natsKey(name: string, id: string): string {
  return `${toBase64url(new TextEncoder().encode(name))}.${id}`;
}

/**
 * Overwrites the stored bytes of record `id` of `name` behind the store's back
 * (a malicious directory), through the same bucket. Reusable by the shared
 * conformance suite.
 */
export function natsRawOverwrite(kv: KV) {
  return async (name: string, id: string, bytes: Uint8Array): Promise<void> => {
    await kv.put(natsKey(name, id), bytes);
  };
}

const BINARY = Uint8Array.from([0x00, 0xff, 0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x00]);
const ALICE = 'spiffe://acme.example/agents/alice';
const BOB = 'spiffe://acme.example/tools/payments?x=1#ü';

describe.skipIf(nats.skip)('nats kv store', () => {
  const run = randomBytes(4).toString('hex');
  let buckets = 0;
  const freshBucket = () => `bw_test_${run}_${++buckets}`;
  let nc: NatsConnection;
  let kv: KV;
  let store: NatsKvStore;

  beforeAll(async () => {
    nats.assertUp();
    nc = await connect({ servers: SERVERS });
    store = createNatsKvStore({ nc, bucket: freshBucket() });
    await store.list(ALICE); // creates the bucket
    kv = await new Kvm(nc).open(`bw_test_${run}_1`);
  });

  afterAll(async () => {
    if (!nc) return;
    await store.close();
    const kvm = new Kvm(nc);
    for (let i = 1; i <= buckets; i++) {
      const b = await kvm.open(`bw_test_${run}_${i}`);
      await b.destroy().catch(() => undefined); // a case that failed early may not have created its bucket
    }
    await nc.close();
  });

  describe('records', () => {
    it('round-trips binary records (0x00, 0xff) under <base64url(name)>.<recordId>', async () => {
      const other = new Uint8Array(randomBytes(300));
      await store.put(ALICE, BINARY);
      await store.put(ALICE, other);
      const listed = await store.list(ALICE);
      expect(sorted(listed)).toEqual(sorted([BINARY, other]));
      expect(listed.every((r) => Object.getPrototypeOf(r) === Uint8Array.prototype)).toBe(true);
      const key = natsKey(ALICE, recordId(BINARY));
      expect(key).toMatch(/^[-_A-Za-z0-9]+\.[0-9a-f]{32}$/);
      expect((await kv.get(key))?.value).toEqual(BINARY);
    });

    runStoreBasics(() => ({ store, rawOverwrite: natsRawOverwrite(kv) }), {
      alice: ALICE,
      bob: BOB,
    });

    it('wraps an existing KV the caller opened', async () => {
      const s = createNatsKvStore(kv);
      const r = new Uint8Array(randomBytes(16));
      await s.put(`${ALICE}/direct`, r);
      expect(await store.list(`${ALICE}/direct`)).toEqual([r]);
    });
  });

  describe('watch', () => {
    it('fires with the name on a put or remove by another store instance, not for what was already stored', async () => {
      const bucket = freshBucket();
      const writerNc = await connect({ servers: SERVERS });
      try {
        const watcher = createNatsKvStore({ nc, bucket });
        const writer = createNatsKvStore({ nc: writerNc, bucket });
        const old = new Uint8Array(randomBytes(20));
        await writer.put(`${ALICE}/old`, old);
        const seen: string[] = [];
        const unsubscribe = await watcher.watch((name) => seen.push(name));
        const r = new Uint8Array(randomBytes(20));
        await writer.put(BOB, r);
        await writer.remove(BOB, recordId(r));
        await (await new Kvm(writerNc).open(bucket)).put('some.other.app', Uint8Array.of(1)); // ignored
        await vi.waitFor(() => expect(seen).toEqual([BOB, BOB]), { timeout: 10_000 });
        unsubscribe();
        await writer.put(`${ALICE}/later`, r);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(seen).toEqual([BOB, BOB]);
        await watcher.close();
      } finally {
        await writerNc.close();
      }
    });

    it('reports a throwing listener to onWatchError and keeps watching; close() stops it', async () => {
      const errors: unknown[] = [];
      const seen: string[] = [];
      const s = createNatsKvStore(kv, { onWatchError: (e) => errors.push(e) });
      await s.watch((name) => {
        seen.push(name);
        if (seen.length === 1) throw new Error('listener bug');
      });
      await store.put(`${ALICE}/w1`, Uint8Array.of(1));
      await store.put(`${ALICE}/w2`, Uint8Array.of(2));
      await vi.waitFor(() => expect(seen).toEqual([`${ALICE}/w1`, `${ALICE}/w2`]), {
        timeout: 10_000,
      });
      expect(errors).toHaveLength(1);
      expect((errors[0] as Error).message).toBe('listener bug');
      await s.close();
      await store.put(`${ALICE}/w3`, Uint8Array.of(3));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seen).toHaveLength(2);
    });
  });

  describe('limits and errors', () => {
    it('accepts a record of exactly 64 KiB and refuses 64 KiB + 1 with ERR_LIMIT_EXCEEDED', async () => {
      const name = `${ALICE}/size`;
      await store.put(name, new Uint8Array(64 * 1024).fill(0xff));
      expect((await rejection(store.put(name, new Uint8Array(64 * 1024 + 1)))).code).toBe(
        ErrorCode.LimitExceeded,
      );
      expect(await store.list(name)).toHaveLength(1);
    });

    it('lists 1024 records of one name and refuses 1025 with ERR_LIMIT_EXCEEDED', async () => {
      const name = `${ALICE}/flood`;
      const raw = natsRawOverwrite(kv);
      await Promise.all(
        Array.from({ length: 1024 }, (_, i) =>
          raw(name, i.toString(16).padStart(32, '0'), Uint8Array.of(i & 0xff)),
        ),
      );
      expect(await store.list(name)).toHaveLength(1024);
      await raw(name, 'f'.repeat(32), Uint8Array.of(1));
      expect((await rejection(store.list(name))).code).toBe(ErrorCode.LimitExceeded);
    });

    it('refuses a stored value over 64 KiB with ERR_LIMIT_EXCEEDED', async () => {
      const name = `${ALICE}/huge`;
      await natsRawOverwrite(kv)(name, 'a'.repeat(32), new Uint8Array(64 * 1024 + 1));
      expect((await rejection(store.list(name))).code).toBe(ErrorCode.LimitExceeded);
    });

    it('checks its arguments', async () => {
      expect((await rejection(store.put('', BINARY))).code).toBe(ErrorCode.InvalidArgument);
      expect((await rejection(store.put(ALICE, 'x' as unknown as Uint8Array))).code).toBe(
        ErrorCode.InvalidArgument,
      );
      expect((await rejection(store.remove(ALICE, '*'))).code).toBe(ErrorCode.InvalidArgument);
      expect(() => createNatsKvStore({} as KV)).toThrow(/"source" expected/);
    });

    it('wraps a closed connection’s errors in ERR_TRANSPORT with the cause', async () => {
      const closed = await connect({ servers: SERVERS });
      const bucket = freshBucket();
      const s1 = createNatsKvStore({ nc: closed, bucket });
      await s1.list(ALICE); // opens (creates) the bucket while connected
      await closed.close();
      const s2 = createNatsKvStore({ nc: closed, bucket }); // must open the bucket on a closed connection
      for (const p of [
        s1.put(ALICE, BINARY),
        s1.list(ALICE),
        s1.remove(ALICE, recordId(BINARY)),
        s1.watch(() => {}),
        s2.list(ALICE),
      ]) {
        const e = await rejection(p);
        expect(e.code).toBe(ErrorCode.Transport);
        expect(e.message).toMatch(/^nats: /);
        expect(e.cause).toBeInstanceOf(Error);
      }
    });
  });

  describe('paged listing (keys, then one page of values)', () => {
    runPagedListing(() => ({ store }), { name: (x) => `${ALICE}/${x}`, ordered: true });
    it('pages past the 1024 records that list refuses', async () => {
      const name = `${ALICE}/many`;
      const raw = natsRawOverwrite(kv);
      const ids = Array.from({ length: 1100 }, (_, i) => i.toString(16).padStart(32, '0'));
      for (let i = 0; i < ids.length; i += 100)
        await Promise.all(ids.slice(i, i + 100).map((id) => raw(name, id, Uint8Array.of(1))));
      expect((await rejection(store.list(name))).code).toBe(ErrorCode.LimitExceeded);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listPage(name, { limit: 1024, ...(cursor ? { cursor } : {}) });
        seen.push(...page.records.map(() => 'r'));
        cursor = page.cursor;
      } while (cursor !== undefined);
      expect(seen).toHaveLength(1100);
      await store.removeMany(name, ids.slice(0, 200));
      expect(await store.list(name)).toHaveLength(900);
    });
  });

  describe('conformance', () => {
    // A fresh bucket per fixture: each conformance case starts from an empty store.
    runStoreConformance(async () => {
      const b = await new Kvm(nc).create(freshBucket());
      return { store: createNatsKvStore(b), rawOverwrite: natsRawOverwrite(b) };
    });
  });
});

function sorted(records: Uint8Array[]): string[] {
  return records.map((r) => Buffer.from(r).toString('hex')).sort();
}
