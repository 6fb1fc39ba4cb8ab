import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';

/** Modes of orgvault's data files (database, keys) and of their directory: the owner only. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** The files orgvault keeps in its data directory (with the SQLite database's companions). */
const ORGVAULT_FILES = ['master.key', 'audit-signing.key'];
const databaseFiles = (db: string): string[] => [db, `${db}-wal`, `${db}-shm`, `${db}-journal`];

type Warn = (message: string) => void;
const stderr: Warn = (m) => process.stderr.write(`${m}\n`);

/**
 * Makes sure `dir` exists and is 0700. A directory created here gets 0700 whatever the umask. An
 * existing one that is looser is tightened only when it is orgvault's: it holds nothing but
 * orgvault's files (the database `ownDatabase`, default orgvault.db, with its -wal/-shm, master.key,
 * audit-signing.key), empty included. A directory holding anything else may be shared with other
 * programs, so it is left as it is, with a warning; so is one whose chmod is refused. (What orgvault
 * itself adds never changes the verdict, so the order in which its parts open the directory does
 * not matter.)
 */
export function ensurePrivateDir(dir: string, options: { ownDatabase?: string; warn?: Warn } = {}): void {
  const warn = options.warn ?? stderr;
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    // mkdir's mode is filtered by the umask; chmod is not.
    chmodSync(dir, PRIVATE_DIR_MODE);
    return;
  }
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  const known = new Set([
    ...ORGVAULT_FILES,
    ...databaseFiles('orgvault.db'),
    ...(options.ownDatabase ? databaseFiles(options.ownDatabase) : []),
  ]);
  const ours = readdirSync(dir).every((name) => known.has(name));
  const octal = mode.toString(8).padStart(4, '0');
  if (!ours) {
    warn(
      `WARNING: data directory ${dir} is mode ${octal}, open to others and holds files that are not orgvault's, so it is left as it is (orgvault's own files in it are 0600); consider chmod 700 ${dir}`,
    );
    return;
  }
  try {
    chmodSync(dir, PRIVATE_DIR_MODE);
  } catch {
    warn(`WARNING: data directory ${dir} is mode ${octal} and could not be changed to 0700`);
  }
}

/** Creates `path` empty with mode 0600 if it is missing (umask-independent); an existing file is kept. */
export function createPrivateFile(path: string): void {
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  tightenFile(path);
}

/** Sets an existing file of orgvault's that others may read to 0600 (no-op when absent or private already). */
export function tightenFile(path: string, warn: Warn = stderr): void {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return;
  }
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(path, PRIVATE_FILE_MODE);
  } catch {
    warn(`WARNING: ${path} is mode ${mode.toString(8).padStart(4, '0')} and could not be changed to 0600`);
  }
}
