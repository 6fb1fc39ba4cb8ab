import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, openSync, readSync } from 'node:fs';
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

/**
 * The tables a verified API key depends on: its own row, and its org (deleting an org deletes its
 * keys by cascade, without a statement that names api_keys).
 */
const AUTH_TABLES = new Set(['api_keys', 'organizations']);

/**
 * WAL pages after which a commit of this process's writer checkpoints (SQLite's own page-driven
 * automatic checkpoint, run inside the commit that crosses it), however busy the event loop is.
 * 1000 pages of 4 KB (SQLite's default): a checkpoint copies at most about 4 MB. Measured for 30,000
 * back-to-back installs under load: WAL at most 4.2 MB (the 1 s timer it replaces: 337 MB), the
 * slowest install 5.6 ms (timer: 12.8 ms); 256 pages stalled no less and cost throughput (fsyncs).
 */
export const WAL_CHECKPOINT_PAGES = 1000;
/**
 * Once a checkpoint has caught up and the WAL restarts, SQLite truncates the file to this size: a
 * burst (one large transaction, a reader pinning the WAL) does not leave a large file behind.
 */
const JOURNAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;
/**
 * The first copy of the WAL-index header at the start of the `-shm` file (sqlite.org/walformat.html,
 * 2.5.1): every commit of any connection, in any process, rewrites it (its `iChange` counter is
 * incremented with each transaction), so while its bytes are unchanged nothing was committed.
 */
const WAL_INDEX_HEADER_BYTES = 48;

/**
 * Reads the WAL-index header, to tell cheaply that nothing was committed since the last look (one
 * pread, about half of a `PRAGMA data_version`, which also takes and drops a read lock).
 */
class WalIndexHeader {
  private readonly fd: number;
  private readonly seen = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  private readonly now = Buffer.alloc(WAL_INDEX_HEADER_BYTES);

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** Null when the `-shm` file cannot be read (then every look asks SQLite). */
  static open(path: string): WalIndexHeader | null {
    try {
      return new WalIndexHeader(openSync(`${path}-shm`, 'r'));
    } catch {
      return null;
    }
  }

