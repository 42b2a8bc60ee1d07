import { probeService } from '@blindwire/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module of the example
import { runWorkQueue } from '../demo.mjs';

const nats = await probeService('nats');

interface Handled {
  worker: string;
  handled: string;
  messageId: string;
  sender: string;
}
interface DeadLetter {
  data: Uint8Array;
  reason: string;
  messageId: string;
}

describe.skipIf(nats.skip)('JetStream work-queue example', () => {
  beforeAll(() => nats.assertUp());

  it('two worker processes handle every job exactly once; the tampered and the untrusted job are dead-lettered unchanged; no plaintext in the streams', async () => {
    const jobs = 12;
    const r = await runWorkQueue({ jobs });
    const handled = r.handled as Handled[];
    // Every genuine job once, no other job handled.
    expect(handled.map((h) => h.handled).sort()).toEqual(
      Array.from({ length: jobs }, (_, i) => `INV-${1001 + i}`),
    );
    expect(new Set(handled.map((h) => h.messageId)).size).toBe(jobs);
    for (const h of handled) expect(h.sender).toBe('spiffe://acme.example/agents/planner');
    expect(r.duplicatePublish.duplicate).toBe(true);
    // The rejects, with their reasons and the original message ids.
    const dl = r.deadLetters as DeadLetter[];
    const reasons = new Map(dl.map((d) => [d.messageId, d.reason]));
    expect(reasons.get(r.tamperedId)).toBe('ERR_OPEN_FAILED');
    expect(reasons.get(r.intruderId)).toBe('ERR_KEY_UNTRUSTED');
    expect(dl).toHaveLength(2);
    // Blindness: no card number, job name or sender name on the wire or in the dead letters.
    const seen = [
      ...(r.rawDeadLetterBytes as DeadLetter[]).map((d) => d.data),
      ...(r.wire as Uint8Array[]),
    ];
    expect(seen.length).toBeGreaterThanOrEqual(jobs + 2);
    for (const bytes of seen) {
      const raw = Buffer.from(bytes);
      for (const secret of ['4111 1111', 'INV-6666', 'INV-0000', 'intruder', 'planner'])
        expect(raw.includes(Buffer.from(secret)), secret).toBe(false);
    }
  }, 90_000);
});
