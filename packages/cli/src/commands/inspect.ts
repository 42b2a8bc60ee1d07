/**
 * `blindwire inspect`: an envelope's public header as an intermediary sees
 * it (SPEC.md §4.1), through core's `inspect`. No key is used, and nothing
 * is decrypted or verified: the signature is checked only by `open`.
 */
import { inspect } from '@blindwire/core';
import { flag, type CommandSpec } from '../args.js';
import { dearmor, looksArmored } from '../armor.js';
import { decodeBinary, readInput } from '../files.js';
import { printJson, println } from '../io.js';
import { JSON_OPTION, isoSeconds } from '../values.js';

const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

export const inspectCommand: CommandSpec = {
  name: 'inspect',
  summary: "Print an envelope's public header (no keys; nothing is decrypted or verified).",
  usage: 'FILE|- [--json]',
  description: [
    'FILE holds the envelope as raw bytes, armored (blindwire seal --armor), or as base64url or hex text; - reads stdin.',
  ],
  positionals: { name: 'FILE', min: 1, max: 1 },
  options: { json: JSON_OPTION },
  examples: ['blindwire inspect message.bin', 'cat message.b64 | blindwire inspect - --json'],
  async run(ctx) {
    const file = ctx.positionals[0]!;
    const bytes = await readInput(ctx.io, file, 'FILE');
    const info = inspect(looksArmored(bytes) ? dearmor(bytes) : decodeBinary(bytes, 'FILE'));
    if (flag(ctx, 'json')) {
      printJson(ctx.io.stdout, info);
      return 0;
    }
    const out = (k: string, v: string) => println(ctx.io.stdout, `${`${k}:`.padEnd(15)}${v}`);
    out('kind', `${info.kind} (envelope v${info.version})`);
    out(
      'suite',
      `${info.suite.name} (kem ${hex4(info.suite.kem)}, kdf ${hex4(info.suite.kdf)}, aead ${hex4(info.suite.aead)})`,
    );
    out(
      'kem',
      info.suite.kemName === 'X-Wing'
        ? 'X-Wing (post-quantum hybrid: ML-KEM-768 + X25519)'
        : info.suite.kemName,
    );
    out('message id', info.messageId);
    if (info.requestId !== undefined) out('request id', info.requestId);
    if (info.responder !== undefined) out('responder', info.responder);
    out('issued at', `${isoSeconds(info.issuedAt)} (${info.issuedAt})`);
    out('expires at', `${isoSeconds(info.expiresAt)} (${info.expiresAt})`);
    if (info.kind === 'message')
      out('recipients', info.recipients.map((r) => r.kid).join(', ') || '(none)');
    if (info.contentType !== undefined) out('content type', info.contentType);
    for (const [k, v] of Object.entries(info.claims ?? {})) out(`claim ${k}`, String(v));
    out('size', `${info.headerBytes} header bytes, ${info.ciphertextBytes} ciphertext bytes`);
    return 0;
  },
};
