/**
 * `directory serve` on port 0: a real HTTP GET of an identity's records, a
 * resolve through `--store http://...`, the read-only refusal, and a clean
 * stop when the signal aborts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandbox, type Result, type Sandbox } from './helpers/cli.js';

const NAME = 'spiffe://acme.example/agents/planner';
let sb: Sandbox;
let stop: AbortController;
let serving: Promise<Result>;
let url: string;

beforeAll(async () => {
  sb = await sandbox();
  await sb.ok([
    'anchor',
    'create',
    'root',
    '--out',
    'anchor.json',
    '--public-out',
    'anchor-public.json',
  ]);
  await sb.ok([
    'identity',
    'create',
    NAME,
    '--anchor',
    'anchor.json',
    '--out',
    'planner.json',
    '--store',
    'file:dir.json',
  ]);
  stop = new AbortController();
  let listening!: (u: string) => void;
  const ready = new Promise<string>((r) => (listening = r));
  serving = sb.cli(['directory', 'serve', '--store', 'file:dir.json', '--port', '0'], {
    signal: stop.signal,
    onStdout: (out) => {
      const m = /^serving file:dir\.json at (http:\/\/127\.0\.0\.1:\d+\S*)\n/.exec(out);
      if (m) listening(m[1]!);
    },
  });
  url = await Promise.race([
    ready,
    serving.then((r) => Promise.reject(new Error(`serve exited ${r.code}: ${r.stderr}`))),
  ]);
});

afterAll(async () => {
  stop?.abort();
  await serving?.catch(() => undefined);
  await sb.remove();
});

describe('directory serve', () => {
  it('prints the directory URL on the well-known path', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/blindwire\/directory$/);
    expect(url).not.toMatch(/:0\//);
  });

  it('answers a real GET with the signed records, an ETag and Cache-Control', async () => {
    const res = await fetch(`${url}/${encodeURIComponent(NAME)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toMatch(/^".+"$/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    const body = (await res.json()) as { v: number; name: string; records: string[] };
    expect(body.v).toBe(1);
    expect(body.name).toBe(NAME);
    expect(body.records).toHaveLength(2);
    const missing = await fetch(`${url}/${encodeURIComponent('spiffe://acme.example/nobody')}`);
    expect(missing.status).toBe(404);
    await missing.body?.cancel();
  });

  it('serves resolve --store http://...', async () => {
    const r = await sb.ok([
      'directory',
      'resolve',
      NAME,
      '--store',
      url,
      '--anchor',
      'anchor-public.json',
      '--json',
    ]);
    const planner = JSON.parse(
      await (await import('node:fs/promises')).readFile(sb.path('planner.json'), 'utf8'),
    );
    expect(JSON.parse(r.stdout).keys[0].kid).toBe(planner.encryption.kid);
  });

  it('an http store given as the bare origin uses the well-known path', async () => {
    const origin = new URL(url).origin;
    const r = await sb.cli([
      'directory',
      'resolve',
      NAME,
      '--store',
      origin,
      '--anchor',
      'anchor-public.json',
    ]);
    expect(r.code).toBe(0);
  });

  it('an http store is read-only: publishing through it is ERR_UNSUPPORTED', async () => {
    const r = await sb.cli([
      'revoke',
      '--kid',
      'AAAAAAAAAAAAAAAAAAAAAA',
      '--reason',
      'superseded',
      '--identity',
      'planner.json',
      '--store',
      url,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error ERR_UNSUPPORTED: http store is read-only/);
  });

  it('identity create against a read-only store says the identity file was written but not published', async () => {
    const r = await sb.cli([
      'identity',
      'create',
      'spiffe://acme.example/x',
      '--anchor',
      'anchor.json',
      '--out',
      'x.json',
      '--store',
      url,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'note: x.json was written, but its records were not published; run again with --force',
    );
    expect(r.stderr).toMatch(/error ERR_UNSUPPORTED: http store is read-only/);
  });

  it('--cors lets the given origin read the directory from a browser; a bad origin is a usage error', async () => {
    const bad = await sb.cli([
      'directory',
      'serve',
      '--store',
      'file:dir.json',
      '--cors',
      'app.example',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--cors expected/);
    const ctl = new AbortController();
    let listening!: (u: string) => void;
    const ready = new Promise<string>((r) => (listening = r));
    const run = sb.cli(
      [
        'directory',
        'serve',
        '--store',
        'file:dir.json',
        '--port',
        '0',
        '--cors',
        'https://app.example',
      ],
      {
        signal: ctl.signal,
        onStdout: (out) => {
          const m = /at (http:\/\/\S+)\n/.exec(out);
          if (m) listening(m[1]!);
        },
      },
    );
    try {
      const u = await Promise.race([ready, run.then((r) => Promise.reject(new Error(r.stderr)))]);
      const res = await fetch(`${u}/${encodeURIComponent(NAME)}`, {
        headers: { origin: 'https://app.example' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
      await res.body?.cancel();
      // The shared server of this file runs without --cors: no header there.
      const plain = await fetch(`${url}/${encodeURIComponent(NAME)}`, {
        headers: { origin: 'https://app.example' },
      });
      expect(plain.headers.get('access-control-allow-origin')).toBeNull();
      await plain.body?.cancel();
    } finally {
      ctl.abort();
      expect((await run).code).toBe(0);
    }
  });

  it('stops cleanly when the signal aborts', async () => {
    stop.abort();
    const r = await serving;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('stopped (aborted)');
    await expect(fetch(`${url}/${encodeURIComponent(NAME)}`)).rejects.toThrow();
  });

  it('a port in use is ERR_TRANSPORT', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await sb.cli([
        'directory',
        'serve',
        '--store',
        'file:dir.json',
        '--port',
        String(port),
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^error ERR_TRANSPORT: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/,
      );
    } finally {
      blocker.close();
    }
  });
});
