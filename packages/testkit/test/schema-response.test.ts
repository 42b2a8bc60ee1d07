/**
 * The `caller` side of response cases (test-vectors/README.md, "Response
 * cases"): the repository's response cases parse, and a malformed `caller`
 * is refused with an error naming the field.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VectorCaseError, loadCases, parseVectorCase, type VectorCase } from '../src/index.js';

const CASES = fileURLToPath(new URL('../../../test-vectors/cases/', import.meta.url));
const withCaller = loadCases(CASES).filter(
  ({ c }) => c.kind === 'response' && 'caller' in c && c.caller !== undefined,
);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test edits reach into any field
type Edit = Record<string, any>;

function refused(c: VectorCase, edit: (j: Edit) => void, why: RegExp) {
  const j = JSON.parse(JSON.stringify(c)) as Edit;
  edit(j);
  expect(() => parseVectorCase(j, '999-edited.json')).toThrow(VectorCaseError);
  expect(() => parseVectorCase(j, '999-edited.json')).toThrow(why);
}

describe('response cases: the caller side', () => {
  it('exist, with successes and rejections', () => {
    const expects = withCaller.flatMap(({ c }) =>
      c.kind === 'response' ? c.caller!.responses.map((r) => r.expect.result) : [],
    );
    expect(expects).toContain('success');
    expect(expects).toContain('error');
  });

  it('a malformed caller is refused, naming the field', () => {
    const c = withCaller[0]!.c;
    refused(c, (j) => (j.caller.now = -1), /"caller\.now" expected an integer of at least 0/);
    refused(c, (j) => (j.caller.extra = 1), /"caller\.extra" is not a field/);
    refused(c, (j) => (j.caller.responses = []), /"caller\.responses" expected at least one/);
    refused(c, (j) => (j.caller.responseSecrets = []), /"caller\.responseSecrets" expected/);
    refused(
      c,
      (j) => (j.caller.responseSecrets[0].responseSecret = '00'),
      /"caller\.responseSecrets\.0\.responseSecret" expected 32 bytes/,
    );
    refused(
      c,
      (j) => (j.caller.responses[0].expect = { result: 'error', code: 'replay' }),
      /"caller\.responses\.0\.expect\.code" expected an error code/,
    );
    refused(
      c,
      (j) => delete j.caller.responses[0].expect.responder,
      /"caller\.responses\.0\.expect\.responder" expected base64url/,
    );
    refused(
      c,
      (j) => (j.caller.responses[0].expect.sender = 'x'),
      /"caller\.responses\.0\.expect\.sender" is not a field/,
    );
  });

  it('a response case needs a responder side, a caller side or both; a message case neither', () => {
    const c = withCaller[0]!.c;
    refused(
      c,
      (j) => {
        delete j.response;
        delete j.caller;
      },
      /"response" expected an object/,
    );
    refused(
      c,
      (j) => {
        j.kind = 'message';
        delete j.response;
      },
      /"caller" is not a field/,
    );
    const callerOnly = JSON.parse(JSON.stringify(c)) as Edit;
    delete callerOnly.response;
    expect(parseVectorCase(callerOnly)).toBe(callerOnly);
  });
});
