/**
 * The vector-case parser (test-vectors/README.md, SPEC.md §12): every case
 * file of the repository parses, and a malformed case is refused with an
 * error naming the field.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  VectorCaseError,
  listCaseFiles,
  loadCases,
  loadIndex,
  parseVectorCase,
  parseVectorIndex,
  type VectorCase,
} from '../src/index.js';

const CASES = fileURLToPath(new URL('../../../test-vectors/cases/', import.meta.url));
const all = loadCases(CASES);
/** A case or index as loose JSON, for editing into a malformed one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test edits reach into any field
type Edit = Record<string, any>;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const first = (kind: string, result: string) =>
  all.find(({ c }) => c.kind === kind && c.expect.result === result)!.c;

/** The case with `edit` applied must be refused with a message matching `why`. */
function refused(c: VectorCase, edit: (j: Edit) => void, why: RegExp) {
  const j = clone(c) as unknown as Edit;
  edit(j);
  expect(() => parseVectorCase(j, '999-edited.json')).toThrow(VectorCaseError);
  expect(() => parseVectorCase(j, '999-edited.json')).toThrow(why);
}

describe('the loader', () => {
  it('lists and parses every case file of test-vectors/cases, and index.json agrees', () => {
    const files = listCaseFiles(CASES);
    expect(files.length).toBeGreaterThanOrEqual(99);
    expect(all.map(({ file }) => file)).toEqual(files);
    const index = loadIndex(CASES);
    expect(index.count).toBe(files.length);
    expect(index.cases.map((e) => e.file)).toEqual(files);
  });

  it('has every kind and outcome to test against', () => {
    for (const kind of ['message', 'response', 'stream'])
      expect(
        all.some(({ c }) => c.kind === kind),
        kind,
      ).toBe(true);
  });
});

