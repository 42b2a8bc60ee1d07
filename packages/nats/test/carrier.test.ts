/**
 * The NATS carrier and subject filters, pure (no server): hint headers read
 * case-insensitively from every header shape, data as Buffer / string /
 * bytes, header byte counts as NATS encodes them, reserved names refused,
 * dead-letter hints; hints are never trusted (a lying hint changes nothing
 * an opened envelope decides); subject filters against a reference matcher;
 * server feature detection.
 */
import { MediaType, seal, open, generateIdentity, publicIdentity } from '@blindwire/core';
import { headers } from '@nats-io/nats-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileSubjectFilter,
  dataBytes,
  deadLetterHints,
  deadLetterKey,
  headerBytes,
  messageHints,
  readHint,
  responseHints,
  serverFeatures,
  serverVersion,
} from '../src/index.js';
import { userHints } from '../src/carrier.js';

const token = fc.stringMatching(/^[A-Za-z0-9_-]{1,6}$/);
const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
const headerValue = fc.stringMatching(/^[ -~]{0,30}$/).map((v) => v.trim());

/** Randomly re-cases `s`. */
const recase = (s: string, bits: boolean[]) =>
  [...s].map((c, i) => (bits[i % bits.length] ? c.toUpperCase() : c.toLowerCase())).join('');

describe('readHint', () => {
  it('finds a header whatever its case, in MsgHdrs, Map, record and pairs', () => {
    fc.assert(
      fc.property(
        headerName,
        headerValue,
        fc.array(fc.boolean(), { minLength: 1 }),
        (name, value, bits) => {
          const stored = recase(name, bits);
          const asked = recase(
            name,
            bits.map((b) => !b),
          );
          const h = headers();
          h.set(stored, value);
          expect(readHint(h, asked)).toBe(value);
          expect(readHint(new Map([[stored, value]]), asked)).toBe(value);
          expect(readHint({ [stored]: value }, asked)).toBe(value);
          expect(readHint({ [stored]: [value] }, asked)).toBe(value);
          expect(readHint([[stored, value]] as const, asked)).toBe(value);
        },
      ),
    );
  });

  it('answers undefined for absent headers and non-header values', () => {
    expect(readHint(undefined, 'bw-reason')).toBeUndefined();
    expect(readHint(null, 'bw-reason')).toBeUndefined();
    expect(readHint({}, 'bw-reason')).toBeUndefined();
    expect(readHint({ 'bw-reason': 42 as unknown as string }, 'bw-reason')).toBeUndefined();
    expect(readHint(headers(), 'bw-reason')).toBeUndefined();
  });
});

describe('dataBytes', () => {
  it('takes bytes, Buffers, strings and ArrayBuffers to the same bytes', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const bytes = new TextEncoder().encode(s);
        expect([...dataBytes(s)]).toEqual([...bytes]);
        expect([...dataBytes(Buffer.from(bytes))]).toEqual([...bytes]);
        expect([...dataBytes(bytes.slice().buffer)]).toEqual([...bytes]);
        expect(dataBytes(bytes)).toBe(bytes);
      }),
    );
    expect(dataBytes(undefined)).toHaveLength(0);
    expect(() => dataBytes(42 as unknown as string)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('hint headers', () => {
  it('headerBytes equals the length nats.js encodes', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          headerName,
          headerValue.filter((v) => v !== ''),
        ),
        (record) => {
          const h = headers();
          for (const [k, v] of Object.entries(record)) h.set(k, v);
          const expected =
            Object.keys(record).length === 0
              ? 0
              : (h as unknown as { encode(): Uint8Array }).encode().length;
          expect(headerBytes(record)).toBe(expected);
        },
      ),
    );
  });

  it('message, response and dead-letter hints carry ids and reasons, never more', () => {
    const id = 'a'.repeat(32);
    expect(messageHints(id, true)).toEqual({
      'bw-content-type': MediaType.Envelope,
      'bw-message-id': id,
      'Nats-Msg-Id': id,
    });
    expect(messageHints(id, false, { 'x-trace': '1' })).toEqual({
      'x-trace': '1',
      'bw-content-type': MediaType.Envelope,
      'bw-message-id': id,
    });
    expect(responseHints(id, 'b'.repeat(32))).toEqual({
      'bw-content-type': MediaType.Response,
      'bw-message-id': id,
      'bw-request-id': 'b'.repeat(32),
    });
    const junk = new Uint8Array([1, 2, 3]);
    expect(deadLetterHints(junk, 'ERR_ENVELOPE_MALFORMED', undefined)).toEqual({
      'bw-reason': 'ERR_ENVELOPE_MALFORMED',
    });
    expect(deadLetterKey('ORDERS', 7)).toBe('bw-dl:ORDERS:7');
  });

  it('user headers with reserved names are refused, whatever their case', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('bw-', 'nats-'),
        headerName,
        fc.array(fc.boolean(), { minLength: 1 }),
        (prefix, rest, bits) => {
          const name = recase(prefix + rest, bits);
          expect(() => userHints({ [name]: 'v' })).toThrow(
            expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
          );
        },
      ),
    );
    expect(userHints({ traceparent: '00-ab' })).toEqual({ traceparent: '00-ab' });
  });
});

