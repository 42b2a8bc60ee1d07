/**
 * The text armor (SPEC.md Appendix A): round trips through the incremental
 * encoder and decoder in writes of any size, and the strict parsing rules,
 * each refused with ERR_ENVELOPE_MALFORMED: text before the begin line,
 * data after the end line, lines of the wrong length, padding or
 * non-canonical base64, a missing end line, bytes that are not ASCII.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlindwireError, ErrorCode } from '@blindwire/core';
import {
  ARMOR_BEGIN,
  ARMOR_END,
  armor,
  createArmorDecoder,
  createArmorEncoder,
  dearmor,
  looksArmored,
} from '../src/armor.js';

const text = (s: string) => new TextEncoder().encode(s);

/** Feeds `input` to a decoder in the pieces `cuts` makes. */
function decodeInPieces(input: Uint8Array, cuts: number[]): Uint8Array {
  const d = createArmorDecoder();
  const out: Uint8Array[] = [];
  let at = 0;
  for (const c of [...cuts.filter((x) => x > 0 && x < input.length)].sort((a, b) => a - b)) {
    out.push(...d.push(input.subarray(at, c)));
    at = c;
  }
  out.push(...d.push(input.subarray(at)));
  d.end();
  return new Uint8Array(Buffer.concat(out));
}

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BlindwireError);
    return (e as BlindwireError).code;
  }
  return undefined;
}

