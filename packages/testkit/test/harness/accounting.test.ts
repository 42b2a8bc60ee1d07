/**
 * The accounting by message id: a conforming run has no problem, and each way
 * of breaking the rules (lost, committed and dead-lettered, wrong reason,
 * changed copy, handler run twice outside a kill, a replay that reached the
 * handler, a stray dead letter) is reported.
 */
import { describe, expect, it } from 'vitest';
import { account, parseRunLog, type AccountingInput, type WorkItem } from '../../src/index.js';

const id = (n: number) => n.toString(16).padStart(32, '0');
const bytes = (n: number) => new Uint8Array([1, 2, n]);

function item(n: number, over: Partial<WorkItem> = {}): WorkItem {
  return {
    index: n,
    kind: 'valid',
    payload: new Uint8Array(0),
    bytes: bytes(n),
    messageId: id(n),
    sender: 's',
    via: 'raw',
    destination: 'd',
    expect: { outcome: 'commit' },
    replays: 0,
    ...over,
  };
}

/** Items: 1 valid, 2 valid replayed once, 3 tampered. Incarnation 1 was killed while 1 was in flight. */
function conforming(): AccountingInput {
  const lines = [
    'R 1',
    `H 1 ${id(1)}`,
    'R 2',
    `E 2 in-flight in-flight ERR_REPLAY_IN_FLIGHT ${id(1)}`,
    `H 2 ${id(1)}`,
    `E 2 deliver ack - ${id(1)}`,
    `H 2 ${id(2)}`,
    `E 2 deliver ack - ${id(2)}`,
    `E 2 permanent dead-letter ERR_OPEN_FAILED ${id(3)}`,
    `E 2 duplicate ack ERR_REPLAY ${id(2)}`,
  ];
  return {
    items: [
      item(1),
      item(2, { replays: 1 }),
      item(3, { kind: 'tampered', expect: { outcome: 'dead-letter', reason: 'ERR_OPEN_FAILED' } }),
    ],
    log: parseRunLog(lines.join('\n') + '\n'),
    deadLetters: [{ bytes: bytes(3), reason: 'ERR_OPEN_FAILED', messageId: id(3) }],
    committed: new Map([
      [id(1), true],
      [id(2), true],
      [id(3), false],
    ]),
    killed: new Set([1]),
  };
}

const problemsOf = (change: (i: AccountingInput) => void) => {
  const input = conforming();
  change(input);
  return account(input).problems;
};