describe('hints are never trusted', () => {
  it('a lying bw-message-id or content type does not change what open verifies', async () => {
    const [a, b] = await Promise.all([
      generateIdentity('spiffe://example.org/a'),
      generateIdentity('spiffe://example.org/b'),
    ]);
    const sealed = await seal('x', { sender: a, recipients: b, context: 'blindwire/nats/v1 s' });
    const lying = { 'BW-Message-Id': 'f'.repeat(32), 'bw-content-type': MediaType.Response };
    expect(readHint(lying, 'bw-message-id')).not.toBe(sealed.messageId);
    const opened = await open(sealed.envelope, {
      recipient: b,
      trustedSenders: [publicIdentity(a)],
      context: 'blindwire/nats/v1 s',
    });
    expect(opened.messageId).toBe(sealed.messageId);
  });
});

describe('compileSubjectFilter', () => {
  /** Reference: NATS matching, written as a regular expression. */
  const reference = (filter: string) => {
    const re = filter
      .split('.')
      .map((t) =>
        t === '*' ? '[^.]+' : t === '>' ? '[^.]+(?:\\.[^.]+)*' : t.replace(/[-]/g, '\\-'),
      )
      .join('\\.');
    return new RegExp(`^${re}$`);
  };
  const subject = fc.array(token, { minLength: 1, maxLength: 5 }).map((t) => t.join('.'));
  const filter = fc
    .tuple(
      fc.array(fc.oneof(token, fc.constant('*')), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
    )
    .map(([ts, tail]) => (tail ? [...ts, '>'] : ts).join('.'));

  it('matches as NATS does', () => {
    fc.assert(
      fc.property(filter, subject, (f, s) => {
        expect(compileSubjectFilter(f)(s)).toBe(reference(f).test(s));
      }),
      { numRuns: 2000 },
    );
    expect(compileSubjectFilter('a.>')('a')).toBe(false);
    expect(compileSubjectFilter('a.*')('a.b.c')).toBe(false);
    expect(compileSubjectFilter('>')('a.b')).toBe(true);
  });

  it('refuses malformed filters', () => {
    for (const bad of ['', 'a..b', 'a.>.b', 'a b', '.a', 'a.'])
      expect(() => compileSubjectFilter(bad)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
  });
});

describe('server features', () => {
  it('a term reason from 2.10 on; unknown versions get none', () => {
    expect(serverVersion({ info: { version: '2.9.10', max_payload: 1 } })).toEqual([2, 9, 10]);
    expect(serverFeatures({ info: { version: '2.9.10', max_payload: 1 } }).termReason).toBe(false);
    expect(serverFeatures({ info: { version: '2.10.0', max_payload: 1 } }).termReason).toBe(true);
    expect(serverFeatures({ info: { version: '3.0.1', max_payload: 1 } }).termReason).toBe(true);
    expect(serverFeatures({ info: { version: 'weird', max_payload: 1 } }).termReason).toBe(false);
    expect(serverFeatures({}).termReason).toBe(false);
  });
});
