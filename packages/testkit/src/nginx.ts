/**
 * A Debian nginx as a logging reverse proxy on loopback, for the blindness
 * tests: its own prefix, config and logs under a temp dir (never the system
 * config), a free port, the full request body in its access log, and a TCP
 * tap between nginx and the app that records every byte forwarded each way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCI } from './env.js';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

/** Whether to skip the nginx tests: missing nginx skips with one line, fails under CI=true. */
export function nginxSkip(): boolean {
  if (NGINX) return false;
  if (isCI()) throw new Error('nginx is required under CI=true (apt-get install -y nginx-light)');
  console.log('[skip] nginx not installed: apt-get install -y nginx-light');
  return true;
}

/** A TCP tap: forwards to `target`, recording the bytes of each direction. */
export interface Tap {
  port: number;
  toApp: Buffer[];
  toProxy: Buffer[];
  close(): Promise<void>;
}

export async function startTap(target: number): Promise<Tap> {
  const toApp: Buffer[] = [];
  const toProxy: Buffer[] = [];
  const server: Server = createServer((down) => {
    const up = connect(target, '127.0.0.1');
    down.on('data', (b: Buffer) => toApp.push(b));
    up.on('data', (b: Buffer) => toProxy.push(b));
    down.pipe(up);
    up.pipe(down);
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    toApp,
    toProxy,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface Nginx {
  port: number;
  dir: string;
  accessLog(): Buffer;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts nginx proxying to 127.0.0.1:`upstream`, logging method, URI, headers of interest and the full body. */
export async function startNginx(upstream: number): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-nginx-'));
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
  const port = await freePort();
  const conf = `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 64m;
  client_body_buffer_size 64m;
  log_format full escape=none '$request_method $request_uri status=$status ct=$content_type '
    'len=$content_length sent=$body_bytes_sent rct=$sent_http_content_type ua=$http_user_agent '
    'auth=$http_authorization body=$request_body';
  access_log ${dir}/access.log full;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${upstream};
      proxy_http_version 1.1;
      proxy_request_buffering on;
      proxy_buffering on;
    }
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(
    NGINX!,
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 100; i++) {
    if (await portOpen(port)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    dir,
    accessLog: () =>
      existsSync(join(dir, 'access.log')) ? readFileSync(join(dir, 'access.log')) : Buffer.alloc(0),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
