/**
 * The AMQP carrier (SPEC.md §11c): hints only, case-insensitive and
 * Buffer/string tolerant reads, the attempt and destination of a delivery;
 * fast-check properties for the round trips and for hostile header values.
 */
import { CarrierHeader, MediaType } from '@blindwire/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ATTEMPT_HEADER,
  DESTINATION_HEADER,
  attemptOf,
  bodyBytes,
  deadLetterProperties,
  destinationOf,
  messageProperties,
  readHeader,
  retryProperties,
} from '../src/index.js';
import { userHeaders } from '../src/carrier.js';

const id = 'ab'.repeat(16);
const route = { queue: 'jobs', retryQueue: 'jobs.retry' };
const msg = (
  over: {
    headers?: Record<string, unknown>;
    redelivered?: boolean;
    exchange?: string;
    routingKey?: string;
  } = {},
) => ({
  content: new Uint8Array([1]),
  fields: {
    deliveryTag: 1,
    redelivered: over.redelivered ?? false,
    exchange: over.exchange ?? 'orders',
    routingKey: over.routingKey ?? 'created',
  },
  properties: over.headers === undefined ? {} : { headers: over.headers },
});
const envelopeStart = new Uint8Array([0x42, 0x57, 0x01, 0x01, 9, 9]); // "BW", v1, message

