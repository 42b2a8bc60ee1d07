/**
 * The recipient's side of SPEC.md §4.3 (§7 step 9), shared by `open` and
 * `openStream`: decapsulate, recover the message secret (exported with one
 * recipient, unwrapped with several) and, for messages, the response secret.
 * Every failure is ERR_OPEN_FAILED.
 */
import type { CryptoBackend } from '../backend/types.js';
import { openFailed } from '../errors.js';
import type { RecipientContext } from '../hpke/types.js';
import type { EncryptionKey } from '../identity/identity.js';
import type { RecipientEntry } from './header.js';
import { LABEL, SECRET_LENGTH } from './keys.js';
import { hpkeSuite, type EnvelopeSuite } from './suites.js';

export interface RecipientSecrets {
  messageSecret: Uint8Array;
  /** Present when asked for (messages answer with responses; streams do not). */
  responseSecret?: Uint8Array;
}

export async function recipientSecrets(
  b: CryptoBackend,
  suite: EnvelopeSuite,
  entry: RecipientEntry,
  key: Pick<EncryptionKey, 'privateKey' | 'publicKey'>,
  withResponseSecret: boolean,
): Promise<RecipientSecrets> {
  let out: RecipientSecrets | undefined;
  let ctx: RecipientContext | undefined;
  try {
    ctx = await hpkeSuite(suite, b).setupRecipient({
      enc: entry.enc,
      recipientKey: { privateKey: key.privateKey, publicKey: key.publicKey },
      info: LABEL.hpkeInfo,
    });
    out = {
      messageSecret: entry.wrapped
        ? await ctx.open(entry.wrapped, entry.kid)
        : await ctx.export(LABEL.exportMessageSecret, SECRET_LENGTH),
    };
    if (withResponseSecret) {
      out.responseSecret = await ctx.export(LABEL.exportResponseSecret, SECRET_LENGTH);
    }
  } catch {
    out?.messageSecret.fill(0);
    throw openFailed();
  } finally {
    ctx?.dispose(); // the context's secrets, on success and on failure
  }
  if (out.messageSecret.length !== SECRET_LENGTH) {
    out.messageSecret.fill(0);
    out.responseSecret?.fill(0);
    throw openFailed();
  }
  return out;
}
