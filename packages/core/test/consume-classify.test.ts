/**
 * The disposition table (SPEC.md §7b): one row per error code of SPEC.md §9,
 * and the table in SPEC.md agrees with the code.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify, DISPOSITION_TABLE } from '../src/consume/classify.js';
import { BlindwireError, ErrorCode } from '../src/errors.js';

const EXPECTED: Record<string, string> = {
  ERR_INVALID_ARGUMENT: 'permanent',
  ERR_ENVELOPE_MALFORMED: 'permanent',
  ERR_UNSUPPORTED_VERSION: 'permanent',
  ERR_UNSUPPORTED_SUITE: 'permanent',
  ERR_LIMIT_EXCEEDED: 'permanent',
  ERR_EXPIRED: 'permanent',
  ERR_NOT_YET_VALID: 'transient',
  ERR_KEY_NOT_FOUND: 'permanent',
  ERR_KEY_UNTRUSTED: 'permanent',
  ERR_OPEN_FAILED: 'permanent',
  ERR_CONTEXT_MISMATCH: 'permanent',
  ERR_SENDER_NOT_ALLOWED: 'permanent',
  ERR_REPLAY: 'duplicate',
  ERR_REPLAY_IN_FLIGHT: 'in-flight',
  ERR_HPKE: 'permanent',
  ERR_SEQUENCE_OVERFLOW: 'permanent',
  ERR_UNSUPPORTED: 'permanent',
  ERR_RECORD_MALFORMED: 'transient',
  ERR_KEY_REVOKED: 'permanent',
  ERR_KEY_ROLLBACK: 'transient',
  ERR_TRANSPORT: 'transient',
};

const spec = readFileSync(new URL('../../../SPEC.md', import.meta.url), 'utf8');
const section = (title: string) => {
  const start = spec.indexOf(title);
  return spec.slice(start, spec.indexOf('\n## ', start + 1));
};

describe('classify: the disposition table (SPEC.md §7b)', () => {
  it.each(Object.values(ErrorCode))('%s has its row', (code) => {
    expect(EXPECTED[code]).toBeDefined();
    expect(classify(new BlindwireError(code, 'x'))).toEqual({
      outcome: EXPECTED[code],
      reason: code,
    });
  });

  it('every code of SPEC.md §9 is a code of the table, and no other', () => {
    const codes = [...section('## 9. Errors').matchAll(/^\| `(ERR_[A-Z_]+)`/gm)].map((m) => m[1]);
    expect(new Set(codes)).toEqual(new Set(Object.keys(DISPOSITION_TABLE)));
  });

  it("SPEC.md §7b's table gives each code the same outcome", () => {
    const rows = [...section('## 7b.').matchAll(/^\| `(ERR_[A-Z_]+)` +\| ([a-z-]+) /gm)];
    expect(Object.fromEntries(rows.map((m) => [m[1], m[2]]))).toEqual(EXPECTED);
  });

  it('no error is deliver; anything that is no Blindwire error is transient ERR_HANDLER', () => {
    expect(classify(undefined)).toEqual({ outcome: 'deliver' });
    for (const e of [new Error('x'), 'boom', null, 0, { code: 'ERR_REPLAY' }]) {
      expect(classify(e)).toEqual({ outcome: 'transient', reason: 'ERR_HANDLER' });
    }
    const unknown = new BlindwireError('ERR_FROM_THE_FUTURE' as ErrorCode, 'x');
    expect(classify(unknown)).toEqual({ outcome: 'transient', reason: 'ERR_HANDLER' });
    const inherited = new BlindwireError('toString' as ErrorCode, 'x');
    expect(classify(inherited).outcome).toBe('transient');
  });
});
