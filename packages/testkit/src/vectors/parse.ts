/**
 * The validating parser of test-vector case files and of index.json
 * (test-vectors/README.md, SPEC.md §12): a file that does not follow the
 * documented format is refused with a `VectorCaseError` naming the field,
 * before any opener sees it. A file that parses is returned as it was read,
 * typed. The parser checks the format, never the outcome: whether a case
 * opens as it says is for core's tests, the CLI and the generator.
 */
import {
  VectorCaseError,
  array,
  base64url,
  fail,
  hex,
  integer,
  object,
  oneOf,
  onlyKeys,
  string,
  type Json,
} from './fields.js';
import { parseCaller } from './response-caller.js';
import {
  LIMIT_NAMES,
  SUITE_NAMES,
  type CaseKind,
  type VectorCase,
  type VectorIndex,
} from './types.js';

/**
 * `spec` (README "File format"): SPEC.md references separated by ", ", each
 * a section sign and section number, optionally a range of sections or the
 * step or rule it tests (`§7 step 12`, `§7a.5 steps 9-10`, `§3.1 rule 6`,
 * `§7a.1-§7a.4`); the first is what the case tests.
 */
const SPEC_REFERENCE = String.raw`§\d+[a-z]?(?:\.\d+)*(?:-§\d+[a-z]?(?:\.\d+)*| (?:steps?|rules?) \d+(?:-\d+)?)?`;
export const SPEC_REFERENCES = new RegExp(`^${SPEC_REFERENCE}(?:, ${SPEC_REFERENCE})*$`);

/** A case file name: three digits, a dash and a kebab-case name. */
export const CASE_FILE = /^\d{3}-[a-z0-9-]+\.json$/;
export const INDEX_FILE = 'index.json';

const KINDS: readonly CaseKind[] = ['message', 'response', 'stream'];
const INPUTS = [
  'recipient',
  'trustedSenders',
  'context',
  'now',
  'clockSkew',
  'maxAge',
  'allowedSenders',
  'allowedSuites',
  'limits',
  'seenMessageIds',
];
const MESSAGE_FIELDS = ['description', 'spec', 'kind', 'envelope', 'expect', 'intermediates'];
const STREAM_FIELDS = ['description', 'spec', 'kind', 'stream', 'chunkSize', 'splits', 'expect'];
const MESSAGE_INTERMEDIATES = ['messageSecret', 'contentKey', 'inner'];
const STREAM_INTERMEDIATES = [
  'messageSecret',
  'streamKey',
  'headerHash',
  'meta',
  'bodyHash',
  'signature',
];

function strings(o: Json, key: string, check: (v: Json, k: string) => unknown): void {
  const items = array(o, key);
  items.forEach((_, i) => check(items as unknown as Json, String(i)));
}

/** The opener's inputs (README "File format"). */
function parseInputs(c: Json, stream: boolean): void {
  array(c, 'recipient').forEach((k, i) => {
    const path = `recipient.${i}`;
    const key = object(k, path);
    onlyKeys(key, path, ['kid', 'publicKey', 'privateKey']);
    base64url(key, 'kid', path);
    // X25519 (32 bytes) or X-Wing (1216 bytes, SPEC.md §5.4); the private key is 32 bytes in both.
    if (hex(key, 'publicKey', path).length !== 2 * 1216) hex(key, 'publicKey', path, 32);
    hex(key, 'privateKey', path, 32);
  });
  array(c, 'trustedSenders').forEach((d, i) => object(d, `trustedSenders.${i}`));
  hex(c, 'context');
  integer(c, 'now', '', 0);
  integer(c, 'clockSkew', '', 0);
  if (c['maxAge'] !== undefined) integer(c, 'maxAge', '', 0);
  if (c['allowedSenders'] !== undefined)
    strings(c, 'allowedSenders', (a, k) => string(a, k, 'allowedSenders'));
  if (c['allowedSuites'] !== undefined)
    strings(c, 'allowedSuites', (a, k) => oneOf(a, k, SUITE_NAMES, 'allowedSuites'));
  if (c['seenMessageIds'] !== undefined)
    strings(c, 'seenMessageIds', (a, k) => hex(a, k, 'seenMessageIds', 16));
  if (c['limits'] !== undefined) {
    const limits = object(c['limits'], 'limits');
    // The stream limits of SPEC.md §7a.7 only in stream cases (README "limits").
    onlyKeys(
      limits,
      'limits',
      stream
        ? LIMIT_NAMES
        : LIMIT_NAMES.filter((n) => n !== 'maxChunkBytes' && n !== 'maxStreamBytes'),
    );
    for (const k of Object.keys(limits)) integer(limits, k, 'limits', 0);
  }
}

/** README: `{ result: "success", payload, sender, senderKid, messageId, contentType?, claims? }` or an error. */
function parseExpect(c: Json, stream: boolean): void {
  const e = object(c['expect'], 'expect');
  if (oneOf(e, 'result', ['success', 'error'] as const, 'expect') === 'error') {
    onlyKeys(e, 'expect', stream ? ['result', 'code', 'releasable'] : ['result', 'code']);
    if (!/^ERR_[A-Z0-9_]+$/.test(string(e, 'code', 'expect')))
      fail('expect.code', 'an error code (ERR_...)', e['code']);
    if (stream) hex(e, 'releasable', 'expect');
    return;
  }
  const fields = ['result', 'payload', 'sender', 'senderKid', 'messageId', 'contentType', 'claims'];
  onlyKeys(e, 'expect', fields);
  hex(e, 'payload', 'expect');
  string(e, 'sender', 'expect');
  base64url(e, 'senderKid', 'expect');
  hex(e, 'messageId', 'expect', 16);
  if (e['contentType'] !== undefined) string(e, 'contentType', 'expect');
  if (e['claims'] !== undefined) {
    const claims = object(e['claims'], 'expect.claims');
    for (const [k, v] of Object.entries(claims))
      if (typeof v !== 'string' && !Number.isSafeInteger(v))
        fail(`expect.claims.${k}`, 'a string or an integer', v);
  }
}

