/**
 * The sender's side of SPEC.md §4.3 (§4.5 steps 2-3), shared by `seal` and
 * `sealStream`: one HPKE context per recipient; the message secret is the
 * exporter's (one recipient) or random and sealed to each (several); for
 * messages, each recipient's response secret. The counterpart of recipient.ts.
 */
import type { CryptoBackend } from '../backend/types.js';
import type { RecipientEntry } from './header.js';
import { LABEL, SECRET_LENGTH } from './keys.js';
import { hpkeSuite, type EnvelopeSuite } from './suites.js';

/** A recipient as checked for sealing: its decoded kid and X25519 public key. */
export interface SealRecipient {
  kid: Uint8Array;
  publicKey: Uint8Array;
}

export interface SenderSecrets {
  /** The header's recipient entries, in the order of the recipients. */
  entries: RecipientEntry[];
  messageSecret: Uint8Array;
  /** One per recipient, in order, when asked for (messages; streams take no responses). */
  responseSecrets?: Uint8Array[];
}

export async function senderSecrets(
  b: CryptoBackend,
  suite: EnvelopeSuite,
  recipients: readonly SealRecipient[],
  withResponseSecrets: boolean,
): Promise<SenderSecrets> {
  const hpke = hpkeSuite(suite, b);
  const setups = await Promise.all(
    recipients.map((r) =>
      hpke.setupSender({ recipientPublicKey: r.publicKey, info: LABEL.hpkeInfo }),
    ),
  );
  try {
    const multi = recipients.length > 1;
    const messageSecret = multi
      ? b.randomBytes(SECRET_LENGTH)
      : await setups[0]!.context.export(LABEL.exportMessageSecret, SECRET_LENGTH);
    const entries: RecipientEntry[] = await Promise.all(
      setups.map(async (s, i) => {
        const kid = recipients[i]!.kid;
        if (!multi) return { kid, enc: s.enc };
        return { kid, enc: s.enc, wrapped: await s.context.seal(messageSecret, kid) };
      }),
    );
    const out: SenderSecrets = { entries, messageSecret };
    if (withResponseSecrets) {
      out.responseSecrets = await Promise.all(
        setups.map((s) => s.context.export(LABEL.exportResponseSecret, SECRET_LENGTH)),
      );
    }
    return out;
  } finally {
    for (const s of setups) s.context.dispose();
  }
}
