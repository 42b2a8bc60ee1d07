/**
 * The dead-letter writer against the real Redis 7 (SPEC.md §7b), through
 * ioredis and node-redis: two consumers that both dead-letter one entry (the
 * second reclaimed it while the first still ran) write exactly one copy; the
 * copy is written only by the consumer whose XACK settled the entry; a copy
 * that cannot be written leaves the entry pending (no XACK without a copy).
 */
import { generateIdentity, publicIdentity } from '@blindwire/core';
import { createRedisReplayStore } from '@blindwire/replay';
import { probeService } from '@blindwire/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shared } from '../src/common.js';
import { writeDeadLetter } from '../src/dead-letter.js';
import type { RedisClientLike, RedisEvent } from '../src/index.js';
import { RUN, VARIANTS, cleanup, createGroup, field, fresh, raw, rawEntries } from './helpers.js';

const redis = await probeService('redis');

beforeAll(async () => {
  redis.assertUp();
  await raw.connect();
});
afterAll(async () => {
  await cleanup(`bwt:${RUN}:*`);
  await raw.quit();
});

describe.skipIf(redis.skip).each(VARIANTS)('dead-letter writer through $label', (variant) => {
  let client: RedisClientLike;
  beforeAll(async () => {
    client = await variant.open();
  });
  afterAll(async () => {
    await variant.close(client);
  });

  const setup = async () => {
    const key = fresh();
    const events: RedisEvent[] = [];
    const me = await generateIdentity(`spiffe://bw.test/dl-${RUN}`);
    const s = shared(client, {
      recipient: me,
      trustedSenders: [publicIdentity(me)],
      replay: createRedisReplayStore({ client: client as never, prefix: `${key}:replay:` }),
      onEvent: (e) => events.push(e),
    });
    await createGroup(key, 'g');
    const id = await raw.xadd(key, '*', 'bw-envelope', Buffer.from([0xff, 0, 1, 2]));
    // c1 reads it; c2 reclaims it (idle 0) while c1 still holds it: both hold the entry.
    await raw.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 1, 'STREAMS', key, '>');
    await raw.call('XCLAIM', key, 'g', 'c2', '0', id!);
    const dl = { bytes: new Uint8Array([0xff, 0, 1, 2]), reason: 'ERR_ENVELOPE_MALFORMED' };
    return { key, id: id!, s, events, dl: { ...dl, messageId: undefined, entryId: id! } };
  };

  it('two consumers dead-lettering one reclaimed entry write one copy', async () => {
    const { key, s, events, dl } = await setup();
    const dlq = { stream: `${key}:dlq`, maxLen: undefined };
    const written = await Promise.all([
      writeDeadLetter(s, { stream: key, group: 'g', consumer: 'c1' }, dlq, dl),
      writeDeadLetter(s, { stream: key, group: 'g', consumer: 'c2' }, dlq, dl),
    ]);
    expect(written.sort()).toEqual([false, true]);
    const copies = await rawEntries(`${key}:dlq`);
    expect(copies).toHaveLength(1);
    expect(String(field(copies[0]!.fields, 'bw-source-id'))).toBe(dl.entryId);
    expect(field(copies[0]!.fields, 'bw-envelope')!.equals(Buffer.from(dl.bytes))).toBe(true);
    expect(await raw.xpending(key, 'g')).toEqual([0, null, null, null]);
    const sent = events.filter((e) => e.verb === 'dead-letter');
    expect(sent.map((e) => e.outcome).sort()).toEqual(['sent', 'settled']);
    // Once settled, a third attempt writes nothing either.
    expect(await writeDeadLetter(s, { stream: key, group: 'g', consumer: 'c1' }, dlq, dl)).toBe(
      false,
    );
    expect(await raw.xlen(`${key}:dlq`)).toBe(1);
  });

  it('a copy that cannot be written leaves the entry pending, not acked', async () => {
    const { key, s, dl } = await setup();
    const bad = `${key}:notastream`;
    await raw.set(bad, 'x'); // XADD on a string: WRONGTYPE
    await expect(
      writeDeadLetter(
        s,
        { stream: key, group: 'g', consumer: 'c1' },
        { stream: bad, maxLen: undefined },
        dl,
      ),
    ).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
    const [pending] = (await raw.xpending(key, 'g')) as [number];
    expect(pending).toBe(1);
  });
});
