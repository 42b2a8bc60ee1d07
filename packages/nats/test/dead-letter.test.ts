/**
 * The JetStream dead-letter writer against the real nats-server: a copy
 * written twice for one stored message (a redelivery after the write
 * succeeded but before `term` reached the server) is stored once; copies of
 * two stored messages sharing one message id are both kept; a subject no
 * stream captures is ERR_TRANSPORT with a `failed` event.
 */
import { ErrorCode } from '@blindwire/core';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeService } from '@blindwire/testkit';
import { shared } from '../src/common.js';
import { writeDeadLetterJs } from '../src/dead-letter.js';
import type { NatsEvent } from '../src/index.js';
import { CLIENTS, fresh, freshStream } from './helpers.js';

const nats = await probeService('nats');

describe.skipIf(nats.skip)('JetStream dead-letter writer', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];
  beforeAll(async () => {
    nats.assertUp();
    nc = await CLIENTS[0]!.connect();
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
    await nc?.close();
  });

  it('deduplicates a repeated copy of one stored message, keeps copies of two', async () => {
    const subject = fresh();
    const stream = freshStream();
    await jsm.streams.add({ name: stream, subjects: [subject], storage: 'memory' as never });
    streams.push(stream);
    const events: NatsEvent[] = [];
    const s = shared({ onEvent: (e) => events.push(e) });
    const js = jetstream(nc);
    const bytes = new Uint8Array([0x42, 0x57, 1, 1, 9, 9]);
    const dl = { bytes, reason: ErrorCode.OpenFailed, messageId: 'ab'.repeat(16) };
    const at = (seq: number) => ({
      info: { stream: 'ORIG', deliveryCount: 1, streamSequence: seq },
    });
    await writeDeadLetterJs(s, js, subject, at(7), dl);
    await writeDeadLetterJs(s, js, subject, at(7), dl); // the redelivered write
    await writeDeadLetterJs(s, js, subject, at(8), dl); // another stored copy, same id
    expect((await jsm.streams.info(stream)).state.messages).toBe(2);
    const m = await jsm.streams.getMessage(stream, { seq: 1 });
    expect([...m!.data]).toEqual([...bytes]);
    expect(m!.header?.get('Nats-Msg-Id')).toBe('bw-dl:ORIG:7');
    expect(events.filter((e) => e.verb === 'dead-letter' && e.outcome === 'sent')).toHaveLength(3);
  });

  it('a subject no stream captures: ERR_TRANSPORT, a failed event', async () => {
    const events: NatsEvent[] = [];
    const s = shared({ onEvent: (e) => events.push(e) });
    const e = await writeDeadLetterJs(
      s,
      jetstream(nc),
      fresh(),
      { info: { stream: 'ORIG', deliveryCount: 1, streamSequence: 1 } },
      { bytes: new Uint8Array([1]), reason: ErrorCode.Expired, messageId: undefined },
    ).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: ErrorCode.Transport });
    expect(events).toMatchObject([{ verb: 'dead-letter', outcome: 'failed', code: 'ERR_EXPIRED' }]);
  });
});
