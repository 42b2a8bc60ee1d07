/**
 * The adapter conformance suite for the stores that need no external service:
 * the JSON file (tampered by rewriting the file itself) and HTTP (a real
 * server on loopback whose backing store is tampered with).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toBase64url } from '@blindwire/core';
import { afterAll, beforeAll, describe } from 'vitest';
import { createFileStore } from '../src/stores/file-store.js';
import { createDirectoryHandler, createHttpStore } from '../src/stores/http.js';
import { createMemoryStore, recordId } from '../src/index.js';
import { runStoreConformance } from './helpers/conformance.js';

describe('file store conformance', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-conf-file-'));
  let n = 0;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  runStoreConformance(() => {
    const path = join(dir, `directory-${n++}.json`);
    const store = createFileStore(path, { watch: false });
    return {
      store,
      // The attacker edits the JSON document on disk, replacing the record's bytes.
      rawOverwrite: async (name, id, bytes) => {
        const doc = JSON.parse(readFileSync(path, 'utf8')) as {
          v: 1;
          records: Record<string, string[]>;
        };
        const list = doc.records[name]!;
        const i = list.findIndex((r) => recordId(Buffer.from(r, 'base64url')) === id);
        if (i < 0) throw new Error('record to overwrite not found');
        list[i] = toBase64url(bytes);
        writeFileSync(path, JSON.stringify(doc));
      },
    };
  });
});

describe('HTTP store conformance (real server on loopback)', () => {
  const servers: Server[] = [];
  const backing: ReturnType<typeof createMemoryStore>[] = [];
  const urls: string[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const mem = createMemoryStore();
      const handler = createDirectoryHandler(mem);
      const server = createServer(handler.node);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      backing.push(mem);
      urls.push(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/blindwire/directory`,
      );
    }
  });
  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
  });
  let n = 0;
  runStoreConformance(() => {
    const i = n++;
    const mem = backing[i]!;
    const client = createHttpStore(urls[i]!);
    return {
      // Reads go over HTTP; publishing goes to the store behind the server.
      store: {
        ...client,
        kind: 'http',
        list: (name) => client.list(name),
        put: (name, r) => mem.put(name, r),
      },
      rawOverwrite: async (name, id, bytes) => {
        mem.raw.get(name)!.set(id, bytes);
      },
    };
  });
});
