/**
 * Property tests of the HTTP binding (fast-check), the agent's sealedFetch
 * against the tool's Web-standard handler called in process: any body and
 * sealed headers round trip both ways, under any method and path, whose
 * context both ends derive alike (SPEC.md §11b); a request moved to another
 * method or path is always ERR_CONTEXT_MISMATCH, a flipped bit in a request
 * or a response is always refused with a code, and the handler never sees a
 * tampered body nor the agent a tampered answer (never partial plaintext).
 */
import { METHODS } from 'node:http';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { MediaType, isBlindwireError } from '@blindwire/core';
import {
  createSealedHandler,
  decodeRecord,
  encodeRecord,
  httpContext,
  sealedFetch,
  type FetchLike,
  type SealedCall,
  type SealedHandler,
  type SealedResponse,
} from '../src/index.js';
import { AGENT, TOOL, cast, listen, type Cast } from './helpers.js';

const RUNS = 60;

/** Codes a bit-flipped envelope may end in: parse errors, or the single failed-open code. */
const TAMPER_CODES = [
  'ERR_OPEN_FAILED',
  'ERR_ENVELOPE_MALFORMED',
  'ERR_UNSUPPORTED_VERSION',
  'ERR_UNSUPPORTED_SUITE',
  'ERR_KEY_NOT_FOUND',
  'ERR_LIMIT_EXCEEDED',
  'ERR_EXPIRED',
  'ERR_NOT_YET_VALID',
];

/** A path segment that URL parsing keeps as is: unreserved, sub-delims, `:@`, percent triplets. */
const segment = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@",
      ),
      fc
        .integer({ min: 0, max: 255 })
        .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`),
    ),
    { minLength: 1, maxLength: 12 },
  )
  .map((cs) => cs.join(''))
  .filter((s) => s !== '.' && s !== '..');
const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`);

/** A method token a fetch body may travel with (not GET/HEAD, not the ones fetch forbids). */
const method = fc
  .oneof(
    fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
    fc.stringMatching(/^[A-Z][A-Z-]{0,9}$/),
  )
  .filter((m) => !['GET', 'HEAD', 'CONNECT', 'TRACE', 'TRACK'].includes(m));

/** Sealed headers: distinct `x-` names and values without surrounding whitespace. */
const headerValue = fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/);
const headers = fc.uniqueArray(
  fc.tuple(fc.stringMatching(/^x-[a-z0-9][a-z0-9-]{0,14}$/), headerValue),
  { maxLength: 4, selector: ([n]) => n },
);
const body = fc.uint8Array({ maxLength: 2048 });
const status = fc.integer({ min: 200, max: 599 }).filter((s) => ![204, 205, 304].includes(s));

let c: Cast;
let seen: SealedCall[];
let handler: SealedHandler;
/** The handler answers with what the test put here for the next call. */
let answer: () => Response;

beforeAll(async () => {
  c = await cast();
  handler = createSealedHandler({
    recipient: c.tool.encryption,
    resolveSender: c.resolveSigningKey,
    routes: [{ path: '/**', allowedSenders: [AGENT] }],
    sealHeaders: ['x-r1', 'x-r2'],
    handler: (call) => {
      seen.push(call);
      return answer();
    },
  });
});

/** fetch straight into the handler, as a server would build the Request. */
const inProcess: FetchLike = (input, init) => handler(new Request(input, init));

/** A fetch that keeps the sealed request and answers nothing (the request never reaches the tool). */
function capture(): { f: FetchLike; sent: { url: string; init: RequestInit }[] } {
  const sent: { url: string; init: RequestInit }[] = [];
  return {
    sent,
    f: async (input, init) => {
      sent.push({ url: String(input), init: init! });
      return new Response(null, { status: 599 });
    },
  };
}

const agent = (f: FetchLike, sealHeaders: string[] = []) =>
  sealedFetch(f, { sender: c.agent, to: TOOL, resolveRecipient: c.resolveRecipient, sealHeaders });

const bytes = (init: RequestInit) => new Uint8Array(init.body as Uint8Array);

async function problemCode(res: Response): Promise<string> {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const p = (await res.json()) as Record<string, unknown>;
  expect(Object.keys(p).sort()).toEqual(['code', 'status', 'title', 'type']);
  return p.code as string;
}

