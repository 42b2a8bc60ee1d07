/**
 * The MQTT example runs end to end against the real Mosquitto (SPEC.md §7b):
 * every reading reaches the dashboard, the tampered copy is dead-lettered
 * with ERR_OPEN_FAILED, the sealed request is answered. Needs `pnpm build`
 * (it runs on the built packages).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { probeService } from '@blindwire/testkit';
import { describe, expect, it } from 'vitest';

const mosquitto = await probeService('mosquitto');
const script = fileURLToPath(new URL('../index.mjs', import.meta.url));

describe.skipIf(mosquitto.skip)('examples/mqtt-telemetry', () => {
  it('delivers the readings, dead-letters the tampered copy and answers the request', async () => {
    mosquitto.assertUp();
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 30_000 });
    expect(stdout).toMatch(
      /dashboard got 21\.5 C on factory\/\w+\/line-1\/temperature from spiffe:\/\/example\.org\/sensor\/line-1/,
    );
    expect(stdout).toContain('dashboard got 22.1 C');
    expect(stdout).toContain('dashboard got 19.9 C');
    expect(stdout).toContain('calibration: offset +0.25 C');
    expect(stdout).toMatch(
      /dead-lettered: ERR_OPEN_FAILED on bw-dlq\/factory\/\w+\/line-3\/temperature\n/,
    );
  });
});
