/**
 * The pure carrier of SPEC.md §11e: base64 round trips and strictness, the
 * sealed forms found only where they are exact, our `_meta` namespace
 * stripped, and `x-mcp-header` marks found and removed at any depth.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MediaType } from '@blindwire/core';
import {
  fromBase64,
  hasHeaderMark,
  isSealedArguments,
  sealedArguments,
  sealedBlobOfError,
  sealedBlobOfResult,
  sealedResult,
  stripMeta,
  toBase64,
  withoutHeaderMarks,
} from '../src/carrier.js';

describe('carrier', () => {
  it('base64 round-trips and matches the standard alphabet with padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const s = toBase64(b);
        expect(s).toBe(Buffer.from(b).toString('base64'));
        expect(fromBase64(s, 1024)).toEqual(b);
      }),
    );
  });

  it('base64 decoding is strict: no url alphabet, no whitespace, no missing padding, bounded', () => {
    for (const bad of ['QQ', 'QQ=', 'Q-==', 'QQ==\n', ' QQ==', 'QR=='])
      expect(() => fromBase64(bad, 1024)).toThrow(
        expect.objectContaining({ code: 'ERR_ENVELOPE_MALFORMED' }),
      );
    expect(() => fromBase64('QUFB'.repeat(100), 30)).toThrow(
      expect.objectContaining({ code: 'ERR_LIMIT_EXCEEDED' }),
    );
  });

  it('the sealed forms are recognised only when exact', () => {
    const env = new Uint8Array([1, 2, 3]);
    expect(isSealedArguments(sealedArguments(env))).toBe(true);
    expect(isSealedArguments({ ...sealedArguments(env), extra: 1 })).toBe(false);
    expect(isSealedArguments({ 'blindwire/envelope': 1 })).toBe(false);
    expect(isSealedArguments([])).toBe(false);
    const r = sealedResult(env);
    expect(sealedBlobOfResult(r)).toBe('AQID');
    const content = (r.content as { resource: Record<string, unknown> }[])[0]!;
    expect(content.resource.mimeType).toBe(MediaType.Response);
    expect(sealedBlobOfResult({ content: [content, content] })).toBeUndefined();
    expect(
      sealedBlobOfResult({
        content: [{ ...content, resource: { ...content.resource, uri: 'x:y' } }],
      }),
    ).toBeUndefined();
    expect(
      sealedBlobOfError({ code: 1, message: 'm', data: { 'blindwire/response': 'AQID' } }),
    ).toBe('AQID');
    expect(
      sealedBlobOfError({ code: 1, message: 'm', data: { code: 'ERR_REPLAY' } }),
    ).toBeUndefined();
  });

  it('our _meta namespace is stripped, other keys kept', () => {
    const p = {
      name: 't',
      _meta: { progressToken: 7, 'blindwire/caller': { sender: 'x' }, 'blindwire/other': 1 },
    };
    expect(stripMeta(p)).toEqual({ name: 't', _meta: { progressToken: 7 } });
    expect(stripMeta({ name: 't' })).toEqual({ name: 't' });
  });

  it('x-mcp-header marks are found and removed at any depth', () => {
    const leaf = fc.oneof(fc.string(), fc.integer(), fc.boolean());
    const schema = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(
          fc.constantFrom('type', 'properties', 'items', 'x-mcp-header', 'a', 'b'),
          tie('node'),
          {
            maxKeys: 4,
          },
        ),
      ),
    })).node;
    fc.assert(
      fc.property(schema, (s) => {
        const cleaned = withoutHeaderMarks(s);
        expect(hasHeaderMark(cleaned)).toBe(false);
        expect(JSON.stringify(cleaned).includes('"x-mcp-header":')).toBe(false);
        expect(hasHeaderMark(s)).toBe(JSON.stringify(s).includes('"x-mcp-header":'));
      }),
    );
  });
});
