/**
 * The serializer / deserializer pair (SPEC.md §4.5, §7, §11b, §11c), no
 * broker: round trips (fast-check), stacking after an inner serde that
 * writes its own framing and header (the shape of a schema-registry serde),
 * the hints set in place, the topic as the bound context, the size check
 * before any cryptography, and every bit flip refused without plaintext.
 */
import {
  CarrierHeader,
  ErrorCode,
  MediaType,
  generateIdentity,
  publicIdentity,
  type CryptoBackend,
  type Identity,
} from '@blindwire/core';
import { nodeBackend } from '@blindwire/core/backend/node';
import { expectCode, rejection } from '@blindwire/testkit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createKafkaDeserializer,
  createKafkaSerializer,
  recordBatchBytes,
  type InnerDeserializer,
  type InnerSerializer,
  type KafkaHeaders,
} from '../src/index.js';

let agent: Identity;
let worker: Identity;
let other: Identity;
beforeAll(async () => {
  [agent, worker, other] = (await Promise.all(
    ['agent', 'worker', 'other'].map((n) => generateIdentity(`spiffe://bw.test/${n}`)),
  )) as [Identity, Identity, Identity];
});

const serializer = (extra: Record<string, unknown> = {}) =>
  createKafkaSerializer({ sender: agent, to: publicIdentity(worker), ...extra });
const deserializer = (extra: Record<string, unknown> = {}) =>
  createKafkaDeserializer({
    recipient: worker,
    trustedSenders: [publicIdentity(agent)],
    ...extra,
  });

/** A schema-registry-like serde: magic byte 0, a 4-byte schema id, JSON; it sets its own header. */
const SCHEMA_ID = 77;
const registry: InnerSerializer & InnerDeserializer = {
  serialize(_topic, msg, headers) {
    if (headers) headers['schema-id'] = String(SCHEMA_ID);
    const body = Buffer.from(JSON.stringify(msg));
    const out = Buffer.alloc(5 + body.length);
    out.writeUInt32BE(SCHEMA_ID, 1);
    body.copy(out, 5);
    return Promise.resolve(out);
  },
  deserialize(_topic, payload) {
    if (payload[0] !== 0 || payload.readUInt32BE(1) !== SCHEMA_ID) throw new Error('not ours');
    return JSON.parse(payload.subarray(5).toString()) as unknown;
  },
};