function parseHexObject(c: Json, key: string, fields: string[]): void {
  if (c[key] === undefined) return;
  const o = object(c[key], key);
  onlyKeys(o, key, fields);
  for (const f of fields) hex(o, f, key);
}

/** README "Response cases": the responder's side, `response`, and the caller's, `caller`. */
function parseResponseCase(c: Json): void {
  if (c['response'] === undefined && c['caller'] === undefined)
    fail('response', 'an object (the responder side), or a "caller" object', undefined);
  if (c['response'] !== undefined) parseResponse(c);
  if (c['caller'] !== undefined) parseCaller(c);
}

function parseResponse(c: Json): void {
  const r = object(c['response'], 'response');
  const hexes = ['payload', 'messageId', 'envelope', 'responseSecret', 'responseKey'];
  onlyKeys(r, 'response', [...hexes, 'now', 'ttl', 'contentType', 'padding']);
  for (const f of hexes) hex(r, f, 'response');
  integer(r, 'now', 'response', 0);
  integer(r, 'ttl', 'response', 0);
  if (r['contentType'] !== undefined) string(r, 'contentType', 'response');
  if (r['padding'] !== undefined) oneOf(r, 'padding', ['padme', 'none'] as const, 'response');
}

/** README "Stream cases": `splits` are ascending offsets strictly inside `stream`. */
function parseStream(c: Json): void {
  const length = hex(c, 'stream').length / 2;
  if (c['chunkSize'] !== undefined) integer(c, 'chunkSize', '', 0);
  const splits = array(c, 'splits');
  splits.forEach((_, i) => {
    const o = integer(splits as unknown as Json, String(i), 'splits', 1);
    const previous = i === 0 ? 0 : (splits[i - 1] as number);
    if (o <= previous || o >= length)
      fail(`splits.${i}`, `an offset above ${previous} and below the stream's ${length} bytes`, o);
  });
}

/**
 * Checks one parsed JSON value against the case file format and returns it,
 * typed; throws a `VectorCaseError` (prefixed with `file` when given) naming
 * the first field that does not follow test-vectors/README.md. A field the
 * format does not have is refused (a misspelt input must not be ignored).
 * `intermediates` is informative and not tied to the outcome: a case whose
 * `expect` was edited to an error keeps parsing, and fails as a case.
 */
export function parseVectorCase(json: unknown, file?: string): VectorCase {
  try {
    const c = object(json, 'case');
    string(c, 'description');
    if (!SPEC_REFERENCES.test(string(c, 'spec')))
      fail('spec', 'SPEC.md references such as "§7 step 12, §4.3"', c['spec']);
    const kind = oneOf(c, 'kind', KINDS);
    const stream = kind === 'stream';
    onlyKeys(c, '', [
      ...(stream ? STREAM_FIELDS : MESSAGE_FIELDS),
      ...INPUTS,
      ...(stream ? ['intermediates'] : kind === 'response' ? ['response', 'caller'] : []),
    ]);
    parseInputs(c, stream);
    if (stream) parseStream(c);
    else hex(c, 'envelope');
    parseExpect(c, stream);
    parseHexObject(c, 'intermediates', stream ? STREAM_INTERMEDIATES : MESSAGE_INTERMEDIATES);
    if (kind === 'response') parseResponseCase(c);
    return json as VectorCase;
  } catch (e) {
    if (e instanceof VectorCaseError && file !== undefined)
      throw new VectorCaseError(`${file}: ${e.message}`);
    throw e;
  }
}

/** Checks index.json (README "index.json"): version 1, `count` entries, each a case file once. */
export function parseVectorIndex(json: unknown): VectorIndex {
  try {
    const o = object(json, 'index');
    onlyKeys(o, '', ['description', 'version', 'count', 'cases']);
    string(o, 'description');
    if (o['version'] !== 1) fail('version', '1', o['version']);
    const entries = array(o, 'cases');
    if (integer(o, 'count', '', 0) !== entries.length)
      fail('count', `the number of entries, ${entries.length}`, o['count']);
    const seen = new Set<string>();
    entries.forEach((x, i) => {
      const path = `cases.${i}`;
      const e = object(x, path);
      onlyKeys(e, path, ['file', 'kind', 'result', 'code']);
      const file = string(e, 'file', path);
      if (!CASE_FILE.test(file) || seen.has(file))
        fail(`${path}.file`, 'a case file name (NNN-name.json) listed once', file);
      seen.add(file);
      oneOf(e, 'kind', KINDS, path);
      const error = oneOf(e, 'result', ['success', 'error'] as const, path) === 'error';
      if (error) string(e, 'code', path);
      else if (e['code'] !== undefined)
        fail(`${path}.code`, 'nothing in a success entry', e['code']);
    });
    return json as VectorIndex;
  } catch (e) {
    if (e instanceof VectorCaseError) throw new VectorCaseError(`${INDEX_FILE}: ${e.message}`);
    throw e;
  }
}
