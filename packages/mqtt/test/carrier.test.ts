/**
 * The MQTT carrier (SPEC.md §11c) and topic filters (SPEC.md §11b): hints
 * only, case-insensitive reads; MQTT filter matching (`+`, `#`, `$` topics,
 * `$share/` stripped); the dead-letter loop check; and the PUBLISH size the
 * binding checks before sealing, equal to what mqtt-packet (mqtt.js's own
 * encoder) writes, for any topic, QoS, properties and payload (fast-check).
 */
import { CarrierHeader, MediaType } from '@blindwire/core';
import fc from 'fast-check';
import { generate } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import {
  compileTopicFilter,
  deadLetterProperties,
  messageProperties,
  payloadBytes,
  publishPacketBytes,
  readHint,
  responseProperties,
  type MqttPublishProperties,
  type QoS,
} from '../src/index.js';
import { checkTopicName, filterMatchesPrefix, userProperties } from '../src/carrier.js';

const id = 'ab'.repeat(16);

describe('topic filters', () => {
  const m = (f: string, t: string) => compileTopicFilter(f).matches(t);
  it('+ matches one level, # the parent and any levels below', () => {
    expect(m('a/+/c', 'a/b/c')).toBe(true);
    expect(m('a/+/c', 'a/b/x/c')).toBe(false);
    expect(m('a/+', 'a/')).toBe(true); // an empty level is a level
    expect(m('a/#', 'a')).toBe(true);
    expect(m('a/#', 'a/b/c')).toBe(true);
    expect(m('a/#', 'ab')).toBe(false);
    expect(m('a/b', 'a/b/c')).toBe(false);
    expect(m('#', 'anything/at/all')).toBe(true);
  });
  it('a wildcard in the first level never matches a topic starting with $ (MQTT 5 §4.7.2)', () => {
    expect(m('#', '$SYS/broker')).toBe(false);
    expect(m('+/broker', '$SYS/broker')).toBe(false);
    expect(m('$SYS/#', '$SYS/broker')).toBe(true);
  });
  it('$share/<group>/ is stripped: topics are matched against the filter after it', () => {
    const f = compileTopicFilter('$share/workers/jobs/+');
    expect(f.filter).toBe('jobs/+');
    expect(f.subscribed).toBe('$share/workers/jobs/+');
    expect(f.matches('jobs/eu')).toBe(true);
    expect(f.matches('$share/workers/jobs/eu')).toBe(false);
  });
  it('refuses malformed filters with ERR_INVALID_ARGUMENT', () => {
    for (const f of [
      '',
      'a/#/b',
      'a/b#',
      'a+/b',
      '$share//x',
      '$share/g',
      '$share/g+/x',
      'a\u0000',
    ])
      expect(() => compileTopicFilter(f), f).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
  });
  it('a filter that can match a dead-letter topic is detected (a copy would loop)', () => {
    expect(filterMatchesPrefix('#', 'bw-dlq/')).toBe(true);
    expect(filterMatchesPrefix('+/orders', 'bw-dlq/')).toBe(true);
    expect(filterMatchesPrefix('bw-dlq/#', 'bw-dlq/')).toBe(true);
    expect(filterMatchesPrefix('bw-dlq', 'bw-dlq/')).toBe(false);
    expect(filterMatchesPrefix('orders/#', 'bw-dlq/')).toBe(false);
    expect(filterMatchesPrefix('dlq-orders/+', 'dlq-')).toBe(true);
    expect(filterMatchesPrefix('orders/+', 'dlq-')).toBe(false);
  });
  it('topic names to publish to: no wildcard, no NUL, not a shared filter', () => {
    expect(checkTopicName('topic', 'a/b')).toBe('a/b');
    for (const t of ['', 'a/+', 'a/#', '$share/g/a', 'a\u0000b', 7])
      expect(() => checkTopicName('topic', t)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
  });
});

describe('hint properties (MQTT 5)', () => {
  it('a sealed message: media type, binary format, message id, expiry from the envelope', () => {
    const p = messageProperties(id, {
      expiresAt: 1000,
      nowMs: 400_500,
      userProperties: { t: '1' },
    });
    expect(p).toEqual({
      payloadFormatIndicator: false,
      contentType: MediaType.Envelope,
      messageExpiryInterval: 600, // 599.5 s left, rounded up
      userProperties: { t: '1', [CarrierHeader.MessageId]: id },
    });
    // An expiry already past still sends at least 1 s (0 would mean "no expiry").
    expect(messageProperties(id, { expiresAt: 1, nowMs: 5000 }).messageExpiryInterval).toBe(1);
    expect(messageProperties(id).messageExpiryInterval).toBeUndefined();
  });
  it('a request carries its response topic and binary correlation data', () => {
    const cd = new Uint8Array(16).fill(7);
    const p = messageProperties(id, { responseTopic: 'r/1', correlationData: cd });
    expect(p.responseTopic).toBe('r/1');
    expect([...p.correlationData!]).toEqual([...cd]);
  });
  it('a dead-letter copy: the reason and id, the media type the bytes start with, no expiry', () => {
    const bytes = new Uint8Array([0x42, 0x57, 0x01, 0x01, 9, 9]);
    expect(deadLetterProperties(bytes, 'ERR_OPEN_FAILED', id)).toEqual({
      payloadFormatIndicator: false,
      contentType: MediaType.Envelope,
      userProperties: { [CarrierHeader.Reason]: 'ERR_OPEN_FAILED', [CarrierHeader.MessageId]: id },
    });
    const junk = deadLetterProperties(new Uint8Array([1, 2]), 'ERR_ENVELOPE_MALFORMED', undefined);
    expect(junk.contentType).toBeUndefined();
    expect(junk.userProperties).toEqual({ [CarrierHeader.Reason]: 'ERR_ENVELOPE_MALFORMED' });
  });
  it('a response: its media type, both ids, the correlation data echoed', () => {
    const p = responseProperties(id, 'cd'.repeat(16), new Uint8Array([1]));
    expect(p.contentType).toBe(MediaType.Response);
    expect(p.userProperties).toEqual({
      [CarrierHeader.MessageId]: id,
      [CarrierHeader.RequestId]: 'cd'.repeat(16),
    });
  });
  it('hints are read case-insensitively, the first of repeated values', () => {
    const p = { userProperties: { 'BW-Reason': ['ERR_EXPIRED', 'x'] } };
    expect(readHint(p, 'bw-reason')).toBe('ERR_EXPIRED');
    expect(readHint(undefined, 'bw-reason')).toBeUndefined();
    expect(readHint({ userProperties: { a: '1' } }, 'bw-reason')).toBeUndefined();
  });
  it('user properties: bw-* names refused before sealing, values must be strings', () => {
    expect(userProperties({ trace: 'x' })).toEqual({ trace: 'x' });
    for (const bad of [{ 'bw-reason': 'x' }, { 'BW-Message-Id': 'x' }, { a: 1 }])
      expect(() => userProperties(bad as unknown as Record<string, string>)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
  });
  it('payloads as mqtt.js hands them over', () => {
    const b = Buffer.from('xy');
    expect(payloadBytes(b)).toBe(b);
    expect([...payloadBytes('xy')]).toEqual([120, 121]);
    expect(payloadBytes(undefined).length).toBe(0);
  });
});

describe('PUBLISH packet size', () => {
  // UTF-16 code units, lone surrogates often (a high one at the end too): mqtt-packet
  // writes each as U+FFFD (3 bytes), as TextEncoder does; well-formed text as well.
  const codeUnit = fc
    .oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0xd800, max: 0xdfff }))
    .map((c) => String.fromCharCode(c));
  const text = fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
    fc.string({ unit: codeUnit, minLength: 1, maxLength: 40 }),
  );
  const props: fc.Arbitrary<MqttPublishProperties> = fc.record(
    {
      payloadFormatIndicator: fc.boolean(),
      messageExpiryInterval: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
      contentType: text,
      responseTopic: text,
      correlationData: fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
      // mqtt-packet writes nothing at all for an empty user property map; the binding never sends one.
      userProperties: fc.dictionary(text, text, { minKeys: 1, maxKeys: 4 }),
    },
    { requiredKeys: [] },
  );
  it('equals the bytes mqtt-packet writes, MQTT 5 and 3.1.1', () => {
    fc.assert(
      fc.property(
        text.filter((t) => !/[+#]/.test(t) && !t.includes('\u0000')),
        fc.constantFrom<QoS>(0, 1, 2),
        fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 16_000, max: 2_100_000 })),
        fc.option(props, { nil: undefined }),
        (topic, qos, size, properties) => {
          const payload = Buffer.alloc(size);
          const packet = {
            cmd: 'publish' as const,
            topic,
            payload,
            qos,
            dup: false,
            retain: false,
            ...(qos > 0 ? { messageId: 1 } : {}),
            ...(properties === undefined ? {} : { properties }),
          };
          const written = generate(packet, { protocolVersion: properties ? 5 : 4 }).length;
          expect(publishPacketBytes(topic, size, qos, properties)).toBe(written);
        },
      ),
      { numRuns: 300 },
    );
  });
  it('counts a lone surrogate as U+FFFD (3 bytes), as mqtt-packet writes it', () => {
    for (const t of ['\ud800', 'a\udc00', 'x/\ud83d', '\udfff\ud800', '\ud83d\ude00']) {
      const properties = { contentType: t, userProperties: { [t]: t } };
      const packet = {
        cmd: 'publish' as const,
        topic: t,
        payload: Buffer.alloc(3),
        qos: 0 as const,
      };
      expect(publishPacketBytes(t, 3, 0, properties)).toBe(
        generate({ ...packet, dup: false, retain: false, properties }, { protocolVersion: 5 })
          .length,
      );
      expect(publishPacketBytes(t, 3, 0, undefined)).toBe(
        generate({ ...packet, dup: false, retain: false }, { protocolVersion: 4 }).length,
      );
    }
    expect(publishPacketBytes('\ud800', 0, 0, undefined)).toBe(2 + 2 + 3);
  });
});