describe('AMQP carrier', () => {
  it('message properties: media type, message id, timestamp, expiration from the expiry', () => {
    const p = messageProperties(id, { issuedAt: 1000, expiresAt: 1300, nowMs: 1_000_500 });
    expect(p).toEqual({
      contentType: MediaType.Envelope,
      messageId: id,
      timestamp: 1000,
      persistent: true,
      expiration: '299500',
    });
    expect(
      messageProperties(id, { issuedAt: 1, expiresAt: 2, nowMs: 9_999_999, expiration: true })
        .expiration,
    ).toBe('1');
    expect(
      messageProperties(id, {
        issuedAt: 1,
        expiresAt: 2,
        nowMs: 0,
        expiration: false,
        persistent: false,
      }),
    ).not.toHaveProperty('expiration');
  });

  it('user headers: reserved names refused, non-strings refused', () => {
    expect(userHeaders({ trace: 'x' })).toEqual({ trace: 'x' });
    for (const k of ['bw-reason', 'BW-x', 'x-death', 'X-Delivery-Count'])
      expect(() => userHeaders({ [k]: 'v' })).toThrow(/reserved name/);
    expect(() => userHeaders({ a: 1 as unknown as string })).toThrow(
      /"headers.a" expected a string/,
    );
  });

  it('dead-letter properties: reason and id, media type only from the bytes, no expiration', () => {
    const p = deadLetterProperties(envelopeStart, 'ERR_OPEN_FAILED', id);
    expect(p).toEqual({
      persistent: true,
      contentType: MediaType.Envelope,
      messageId: id,
      headers: { [CarrierHeader.Reason]: 'ERR_OPEN_FAILED', [CarrierHeader.MessageId]: id },
    });
    const junk = deadLetterProperties(
      new Uint8Array([1, 2, 3]),
      'ERR_ENVELOPE_MALFORMED',
      undefined,
    );
    expect(junk).toEqual({
      persistent: true,
      headers: { [CarrierHeader.Reason]: 'ERR_ENVELOPE_MALFORMED' },
    });
  });

  it('readHeader is case-insensitive and tolerant of Buffer, string and number values', () => {
    const h = { 'BW-Reason': Buffer.from('ERR_EXPIRED'), n: 7, s: 'x', o: { a: 1 } };
    expect(readHeader(h, 'bw-reason')).toBe('ERR_EXPIRED');
    expect(readHeader(h, 'N')).toBe('7');
    expect(readHeader(h, 's')).toBe('x');
    expect(readHeader(h, 'o')).toBeUndefined();
    expect(readHeader(undefined, 'x')).toBeUndefined();
    expect(bodyBytes('ab')).toEqual(new Uint8Array([97, 98]));
    expect(bodyBytes(null)).toEqual(new Uint8Array(0));
    expect(() => bodyBytes(5 as never)).toThrow(/"content" expected bytes/);
  });

  it('attempt: 1 first, +1 redelivered (classic), x-delivery-count (quorum), bw-attempt of a retry copy', () => {
    expect(attemptOf(msg())).toBe(1);
    expect(attemptOf(msg({ redelivered: true }))).toBe(2);
    expect(attemptOf(msg({ redelivered: true, headers: { 'x-delivery-count': 3 } }))).toBe(4);
    const death = { 'x-death': [{ queue: 'jobs.retry', reason: 'expired' }] };
    const back = (headers: Record<string, unknown>, redelivered = false) =>
      msg({ exchange: '', routingKey: 'jobs', redelivered, headers: { ...headers, ...death } });
    expect(attemptOf(back({ [ATTEMPT_HEADER]: 3 }), route)).toBe(3);
    expect(attemptOf(back({ [ATTEMPT_HEADER]: '3' }, true), route)).toBe(4);
    // bw-attempt is believed only on a copy back from the delay queue.
    expect(attemptOf(back({ [ATTEMPT_HEADER]: 3 }))).toBe(1);
    expect(attemptOf(msg({ headers: { [ATTEMPT_HEADER]: 3, ...death } }), route)).toBe(1);
    expect(attemptOf(msg({ headers: { [ATTEMPT_HEADER]: 3 } }), route)).toBe(1);
  });

  it('property: the attempt is an integer from 1 to 1000 whatever the headers say', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.boolean(), (a, c, r) => {
        const n = attemptOf(
          msg({
            exchange: '',
            routingKey: 'jobs',
            redelivered: r,
            headers: {
              [ATTEMPT_HEADER]: a,
              'x-delivery-count': c,
              'x-death': [{ queue: 'jobs.retry', reason: 'expired' }],
            },
          }),
          route,
        );
        return Number.isSafeInteger(n) && n >= 1 && n <= 1000;
      }),
    );
  });

  it('destination: stated, else a retry copy back from the delay queue, else the delivery fields', () => {
    const back = {
      [DESTINATION_HEADER]: 'orders/created',
      'x-death': [
        { queue: 'jobs.retry', reason: 'expired', exchange: '', 'routing-keys': ['jobs.retry'] },
      ],
    };
    expect(destinationOf(msg(), route)).toBe('orders/created');
    expect(destinationOf(msg({ exchange: '', routingKey: 'jobs', headers: back }), route)).toBe(
      'orders/created',
    );
    // Not from our delay queue, or not expired there: the delivery's own fields.
    const other = { ...back, 'x-death': [{ queue: 'elsewhere', reason: 'expired' }] };
    expect(destinationOf(msg({ exchange: '', routingKey: 'jobs', headers: other }), route)).toBe(
      '/jobs',
    );
    const rejected = { ...back, 'x-death': [{ queue: 'jobs.retry', reason: 'rejected' }] };
    expect(destinationOf(msg({ exchange: '', routingKey: 'jobs', headers: rejected }), route)).toBe(
      '/jobs',
    );
    expect(destinationOf(msg({ headers: back }), route, 'x/y')).toBe('x/y');
    // Forged x-death on a message through another exchange, or to another queue: not believed.
    expect(destinationOf(msg({ headers: back }), route)).toBe('orders/created');
    expect(destinationOf(msg({ exchange: '', routingKey: 'other', headers: back }), route)).toBe(
      '/other',
    );
    expect(destinationOf(msg({ exchange: '', routingKey: 'jobs', headers: back }), undefined)).toBe(
      '/jobs',
    );
  });

  it('property: without x-death from the delay queue, a bw-destination header is never believed', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (ex, rk, claimed) => {
        const m = msg({ exchange: ex, routingKey: rk, headers: { [DESTINATION_HEADER]: claimed } });
        return destinationOf(m, { queue: rk, retryQueue: 'q.retry' }) === `${ex}/${rk}`;
      }),
    );
  });

  it('property: a retry copy keeps the hints, sets the delay and the next attempt, and reads back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 999 }),
        fc.integer({ min: 1, max: 3_600_000 }),
        (attempt, delay) => {
          const m = {
            ...msg(),
            properties: { contentType: MediaType.Envelope, messageId: id, timestamp: 5 },
          };
          const p = retryProperties(m, attempt, delay, 'orders/created');
          expect(p).toMatchObject({
            contentType: MediaType.Envelope,
            messageId: id,
            timestamp: 5,
            expiration: String(delay),
          });
          const back = msg({
            exchange: '',
            routingKey: 'jobs',
            headers: { ...p.headers, 'x-death': [{ queue: 'jobs.retry', reason: 'expired' }] },
          });
          return (
            attemptOf(back, route) === attempt && destinationOf(back, route) === 'orders/created'
          );
        },
      ),
    );
  });
});
