#!/usr/bin/env node
/**
 * Generates the project's envelope and stream test vectors (SPEC.md §12)
 * into test-vectors/cases/: one JSON file per case and index.json. The file
 * format is specified in test-vectors/README.md.
 *
 *   node test-vectors/generate.mjs           write the files (and delete stale ones)
 *   node test-vectors/generate.mjs --check   regenerate in memory; exit 1, listing the
 *                                            files, if any file differs, is missing or extra
 *
 * Deterministic (lib/fixtures.mjs): every case runs on the pure backend with
 * its randomness drawn from an HMAC-SHA256 DRBG seeded from the case name;
 * identities come from fixed seeds; the clock and the message ids are fixed.
 * Honest envelopes come from the public `seal`; malicious ones are built from
 * `@blindwire/core/internal` (lib/craft.mjs). Streams likewise: honest ones
 * from `sealStream`, each checked byte for byte against lib/stream-craft.mjs,
 * which also builds the malicious ones. Before anything is written, each case
 * is opened with the public `open` (streams: `openStream`, in every feeding of
 * lib/stream-case.mjs) and must give its expected outcome, every file must
 * follow the one case schema of @blindwire/testkit (`parseVectorCase`), and
 * the whole set is generated twice and compared.
 *
 * Runs against the BUILT core and test kit: `pnpm build` first.
 */
import { mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  createMemoryReplayStore,
  exportPublicIdentity,
  inspect,
  isBlindwireError,
  open,
  pureBackend,
  toHex,
} from '@blindwire/core';
import { deriveResponseKey, equalBytes } from '@blindwire/core/internal';
import {
  CASE_FILE,
  INDEX_FILE,
  parseVectorCase,
  parseVectorIndex,
  sameClaims,
} from '@blindwire/testkit';
import { INVALID_CASES } from './lib/cases-invalid.mjs';
import { MESSAGE_RULE_CASES } from './lib/cases-message-rules.mjs';
import { PATTERN_CASES } from './lib/cases-patterns.mjs';
import { RESPONSE_INVALID_CASES } from './lib/cases-response-invalid.mjs';
import { RESPONSE_VALID_CASES } from './lib/cases-response.mjs';
import { VALID_CASES } from './lib/cases-valid.mjs';
import { STREAM_HEADER_CASES } from './lib/cases-stream-header.mjs';
import { STREAM_INVALID_CASES } from './lib/cases-stream-invalid.mjs';
import { STREAM_RULE_CASES } from './lib/cases-stream-rules.mjs';
import { STREAM_VALID_CASES } from './lib/cases-stream-valid.mjs';
import { XWING_CASES } from './lib/cases-xwing.mjs';
import { recipientView } from './lib/craft.mjs';
import {
  CONTEXT,
  NOW,
  OPTIONAL,
  SKEW,
  deterministicBackend,
  keyJson,
  makeCast,
  messageIdFor,
} from './lib/fixtures.mjs';
import { buildStreamCase } from './lib/stream-case.mjs';

const CASES = [
  ...VALID_CASES,
  ...INVALID_CASES,
  ...MESSAGE_RULE_CASES,
  ...STREAM_VALID_CASES,
  ...STREAM_INVALID_CASES,
  ...STREAM_HEADER_CASES,
  ...STREAM_RULE_CASES,
  ...PATTERN_CASES,
  ...RESPONSE_VALID_CASES,
  ...RESPONSE_INVALID_CASES,
  ...XWING_CASES,
];
const CASES_DIR = fileURLToPath(new URL('./cases/', import.meta.url));

function expectJson(e, messageId) {
  if (e.result === 'error') return { result: 'error', code: e.code };
  const out = {
    result: 'success',
    payload: toHex(e.payload),
    sender: e.sender,
    senderKid: e.senderKid,
    messageId: toHex(messageId),
  };
  if (e.contentType !== undefined) out.contentType = e.contentType;
  if (e.claims !== undefined) out.claims = e.claims;
  return out;
}

async function buildCase(def, c) {
  const b = deterministicBackend(def.name);
  const messageId = messageIdFor(def.messageIdLabel ?? def.name);
  if (def.kind === 'stream') return caseFile(def, await buildStreamCase(def, c, b, messageId));
  const built = await def.build({ c, b, messageId });
  const o = {
    recipient: [c.bob.encryption],
    trustedSenders: [c.alice],
    context: CONTEXT,
    now: NOW,
    clockSkew: SKEW,
    ...built.open,
  };
  await selfCheck(def, built, o);
  const file = {
    description: def.description,
    spec: def.spec,
    kind: def.kind ?? 'message',
    envelope: toHex(built.envelope),
    recipient: o.recipient.map(keyJson),
    trustedSenders: o.trustedSenders.map((i) => exportPublicIdentity(i)),
    context: toHex(o.context),
    now: o.now,
    clockSkew: o.clockSkew,
  };
  for (const k of OPTIONAL) if (o[k] !== undefined) file[k] = o[k];
  file.expect = expectJson(built.expect, messageId);
  if (built.expect.result === 'success') {
    const view = await recipientView(built.envelope, o.recipient);
    file.intermediates = {
      messageSecret: toHex(view.messageSecret),
      contentKey: toHex(view.contentKey),
      inner: toHex(view.inner),
    };
    if (built.response) file.response = await responseJson(built.response, view);
  }
  if (built.caller) file.caller = built.caller;
  return caseFile(def, file);
}

