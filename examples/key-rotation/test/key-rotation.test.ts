import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module of the example
import { runKeyRotation } from '../demo.mjs';

interface Outcome {
  kid: string;
  opened?: string;
  code?: string;
}

describe('key rotation example', () => {
  it('queued jobs open across the rotation; past retention the old key is erased and its job fails with ERR_KEY_NOT_FOUND', async () => {
    const lines: string[] = [];
    const r = (await runKeyRotation({ log: (l: string) => lines.push(l) })) as {
      first: string;
      second: string;
      afterRotation: Outcome[];
      erased: string[];
      afterRetention: Outcome[];
      brokerSaw: Uint8Array[];
    };
    expect(r.second).not.toBe(r.first);
    expect(r.afterRotation).toEqual([
      { kid: r.first, opened: 'invoice 1001' },
      { kid: r.first, opened: 'invoice 1002' },
      { kid: r.second, opened: 'invoice 1004' },
    ]);
    expect(r.erased).toEqual([r.first]);
    expect(r.afterRetention).toEqual([
      { kid: r.first, code: 'ERR_KEY_NOT_FOUND' },
      { kid: r.second, opened: 'invoice 1005' },
    ]);
    expect(lines).toContain(`14:00 rotator published key ${r.second}`);
    expect(lines).toContain(`17:30 rotator erased key ${r.first}`);
    expect(r.brokerSaw).toHaveLength(5);
    for (const envelope of r.brokerSaw) {
      expect(Buffer.from(envelope).includes('invoice')).toBe(false);
    }
  });
});
