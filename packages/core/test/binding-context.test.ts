/**
 * The canonical binding context (SPEC.md §11b): the vectors of
 * test-vectors/binding-contexts.json byte for byte, the refusals with their
 * codes, and an envelope sealed for one destination that fails to open for
 * another destination or another transport (ERR_CONTEXT_MISMATCH).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCodeSync, expectCode } from '@blindwire/testkit';
import { toHex, utf8 } from '../src/bytes.js';
import {
  BINDINGS,
  bindingContext,
  isBindingName,
  type BindingName,
} from '../src/binding/context.js';
import { amqpDestination, httpDestination, mcpDestination } from '../src/binding/destinations.js';
import { open } from '../src/envelope/open.js';
import { seal } from '../src/envelope/seal.js';
import type { Limits } from '../src/limits.js';
import { publicIdentity } from '../src/identity/identity.js';
import { NOW, cast, fastestBackend, trusted, type Cast } from './helpers/fixtures.js';

interface Parts {
  exchange?: string;
  routingKey?: string;
  method?: string;
  target?: string;
  name?: string;
}
interface ContextVectors {
  version: number;
  valid: {
    binding: BindingName;
    destination: string;
    parts?: Parts;
    limits?: Partial<Limits>;
    context: string;
    hex: string;
  }[];
  invalid: { binding: string; destination: string; limits?: Partial<Limits>; code: string }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../../test-vectors/binding-contexts.json', import.meta.url), 'utf8'),
) as ContextVectors;

function fromParts(binding: BindingName, p: Parts): string {
  if (binding === 'amqp') return amqpDestination(p.exchange!, p.routingKey!);
  if (binding === 'http') return httpDestination(p.method!, p.target!);
  return mcpDestination(p.method!, p.name);
}

describe('binding contexts: the vectors (test-vectors/binding-contexts.json)', () => {
  it('has cases for every binding, valid and refused', () => {
    expect(vectors.version).toBe(1);
    for (const b of BINDINGS) {
      expect(vectors.valid.some((v) => v.binding === b)).toBe(true);
      expect(vectors.invalid.some((v) => v.binding === b)).toBe(true);
    }
    expect(vectors.invalid.some((v) => v.code === 'ERR_LIMIT_EXCEEDED')).toBe(true);
  });

  it.each(vectors.valid.map((v) => [`${v.binding} ${v.destination}`, v] as const))(
    'derives %s byte for byte',
    (_name, v) => {
      const context = bindingContext(v.binding, v.destination, { limits: v.limits });
      expect(context).toBe(v.context);
      expect(toHex(utf8(context))).toBe(v.hex);
      if (v.parts) expect(fromParts(v.binding, v.parts)).toBe(v.destination);
    },
  );

  it.each(
    vectors.invalid.map((v) => [`${v.binding} ${JSON.stringify(v.destination)}`, v] as const),
  )('refuses %s', (_name, v) => {
    const code = errorCodeSync(() =>
      bindingContext(v.binding as BindingName, v.destination, { limits: v.limits }),
    );
    expect(code).toBe(v.code);
  });
});

describe('bindingContext (SPEC.md §11b)', () => {
  it('is `blindwire/<binding>/v1 <destination>` for any Redis key without controls', () => {
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 1, maxLength: 200, unit: 'grapheme' })
          .filter(
            (s) =>
              ![...s].some(
                (ch) =>
                  ch.charCodeAt(0) <= 0x1f ||
                  (ch.charCodeAt(0) >= 0x7f && ch.charCodeAt(0) <= 0x9f),
              ),
          ),
        (key) => {
          const context = bindingContext('redis', key);
          expect(context).toBe(`blindwire/redis/v1 ${key}`);
          // The binding and the destination are recovered: no two inputs share a context.
          const m = /^blindwire\/([a-z]+)\/v1 (.*)$/su.exec(context)!;
          expect([m[1], m[2]]).toEqual(['redis', key]);
        },
      ),
    );
  });

  it('refuses a control character in any binding', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BINDINGS),
        fc.integer({ min: 0, max: 0x9f }).filter((c) => c < 0x20 || c >= 0x7f),
        (binding, c) => {
          const d =
            binding === 'http' ? `GET /a${String.fromCharCode(c)}` : `a${String.fromCharCode(c)}/b`;
          expect(errorCodeSync(() => bindingContext(binding, d))).toBe('ERR_INVALID_ARGUMENT');
        },
      ),
    );
  });

  it('bounds the whole context by maxContextBytes, in UTF-8 bytes', async () => {
    const dest = `x${'é'.repeat(2038)}`; // 19 + 1 + 4076 = 4096 bytes: the default limit
    expect(utf8(bindingContext('redis', dest)).length).toBe(4096);
    await expectCode(() => bindingContext('redis', `${dest}x`), 'ERR_LIMIT_EXCEEDED');
    await expectCode(
      () => bindingContext('redis', 'x', { limits: { maxContextBytes: 0 } }),
      'ERR_INVALID_ARGUMENT',
      /limits\.maxContextBytes/,
    );
  });

  it('names the parameter it refuses', async () => {
    await expectCode(
      () => bindingContext('NATS' as never, 'a'),
      'ERR_INVALID_ARGUMENT',
      /"binding"/,
    );
    await expectCode(
      () => bindingContext('nats', 7 as never),
      'ERR_INVALID_ARGUMENT',
      /"destination"/,
    );
    await expectCode(() => bindingContext('nats', 'a.*'), 'ERR_INVALID_ARGUMENT', /wildcard/);
    expect(isBindingName('kafka')).toBe(true);
    expect(isBindingName('jetstream')).toBe(false);
  });

  it('writes destinations from their parts, refusing what cannot be written', async () => {
    expect(amqpDestination('', 'q')).toBe('/q');
    expect(httpDestination('PUT', '/a/b?c=d#e')).toBe('PUT /a/b');
    expect(mcpDestination('prompts/get', 'summary')).toBe('prompts/get summary');
    await expectCode(() => amqpDestination('a/b', 'c'), 'ERR_INVALID_ARGUMENT', /"exchange"/);
    await expectCode(() => httpDestination('GET', 'tools'), 'ERR_INVALID_ARGUMENT', /"target"/);
    await expectCode(() => httpDestination('G T', '/'), 'ERR_INVALID_ARGUMENT', /"method"/);
    await expectCode(() => mcpDestination('tools/call', ''), 'ERR_INVALID_ARGUMENT', /"name"/);
    await expectCode(() => mcpDestination('a b'), 'ERR_INVALID_ARGUMENT', /"method"/);
  });
});

describe('an envelope crosses neither destinations nor transports (SPEC.md §11b, §7 step 17)', () => {
  const backend = fastestBackend();
  let c: Cast;
  beforeAll(async () => {
    c = await cast(backend);
  });

  it('opens under its own context and fails under another destination or binding', async () => {
    const here = bindingContext('nats', 'orders.created');
    const s = await seal('x', {
      sender: c.alice,
      recipients: publicIdentity(c.bob),
      context: here,
      now: NOW,
      backend,
    });
    const openWith = (context: string) =>
      open(s.envelope, {
        recipient: c.bob,
        context,
        trustedSenders: trusted(c.alice),
        now: NOW,
        backend,
      });
    await openWith(here);
    for (const other of [
      bindingContext('nats', 'orders.deleted'),
      bindingContext('kafka', 'orders.created'),
      bindingContext('mqtt', 'orders.created'),
      bindingContext('redis', 'orders.created'),
    ])
      await expectCode(openWith(other), 'ERR_CONTEXT_MISMATCH');
  });
});
