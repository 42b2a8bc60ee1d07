/**
 * The MCP example runs end to end: the tool gets the refund and the verified
 * agent, the agent its result, the intruder and the replay are refused, and
 * the logging proxy saw no plaintext and no agent name. Needs `pnpm build`
 * (it runs on the built packages).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../index.mjs', import.meta.url));

describe('examples/agent-tool-mcp', () => {
  it('seals the call through the logging proxy and refuses the intruder and the replay', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 30_000 });
    expect(stdout).toContain(
      'tool: refund 1234.56 EUR for A-1042 to DE89370400440532013000, asked by spiffe://example.org/agents/planner',
    );
    expect(stdout).toContain('agent: refunded, reference RF-A-1042-7731');
    expect(stdout).toContain(
      'intruder: refused, Blindwire: this caller is not allowed to call this tool',
    );
    expect(stdout).toContain('replay: refused, ERR_REPLAY');
    expect(stdout).toMatch(/proxy: logged \d+ bodies, \d+ bytes; plaintext or agent seen: none/);
    expect(stdout).toContain('"arguments":{"blindwire/envelope":"');
    expect(stdout.match(/^tool: /gm)).toHaveLength(1);
  });
});