describe('parseVectorCase refuses a malformed case, naming the field', () => {
  const message = first('message', 'success');
  const failing = first('message', 'error');
  const stream = first('stream', 'error');
  const response = first('response', 'success');

  it('returns a well-formed case as it was', () => {
    const j = clone(message);
    expect(parseVectorCase(j)).toBe(j);
  });

  it('not an object, or an unknown kind', () => {
    expect(() => parseVectorCase([])).toThrow(/"case" expected an object/);
    expect(() => parseVectorCase(null, '001-x.json')).toThrow(/^001-x\.json: "case"/);
    refused(message, (j) => (j.kind = 'Message'), /"kind" expected "message" or "response"/);
  });

  it('a missing or misspelt field', () => {
    refused(
      message,
      (j) => delete j.envelope,
      /999-edited\.json: "envelope" expected lowercase hex, got nothing/,
    );
    refused(message, (j) => (j.clockskew = 60), /"clockskew" is not a field/);
    refused(message, (j) => (j.stream = j.envelope), /"stream" is not a field/);
    refused(stream, (j) => (j.envelope = j.stream), /"envelope" is not a field/);
    refused(message, (j) => (j.response = {}), /"response" is not a field/);
    refused(response, (j) => delete j.response, /"response" expected an object/);
  });

  it('a spec that is missing or is not SPEC.md references', () => {
    refused(message, (j) => delete j.spec, /"spec" expected a string/);
    for (const spec of [
      '',
      'SPEC.md §7 step 12',
      '§7 step',
      '§7,§8',
      '§7 step 12 and 13',
      'step 12',
    ])
      refused(message, (j) => (j.spec = spec), /"spec" expected SPEC\.md references/);
    for (const spec of [
      '§7 step 12',
      '§7a.5 steps 9-10, §7a.3, §7a.4',
      '§3.1 rule 6',
      '§7a.5 step 12, §7a.1-§7a.4',
      '§6.3, §6.1',
    ]) {
      const j = clone(message) as unknown as Edit;
      j.spec = spec;
      expect(() => parseVectorCase(j), spec).not.toThrow();
    }
  });

  it('every case cites the step or rule it tests first (responses, §6, and the context limit have none)', () => {
    for (const { file, c } of all)
      if (!/^§6\b|^§4\.3, §8$/.test(c.spec))
        expect(c.spec, file).toMatch(/^§[0-9a-z.]+ (?:steps?|rules?) /);
  });

  it('bytes that are not lowercase hex of the right length', () => {
    refused(
      message,
      (j) => (j.envelope = j.envelope.toUpperCase()),
      /"envelope" expected lowercase hex/,
    );
    refused(message, (j) => (j.envelope += '0'), /"envelope" expected lowercase hex/);
    refused(
      message,
      (j) => (j.recipient[0].publicKey = '00'),
      /"recipient\.0\.publicKey" expected 32 bytes/,
    );
    refused(message, (j) => (j.recipient[0].kid = 'a=='), /"recipient\.0\.kid" expected base64url/);
    refused(message, (j) => (j.expect.messageId += '00'), /"expect\.messageId" expected 16 bytes/);
  });

  it('numbers that are not whole, or negative', () => {
    refused(message, (j) => (j.now = 1.5), /"now" expected an integer/);
    refused(message, (j) => (j.clockSkew = -1), /"clockSkew" expected an integer of at least 0/);
    refused(
      message,
      (j) => (j.limits = { maxEnvelopeBytes: '10' }),
      /"limits\.maxEnvelopeBytes" expected an integer/,
    );
    refused(message, (j) => (j.limits = { maxBytes: 10 }), /"limits\.maxBytes" is not a field/);
    // The stream limits (SPEC.md §7a.7) belong to stream cases only.
    refused(
      message,
      (j) => (j.limits = { maxChunkBytes: 1024 }),
      /"limits\.maxChunkBytes" is not a field/,
    );
  });

  it('an expectation that is neither outcome, or incomplete', () => {
    refused(
      message,
      (j) => (j.expect.result = 'ok'),
      /"expect\.result" expected "success" or "error"/,
    );
    refused(message, (j) => delete j.expect.sender, /"expect\.sender" expected a string/);
    refused(failing, (j) => (j.expect.code = 'replay'), /"expect\.code" expected an error code/);
    refused(failing, (j) => (j.expect.releasable = ''), /"expect\.releasable" is not a field/);
    refused(
      stream,
      (j) => delete j.expect.releasable,
      /"expect\.releasable" expected lowercase hex/,
    );
    refused(
      message,
      (j) => (j.expect.claims = { n: 1.5 }),
      /"expect\.claims\.n" expected a string or an integer/,
    );
  });

  it('stream splits that are not ascending offsets inside the stream', () => {
    refused(stream, (j) => (j.splits = [0]), /"splits\.0" expected an integer of at least 1/);
    refused(stream, (j) => (j.splits = [5, 5]), /"splits\.1" expected an offset above 5/);
    refused(stream, (j) => (j.splits = [j.stream.length / 2]), /"splits\.0" expected an offset/);
  });
});

describe('parseVectorIndex', () => {
  const index = loadIndex(CASES);
  const edited = (edit: (j: Edit) => void) => {
    const j = clone(index) as unknown as Edit;
    edit(j);
    return () => parseVectorIndex(j);
  };

  it('refuses a wrong count, a file listed twice, a code on a success, another version', () => {
    expect(edited((j) => j.count++)).toThrow(
      /^index\.json: "count" expected the number of entries/,
    );
    expect(edited((j) => j.cases.push(j.cases[0]))).toThrow(/"count"/);
    expect(edited((j) => (j.cases[1] = { ...j.cases[0] }))).toThrow(
      /"cases\.1\.file" expected a case file name/,
    );
    expect(edited((j) => (j.cases[0].code = 'ERR_REPLAY'))).toThrow(
      /"cases\.0\.code" expected nothing/,
    );
    expect(edited((j) => (j.version = 2))).toThrow(/"version" expected 1/);
  });
});
