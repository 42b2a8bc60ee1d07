/**
 * The text armor of SPEC.md Appendix A: a Blindwire object as standard
 * base64 between `-----BEGIN BLINDWIRE MESSAGE-----` and `-----END
 * BLINDWIRE MESSAGE-----`, 64 characters a line. Both directions work
 * incrementally, so a stream of any length is armored and read back in
 * bounded memory: the encoder holds less than one line of input, the decoder
 * one line. Decoding is strict (Appendix A rules 1-6); every violation is
 * ERR_ENVELOPE_MALFORMED, before any key is used.
 */
import { BlindwireError, ErrorCode } from '@blindwire/core';

export const ARMOR_BEGIN = '-----BEGIN BLINDWIRE MESSAGE-----';
export const ARMOR_END = '-----END BLINDWIRE MESSAGE-----';
/** Base64 characters per body line (Appendix A rule 2): 48 bytes. */
export const ARMOR_LINE = 64;
const LINE_BYTES = (ARMOR_LINE / 4) * 3;

const encoder = new TextEncoder();

function malformed(what: string): BlindwireError {
  return new BlindwireError(ErrorCode.EnvelopeMalformed, `armor: ${what}`);
}

/** Appendix A: the armor of `bytes`, whole. */
export function armor(bytes: Uint8Array): string {
  const e = createArmorEncoder();
  return e.push(bytes) + e.end();
}

/** An incremental encoder: `push` returns the text ready so far, `end` the rest. */
export function createArmorEncoder(): { push(b: Uint8Array): string; end(): string } {
  let started = false;
  let rest = new Uint8Array(0);
  const begin = () => (started ? '' : ((started = true), `${ARMOR_BEGIN}\n`));
  return {
    push(b) {
      let out = begin();
      const all = rest.length === 0 ? b : concat2(rest, b);
      const whole = all.length - (all.length % LINE_BYTES);
      for (let i = 0; i < whole; i += LINE_BYTES)
        out += Buffer.from(all.buffer, all.byteOffset + i, LINE_BYTES).toString('base64') + '\n';
      rest = all.slice(whole);
      return out;
    },
    end() {
      let out = begin();
      if (rest.length > 0) out += Buffer.from(rest).toString('base64') + '\n';
      rest = new Uint8Array(0);
      return out + `${ARMOR_END}\n`;
    },
  };
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Whether `head` (the first bytes of an input, after any leading whitespace) starts an armor. */
export function looksArmored(head: Uint8Array): boolean {
  let i = 0;
  while (i < head.length && isSpace(head[i]!)) i++;
  const want = encoder.encode('-----BEGIN');
  return head.length - i >= want.length && want.every((c, j) => head[i + j] === c);
}

/** Appendix A rule 4: SP, HT, CR and LF may surround the armor. */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** One body line: canonical standard base64 (Appendix A rule 1). */
function decodeLine(line: string, last: boolean): Buffer {
  if (line.length === 0) throw malformed('empty line inside the body');
  if (!BASE64.test(line)) throw malformed('a body line holds a character outside base64');
  if (line.length % 4 !== 0) throw malformed('a body line is not a whole number of base64 groups');
  if (!last && line.includes('=')) throw malformed('padding before the last body line');
  const b = Buffer.from(line, 'base64');
  // Only a last line can end inside a byte: a full line is 48 whole bytes.
  if (last && b.toString('base64') !== line)
    throw malformed('non-canonical base64 (padding bits set)');
  return b;
}

/** Where the decoder is: before the begin line, in the body (`first`: no line yet), past the last line, past the end line. */
type State = 'before' | 'first' | 'body' | 'after-last' | 'after-end';

/** The longest line the decoder holds: a body line and its CR. */
const MAX_LINE = ARMOR_LINE + 1;

/** Whether every byte of `b` is printable ASCII, HT or CR (Appendix A rule 5). */
function printable(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c > 0x7e || (c < 0x20 && c !== 0x09 && c !== 0x0d)) return false;
  }
  return true;
}

/**
 * An incremental decoder: `push` takes any slice of the armored text and
 * returns the bytes decoded so far; `end` checks that the armor was
 * complete. Holds at most one line: a longer one is refused as soon as it is
 * seen (Appendix A rule 6).
 */
export function createArmorDecoder(): {
  push(chunk: Uint8Array): Uint8Array[];
  end(): void;
} {
  let state: State = 'before';
  let line = '';
  const out: Buffer[] = [];

  function onLine(raw: string): void {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (state === 'before') {
      if (text === '') return; // a whitespace line (its blanks were never kept)
      if (text !== ARMOR_BEGIN)
        throw malformed(`expected ${ARMOR_BEGIN} (only whitespace may precede it)`);
      state = 'first';
      return;
    }
    // Blanks may follow the end line (Appendix A grammar), on its own line too.
    if (text.startsWith(ARMOR_END) && /^[ \t]*$/.test(text.slice(ARMOR_END.length))) {
      if (state === 'first') throw malformed('no body between the begin and end lines');
      state = 'after-end';
      return;
    }
    if (state === 'after-last')
      throw malformed(`a short or padded body line must be the last, followed by ${ARMOR_END}`);
    if (text.length > ARMOR_LINE) throw malformed(`a body line is longer than ${ARMOR_LINE}`);
    const last = text.length < ARMOR_LINE || text.endsWith('=');
    out.push(decodeLine(text, last));
    state = last ? 'after-last' : 'body';
  }

  /** Adds `part` (no LF in it) to the current line, within the line limit. */
  function append(part: Uint8Array): void {
    if (state === 'after-end') {
      if (!part.every(isSpace)) throw malformed('data after the end line');
      return;
    }
    if (!printable(part)) throw malformed('a byte that is not printable ASCII');
    let from = 0;
    if (state === 'before' && line === '')
      while (from < part.length && isSpace(part[from]!)) from++;
    if (line.length + part.length - from > Math.max(MAX_LINE, ARMOR_BEGIN.length + 1))
      throw malformed(
        state === 'before'
          ? `expected ${ARMOR_BEGIN} (only whitespace may precede it)`
          : `a body line is longer than ${ARMOR_LINE}`,
      );
    line += Buffer.from(part.buffer, part.byteOffset + from, part.length - from).toString('latin1');
  }

  return {
    push(chunk) {
      let at = 0;
      while (at <= chunk.length) {
        const nl = chunk.indexOf(0x0a, at);
        append(chunk.subarray(at, nl === -1 ? chunk.length : nl));
        if (nl === -1) break;
        if (state !== 'after-end') {
          onLine(line);
          line = '';
        }
        at = nl + 1;
      }
      if (out.length === 0) return [];
      const decoded = Buffer.concat(out.splice(0));
      return [new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.length)];
    },
    end() {
      if (line.length > 0) {
        // The end line may lack its line end.
        onLine(line);
        line = '';
      }
      if (state === 'before') throw malformed(`no ${ARMOR_BEGIN} line`);
      if (state !== 'after-end') throw malformed(`truncated: no ${ARMOR_END} line`);
    },
  };
}

/** Appendix A: the bytes of a whole armored text (strict). */
export function dearmor(text: Uint8Array): Uint8Array {
  const d = createArmorDecoder();
  const parts = d.push(text);
  d.end();
  const b = Buffer.concat(parts);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}
