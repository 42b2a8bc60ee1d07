/**
 * `blindwire directory serve`: the directory's HTTP handler
 * (`createDirectoryHandler`) over a store, on `node:http`. Clients read it
 * with `createHttpStore(url)` or `--store <url>`. The server holds no keys and
 * serves only signed records; it stops cleanly on SIGINT or SIGTERM (or when
 * `io.signal` aborts), closing idle keep-alive connections and the store.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BlindwireError, ErrorCode } from '@blindwire/core';
import { DEFAULT_BASE_PATH, createDirectoryHandler } from '@blindwire/directory/http';
import { UsageError, flag, optList, optString, type CommandSpec, type Context } from '../args.js';
import { printJson, println } from '../io.js';
import { openStore, parseStore } from '../stores.js';
import { JSON_OPTION, STORE_OPTION, durationOption, portOption } from '../values.js';

export const directoryServe: CommandSpec = {
  name: 'directory serve',
  summary: 'Serve a store over HTTP for createHttpStore / --store http://... clients.',
  usage:
    '--store STORE [--host 127.0.0.1] [--port 8080] [--base-path PATH] [--max-age S] [--cors ORIGIN]... [--json]',
  description: [
    `GET <base-path>/<url-encoded name> answers the identity's signed records as JSON, with an ETag and Cache-Control. ` +
      'Runs until SIGINT or SIGTERM. Put TLS in front of it (a reverse proxy) for anything but localhost.',
  ],
  positionals: { name: '', min: 0, max: 0 },
  options: {
    store: STORE_OPTION,
    host: {
      type: 'string',
      value: 'HOST',
      description: 'Address to listen on. Default 127.0.0.1.',
    },
    port: {
      type: 'string',
      short: 'p',
      value: 'PORT',
      description: 'Port to listen on; 0 picks a free one. Default 8080.',
    },
    'base-path': {
      type: 'string',
      value: 'PATH',
      description: `Path prefix. Default ${DEFAULT_BASE_PATH}.`,
    },
    'max-age': {
      type: 'string',
      value: 'S',
      description: 'Cache-Control max-age, seconds. Default 60.',
    },
    cors: {
      type: 'string',
      multiple: true,
      value: 'ORIGIN',
      description:
        'Let browser pages on ORIGIN (https://app.example) read the directory (CORS); repeat for more, or "*" for any origin. Default: no cross-origin reads.',
    },
    json: { ...JSON_OPTION, description: 'Print the listening URL as JSON.' },
  },
  examples: ['blindwire directory serve --store file:./directory.json --port 8080'],
  async run(ctx) {
    const storeSpec = parseStore(ctx);
    const host = optString(ctx, 'host') ?? '127.0.0.1';
    const port = portOption(ctx, 'port', 8080);
    const basePath = optString(ctx, 'base-path') ?? DEFAULT_BASE_PATH;
    const maxAge = durationOption(ctx, 'max-age');
    const corsList = optList(ctx, 'cors');
    for (const o of corsList) {
      if (o !== '*' && !/^https?:\/\/[^/]+$/.test(o)) {
        throw new UsageError(
          `--cors expected "*" or an origin like https://app.example, got ${JSON.stringify(o)}`,
          ctx.command,
        );
      }
    }
    const cors = corsList.includes('*')
      ? ('*' as const)
      : corsList.length > 0
        ? corsList
        : undefined;
    const opened = await openStore(ctx, storeSpec);
    try {
      const handler = createDirectoryHandler(opened.store, {
        basePath,
        ...(maxAge === undefined ? {} : { maxAge }),
        ...(cors === undefined ? {} : { cors }),
      });
      const server = createServer(handler.node);
      await listen(server, port, host);
      const addr = server.address() as AddressInfo;
      const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      const url = `http://${shown}:${addr.port}${basePath.replace(/\/+$/, '')}`;
      if (flag(ctx, 'json')) printJson(ctx.io.stdout, { url, store: opened.label });
      else println(ctx.io.stdout, `serving ${opened.label} at ${url}`);
      const reason = await stopped(ctx);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      println(ctx.io.stderr, `stopped (${reason})`);
      return 0;
    } finally {
      await opened.close();
    }
  },
};

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) =>
      reject(
        new BlindwireError(
          ErrorCode.Transport,
          `cannot listen on ${host}:${port} (${e.code ?? 'error'})`,
          { cause: e },
        ),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Resolves with the reason once the server should stop. */
function stopped(ctx: Context): Promise<string> {
  return new Promise((resolve) => {
    const signal = ctx.io.signal;
    if (signal) {
      if (signal.aborted) resolve('aborted');
      else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
      return;
    }
    const stop = (name: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(name);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