describe('account', () => {
  it('a conforming run: no problem, and the counts', () => {
    const a = account(conforming());
    expect(a.problems).toEqual([]);
    expect(a.counts).toEqual({
      ids: 3,
      committed: 2,
      deadLettered: 1,
      reasons: { ERR_OPEN_FAILED: 1 },
      replayCopies: 1,
      duplicates: 1,
      handlerCalls: 3,
      handlerReruns: 1,
      inFlight: 1,
      retries: 0,
      deadLetterCopies: 1,
      extraDeadLetterCopies: 0,
    });
  });

  it('lost: neither committed nor dead-lettered', () => {
    expect(problemsOf((i) => (i.committed as Map<string, boolean>).set(id(2), false))).toEqual([
      `${id(2)} (valid): never committed`,
    ]);
    expect(problemsOf((i) => (i.deadLetters = []))).toEqual([
      `${id(3)} (tampered): not dead-lettered`,
    ]);
  });

  it('both: committed and dead-lettered', () => {
    expect(
      problemsOf((i) => i.deadLetters.push({ bytes: bytes(1), reason: 'ERR_X', messageId: id(1) })),
    ).toEqual([`${id(1)} (valid): dead-lettered, expected a commit`]);
    expect(problemsOf((i) => (i.committed as Map<string, boolean>).set(id(3), true))).toEqual([
      `${id(3)} (tampered): committed`,
    ]);
  });

  it('a dead letter with another reason, changed bytes, or no id', () => {
    expect(problemsOf((i) => (i.deadLetters[0]!.reason = 'ERR_EXPIRED'))).toEqual([
      `${id(3)} (tampered): reason ERR_EXPIRED, expected ERR_OPEN_FAILED`,
    ]);
    expect(problemsOf((i) => (i.deadLetters[0]!.bytes = bytes(9)))).toEqual([
      `${id(3)} (tampered): dead-letter copy differs from the published envelope`,
    ]);
    expect(
      problemsOf((i) =>
        i.deadLetters.push({ bytes: bytes(3), reason: 'ERR_OPEN_FAILED', messageId: undefined }),
      ),
    ).toEqual(['dead letter with unknown or missing id undefined']);
  });

  it('a second copy of a dead letter is counted, not a problem', () => {
    const input = conforming();
    input.deadLetters.push({ ...input.deadLetters[0]! });
    expect(account(input)).toMatchObject({ problems: [], counts: { extraDeadLetterCopies: 1 } });
  });

  it('more copies of a dead letter than kills that could explain them', () => {
    expect(
      problemsOf((i) => {
        i.killed = new Set([2]); // id 1 handled in incarnation 1, not killed: keep it out of this case
        i.log.handled = i.log.handled.filter((h) => h.messageId !== id(1) || h.incarnation === 2);
        i.deadLetters.push({ ...i.deadLetters[0]! }, { ...i.deadLetters[0]! });
      }),
    ).toEqual([`${id(3)} (tampered): 3 dead-letter copies, 1 killed incarnation`]);
    expect(
      problemsOf((i) => {
        i.killed = new Set();
        i.log.handled = i.log.handled.filter((h) => h.messageId !== id(1) || h.incarnation === 2);
        i.deadLetters.push({ ...i.deadLetters[0]! });
      }),
    ).toEqual([`${id(3)} (tampered): 2 dead-letter copies, 0 killed incarnations`]);
  });

  it('a handler run twice outside a killed incarnation, or after its commit was reported', () => {
    expect(problemsOf((i) => (i.killed = new Set()))).toEqual([
      `${id(1)}: handler ran 2 times (incarnations 1,2)`,
    ]);
    expect(problemsOf((i) => i.log.events.push({ ...i.log.events[1]!, incarnation: 1 }))).toEqual([
      `${id(1)}: handler ran 2 times (incarnations 1,2)`,
    ]);
    expect(problemsOf((i) => i.log.handled.push({ incarnation: 2, messageId: id(2) }))).toEqual([
      `${id(2)}: handler ran 2 times (incarnations 2,2)`,
    ]);
    // Twice in one killed incarnation (the later call committed, its event lost in the kill).
    expect(
      problemsOf((i) => {
        i.log.handled = i.log.handled.filter((h) => h.messageId !== id(1) || h.incarnation === 1);
        i.log.handled.push({ incarnation: 1, messageId: id(1) });
      }),
    ).toEqual([`${id(1)}: handler ran 2 times (incarnations 1,1)`]);
  });

  it('a replay that was not counted as a duplicate, or reached a dead-lettered handler', () => {
    expect(problemsOf((i) => i.log.events.pop())).toEqual([
      `${id(2)}: 1 replayed copies, 0 counted as duplicates`,
    ]);
    expect(problemsOf((i) => i.log.handled.push({ incarnation: 2, messageId: id(3) }))).toEqual([
      `${id(3)} (tampered): handler ran`,
    ]);
  });

  it('committed without a handler call (a commit the child never logged)', () => {
    expect(
      problemsOf((i) => (i.log.handled = i.log.handled.filter((h) => h.messageId !== id(2)))),
    ).toEqual([`${id(2)} (valid): committed without a handler call`]);
  });

  it('unknown ids and stray lines are reported', () => {
    expect(
      problemsOf((i) => {
        i.log.handled.push({ incarnation: 2, messageId: id(99) });
        i.log.malformed.push('junk');
        i.items[0]!.messageId = undefined;
      }),
    ).toEqual([
      'item 1: never published',
      `handler ran for unknown id ${id(1)}`,
      `handler ran for unknown id ${id(1)}`,
      `handler ran for unknown id ${id(99)}`,
      'malformed log line "junk"',
    ]);
  });
});
