import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module of the example
import { runQuickstart } from '../demo.mjs';

describe('quickstart demo', () => {
  it('resolves keys through the directory, delivers the request and the answer, and the broker never sees plaintext', async () => {
    const r = await runQuickstart();
    expect(r.toolSaw.payload).toBe(r.request);
    expect(r.toolSaw.sender).toBe('spiffe://acme.example/agents/planner');
    expect(r.agentSaw.payload).toBe(r.answer);
    expect(r.brokerLog).toHaveLength(2);
    expect(r.directoryRecords).toBe(4);
    for (const m of r.brokerLog as { bytes: Uint8Array }[]) {
      const raw = Buffer.from(m.bytes);
      for (const secret of ['4111 1111', 'A-1042', '129.00', 'refund', 'planner']) {
        expect(raw.includes(Buffer.from(secret)), secret).toBe(false);
      }
    }
  });
});
