/**
 * The blindness spy: every 8-byte window of a plaintext is found wherever it
 * sits in a scanned body or header block, and so is a sender name; bytes that
 * hold no such window produce no finding.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBlindnessSpy, createRng, plaintextFor } from '../../src/index.js';

const rng = createRng(7);
const plaintexts = Array.from({ length: 200 }, (_, i) => plaintextFor(i, 40 + (i % 50), rng));

describe('createBlindnessSpy', () => {
  it('holds each distinct window once', () => {
    const spy = createBlindnessSpy([new Uint8Array(16), new Uint8Array(16)], []);
    expect(spy.windows).toBe(1); // the all-zero window, from both
    const two = createBlindnessSpy([new TextEncoder().encode('abcdefghi')], []);
    expect(two.windows).toBe(2);
  });

  it('finds any 8-byte window of any plaintext, at its offset, in body or headers', () => {
    const spy = createBlindnessSpy(plaintexts, []);
    fc.assert(
      fc.property(
        fc.nat(plaintexts.length - 1),
        fc.nat(),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.boolean(),
        (which, start, before, after, inHeaders) => {
          const p = plaintexts[which]!;
          const at = start % (p.length - 7);
          const bytes = new Uint8Array([...before, ...p.subarray(at, at + 8), ...after]);
          const n = spy.findings.length;
          spy.scan(
            inHeaders
              ? { where: 'x', body: new Uint8Array(0), headers: bytes }
              : { where: 'x', body: bytes },
          );
          const found = spy.findings.slice(n);
          expect(found).toContainEqual({
            where: 'x',
            part: inHeaders ? 'headers' : 'body',
            offset: before.length,
            what: 'plaintext window',
          });
        },
      ),
    );
  });

  it('a window cut short by one byte is not a finding; random bytes are clean', () => {
    const spy = createBlindnessSpy(plaintexts, ['agent.sender-1']);
    const p = plaintexts[3]!;
    spy.scan({ where: 'seven', body: p.subarray(0, 7) });
    spy.scan({ where: 'random', body: createRng(1).bytes(100_000) });
    expect(spy.findings).toEqual([]);
    expect(spy.scanned).toEqual({ messages: 2, bytes: 100_007 });
  });

  it('finds a sender name, even one shorter than a window', () => {
    const spy = createBlindnessSpy([], ['ab.c', 'agent.sender-1']);
    const text = new TextEncoder().encode('NATS/1.0\r\nx: agent.sender-1\r\n');
    spy.scan({ where: 'h', body: new TextEncoder().encode('--ab.c'), headers: text });
    expect(spy.findings).toEqual([
      { where: 'h', part: 'body', offset: 2, what: 'sender name' },
      { where: 'h', part: 'headers', offset: 13, what: 'sender name' },
    ]);
  });
});
