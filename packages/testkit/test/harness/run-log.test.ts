/**
 * The run log a consumer child appends to: each incarnation's lines survive
 * together in one file, read back in order; a torn last line is ignored and
 * any other stray line is reported, never dropped silently.
 */
import { mkdtempSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRunLog, parseRunLog, readRunLog } from '../../src/index.js';

const ID = 'a'.repeat(32);

describe('run log', () => {
  it('round-trips ready, handler and event lines of several incarnations', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bw-runlog-')), 'run.log');
    const one = openRunLog(path, 1);
    one.ready();
    one.handled(ID);
    one.event({ outcome: 'deliver', action: 'ack', messageId: ID });
    one.close();
    const two = openRunLog(path, 2, { fsync: true });
    two.event({ outcome: 'permanent', action: 'dead-letter', code: 'ERR_OPEN_FAILED' });
    two.close();
    expect(readRunLog(path)).toEqual({
      ready: [1],
      handled: [{ incarnation: 1, messageId: ID }],
      events: [
        { incarnation: 1, outcome: 'deliver', action: 'ack', code: undefined, messageId: ID },
        {
          incarnation: 2,
          outcome: 'permanent',
          action: 'dead-letter',
          code: 'ERR_OPEN_FAILED',
          messageId: undefined,
        },
      ],
      malformed: [],
    });
    appendFileSync(path, 'H 2 bbbb'); // torn by a kill: no newline
    expect(readRunLog(path).handled).toHaveLength(1);
  });

  it('reports lines of no known form', () => {
    expect(parseRunLog(`H 1 ${ID}\nH 0 x\nX 1\nE 1 deliver ack\n\n`).malformed).toEqual([
      'H 0 x',
      'X 1',
      'E 1 deliver ack',
      '',
    ]);
  });
});
