import { type CredentialValues, parseCredentialValues } from '../../credentials/credential-values.js';
import { decryptFernet, type FernetKey, fernetKeyFromSha256, parseFernetKey } from './fernet.js';

/**
 * The key NEXUS fell back to when MODULE_ENCRYPTION_KEY was unset. It is public (it is in NEXUS's
 * source), so anything it encrypted must be treated as exposed.
 */
export const NEXUS_DEV_KEY = fernetKeyFromSha256('nexus-dev-key-not-for-production');

export type OpenedCredential =
  | { ok: true; values: CredentialValues; devKey: boolean }
  | { ok: false; reason: 'no_key_verifies' | 'not_a_credentials_object' };

/** The keys a NEXUS deployment may have used: its own, then the public development key. */
export function nexusKeys(deploymentKey: FernetKey): { key: FernetKey; devKey: boolean }[] {
  return [
    { key: deploymentKey, devKey: false },
    { key: parseFernetKey(NEXUS_DEV_KEY), devKey: true },
  ];
}

/**
 * Opens one NEXUS credentials token. A token that verifies under no key, or whose plaintext is not
 * a credentials object, is reported rather than thrown: the rest of the import goes on. When the
 * deployment key IS the dev key, the first match already says devKey false, so compare bytes.
 */
export function openCredential(token: string, keys: { key: FernetKey; devKey: boolean }[]): OpenedCredential {
  const devKey = parseFernetKey(NEXUS_DEV_KEY);
  for (const candidate of keys) {
    let plaintext: Buffer;
    try {
      plaintext = decryptFernet(candidate.key, token).plaintext;
    } catch {
      continue;
    }
    const isDev =
      candidate.devKey ||
      (candidate.key.signingKey.equals(devKey.signingKey) &&
        candidate.key.encryptionKey.equals(devKey.encryptionKey));
    try {
      const values = parseCredentialValues(JSON.parse(plaintext.toString('utf8')));
      return { ok: true, values, devKey: isDev };
    } catch {
      return { ok: false, reason: 'not_a_credentials_object' };
    } finally {
      plaintext.fill(0);
    }
  }
  return { ok: false, reason: 'no_key_verifies' };
}
