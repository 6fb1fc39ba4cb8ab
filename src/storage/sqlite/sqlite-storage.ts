import { AsyncLocalStorage } from 'node:async_hooks';
import { basename, dirname } from 'node:path';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { createPrivateFile, ensurePrivateDir, tightenFile } from '../../private-files.js';
import { repositoriesOf } from '../sql/repositories.js';
import type { Scope, Storage, StorageCapabilities } from '../storage.js';
import type { Repositories } from '../stores.js';
import { applySqliteMigrations } from './migrate.js';
import { SqliteExecutor } from './sqlite-executor.js';

export interface SqliteStorageOptions {
  /** Path of the database file. */
  path: string;
  busyTimeoutMs?: number;
  /** Where warnings about a loose data directory go; stderr by default. */
  warn?: (message: string) => void;
}

function openConnection(path: string, busyTimeoutMs: number, readonly: boolean): Database {
  // `timeout` is better-sqlite3's busy timeout: a locked database is retried for that long, not failed at once.
  const db = new BetterSqlite3(path, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
  if (!readonly) db.pragma('journal_mode = WAL');
  // NORMAL is durable against process crashes in WAL mode; only an OS crash can lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  return db;
}

/** How often the WAL is checkpointed into the database file (see the constructor). */
const CHECKPOINT_INTERVAL_MS = 1000;

/**
 * The embedded backend. Two connections: the writer runs transactions one at a time (a promise
 * queue around BEGIN IMMEDIATE ... COMMIT, so a callback may await without another writer
 * interleaving), and the reader serves `read()`, so a read never sees another flow's uncommitted
 * writes. WAL lets the reader go on while a write is in progress. (`:memory:` has one connection;
 * its reads take their turn in the queue instead.)
 */
export class SqliteStorage implements Storage {
  readonly capabilities: StorageCapabilities = {
    engine: 'sqlite',
  };
  private readonly writer: Database;
  private readonly reader: Database | null;
  private readonly writeRepos: Repositories;
  private readonly readRepos: Repositories;
  private queue: Promise<unknown> = Promise.resolve();
  /** afterCommit callbacks of the running transaction (transactions are serialised, so one list). */
  private committed: (() => void)[] = [];
  /** Marks the async context of the running transaction (used by the single-connection mode). */
  private readonly insideTransaction = new AsyncLocalStorage<boolean>();
  private closed = false;
  private checkpointTimer: NodeJS.Timeout | null = null;
  /** Commits made through this object (the in-memory mode's change token). */
  private commits = 0;
  private readonly dataVersion: Statement<[], { data_version: number }> | null;

  private constructor(
    writer: Database,
    reader: Database | null,
    readonly migrationsApplied: readonly number[],
  ) {
    this.writer = writer;
    this.reader = reader;
    // Outside a transaction (reads of the in-memory mode) everything seen is committed already.
    this.writeRepos = repositoriesOf(new SqliteExecutor(writer), (cb) => {
      if (writer.inTransaction) this.committed.push(cb);
      else cb();
    });
    this.readRepos = reader ? repositoriesOf(new SqliteExecutor(reader), (cb) => cb()) : this.writeRepos;
    this.dataVersion = reader ? reader.prepare<[], { data_version: number }>('PRAGMA data_version') : null;
    if (reader) {
      // WAL checkpoints run on a timer instead of inside whichever commit crosses SQLite's threshold:
      // one checkpoint (and fsync) per interval rather than a multi-millisecond stall on a random
      // request. The WAL stays bounded by about one interval of writes; other processes keep
      // SQLite's default automatic checkpoints.
      writer.pragma('wal_autocheckpoint = 0');
      this.checkpointTimer = setInterval(() => this.checkpoint(), CHECKPOINT_INTERVAL_MS);
      this.checkpointTimer.unref();
    }
  }

  private checkpoint(): void {
    if (this.closed || this.writer.inTransaction) return;
    try {
      this.writer.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // A busy database (another process writing) just means the next tick tries again.
    }
  }

  static open(options: SqliteStorageOptions): SqliteStorage {
    const busy = options.busyTimeoutMs ?? 5000;
    const inMemory = options.path === ':memory:';
    if (!inMemory) {
      // Owner-only whatever the umask: the directory 0700, the database created 0600 before SQLite
      // opens it (its unix VFS gives the -wal and -shm files the database file's mode).
      ensurePrivateDir(dirname(options.path), {
        ownDatabase: basename(options.path),
        ...(options.warn ? { warn: options.warn } : {}),
      });
      createPrivateFile(options.path);
    }
    const writer = openConnection(options.path, busy, false);
    try {
      const applied = applySqliteMigrations(writer);
      // Files left looser by an older version (or created by another tool) are tightened too.
      if (!inMemory) for (const suffix of ['-wal', '-shm']) tightenFile(`${options.path}${suffix}`);
      // An in-memory database exists on one connection only: its reads queue behind transactions.
      const reader = inMemory ? null : openConnection(options.path, busy, true);
      return new SqliteStorage(writer, reader, applied);
    } catch (err) {
      writer.close();
      throw err;
    }
  }

  /** The underlying writer connection, for migrations tooling and tests that inspect raw rows. */
  get rawConnection(): Database {
    return this.writer;
  }

  transaction<T>(_scope: Scope, fn: (tx: Repositories) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw new Error('storage is closed');
      this.writer.exec('BEGIN IMMEDIATE');
      this.committed = [];
      try {
        const result = this.reader
          ? await fn(this.writeRepos)
          : await this.insideTransaction.run(true, () => fn(this.writeRepos));
        this.writer.exec('COMMIT');
        this.commits += 1;
        const callbacks = this.committed;
        this.committed = [];
        for (const cb of callbacks) cb();
        return result;
      } catch (err) {
        this.committed = [];
        if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
        throw err;
      }
    };
    const next = this.queue.then(run, run);
    // The queue only orders work; a failure belongs to its caller, not to the next transaction.
    this.queue = next.catch(() => undefined);
    return next;
  }

  async read<T>(_scope: Scope, fn: (r: Repositories) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('storage is closed');
    if (this.reader) return fn(this.readRepos);
    // Single connection: wait for queued transactions so a read never sees uncommitted writes,
    // except a read made from inside the running transaction itself (waiting would deadlock).
    if (this.insideTransaction.getStore() === true) return fn(this.readRepos);
    const run = () => fn(this.readRepos);
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * SQLite's data_version on the reader changes whenever another connection (our writer, or any
   * other process) commits; the in-memory mode has no reader and no other process, so it counts
   * its own commits.
   */
  changeToken(): string {
    if (this.closed) throw new Error('storage is closed');
    return this.dataVersion === null ? `c${this.commits}` : `v${this.dataVersion.get()?.data_version}`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let queued transactions finish before the connections go away.
    await this.queue;
    this.closed = true;
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    this.reader?.close();
    this.writer.close();
  }
}