describe('serializer and deserializer', () => {
  it('round-trips any bytes through a topic; the value is the envelope only', async () => {
    const ser = serializer();
    const de = deserializer();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (payload) => {
        const value = await ser.serialize('orders.created', payload);
        expect(Buffer.isBuffer(value)).toBe(true);
        expect([...((await de.deserialize('orders.created', value)) as Buffer)]).toEqual([
          ...payload,
        ]);
      }),
      { numRuns: 40 },
    );
  });

  it('sets bw-content-type and bw-message-id on the headers given, in place', async () => {
    const headers: KafkaHeaders = { traceparent: '00-abc', 'BW-MESSAGE-ID': 'stale' };
    const value = await serializer().serialize('orders', 'hello', headers);
    expect(Object.keys(headers)).toEqual([
      'traceparent',
      CarrierHeader.ContentType,
      CarrierHeader.MessageId,
    ]);
    expect(headers[CarrierHeader.ContentType]).toBe(MediaType.Envelope);
    const opened = await deserializer().open('orders', value, headers);
    expect(opened.messageId).toBe(headers[CarrierHeader.MessageId]);
    expect(opened.sender).toBe(agent.name);
    expect(Buffer.from(opened.payload).toString()).toBe('hello');
    expect(value.includes(Buffer.from('hello'))).toBe(false);
    expect(value.includes(Buffer.from(agent.name))).toBe(false);
  });

  it('stacks after an inner serde: sealed over its framing, handed back to it opened', async () => {
    const ser = serializer({ inner: registry });
    const de = deserializer({ inner: registry });
    const headers: KafkaHeaders = {};
    const msg = { order: 42, items: ['a', 'b'] };
    const value = await ser.serialize('orders', msg, headers);
    expect(headers['schema-id']).toBe(String(SCHEMA_ID));
    expect(value[0]).toBe(0x42); // an envelope, not the inner framing
    expect(await de.deserialize('orders', value, headers)).toEqual(msg);
    const opened = await de.open('orders', value, headers);
    expect(opened.value).toEqual(msg);
    expect(opened.payload[0]).toBe(0); // the inner framing, opened
    // Without the inner deserializer the opened bytes are the inner framing.
    const raw = (await deserializer().deserialize('orders', value)) as Buffer;
    expect(raw.readUInt32BE(1)).toBe(SCHEMA_ID);
  });

  it('binds the topic: another topic is ERR_CONTEXT_MISMATCH, another key ERR_KEY_NOT_FOUND', async () => {
    const value = await serializer().serialize('orders.created', 'x');
    expect((await rejection(deserializer().deserialize('orders.deleted', value))).code).toBe(
      ErrorCode.ContextMismatch,
    );
    const stranger = createKafkaDeserializer({
      recipient: other,
      trustedSenders: [publicIdentity(agent)],
    });
    expect((await rejection(stranger.deserialize('orders.created', value))).code).toBe(
      ErrorCode.KeyNotFound,
    );
    const untrusting = deserializer({ trustedSenders: [publicIdentity(other)] });
    expect((await rejection(untrusting.deserialize('orders.created', value))).code).toBe(
      ErrorCode.KeyUntrusted,
    );
    const strict = deserializer({ allowedSenders: ['spiffe://bw.test/other'] });
    expect((await rejection(strict.deserialize('orders.created', value))).code).toBe(
      ErrorCode.SenderNotAllowed,
    );
  });

  it('any bit flip of the value is refused, never plaintext', async () => {
    const value = await serializer().serialize('t', 'the plaintext of a record');
    const de = deserializer();
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: value.length * 8 - 1 }), async (bit) => {
        const flipped = Buffer.from(value);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        const e = await rejection(de.deserialize('t', flipped));
        expect(e.message.includes('plaintext')).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('a tombstone (null value) is malformed', async () => {
    expect((await rejection(deserializer().deserialize('t', null))).code).toBe(
      ErrorCode.EnvelopeMalformed,
    );
  });

  it('refuses over maxMessageBytes before any cryptography; the limit is the batch size', async () => {
    let calls = 0;
    const counting = new Proxy(nodeBackend, {
      get: (t, k) => {
        const v = Reflect.get(t, k) as unknown;
        return typeof v === 'function'
          ? (...a: unknown[]) => {
              calls++;
              return (v as (...x: unknown[]) => unknown).apply(t, a);
            }
          : v;
      },
    }) as CryptoBackend;
    const small = serializer({ backend: counting, maxMessageBytes: 4096 });
    const ok = await small.serialize('t', new Uint8Array(3000), {});
    const headers = {
      [CarrierHeader.ContentType]: MediaType.Envelope,
      [CarrierHeader.MessageId]: 'ab'.repeat(16),
    };
    const exact = recordBatchBytes(null, ok.length, headers);
    expect(exact).toBeLessThanOrEqual(4096);
    const fits = serializer({ maxMessageBytes: exact });
    await fits.serialize('t', new Uint8Array(3000), {});
    const tight = serializer({ backend: counting, maxMessageBytes: exact - 1 });
    calls = 0;
    const e = await rejection(tight.serialize('t', new Uint8Array(3000), {}));
    expect(e.code).toBe(ErrorCode.LimitExceeded);
    expect(calls).toBe(0);
  });

  it('refuses what it cannot take, naming it', async () => {
    expect((await rejection(serializer().serialize('t', 42))).code).toBe(ErrorCode.InvalidArgument);
    expect(
      (await rejection(serializer().serialize('t', 'x', { 'bw-reason': 'forged' }))).message,
    ).toMatch(/reserved/);
    expect((await rejection(serializer().serialize('bad topic', 'x'))).code).toBe(
      ErrorCode.InvalidArgument,
    );
    expect(
      (await rejection(serializer({ sender: undefined }).serialize('t', 'x'))).message,
    ).toMatch(/sender/);
    await expectCode(() => createKafkaDeserializer({}), 'ERR_INVALID_ARGUMENT', /recipient/);
    await expectCode(
      () => createKafkaSerializer({ inner: {} as never, to: [] }),
      'ERR_INVALID_ARGUMENT',
    );
    await expectCode(
      () => serializer({ maxMessageBytes: 0 }).serialize('t', 'x'),
      'ERR_INVALID_ARGUMENT',
      /maxMessageBytes/,
    );
  });

  it('reads keys from a key source per call; a failing source is ERR_TRANSPORT', async () => {
    const value = await serializer().serialize('t', 'k');
    let up = true;
    const de = createKafkaDeserializer({
      keySource: {
        recipientKeys: () => {
          if (!up) throw new Error('down');
          return [worker.encryption];
        },
      },
      trustedSenders: [publicIdentity(agent)],
    });
    expect(Buffer.from((await de.deserialize('t', value)) as Buffer).toString()).toBe('k');
    up = false;
    expect((await rejection(de.deserialize('t', value))).code).toBe(ErrorCode.Transport);
  });
});
