/**
 * The carrier (SPEC.md §11c), pure: readEntry(entryFields(x)) gives back the
 * envelope and its hints whatever shape and case the client answers in
 * (flat array of Buffers or strings, record, Map); dead-letter fields keep the
 * bytes unchanged; sizes are exact; nothing but the envelope is bytes.
 */
import { CarrierHeader, MediaType } from '@blindwire/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ENVELOPE_FIELD,
  SOURCE_ID_FIELD,
  deadLetterFields,
  entryFields,
  fieldsBytes,
  readEntry,
  type EntryFields,
} from '../src/index.js';
import { envelopeOf } from '../src/carrier.js';

const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);
const bytes = fc.uint8Array({ maxLength: 512 });
const asBuffers = (f: EntryFields) => f.map((v) => Buffer.from(v as never));
const upper = (f: EntryFields) =>
  f.map((v, i) => (i % 2 === 0 && typeof v === 'string' ? v.toUpperCase() : v));

describe('carrier', () => {
  it('round-trips an entry in every shape a client answers', () => {
    fc.assert(
      fc.property(bytes, hex32, (env, id) => {
        const f = entryFields(env, id);
        const shapes = [
          f,
          asBuffers(f),
          upper(f),
          new Map(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i], f[2 * i + 1]])),
          Object.fromEntries(
            Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i], f[2 * i + 1]]),
          ),
        ];
        for (const shape of shapes) {
          const r = readEntry(shape as never);
          expect(Buffer.from(r.envelope!).equals(Buffer.from(env))).toBe(true);
          expect(r.hints[CarrierHeader.MessageId]).toBe(id);
          expect(r.hints[CarrierHeader.ContentType]).toBe(MediaType.Envelope);
        }
      }),
    );
  });

  it('only the envelope field carries bytes; every other field is a short public hint', () => {
    fc.assert(
      fc.property(bytes, hex32, (env, id) => {
        const f = entryFields(env, id);
        const binary = f.filter((v) => typeof v !== 'string');
        expect(binary).toEqual([env]);
        expect(f[f.indexOf(ENVELOPE_FIELD) + 1]).toBe(env);
      }),
    );
  });

  it('dead-letter fields keep the bytes unchanged, with reason, id and source', () => {
    fc.assert(
      fc.property(
        bytes,
        fc.option(hex32, { nil: undefined }),
        fc.constantFrom('ERR_OPEN_FAILED', 'ERR_HANDLER'),
        (b, id, reason) => {
          const r = readEntry(asBuffers(deadLetterFields(b, reason, id, '1-0')));
          expect(Buffer.from(r.envelope!).equals(Buffer.from(b))).toBe(true);
          expect(r.hints[CarrierHeader.Reason]).toBe(reason);
          expect(r.hints[CarrierHeader.MessageId]).toBe(id);
          expect(r.hints[SOURCE_ID_FIELD]).toBe('1-0');
          // Random bytes carry no media type hint unless they start like an object.
          if (b[0] !== 0x42) expect(r.hints[CarrierHeader.ContentType]).toBeUndefined();
        },
      ),
    );
  });

  it('counts the exact bytes of names and values', () => {
    fc.assert(
      fc.property(bytes, hex32, (env, id) => {
        const f = entryFields(env, id);
        const expected = f.reduce((n, v) => n + Buffer.from(v as never).length, 0);
        expect(fieldsBytes(f)).toBe(expected);
      }),
    );
  });

  it('envelopeOf finds the envelope readEntry finds, in any field list', () => {
    const bom = [0xef, 0xbb, 0xbf];
    const names = [
      'bw-envelope',
      'BW-Envelope',
      'bw-envelopf',
      'bw-envelope ',
      '\ufeffbw-envelope',
      'bw-envel\u043epe', // a Cyrillic o
      'bw-message-id',
      'content-type',
    ];
    const name = fc.oneof(
      fc.constantFrom(...names),
      fc.constantFrom(...names).map((n) => Buffer.from(n)),
      fc.constantFrom(...names).map((n) => Buffer.from([...bom, ...Buffer.from(n)])),
      fc.uint8Array({ maxLength: 14 }),
    );
    const value = fc.oneof(bytes, fc.string(), fc.integer());
    fc.assert(
      fc.property(fc.array(fc.oneof(name, value), { maxLength: 12 }), (fields) => {
        const found = envelopeOf(fields);
        const expected = readEntry(fields).envelope;
        if (expected === undefined) expect(found).toBeUndefined();
        else expect(Buffer.from(found!).equals(Buffer.from(expected))).toBe(true);
      }),
      { numRuns: 1000 },
    );
    // A first envelope field whose value is no bytes is passed over, as readEntry does.
    expect(new TextDecoder().decode(envelopeOf([ENVELOPE_FIELD, 0, ENVELOPE_FIELD, 'y']))).toBe(
      'y',
    );
    // A name with one leading BOM decodes as the name itself, so both find its value.
    const r = envelopeOf([Buffer.from([...bom, ...Buffer.from('BW-ENVELOPE')]), 'x']);
    expect(new TextDecoder().decode(r)).toBe('x');
  });

  it('reads nothing from what is no entry, and keeps the first of repeated fields', () => {
    for (const junk of [null, undefined, 42, 'x', [], [1, 2], [ENVELOPE_FIELD]])
      expect(readEntry(junk as never)).toEqual({ envelope: undefined, hints: {} });
    const r = readEntry([
      ENVELOPE_FIELD,
      'a',
      'BW-ENVELOPE',
      'b',
      'bw-reason',
      'x',
      'bw-reason',
      'y',
    ]);
    expect(new TextDecoder().decode(r.envelope)).toBe('a');
    expect(r.hints['bw-reason']).toBe('x');
  });
});
