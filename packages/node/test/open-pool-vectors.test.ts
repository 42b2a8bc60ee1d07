/**
 * The open pool (src/open-pool.ts) against the project's envelope vectors
 * (SPEC.md §12): every message and response case, with pinned senders and
 * with a resolver, opened through a pool of each backend gives what core
 * `open` gives in the calling thread: the same payload, sender, kid, message
 * id, content type, claims and header, or the same error code and message
 * (ERR_OPEN_FAILED the fixed one, without a cause); a response case
 * re-seals byte for byte from the pool's result (the response state reached
 * the calling thread). Needs the built worker (`pnpm build`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageCase } from '@blindwire/testkit';
import {
  OPEN_FAILED_MESSAGE,
  fromHex,
  isBlindwireError,
  open,
  toHex,
  type OpenOptions,
  type OpenResult,
} from '@blindwire/core';
import { sealResponseWithId } from '@blindwire/core/internal';
import { createOpenPool, type OpenPool } from '../src/open-pool.js';
import type { PoolBackendName } from '../src/pool-wire.js';
import { worker } from './helpers/built-worker.js';
import { caseOpenOptions, messageCases, type Trust } from './helpers/vector-inputs.js';

type Outcome = { result: OpenResult; error?: undefined } | { result?: undefined; error: unknown };

async function attempt(f: () => Promise<OpenResult>): Promise<Outcome> {
  try {
    return { result: await f() };
  } catch (error) {
    return { error };
  }
}

/** What a caller can see of a result (the reservation aside). */
function visible(r: OpenResult) {
  return {
    payload: toHex(r.payload),
    sender: r.sender,
    senderKid: r.senderKid,
    messageId: r.messageId,
    contentType: r.contentType,
    header: r.header,
    reservation: r.reservation?.state,
  };
}

async function resealed(c: MessageCase, r: OpenResult, backend: OpenOptions['backend']) {
  const { envelope } = await sealResponseWithId(r, fromHex(c.response!.payload), {
    now: c.response!.now,
    ttl: c.response!.ttl,
    messageId: fromHex(c.response!.messageId),
    ...(c.response!.contentType !== undefined ? { contentType: c.response!.contentType } : {}),
    ...(c.response!.padding !== undefined ? { padding: c.response!.padding } : {}),
    backend,
  });
  return toHex(envelope);
}

describe.skipIf(worker.skip).each(['node', 'pure'] as PoolBackendName[])(
  'open pool, %s backend',
  (name) => {
    let pool: OpenPool;
    beforeAll(() => {
      worker.assertBuilt();
      pool = createOpenPool({ size: 1, backend: name });
    });
    afterAll(() => pool?.close());

    it('holds the vectors', () => {
      expect(messageCases.length).toBeGreaterThanOrEqual(25);
    });

    it.each(messageCases.map(({ file, c }) => [file, c] as const))('%s', async (file, c) => {
      for (const trust of ['trustedSenders', 'resolveSender'] as Trust[]) {
        const where = `${file} [${trust}]`;
        const o = () => caseOpenOptions<OpenOptions>(c, pool.backend, trust);
        const inThread = await attempt(async () => open(fromHex(c.envelope), await o()));
        const pooled = await attempt(async () => pool.open(fromHex(c.envelope), await o()));
        const e = c.expect;
        if (e.result === 'error') {
          expect(pooled.result, where).toBeUndefined();
          expect(isBlindwireError(pooled.error), `${where}: ${String(pooled.error)}`).toBe(true);
          const pe = pooled.error as Error & { code: string };
          const te = inThread.error as Error & { code: string };
          expect({ code: pe.code, message: pe.message }, where).toEqual({
            code: e.code,
            message: te.message,
          });
          if (e.code === 'ERR_OPEN_FAILED') {
            expect(pe.message, where).toBe(OPEN_FAILED_MESSAGE);
            expect(pe.cause, where).toBeUndefined();
          }
          continue;
        }
        expect(pooled.error, where).toBeUndefined();
        const r = pooled.result!;
        expect(visible(r), where).toEqual(visible(inThread.result!));
        expect(toHex(r.payload), where).toBe(e.payload);
        expect(r.sender, where).toBe(e.sender);
        if (c.response) {
          expect(await resealed(c, r, pool.backend), `${where}: re-sealed`).toBe(
            c.response.envelope,
          );
        }
      }
    });
  },
);