describe('HTTP binding properties', () => {
  it('decodeRecord(encodeRecord(r)) = r', () => {
    fc.assert(
      fc.property(body, headers, (b, h) => {
        expect(decodeRecord(encodeRecord({ body: b, headers: h }), 'request')).toEqual({
          body: b,
          headers: h,
        });
      }),
      { numRuns: 500 },
    );
  });

  it('any body, sealed headers, method and path round trip both ways; both ends bind one context', async () => {
    await fc.assert(
      fc.asyncProperty(
        method,
        path,
        body,
        headers,
        body,
        status,
        headerValue,
        async (m, p, reqBody, reqHeaders, resBody, resStatus, r1) => {
          seen = [];
          answer = () =>
            new Response(resBody, {
              status: resStatus,
              headers: { 'content-type': 'application/x-answer', 'x-r1': r1, 'x-public': 'p' },
            });
          const res = await agent(
            inProcess,
            reqHeaders.map(([n]) => n),
          )(`http://tool.example${p}?q=1`, {
            method: m,
            headers: [['content-type', 'application/x-thing'], ...reqHeaders],
            body: reqBody,
          });
          expect(seen).toHaveLength(1);
          const call = seen[0]!;
          expect([call.method, call.path, call.sender]).toEqual([m, p, AGENT]);
          expect(call.body).toEqual(reqBody);
          const sealed: [string, string][] = [];
          call.headers.forEach((v, n) => sealed.push([n, v]));
          sealed.sort();
          const sent: [string, string][] = [...reqHeaders];
          if (reqBody.length > 0) sent.push(['content-type', 'application/x-thing']);
          expect(sealed).toEqual(sent.sort());
          // The sealed headers travelled in the seal only.
          for (const [n] of reqHeaders) expect(call.request.headers.get(n)).toBeNull();
          expect(httpContext(m, `${p}?q=1`)).toBe(`blindwire/http/v1 ${m} ${p}`);
          expect(res.status).toBe(resStatus);
          expect(res.headers.get('content-type')).toBe('application/x-answer');
          expect(res.headers.get('x-r1')).toBe(r1);
          // An unsealed header is not the tool's word: kept apart.
          expect(res.headers.get('x-public')).toBeNull();
          expect((res as SealedResponse).unsealedHeaders.get('x-public')).toBe('p');
          expect(new Uint8Array(await res.arrayBuffer())).toEqual(resBody);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a request sent to another method or path is ERR_CONTEXT_MISMATCH; the handler never runs', async () => {
    await fc.assert(
      fc.asyncProperty(method, path, method, path, body, async (m1, p1, m2, p2, b) => {
        fc.pre(m1 !== m2 || p1 !== p2);
        seen = [];
        const cap = capture();
        await agent(cap.f)(`http://tool.example${p1}`, { method: m1, body: b }).catch(
          () => undefined,
        );
        const { init } = cap.sent[0]!;
        const res = await handler(new Request(`http://tool.example${p2}`, { ...init, method: m2 }));
        expect(res.status).toBe(400);
        expect(await problemCode(res)).toBe('ERR_CONTEXT_MISMATCH');
        expect(seen).toHaveLength(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('a flipped bit anywhere in a request is refused with a code; the handler never runs', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.nat(), fc.integer({ min: 0, max: 7 }), async (b, at, bit) => {
        seen = [];
        const cap = capture();
        await agent(cap.f)('http://tool.example/tools/refund', { method: 'POST', body: b }).catch(
          () => undefined,
        );
        const { url, init } = cap.sent[0]!;
        const sealed = bytes(init);
        sealed[at % sealed.length]! ^= 1 << bit;
        const res = await handler(new Request(url, { ...init, body: sealed }));
        const code = await problemCode(res);
        expect(TAMPER_CODES).toContain(code);
        // 413 when the flip made a length pass a limit, else 400 (SPEC.md §9).
        expect(res.status).toBe(code === 'ERR_LIMIT_EXCEEDED' ? 413 : 400);
        expect(seen).toHaveLength(0);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('a flipped bit anywhere in a response is refused by the agent, never returned', async () => {
    await fc.assert(
      fc.asyncProperty(body, fc.nat(), fc.integer({ min: 0, max: 7 }), async (b, at, bit) => {
        answer = () => new Response(b);
        const tamper: FetchLike = async (input, init) => {
          const res = await inProcess(input, init);
          const raw = new Uint8Array(await res.arrayBuffer());
          raw[at % raw.length]! ^= 1 << bit;
          return new Response(raw, { status: res.status, headers: res.headers });
        };
        const err = await agent(tamper)('http://tool.example/tools/refund', {
          method: 'POST',
          body: 'x',
        }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isBlindwireError(err)).toBe(true);
        expect(TAMPER_CODES).toContain((err as { code: string }).code);
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

/** node:http's parser answers 400 itself to a method outside `http.METHODS`. */
const nodeMethod = fc.constantFrom(
  ...METHODS.filter((m) => !['GET', 'HEAD', 'CONNECT', 'TRACE'].includes(m)),
);

describe('over node:http', () => {
  it('any method node parses and any path survive the socket: the server recomputes the context the agent bound', async () => {
    const app = await listen(handler);
    try {
      await fc.assert(
        fc.asyncProperty(nodeMethod, path, body, async (m, p, b) => {
          seen = [];
          answer = () => new Response('ok');
          const res = await agent(fetch)(`${app.url}${p}`, { method: m, body: b });
          expect(await res.text()).toBe('ok');
          expect(seen.map((s) => [s.method, s.path])).toEqual([[m, p]]);
          expect(seen[0]!.body).toEqual(b);
        }),
        { numRuns: 25 },
      );
    } finally {
      await app.close();
    }
    expect(MediaType.Envelope).toBe('application/vnd.blindwire.envelope');
  });
});

describe('stream mode properties', () => {
  let streamHandler: SealedHandler;
  let released: Uint8Array[];

  beforeAll(() => {
    streamHandler = createSealedHandler({
      recipient: c.tool.encryption,
      resolveSender: c.resolveSigningKey,
      routes: [{ path: '/**', allowedSenders: [AGENT] }],
      identity: c.tool,
      resolveRecipient: c.resolveRecipient,
      handler: () => new Response('message mode'),
      streamHandler: async (call) => {
        try {
          for await (const chunk of call.body as unknown as AsyncIterable<Uint8Array>)
            released.push(chunk.slice());
          await call.verified;
        } catch {
          // the stream failed: the binding answers with a problem whatever we return
        }
        return new Response('handled');
      },
    });
  });

  /** Seals `b` in stream mode and returns the outer request's parts, fully read. */
  async function sealedStream(b: Uint8Array, chunkSize: number) {
    const cap: { url: string; init: RequestInit; bytes: Uint8Array }[] = [];
    const f: FetchLike = async (input, init) => {
      const bytes = new Uint8Array(await new Response(init!.body as BodyInit).arrayBuffer());
      cap.push({ url: String(input), init: init!, bytes });
      return new Response(null, { status: 599 });
    };
    await sealedFetch(f, {
      sender: c.agent,
      to: TOOL,
      resolveRecipient: c.resolveRecipient,
      keys: c.agent.encryption,
      resolveSender: c.resolveSigningKey,
      maxMessageBytes: 16,
      chunkSize,
    })('http://tool.example/tools/upload', { method: 'POST', body: b as BodyInit }).catch((e) => {
      if (cap.length === 0) throw e;
    });
    return cap[0]!;
  }

  const isPrefix = (part: Uint8Array, whole: Uint8Array) =>
    part.length <= whole.length && part.every((x, i) => x === whole[i]);
  const concat = (parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const streamBody = fc.uint8Array({ minLength: 17, maxLength: 5000 });
  const chunkSize = fc.constantFrom(1024, 2048);

  it('any body in any chunking reaches the handler whole, and only after it verified the call succeeds', async () => {
    await fc.assert(
      fc.asyncProperty(streamBody, chunkSize, async (b, size) => {
        released = [];
        const { url, init, bytes } = await sealedStream(b, size);
        expect(new Headers(init.headers).get('content-type')).toBe(MediaType.Stream);
        const res = await streamHandler(
          new Request(url, { method: 'POST', headers: init.headers, body: bytes as BodyInit }),
        );
        expect(res.status).toBe(200);
        expect(concat(released)).toEqual(b);
      }),
      { numRuns: 30 },
    );
  });

  it('a flipped bit anywhere in a stream fails the call; the handler got at most a prefix of the plaintext', async () => {
    await fc.assert(
      fc.asyncProperty(
        streamBody,
        chunkSize,
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        async (b, size, at, bit) => {
          released = [];
          const { url, init, bytes } = await sealedStream(b, size);
          bytes[at % bytes.length]! ^= 1 << bit;
          const res = await streamHandler(
            new Request(url, { method: 'POST', headers: init.headers, body: bytes as BodyInit }),
          );
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          expect(TAMPER_CODES).toContain(await problemCode(res));
          expect(isPrefix(concat(released), b)).toBe(true);
          expect(concat(released).length).toBeLessThan(b.length);
        },
      ),
      { numRuns: 60 },
    );
  });
});
