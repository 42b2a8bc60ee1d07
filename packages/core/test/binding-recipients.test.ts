/**
 * The publish-side helpers every binding shares (src/binding/recipients.ts):
 * `to` resolved to recipients, and a caller's message id read.
 */
import { describe, expect, it } from 'vitest';
import { expectCode } from '@blindwire/testkit';
import { messageIdOption, resolveRecipients } from '../src/binding/recipients.js';
import { BlindwireError } from '../src/errors.js';

const key = { kid: 'k1', publicKey: new Uint8Array(32) };

describe('resolveRecipients', () => {
  it('hands the resolver the bound context, so a per-context policy applies; bytes are left out', async () => {
    const seen: unknown[] = [];
    const r = (n: string, o: unknown) => (seen.push([n, o]), key);
    await resolveRecipients(['bob', 'carol'], r, 'blindwire/nats/v1 payments.eu');
    await resolveRecipients('bob', r, null);
    await resolveRecipients('bob', r, new Uint8Array([1]));
    await resolveRecipients('bob', r);
    expect(seen).toEqual([
      ['bob', { context: 'blindwire/nats/v1 payments.eu' }],
      ['carol', { context: 'blindwire/nats/v1 payments.eu' }],
      ['bob', { context: null }],
      ['bob', {}],
      ['bob', {}],
    ]);
  });

  it('keeps keys as given and resolves names in order', async () => {
    expect(await resolveRecipients(key, undefined)).toEqual([key]);
    const other = { kid: 'k2', publicKey: new Uint8Array(32).fill(1) };
    expect(await resolveRecipients(['bob', key], (n) => (n === 'bob' ? other : key))).toEqual([
      other,
      key,
    ]);
  });

  it('a batch resolver gets every name of one publish at once, with the context, keys kept in place', async () => {
    const seen: unknown[] = [];
    const a = { kid: 'a', publicKey: new Uint8Array(32) };
    const b = { kid: 'b', publicKey: new Uint8Array(32) };
    const one = () => {
      throw new Error('the per-name resolver must not be called when a batch resolver is given');
    };
    const many = (names: string[], o: unknown) => (seen.push([names, o]), [a, b]);
    expect(await resolveRecipients(['bob', key, 'carol'], one, 'ctx', many)).toEqual([a, key, b]);
    await expectCode(resolveRecipients(['bob'], one, null, many), 'ERR_TRANSPORT'); // 2 answers for 1 name
    expect(seen).toEqual([
      [['bob', 'carol'], { context: 'ctx' }],
      [['bob'], { context: null }],
    ]);
    // Not an array, or a thrown error: ERR_TRANSPORT; a BlindwireError passes unchanged.
    await expectCode(
      resolveRecipients('bob', undefined, null, () => a as never),
      'ERR_TRANSPORT',
    );
    const own = new BlindwireError('ERR_UNSUPPORTED_SUITE', 'no X-Wing key');
    expect(
      await resolveRecipients('bob', undefined, null, () => Promise.reject(own)).catch((x) => x),
    ).toBe(own);
    // Keys only: no resolver is called.
    expect(await resolveRecipients([key], one, 'ctx', many)).toEqual([key]);
    expect(seen).toHaveLength(2);
  });

  it('no recipient, or a name without a resolver: ERR_INVALID_ARGUMENT', async () => {
    await expectCode(resolveRecipients(undefined, undefined), 'ERR_INVALID_ARGUMENT');
    await expectCode(resolveRecipients(null, undefined), 'ERR_INVALID_ARGUMENT');
    await expectCode(resolveRecipients('bob', undefined), 'ERR_INVALID_ARGUMENT');
  });

  it("a resolver's own error is ERR_TRANSPORT with it as the cause; a BlindwireError passes unchanged", async () => {
    const boom = new Error('down');
    const e = await resolveRecipients('bob', () => Promise.reject(boom)).catch((x) => x);
    expect(e).toBeInstanceOf(BlindwireError);
    expect(e.code).toBe('ERR_TRANSPORT');
    expect(e.cause).toBe(boom);
    const own = new BlindwireError('ERR_KEY_NOT_FOUND', 'no key');
    expect(await resolveRecipients('bob', () => Promise.reject(own)).catch((x) => x)).toBe(own);
  });
});

describe('messageIdOption', () => {
  it('accepts 16 bytes or 32 lowercase hex digits, refuses anything else', () => {
    const id = new Uint8Array(16).fill(0xab);
    expect(messageIdOption(undefined)).toBeUndefined();
    expect(messageIdOption(id)).toBe(id);
    expect(messageIdOption('ab'.repeat(16))).toEqual(id);
    for (const bad of ['AB'.repeat(16), 'ab'.repeat(15), 'zz'.repeat(16), 42 as never])
      expect(() => messageIdOption(bad)).toThrow(/"messageId" expected/);
  });
});
