/**
 * XACK coalescing (SPEC.md §7b), against a wire that answers when told: the
 * acks asked for in one turn leave as one XACK, those asked for while it is
 * on the wire leave together in the next one, never two XACKs at once; an
 * ack resolves only when its XACK answered, and a failed XACK fails exactly
 * its own acks (those entries stay pending) while later ones still go.
 */
import { describe, expect, it } from 'vitest';
import { acker } from '../src/acks.js';
import type { Wire } from '../src/wire.js';

/** A wire that keeps each command and answers it only when `answer` (or `fail`) is called. */
function heldWire() {
  const sent: { args: unknown[]; answer: () => void; fail: (e: Error) => void }[] = [];
  const wire: Wire = {
    call: (args) =>
      new Promise((answer, fail) => sent.push({ args, answer: () => answer(1), fail })),
  };
  return { wire, sent };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('acker', () => {
  it('coalesces one turn into one XACK and one XACK in flight at a time', async () => {
    const { wire, sent } = heldWire();
    const ack = acker(wire, 's', 'g');
    const settled: string[] = [];
    const track = (id: string) => void ack(id).then(() => settled.push(id));
    ['1-0', '2-0', '3-0'].forEach(track);
    await turn();
    expect(sent.map((c) => c.args)).toEqual([['XACK', 's', 'g', '1-0', '2-0', '3-0']]);
    ['4-0', '5-0'].forEach(track);
    await turn();
    expect(sent.length).toBe(1); // the first is still on the wire
    expect(settled).toEqual([]);
    sent[0]!.answer();
    await turn();
    expect(settled).toEqual(['1-0', '2-0', '3-0']);
    expect(sent.map((c) => c.args)).toEqual([
      ['XACK', 's', 'g', '1-0', '2-0', '3-0'],
      ['XACK', 's', 'g', '4-0', '5-0'],
    ]);
    sent[1]!.answer();
    await turn();
    expect(settled).toEqual(['1-0', '2-0', '3-0', '4-0', '5-0']);
    track('6-0'); // idle again: sent at once
    await turn();
    expect(sent[2]!.args).toEqual(['XACK', 's', 'g', '6-0']);
  });

  it('fails exactly the acks of a failed XACK; the next batch still goes', async () => {
    const { wire, sent } = heldWire();
    const ack = acker(wire, 's', 'g');
    const a = ack('1-0');
    const b = ack('2-0');
    await turn();
    const c = ack('3-0');
    sent[0]!.fail(new Error('connection lost'));
    await expect(a).rejects.toThrow('connection lost');
    await expect(b).rejects.toThrow('connection lost');
    await turn();
    expect(sent[1]!.args).toEqual(['XACK', 's', 'g', '3-0']);
    sent[1]!.answer();
    await expect(c).resolves.toBeUndefined();
  });
});