/** A case file, named and checked against the one schema (@blindwire/testkit) before it is written. */
function caseFile(def, json) {
  const name = `${String(def.id).padStart(3, '0')}-${def.name}.json`;
  if (!CASE_FILE.test(name)) throw new Error(`bad case file name ${name}`);
  return { file: name, json: parseVectorCase(json, name) };
}

async function responseJson(r, view) {
  const key = await deriveResponseKey(
    pureBackend,
    view.responseSecret,
    r.messageId,
    view.suite.keyLength,
  );
  return {
    payload: toHex(r.payload),
    now: r.now,
    ttl: r.ttl,
    messageId: toHex(r.messageId),
    contentType: r.contentType,
    padding: r.padding,
    envelope: toHex(r.envelope),
    responseSecret: toHex(view.responseSecret),
    responseKey: toHex(key),
  };
}

/** The public `open` (pure backend) must give exactly the expected outcome. */
async function selfCheck(def, built, o) {
  const fail = (why) => {
    throw new Error(`case ${def.id} ${def.name}: ${why}`);
  };
  const options = { backend: pureBackend };
  for (const k of ['recipient', 'trustedSenders', 'context', 'now', 'clockSkew', ...OPTIONAL]) {
    if (o[k] !== undefined) options[k] = o[k];
  }
  if (o.seenMessageIds) {
    options.replay = createMemoryReplayStore();
    for (const id of o.seenMessageIds) await options.replay.record(id, 0xffffffff);
  }
  delete options.seenMessageIds;
  let result;
  let code;
  let message;
  try {
    result = await open(built.envelope, options);
  } catch (e) {
    if (!isBlindwireError(e)) throw e;
    code = e.code;
    message = e.message;
  }
  const want = built.expect;
  if (want.result === 'error') {
    if (code !== want.code) fail(`expected ${want.code}, got ${code ?? 'a result'}`);
    if (def.why && !def.why.test(message)) fail(`failed for another reason: ${message}`);
    return;
  }
  if (code !== undefined) fail(`expected success, got ${code}`);
  if (
    !equalBytes(result.payload, want.payload) ||
    result.sender !== want.sender ||
    result.senderKid !== want.senderKid ||
    result.contentType !== want.contentType ||
    !sameClaims(inspect(built.envelope).claims, want.claims)
  ) {
    fail('opened to something other than expected');
  }
}

async function generateAll() {
  const c = await makeCast();
  const out = new Map();
  const index = [];
  for (const def of CASES) {
    const { file, json } = await buildCase(def, c);
    if (out.has(file) || index.some((e) => e.file.slice(0, 3) === file.slice(0, 3))) {
      throw new Error(`duplicate case id or name: ${file}`);
    }
    out.set(file, `${JSON.stringify(json, null, 2)}\n`);
    const { result, code } = json.expect;
    index.push({ file, kind: json.kind, result, ...(code ? { code } : {}) });
  }
  index.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const indexJson = {
    description:
      'Blindwire envelope v1 test vectors, messages and streams (SPEC.md §12), generated by test-vectors/generate.mjs; the format is in test-vectors/README.md.',
    version: 1,
    count: index.length,
    cases: index,
  };
  out.set(INDEX_FILE, `${JSON.stringify(parseVectorIndex(indexJson), null, 2)}\n`);
  return out;
}

/** Every JSON file in cases/ belongs to the generator: one it does not produce is stale. */
async function presentFiles() {
  try {
    return (await readdir(CASES_DIR)).filter((f) => f.endsWith('.json'));
  } catch (e) {
    if (e.code === 'ENOENT') return [];
    throw e;
  }
}

async function main() {
  const check = process.argv.includes('--check');
  const generated = await generateAll();
  const again = await generateAll();
  for (const [f, text] of generated) {
    if (again.get(f) !== text) throw new Error(`the generator is not deterministic: ${f}`);
  }
  const present = await presentFiles();
  if (check) {
    const problems = [];
    for (const [f, text] of generated) {
      if (!present.includes(f)) problems.push(`missing: cases/${f}`);
      else if ((await readFile(CASES_DIR + f, 'utf8')) !== text)
        problems.push(`differs: cases/${f}`);
    }
    for (const f of present) if (!generated.has(f)) problems.push(`extra:   cases/${f}`);
    if (problems.length > 0) {
      console.error(
        `test vectors are out of date (run node test-vectors/generate.mjs):\n  ${problems.join('\n  ')}`,
      );
      process.exit(1);
    }
    console.log(`test vectors up to date: ${generated.size - 1} cases and ${INDEX_FILE}`);
    return;
  }
  await mkdir(CASES_DIR, { recursive: true });
  for (const f of present) if (!generated.has(f)) await unlink(CASES_DIR + f);
  for (const [f, text] of generated) await writeFile(CASES_DIR + f, text);
  console.log(`wrote ${generated.size - 1} cases and ${INDEX_FILE} to test-vectors/cases/`);
}

await main();
