import { type CredentialValues, parseCredentialValues } from '../../credentials/credential-values.js';
import { decryptFernet, type FernetKey, fernetKeyFromSha256, parseFernetKey } from './fernet.js';

/**
 * The key NEXUS fell back to when MODULE_ENCRYPTION_KEY was unset. It is public (it is in NEXUS's
 * source), so anything it encrypted must be treated as exposed.
 */
export const NEXUS_DEV_KEY = fernetKeyFromSha256('nexus-dev-key-not-for-production');
const DEV_KEY = parseFernetKey(NEXUS_DEV_KEY);

const isDevKey = (k: FernetKey) =>
  k.signingKey.equals(DEV_KEY.signingKey) && k.encryptionKey.equals(DEV_KEY.encryptionKey);

export type OpenedCredential =
  | { ok: true; values: CredentialValues; devKey: boolean }
  | { ok: false; reason: 'no_key_verifies' | 'not_a_credentials_object' };

/**
 * Opens one NEXUS credentials token, trying the deployment's key and then the public dev key (a
 * deployment that never set its key used the dev key for everything, and its --nexus-key IS the
 * dev key: those are exposed too). A token that verifies under neither, or whose plaintext is not a
 * credentials object, is reported rather than thrown, so the rest of the import goes on.
 */
export function openCredential(token: string, deploymentKey: FernetKey): OpenedCredential {
  const candidates = isDevKey(deploymentKey) ? [DEV_KEY] : [deploymentKey, DEV_KEY];
  for (const key of candidates) {
    let plaintext: Buffer;
    try {
      plaintext = decryptFernet(key, token).plaintext;
    } catch {
      continue;
    }
    try {
      const values = parseCredentialValues(JSON.parse(plaintext.toString('utf8')));
      return { ok: true, values, devKey: key === DEV_KEY };
    } catch {
      return { ok: false, reason: 'not_a_credentials_object' };
    } finally {
      plaintext.fill(0);
    }
  }
  return { ok: false, reason: 'no_key_verifies' };
}