  /**
   * Whether the header is exactly as at the last call that answered false (a first call, a short
   * read and a read torn by a concurrent commit all answer false). Taken before the authoritative
   * read it guards, so what that read saw is never older than the header remembered here.
   */
  unchanged(): boolean {
    const n = readSync(this.fd, this.now, 0, WAL_INDEX_HEADER_BYTES, 0);
    if (n === WAL_INDEX_HEADER_BYTES && this.now.equals(this.seen)) return true;
    if (n === WAL_INDEX_HEADER_BYTES) this.now.copy(this.seen);
    else this.seen.fill(0);
    return false;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Transactions a write group holds at most. Past a few the savings level off (the lock and the
 * COMMIT are shared already), while the first member's answer waits for every member after it.
 */
const MAX_GROUP_MEMBERS = 32;

/** A transaction of the write group, answered when the group commits (or fails). */
interface GroupMember {
  /** What its callback threw (its writes were rolled back to its savepoint); null when it succeeded. */
  failure: unknown;
  resolve: () => void;
  reject: (err: unknown) => void;
  /** Its afterCommit callbacks. */
  callbacks: (() => void)[];
}

/** Transactions committed together: one BEGIN IMMEDIATE ... COMMIT, a savepoint each. */
interface WriteGroup {
  members: GroupMember[];
  /** Whether a member wrote a table key verification depends on. */
  authWritten: boolean;
}

/**
 * The embedded backend. Two connections: the writer runs transactions one at a time (a promise
 * queue, so a callback may await without another writer interleaving), and the reader serves
 * `read()`, so a read never sees another flow's uncommitted writes. WAL lets the reader go on while
 * a write is in progress. (`:memory:` has one connection; its reads take their turn in the queue
 * instead, and each transaction commits alone.)
 *
 * Group commit: the transactions queued in one turn of the event loop (the requests that arrived
 * together) run one after the other inside one BEGIN IMMEDIATE ... COMMIT, each under a savepoint of
 * its own, and the group commits at the end of that turn (setImmediate). A member that throws rolls
 * back to its savepoint, undoing its writes alone; none is answered before the COMMIT that makes it
 * durable, and a failed COMMIT answers every member with the error. Under concurrent writes this
 * pays one lock, one COMMIT and one WAL write of each page (a table's last page, the org's audit
 * page) per group instead of per transaction: with 10 connections writing credentials, about half
 * the server's CPU a request. A lone transaction pays one setImmediate more than it used to.
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
  /** The write group whose transaction is open on the writer, if any (see runInGroup). */
  private group: WriteGroup | null = null;
  private readonly savepoint: Statement;
  private readonly release: Statement;
  private readonly rollbackTo: Statement;
  /** afterCommit callbacks of the running transaction (transactions are serialised, so one list). */
  private committed: (() => void)[] = [];
  /** Marks the async context of the running transaction (used by the single-connection mode). */
  private readonly insideTransaction = new AsyncLocalStorage<boolean>();
  private closed = false;
  /** Commits made through this object (the in-memory mode's change token). */
  private commits = 0;
  /**
   * The writer's data_version (plucked: the number, no row object): it moves on commits of other
   * connections only, never on its own. With this storage's own commit count it is the change token.
   */
  private readonly writerDataVersion: Statement<[], number> | null;
  /** Commits of this storage that wrote a table key verification depends on. */
  private authCommits = 0;
  /** Whether the running transaction wrote such a table. */
  private authWritten = false;
  /** Guards the data_version read: unchanged header bytes mean no commit anywhere since. */
  private readonly walHeader: WalIndexHeader | null;
  /** The tokens last built, with the counts they were built from (reused while nothing moved). */
  private tokens: { data: string; auth: string } | null = null;
  private tokensCommits = -1;
  private tokensAuthCommits = -1;

  private constructor(
    writer: Database,
    reader: Database | null,
    readonly migrationsApplied: readonly number[],
    path: string,
  ) {
    this.writer = writer;
    this.reader = reader;
    // Opened after the connections: they hold the -shm file open (and initialised) from here on.
    this.walHeader = reader ? WalIndexHeader.open(path) : null;
    // Outside a transaction (reads of the in-memory mode) everything seen is committed already.
    const onWrite = (table: string) => {
      if (AUTH_TABLES.has(table)) this.authWritten = true;
    };
    this.writeRepos = repositoriesOf(new SqliteExecutor(writer, onWrite), (cb) => {
      if (writer.inTransaction) this.committed.push(cb);
      else cb();
    });
    this.readRepos = reader ? repositoriesOf(new SqliteExecutor(reader), (cb) => cb()) : this.writeRepos;
    this.writerDataVersion = reader ? writer.prepare<[], number>('PRAGMA data_version').pluck() : null;
    this.savepoint = writer.prepare('SAVEPOINT member');
    this.release = writer.prepare('RELEASE member');
    this.rollbackTo = writer.prepare('ROLLBACK TO member');
    if (reader) {
      // Checkpoints follow what was written, not a timer: a timer never runs while a tight loop of
      // awaits keeps the event loop busy, and then the WAL grows without bound (issue 14: 20 GB for
      // 1M installs, then one 598 ms stall). Small page-driven checkpoints keep each one short.
      writer.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
      writer.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
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
      return new SqliteStorage(writer, reader, applied, options.path);
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
    if (this.reader === null) return this.soloTransaction(fn);
    return new Promise<T>((resolve, reject) => {
      // Never rejects: whatever goes wrong is this member's answer, and the queue goes on.
      const run = () => this.runInGroup(fn, resolve, reject).catch(reject);
      // The queue only orders work; a member's outcome reaches its caller through its own promise.
      this.queue = this.queue.then(run, run);
    });
  }

  /**
   * One transaction as a member of the open write group (opening one when none is): its own
   * savepoint, so a failure undoes its writes alone; it is answered only once the group commits.
   * The queue moves on to the next transaction as soon as this callback is done.
   */
  private async runInGroup<T>(
    fn: (tx: Repositories) => Promise<T>,
    resolve: (value: T) => void,
    reject: (err: unknown) => void,
  ): Promise<void> {
    if (this.closed) return reject(new Error('storage is closed'));
    let group = this.group;
    if (group !== null && !this.writer.inTransaction) {
      // SQLite rolled the group's transaction back on its own (an I/O error, a full disk) and a
      // member went on regardless: the earlier members' writes are gone. They are told so, and this
      // one starts a group of its own (a SAVEPOINT here would open a transaction its RELEASE commits).
      this.group = null;
      const lost = new Error('the transaction was rolled back by SQLite (an I/O error or a full disk)');
      for (const m of group.members) m.reject(m.failure ?? lost);
      group = null;
    }
    if (group === null) {
      try {
        this.writer.exec('BEGIN IMMEDIATE');
      } catch (err) {
        return reject(err);
      }
      group = { members: [], authWritten: false };
      this.group = group;
      // After the I/O callbacks of this turn of the event loop: the transactions of the requests
      // that arrived with this one join the group; then it commits (queued behind whatever runs).
      const opened = group;
      setImmediate(() => {
        this.queue = this.queue.then(() => this.commitGroup(opened));
      });
    }
    // The first member needs no savepoint: if it fails, the whole transaction is rolled back, which
    // is all of its writes and nobody else's (a lone transaction pays no statement more than before).
    const first = group.members.length === 0;
    if (!first) this.savepoint.run();
    this.committed = [];
    this.authWritten = false;
    try {
      const value = await fn(this.writeRepos);
      if (!first) this.release.run();
      group.members.push({ failure: null, resolve: () => resolve(value), reject, callbacks: this.committed });
      if (this.authWritten) group.authWritten = true;
      // A burst does not hold its first members' answers back for long: a full group commits now.
      if (group.members.length >= MAX_GROUP_MEMBERS) this.commitGroup(group);
    } catch (err) {
      if (first) {
        // Nothing else in the group: end it here, so the caller hears back with the lock free.
        this.group = null;
        if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
        reject(err);
      } else if (this.writer.inTransaction) {
        this.rollbackTo.run();
        this.release.run();
        // Answered with the group, like the others: whoever hears back finds the write lock free.
        group.members.push({ failure: err, resolve: () => {}, reject, callbacks: [] });
      } else {
        // SQLite rolled the whole transaction back (a full disk, an I/O error): the members
        // before this one are gone with it, and none of them was answered yet.
        this.group = null;
        group.members.push({ failure: err, resolve: () => {}, reject, callbacks: [] });
        for (const m of group.members) m.reject(m.failure ?? err);
      }
    } finally {
      this.committed = [];
    }
  }

  /**
   * Commits a write group, then answers its members in order (after-commit callbacks first; a
   * member that failed, with its own error).
   */
  private commitGroup(group: WriteGroup): void {
    // Already gone: rolled back whole by SQLite (its members were told), or committed by close().
    if (this.group !== group) return;
    this.group = null;
    try {
      this.writer.exec('COMMIT');
    } catch (err) {
      try {
        if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
      } finally {
        for (const m of group.members) m.reject(m.failure ?? err);
      }
      return;
    }
    this.commits += 1;
    if (group.authWritten) this.authCommits += 1;
    for (const m of group.members) {
      if (m.failure !== null) {
        m.reject(m.failure);
        continue;
      }
      try {
        for (const cb of m.callbacks) cb();
        m.resolve();
      } catch (err) {
        // As a lone transaction would: committed, but its caller hears what failed after.
        m.reject(err);
      }
    }
  }

  /** The in-memory mode: one connection, its reads queued among transactions, one commit each. */
  private soloTransaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw new Error('storage is closed');
      this.writer.exec('BEGIN IMMEDIATE');
      this.committed = [];
      this.authWritten = false;
      try {
        const result = await this.insideTransaction.run(true, () => fn(this.writeRepos));
        this.writer.exec('COMMIT');
        this.commits += 1;
        if (this.authWritten) this.authCommits += 1;
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

  // Not `async`: returning fn's promise itself spares every read the adoption of one promise by
  // another. A callback that throws before its first await still rejects, never throws here.
  read<T>(_scope: Scope, fn: (r: Repositories) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('storage is closed'));
    // A reader connection sees only committed data: the read runs at once (no closure made, as
    // this is every read's path).
    if (this.reader) return this.runRead(fn);
    // Single connection: wait for queued transactions so a read never sees uncommitted writes,
    // except a read made from inside the running transaction itself (waiting would deadlock).
    if (this.insideTransaction.getStore() === true) return this.runRead(fn);
    const run = () => this.runRead(fn);
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** fn on the read repositories; a callback that throws before its first await rejects instead. */
  private runRead<T>(fn: (r: Repositories) => Promise<T>): Promise<T> {
    try {
      return fn(this.readRepos);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Moves whenever anything is committed: another connection's commit (the CLI, another process)
   * moves the writer's data_version, a commit of this storage moves its own count. (The reader's
   * data_version would move on both, but that is a second PRAGMA per request where the auth token
   * needs the writer's anyway.) The in-memory mode has no other process: its own commits.
   */
  changeToken(): string {
    return this.changeTokens().data;
  }

  /**
   * Moves on a commit of this storage that wrote api_keys or organizations, and on any commit of
   * another connection (the CLI, another process: what they wrote is not known here). Module
   * installs and credential stores of this process leave it alone. The in-memory mode has one
   * connection and no other process: its commits of those tables only.
   */
  authChangeToken(): string {
    return this.changeTokens().auth;
  }

  /**
   * Both tokens from one read of data_version (the HTTP auth hook takes both per request). While
   * the WAL-index header is byte for byte the one seen at the last read, no connection of any
   * process has committed since, so data_version has not moved and the last tokens still hold:
   * one pread instead of a statement, and no new strings. Any change of the header (a commit here
   * or elsewhere, a WAL restart) reads data_version again.
   */
  changeTokens(): { data: string; auth: string } {
    if (this.closed) throw new Error('storage is closed');
    const unchanged = this.walHeader?.unchanged() === true;
    if (
      unchanged &&
      this.tokens !== null &&
      this.tokensCommits === this.commits &&
      this.tokensAuthCommits === this.authCommits
    ) {
      return this.tokens;
    }
    const foreign = this.writerDataVersion === null ? 0 : this.writerDataVersion.get();
    this.tokens = { data: `v${foreign}:${this.commits}`, auth: `a${foreign}:${this.authCommits}` };
    this.tokensCommits = this.commits;
    this.tokensAuthCommits = this.authCommits;
    return this.tokens;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let queued transactions finish, and the open write group commit, before the connections go away.
    await this.queue;
    if (this.group !== null) this.commitGroup(this.group);
    this.closed = true;
    this.walHeader?.close();
    this.reader?.close();
    this.writer.close();
  }
}