describe('armor: the format', () => {
  it('is the begin line, 64-character standard base64 lines, the end line, each ending in LF', () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
    const a = armor(bytes);
    const lines = a.split('\n');
    expect(lines[0]).toBe(ARMOR_BEGIN);
    expect(lines[1]).toHaveLength(64);
    expect(lines[2]).toHaveLength(64);
    expect(lines[3]).toBe(Buffer.from(bytes.subarray(96)).toString('base64'));
    expect(lines[4]).toBe(ARMOR_END);
    expect(lines[5]).toBe('');
    expect(lines.slice(1, 4).join('')).toBe(Buffer.from(bytes).toString('base64'));
  });

  it('a body of a whole number of lines ends with a full line', () => {
    const a = armor(new Uint8Array(96));
    expect(a.split('\n').map((l) => l.length)).toEqual([
      ARMOR_BEGIN.length,
      64,
      64,
      ARMOR_END.length,
      0,
    ]);
    expect(dearmor(text(a))).toEqual(new Uint8Array(96));
  });

  it('round trips any bytes, encoded and decoded in writes of any size', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 700 }),
        fc.array(fc.nat({ max: 700 }), { maxLength: 8 }),
        fc.array(fc.nat({ max: 1000 }), { maxLength: 8 }),
        (bytes, writeCuts, readCuts) => {
          const e = createArmorEncoder();
          let a = '';
          let at = 0;
          for (const c of [...writeCuts].sort((x, y) => x - y)) {
            if (c <= at || c >= bytes.length) continue;
            a += e.push(bytes.subarray(at, c));
            at = c;
          }
          a += e.push(bytes.subarray(at)) + e.end();
          expect(a).toBe(armor(bytes));
          expect(decodeInPieces(text(a), readCuts)).toEqual(bytes);
        },
      ),
    );
  });

  it('accepts CRLF line ends and whitespace around the armor', () => {
    const bytes = Uint8Array.from({ length: 70 }, (_, i) => 255 - i);
    const crlf = '\r\n \t\r\n' + armor(bytes).replaceAll('\n', '\r\n') + '\r\n  \n';
    expect(dearmor(text(crlf))).toEqual(bytes);
    expect(dearmor(text(armor(bytes).trimEnd()))).toEqual(bytes); // no final line end
    expect(dearmor(text(armor(bytes).trimEnd() + ' \t'))).toEqual(bytes); // blanks after the end line
    expect(code(() => dearmor(text(armor(bytes).replace('-----\n', '----- \n'))))).toBe(
      ErrorCode.EnvelopeMalformed, // but not after the begin line
    );
    expect(looksArmored(text(' \n\t' + ARMOR_BEGIN))).toBe(true);
    expect(looksArmored(Uint8Array.of(0x42, 0x57, 1, 1))).toBe(false);
  });

  it('refuses any change that does not give another canonical armor', () => {
    // Strictness as a property: whatever single edit is made to a valid
    // armor, either the decoder refuses it, or the result is exactly the
    // armor of what it decoded to (an edit of the base64 digits), never a
    // lenient reading of a malformed text.
    const alphabet = 'ABZaz09+/=-\r\n \tx\u00e9';
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.nat(),
        fc.constantFrom('insert', 'delete', 'replace'),
        fc.constantFrom(...alphabet),
        (bytes, where, edit, ch) => {
          const a = armor(bytes);
          const i = where % a.length;
          const changed =
            edit === 'insert'
              ? a.slice(0, i) + ch + a.slice(i)
              : edit === 'delete'
                ? a.slice(0, i) + a.slice(i + 1)
                : a.slice(0, i) + ch + a.slice(i + 1);
          let decoded: Uint8Array | undefined;
          try {
            decoded = dearmor(text(changed));
          } catch (e) {
            expect((e as BlindwireError).code).toBe(ErrorCode.EnvelopeMalformed);
            return;
          }
          const normal = changed
            .replace(/^[ \t\r\n]+/, '')
            .replace(/[ \t\r\n]+$/, '')
            .replaceAll('\r\n', '\n');
          expect(armor(decoded).trimEnd()).toBe(normal);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('armor: strict parsing (ERR_ENVELOPE_MALFORMED)', () => {
  const good = armor(Uint8Array.from({ length: 100 }, (_, i) => i * 7));
  const lines = good.split('\n');
  const cases: [string, string, RegExp][] = [
    ['text before the begin line', `hello\n${good}`, /expected -----BEGIN/],
    ['data after the end line', `${good}junk\n`, /data after the end line/],
    ['a second armor after the first', good + good, /data after the end line/],
    ['another label', good.replaceAll('MESSAGE', 'STREAM'), /expected -----BEGIN/],
    [
      'a header line (PEM style)',
      good.replace('\n', '\nVersion: 1\n\n'),
      /outside base64|empty line/,
    ],
    ['an empty body', `${ARMOR_BEGIN}\n${ARMOR_END}\n`, /no body/],
    ['a missing end line', lines.slice(0, 4).join('\n') + '\n', /truncated/],
    ['no begin line at all', '   \n\n', /no -----BEGIN/],
    [
      'a short line before the last',
      [lines[0], lines[1]!.slice(4), lines[2], lines[3], lines[4], ''].join('\n'),
      /must be the last/,
    ],
    [
      'a line longer than 64',
      [lines[0], lines[1]! + 'AAAA', lines[3], lines[4], ''].join('\n'),
      /longer than 64/,
    ],
    [
      'padding on an inner line',
      [lines[0], lines[1]!.slice(0, 60) + 'AA==', lines[2], lines[3], lines[4], ''].join('\n'),
      /must be the last|padding/,
    ],
    ['non-canonical padding bits', `${ARMOR_BEGIN}\nQlf=\n${ARMOR_END}\n`, /non-canonical/],
    ['a body line not a multiple of 4', `${ARMOR_BEGIN}\nQlc\n${ARMOR_END}\n`, /whole number/],
    ['base64url characters', `${ARMOR_BEGIN}\nQl_B\n${ARMOR_END}\n`, /outside base64/],
    [
      'a blank line inside the body',
      [lines[0], lines[1], '', lines[2], lines[3], lines[4], ''].join('\n'),
      /empty line/,
    ],
    [
      'trailing spaces on a body line',
      [lines[0], lines[1], lines[2], lines[3] + ' ', lines[4], ''].join('\n'),
      /outside base64/,
    ],
    ['a non-ASCII byte', good.replace('\n', '\n\u00e9'), /not printable ASCII/],
    ['a NUL byte', good.replace('\n', '\n\u0000'), /not printable ASCII/],
  ];

  it.each(cases)('%s', (_, input, message) => {
    let err: unknown;
    try {
      dearmor(text(input));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BlindwireError);
    expect((err as BlindwireError).code).toBe(ErrorCode.EnvelopeMalformed);
    expect((err as BlindwireError).message).toMatch(/^armor: /);
    expect((err as BlindwireError).message).toMatch(message);
  });

  it('refuses an overlong line as soon as it is seen, holding at most one line', () => {
    const d = createArmorDecoder();
    d.push(text(`${ARMOR_BEGIN}\n`));
    expect(code(() => d.push(new Uint8Array(1 << 20).fill(0x41)))).toBe(
      ErrorCode.EnvelopeMalformed,
    );
    const before = createArmorDecoder();
    expect(code(() => before.push(new Uint8Array(1 << 20).fill(0x2d)))).toBe(
      ErrorCode.EnvelopeMalformed,
    );
  });
});
