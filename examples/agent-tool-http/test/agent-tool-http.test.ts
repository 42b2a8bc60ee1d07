/**
 * The agent-tool-http example end to end, on the built packages (`pnpm
 * build`): the tool got the plaintext and the verified agent, the agent the
 * tool's answer, and the logging proxy, which kept every byte it carried,
 * holds no window of any plaintext nor the agent's name; the captured request
 * replayed is ERR_REPLAY, sent to another route ERR_CONTEXT_MISMATCH.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createBlindnessSpy } from '@blindwire/testkit';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module of the example
import { AGENT, TOOL, runAgentToolHttp } from '../demo.mjs';

interface Entry {
  method: string;
  url: string;
  status: number;
  requestHeaders: Record<string, string>;
  requestBody: Buffer;
  responseHeaders: Record<string, string>;
  responseBody: Buffer;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const script = fileURLToPath(new URL('../index.mjs', import.meta.url));

describe('examples/agent-tool-http', () => {
  it('the tool gets the plaintext and the verified agent; the proxy log holds only ciphertext', async () => {
    const r = await runAgentToolHttp();
    expect(r.directoryRecords).toBe(4);
    expect(r.toolSaw).toHaveLength(1);
    expect(r.toolSaw[0]).toMatchObject({
      sender: AGENT,
      route: 'POST /tools/payments/refund',
      idempotencyKey: 'idem-5f1c-secret',
      body: r.request,
    });
    expect(r.agentSaw.status).toBe(200);
    expect(r.agentSaw.contentType).toBe('application/json');
    expect(JSON.parse(r.agentSaw.body)).toMatchObject({ status: 'refunded', order: 'A-1042' });
    expect(r.replay).toEqual({ status: 400, code: 'ERR_REPLAY' });
    expect(r.moved).toEqual({ status: 400, code: 'ERR_CONTEXT_MISMATCH' });

    const log = r.proxyLog as Entry[];
    expect(log).toHaveLength(1);
    const e = log[0]!;
    expect(e.requestHeaders['content-type']).toBe('application/vnd.blindwire.envelope');
    expect(e.responseHeaders['content-type']).toBe('application/vnd.blindwire.response');
    expect(e.responseHeaders['cache-control']).toBe('no-store');
    expect(e.responseHeaders['etag']).toBeUndefined();
    expect(e.requestHeaders['x-idempotency-key']).toBeUndefined();
    const plaintexts = [r.request, r.agentSaw.body, 'idem-5f1c-secret'].map(utf8);
    const spy = createBlindnessSpy(plaintexts, [AGENT]);
    spy.scan({ where: 'proxy: request body', body: e.requestBody });
    spy.scan({ where: 'proxy: response body', body: e.responseBody });
    spy.scan({
      where: 'proxy: request line and headers',
      body: utf8(JSON.stringify([e.method, e.url, e.requestHeaders, e.responseHeaders])),
    });
    expect(spy.scanned.bytes).toBeGreaterThan(500);
    expect(spy.findings).toEqual([]);
    // The spy is live: what the tool saw would be found.
    const control = createBlindnessSpy(plaintexts, [AGENT]);
    control.scan({ where: 'control', body: utf8(`${r.toolSaw[0].body} ${AGENT}`) });
    expect(control.findings.length).toBeGreaterThan(0);
    expect(TOOL).not.toBe(AGENT);
  });

  it('runs as a script and prints what each side saw', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 30_000 });
    expect(stdout).toContain('plaintext or caller visible to the proxy: no');
    expect(stdout).toContain(`from ${AGENT}`);
    expect(stdout).toContain('REPLAY of the captured request: 400 ERR_REPLAY');
    expect(stdout).toContain('/tools/payments/payout: 400 ERR_CONTEXT_MISMATCH');
    expect(stdout).toContain("The tool's handler ran 1 time(s).");
  });
});
