import { describe, expect, it } from 'vitest';
import { probeService } from '@blindwire/testkit';
// @ts-expect-error plain JS module of the example
import { runWorkQueue } from '../demo.mjs';

const nats = await probeService('nats');

describe.skipIf(nats.skip)('nats work-queue example', () => {
  it('every job handled once by one of two workers; the tampered and the disallowed one dead-lettered unchanged', async () => {
    nats.assertUp();
    const r = await runWorkQueue({ jobs: 20 });
    const ids = (r.handled as { id: string }[]).map((h) => h.id);
    expect(ids.sort()).toEqual([...(r.sent as string[])].sort());
    const reasons = (r.deadLetters as { reason: string }[]).map((d) => d.reason).sort();
    expect(reasons).toEqual(['ERR_OPEN_FAILED', 'ERR_SENDER_NOT_ALLOWED']);
    const tampered = (r.deadLetters as { reason: string; envelope: Uint8Array }[]).find(
      (d) => d.reason === 'ERR_OPEN_FAILED',
    )!;
    expect(Buffer.from(tampered.envelope).equals(Buffer.from(r.tampered as Uint8Array))).toBe(true);
  });
});
