/**
 * A dead-letter subject the consumer reads itself (SPEC.md §7b), against the
 * real nats-server 2.9 on 127.0.0.1:4222: refused at consume when the
 * consumer's filter matches it; with no filter, the first copy read back ends
 * the run (ERR_INVALID_ARGUMENT) instead of a copy of a copy without end.
 * A message so near max_payload that its copy cannot carry every hint is
 * still copied (hints dropped, the dedup key last), never held forever.
 */
import { ErrorCode, isBlindwireError } from '@blindwire/core';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService } from '@blindwire/testkit';
import { createNatsBinding, readHint } from '../src/index.js';
import {
  CLIENTS,
  endpoint,
  fresh,
  freshStream,
  parties,
  sleep,
  until,
  type Parties,
} from './helpers.js';

const nats = await probeService('nats');
const ms = (n: number) => n * 1_000_000;
const fast = { retry: { backoffMs: 50, maxBackoffMs: 100 } };

describe.skipIf(nats.skip)('a dead-letter subject the consumer reads itself', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let p: Parties;
  const client = CLIENTS[0]!;
  const stream = freshStream();
  const prefix = fresh();

  beforeAll(async () => {
    nats.assertUp();
    nc = await client.connect();
    jsm = await client.jsm(nc);
    p = await parties();
    // The dead-letter subject is captured by the work stream itself.
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: 'memory' as never });
  });
  afterAll(async () => {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc?.close();
  });

  it('a consumer whose filter matches it is refused at consume', async () => {
    await jsm.consumers.add(stream, {
      durable_name: 'filtered',
      ack_policy: 'explicit' as never,
      filter_subject: `${prefix}.>`,
    });
    const consumer = await client.js(nc).consumers.get(stream, 'filtered');
    const bw = createNatsBinding(nc, endpoint(p.bob, [p.alice]));
    const e = await bw
      .jetstream(client.js(nc))
      .consume(consumer, () => {}, { deadLetterSubject: `${prefix}.dl` })
      .catch((x: unknown) => x);
    expect(isBlindwireError(e) && e.code).toBe(ErrorCode.InvalidArgument);
  });

  it('without a filter: the first copy read back ends the run, no copy of a copy', async () => {
    await jsm.consumers.add(stream, {
      durable_name: 'all',
      ack_policy: 'explicit' as never,
      ack_wait: ms(1000),
    });
    const js = client.js(nc);
    const mallory = createNatsBinding(nc, endpoint(p.mallory, [p.bob])).jetstream(js);
    await mallory.publish(`${prefix}.jobs`, 'x', { to: p.bob });
    const run = await createNatsBinding(
      nc,
      endpoint(p.bob, [p.alice, p.mallory], {
        ...fast,
        policy: [{ match: '>', allowedSenders: [p.alice.name] }],
      }),
    )
      .jetstream(js)
      .consume(await js.consumers.get(stream, 'all'), () => {}, {
        deadLetterSubject: `${prefix}.dl`,
      });
    const e = await Promise.race([
      run.done.then(
        () => 'resolved',
        (x: unknown) => x,
      ),
      sleep(3000),
    ]);
    expect(isBlindwireError(e) && e.code).toBe(ErrorCode.InvalidArgument);
    // The original and its one copy; no copy of the copy.
    expect((await jsm.streams.info(stream)).state.messages).toBe(2);
  });
});

describe.skipIf(nats.skip)('a dead-letter copy near max_payload', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let p: Parties;
  const client = CLIENTS[0]!;
  const stream = freshStream();
  const dlStream = freshStream();
  const prefix = fresh();

  beforeAll(async () => {
    nats.assertUp();
    nc = await client.connect();
    jsm = await client.jsm(nc);
    p = await parties();
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: 'memory' as never });
    await jsm.streams.add({
      name: dlStream,
      subjects: [`${prefix}-dl`],
      storage: 'memory' as never,
    });
  });
  afterAll(async () => {
    for (const s of [stream, dlStream]) await jsm.streams.delete(s).catch(() => undefined);
    await nc?.close();
  });

  it('is written with the hints that fit (the dedup key first), then terminated', async () => {
    await jsm.consumers.add(stream, {
      durable_name: 'w',
      ack_policy: 'explicit' as never,
      ack_wait: ms(1000),
      max_deliver: 2,
    });
    const js = client.js(nc);
    const max = nc.info!.max_payload;
    const keyFits = new Uint8Array(max - 60).fill(7); // room for the key, not the reason
    const nothingFits = new Uint8Array(max).fill(9);
    await js.publish(`${prefix}.jobs`, keyFits);
    await js.publish(`${prefix}.jobs`, nothingFits);
    const run = await createNatsBinding(nc, endpoint(p.bob, [p.alice], fast))
      .jetstream(js)
      .consume(await js.consumers.get(stream, 'w'), () => {}, {
        deadLetterSubject: `${prefix}-dl`,
      });
    await until(() => run.stats.termed === 2, 20_000, 'two terminations');
    await run.stop();
    const a = await jsm.streams.getMessage(dlStream, { seq: 1 });
    const b = await jsm.streams.getMessage(dlStream, { seq: 2 });
    expect(Buffer.from(a!.data).equals(Buffer.from(keyFits))).toBe(true);
    expect(readHint(a!.header, 'Nats-Msg-Id')).toBe(`bw-dl:${stream}:1`);
    expect(readHint(a!.header, 'bw-reason')).toBeUndefined();
    expect(Buffer.from(b!.data).equals(Buffer.from(nothingFits))).toBe(true);
    expect(b!.header?.keys() ?? []).toEqual([]);
  });
});
