/**
 * The workload generator's bookkeeping: exact counts per kind, distinct
 * markers, the expected reason per kind, the context and clock each kind is
 * sealed with, a tampered copy one bit away from its envelope inside the
 * ciphertext, replays only of raw valid messages of the first half, and the
 * same workload from the same seed. The kit imports no workspace package, so
 * `seal` here is a recording stand-in; the real one runs in the bindings'
 * conformance suites.
 */
import { describe, expect, it } from 'vitest';
import {
  MARKER_BYTES,
  createRng,
  generateWorkload,
  workloadCounts,
  type CoreFunctions,
  type WorkloadSealOptions,
} from '../../src/index.js';

const HEADER = 20;

function recordingCore() {
  const calls: WorkloadSealOptions[] = [];
  const rng = createRng(99);
  const core: CoreFunctions = {
    async seal(payload, options) {
      calls.push(options);
      const messageId = Array.from(rng.bytes(16), (b) => b.toString(16).padStart(2, '0')).join('');
      const envelope = new Uint8Array(HEADER + payload.length + 16);
      envelope.set(rng.bytes(envelope.length));
      return { envelope, messageId };
    },
    inspect: (e) => ({ ciphertextBytes: e.length - HEADER, messageId: '' }),
  };
  return { core, calls };
}

const adapter = {
  destination: 'run.jobs',
  otherDestination: 'run.other',
  context: (d: string) => `ctx ${d}`,
};
const sender = { name: 'agent.a', signing: {} };
const disallowedSender = { name: 'agent.b', signing: {} };

async function make(count: number, seed = 5) {
  const { core, calls } = recordingCore();
  const w = await generateWorkload(
    { count, seed },
    { core, sender, disallowedSender, recipients: {}, adapter, foreignContexts: ['amqp ctx'] },
  );
  return { w, calls };
}

describe('generateWorkload', () => {
  it('exact counts per kind, distinct markers, expected reasons', async () => {
    const { w } = await make(2000);
    expect(workloadCounts(w)).toMatchObject({
      tampered: 20,
      expired: 10,
      disallowed: 10,
      'cross-destination': 5,
      'cross-transport': 5,
      valid: 1950,
      replays: 20,
    });
    const markers = new Set(
      w.items.map((it) => new TextDecoder().decode(it.payload.subarray(0, MARKER_BYTES))),
    );
    expect(markers.size).toBe(2000);
    const reasons = new Map(w.items.map((it) => [it.kind, it.expect]));
    expect(Object.fromEntries(reasons)).toEqual({
      valid: { outcome: 'commit' },
      tampered: { outcome: 'dead-letter', reason: 'ERR_OPEN_FAILED' },
      expired: { outcome: 'dead-letter', reason: 'ERR_EXPIRED' },
      disallowed: { outcome: 'dead-letter', reason: 'ERR_SENDER_NOT_ALLOWED' },
      'cross-destination': { outcome: 'dead-letter', reason: 'ERR_CONTEXT_MISMATCH' },
      'cross-transport': { outcome: 'dead-letter', reason: 'ERR_CONTEXT_MISMATCH' },
    });
    expect(w.senderNames).toEqual(['agent.a', 'agent.b']);
  });

  it('seals each kind with its sender, context and clock; binding items are left unsealed', async () => {
    const { w, calls } = await make(1000);
    const raw = w.items.filter((it) => it.via === 'raw');
    expect(calls).toHaveLength(raw.length);
    raw.forEach((it, i) => {
      const c = calls[i]!;
      const ctx = { 'cross-destination': 'ctx run.other', 'cross-transport': 'amqp ctx' } as Record<
        string,
        string
      >;
      expect(c.context).toBe(ctx[it.kind] ?? 'ctx run.jobs');
      expect(c.sender.name).toBe(it.kind === 'disallowed' ? 'agent.b' : 'agent.a');
      expect(it.sender).toBe(c.sender.name);
      if (it.kind === 'expired') expect(c.now! + 3600_000).toBeLessThan(Date.now());
      else expect(c.now).toBeUndefined();
    });
    for (const it of w.items.filter((x) => x.via === 'binding')) {
      expect(it).toMatchObject({ kind: 'valid', replays: 0 });
      expect(it.bytes).toBeUndefined();
    }
  });

  it('a tampered envelope differs from its seal by one bit, after the header', async () => {
    const { core } = recordingCore();
    const sealed: Uint8Array[] = [];
    const spy: CoreFunctions = {
      seal: async (p, o) => {
        const r = await core.seal(p, o);
        sealed.push(r.envelope);
        return r;
      },
      inspect: core.inspect,
    };
    const w = await generateWorkload(
      { count: 500, seed: 1 },
      { core: spy, sender, disallowedSender, recipients: {}, adapter, foreignContexts: ['x'] },
    );
    const raw = w.items.filter((it) => it.via === 'raw');
    raw.forEach((it, i) => {
      const diff = [...it.bytes!].flatMap((b, j) =>
        b === sealed[i]![j] ? [] : [[j, b ^ sealed[i]![j]!]],
      );
      if (it.kind !== 'tampered') return expect(diff).toEqual([]);
      expect(diff).toHaveLength(1);
      expect(diff[0]![0]).toBeGreaterThanOrEqual(HEADER);
      expect([1, 2, 4, 8, 16, 32, 64, 128]).toContain(diff[0]![1]);
    });
  });

  it('replays only raw valid messages of the first half; the same seed, the same workload', async () => {
    const { w } = await make(1000, 11);
    for (const it of w.items.filter((x) => x.replays > 0)) {
      expect(it).toMatchObject({ kind: 'valid', via: 'raw' });
      expect(it.index).toBeLessThan(500);
    }
    const again = await make(1000, 11);
    expect(again.w.items.map((it) => [it.kind, it.via, it.replays, it.payload])).toEqual(
      w.items.map((it) => [it.kind, it.via, it.replays, it.payload]),
    );
  });

  it('refuses a count that leaves no valid message', async () => {
    await expect(make(0)).rejects.toThrow(/positive integer/);
    await expect(
      generateWorkload(
        { count: 3, seed: 1, rates: { tampered: 1 } },
        {
          core: recordingCore().core,
          sender,
          disallowedSender,
          recipients: {},
          adapter,
          foreignContexts: ['x'],
        },
      ),
    ).rejects.toThrow(/none valid/);
  });
});
