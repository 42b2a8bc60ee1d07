/**
 * `consume`'s XACKs against the real Redis 7 on 127.0.0.1:6379 (SPEC.md §7b),
 * through an ioredis client whose XACK the test fails or holds: a failed XACK
 * is reported (`stats.ackFailed`, an `ack` event with outcome `failed`) and
 * leaves its entries pending until they are reclaimed and acked, the handler
 * not run again; `stop()` resolves only after the XACK on the wire answered.
 */
import { generateIdentity, publicIdentity, type Identity } from '@blindwire/core';
import { createRedisReplayStore } from '@blindwire/replay';
import { probeService } from '@blindwire/testkit';
import IoRedis6 from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBinding, type RedisClientLike, type RedisEvent } from '../src/index.js';
import { RUN, URL, cleanup, createGroup, fresh, raw, unsettled, until } from './helpers.js';

const redis = await probeService('redis');
let agent: Identity;
let worker: Identity;
let io: IoRedis6;

beforeAll(async () => {
  redis.assertUp();
  await raw.connect();
  io = new IoRedis6(URL);
  [agent, worker] = (await Promise.all(
    ['agent', 'worker'].map((n) => generateIdentity(`spiffe://bw.test/${n}-${RUN}`)),
  )) as [Identity, Identity];
});
afterAll(async () => {
  await cleanup(`bwt:${RUN}:*`);
  io.disconnect();
  await raw.quit();
});

/** An ioredis-shaped client over `io` whose XACKs fail while `failing > 0`, or wait for `gate`. */
function ackControlled() {
  const ctl = { failing: 0, gate: undefined as Promise<void> | undefined, xacks: 0 };
  const client = {
    multi: () => io.multi(),
    callBuffer: async (cmd: string, args: (string | Buffer | number)[]) => {
      if (cmd === 'XACK') {
        ctl.xacks++;
        if (ctl.failing > 0) {
          ctl.failing--;
          throw new Error('XACK refused');
        }
        if (ctl.gate) await ctl.gate;
      }
      return io.callBuffer(cmd, args);
    },
  };
  return { client: client as unknown as RedisClientLike, ctl };
}

function binding(client: RedisClientLike) {
  const key = fresh();
  const events: RedisEvent[] = [];
  const bw = createRedisBinding(client, {
    sender: agent,
    recipient: worker,
    trustedSenders: [publicIdentity(agent)],
    replay: createRedisReplayStore({ client: raw as never, prefix: `${key}:replay:` }),
    onEvent: (e) => events.push(e),
  });
  return { bw, key, events };
}
const fast = { blockMs: 100, claimIdleMs: 300, claimIntervalMs: 50 };

describe.skipIf(redis.skip)('consume: XACK', () => {
  it('reports a failed XACK and leaves its entries pending until acked later', async () => {
    const { client, ctl } = ackControlled();
    const { bw, key, events } = binding(client);
    await createGroup(key, 'g');
    const ids = new Set<string>();
    for (const text of ['a', 'b', 'c'])
      ids.add((await bw.add(key, text, { to: publicIdentity(worker) })).id);
    ctl.failing = 1;
    const handled: string[] = [];
    const run = bw.consume(
      { stream: key, group: 'g', consumer: 'c' },
      (m) => void handled.push(new TextDecoder().decode(m.payload)),
      fast,
    );
    await until(async () => run.stats.acked === 3 && (await unsettled(key, 'g')) === 0);
    await run.stop();
    const failed = events.filter((e) => e.verb === 'ack');
    expect(failed.length).toBeGreaterThan(0);
    expect(run.stats.ackFailed).toBe(failed.length);
    for (const e of failed) {
      expect(e).toMatchObject({ binding: 'redis', outcome: 'failed', code: 'ERR_TRANSPORT' });
      expect(ids.has((e as { entryId: string }).entryId)).toBe(true);
    }
    // The unacked entries were reclaimed and acked; the handler ran once each.
    expect(run.stats.reclaimed).toBe(failed.length);
    expect(handled.sort()).toEqual(['a', 'b', 'c']);
    expect(ctl.xacks).toBeGreaterThan(1);
  });

  it('stop() waits for the XACK on the wire', async () => {
    const { client, ctl } = ackControlled();
    const { bw, key } = binding(client);
    await createGroup(key, 'g');
    for (const text of ['a', 'b', 'c']) await bw.add(key, text, { to: publicIdentity(worker) });
    let release!: () => void;
    ctl.gate = new Promise<void>((r) => (release = r));
    let handled = 0;
    const run = bw.consume({ stream: key, group: 'g', consumer: 'c' }, () => void handled++, fast);
    await until(() => handled === 3 && ctl.xacks > 0);
    let stopped = false;
    const stopping = run.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(stopped).toBe(false);
    expect(run.stats.acked).toBe(0);
    expect(await unsettled(key, 'g')).toBe(3);
    release();
    await stopping;
    expect(run.stats.acked).toBe(3);
    expect(await unsettled(key, 'g')).toBe(0);
  });
});
