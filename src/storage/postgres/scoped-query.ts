import pg from 'pg';

/** A transaction-local setting to apply before the first statement: `set_config(name, value, true)`. */
export interface ScopeSetting {
  name: string;
  value: string;
}

// pg exports its Query class at run time; @types/pg declares it without the protocol hooks we use.
interface ProtocolConnection {
  /** Named statements this connection holds (pg's own bookkeeping, shared with its queries). */
  parsedStatements: Record<string, string>;
  parse(msg: { text: string; name?: string }): void;
  bind(msg: { statement?: string; values: unknown[]; valueMapper?: (v: unknown) => unknown }): void;
  execute(msg: Record<string, never>): void;
  sync(): void;
}
type QueryInternals = {
  name?: string;
  text?: string;
  prepare(connection: ProtocolConnection): void;
  handleRowDescription(msg: unknown): void;
  handleDataRow(msg: unknown): void;
  handleCommandComplete(msg: unknown, connection: ProtocolConnection): void;
  requiresPreparation(): boolean;
  handleError(err: Error, connection: ProtocolConnection): void;
};
const prepareValue = (pg as unknown as { utils: { prepareValue(v: unknown): unknown } }).utils.prepareValue;
const BaseQuery = pg.Query as unknown as new (
  config: pg.QueryConfig,
  values: unknown[] | undefined,
  callback: (err: Error | null, result: pg.QueryResult) => void,
) => QueryInternals;

interface Tainted {
  orgvaultTainted?: boolean;
}

/** True when a failed batch left this client's prepared statements uncertain: discard, never reuse. */
export function isTainted(client: pg.ClientBase): boolean {
  return (client as unknown as { connection?: Tainted }).connection?.orgvaultTainted === true;
}

/** A statement sent ahead of another in the same round trip; its result is discarded. */
export interface PrefixStatement {
  /** When set, prepared once per connection under this name and reused (no parse and plan per use). */
  name?: string;
  text: string;
  values: unknown[];
}

/**
 * A statement preceded by others in ONE round trip: each prefix statement goes out as Parse/Bind/
 * Execute, then the statement itself, then a single Sync. The server runs them strictly in order,
 * each as its own statement (so under READ COMMITTED each takes its own snapshot, after the previous
 * one finished), and every value is a bound parameter.
 *
 * Used to open a scoped transaction with its first statement (`BEGIN`, `SELECT set_config($1, $2,
 * true)`, statement): without it a one-query tenant read costs four round trips (BEGIN, set_config,
 * query, COMMIT); with it, two. The read path (scoped-reads.ts) needs no BEGIN at all.
 * Also used to take an advisory lock right before the read it guards (audit.ts).
 */
class PrefixedQuery extends BaseQuery {
  private prefixPending: number;
  /** Named statements this batch parses, its own included (a failure then taints the connection). */
  private readonly parsedHere: string[] = [];

  constructor(
    config: pg.QueryConfig,
    private readonly prefix: PrefixStatement[],
    callback: (err: Error | null, result: pg.QueryResult) => void,
  ) {
    super(config, undefined, callback);
    this.prefixPending = prefix.length;
  }

  override requiresPreparation(): boolean {
    return true;
  }

  override prepare(connection: ProtocolConnection): void {
    // pg records a named statement as parsed on the first ParseComplete of the batch, which may be a
    // prefix's; if the batch then fails, the server skipped our Parse: forget it (see handleError).
    if (this.name && connection.parsedStatements[this.name] !== this.text) this.parsedHere.push(this.name);
    try {
      for (const p of this.prefix) {
        if (!p.name) connection.parse({ text: p.text });
        else if (connection.parsedStatements[p.name] !== p.text) {
          connection.parse({ name: p.name, text: p.text });
          // Recorded now, as pg does for its own statements; a failed batch taints the connection.
          connection.parsedStatements[p.name] = p.text;
          this.parsedHere.push(p.name);
        }
        // The same value mapping pg applies to its own statements (numbers, Buffers, null, Dates).
        connection.bind({ statement: p.name || '', values: p.values, valueMapper: prepareValue });
        connection.execute({});
      }
    } catch (err) {
      // A value that cannot be sent: end the batch so the connection stays usable, fail this query.
      connection.sync();
      this.handleError(err as Error, connection);
      return;
    }
    super.prepare(connection);
  }

  override handleError(err: Error, connection: ProtocolConnection): void {
    // The batch failed after parsing named statements: which Parse the server ran before the error,
    // and which it skipped, cannot be told from here (pg records the main statement as parsed on the
    // first ParseComplete, even a prefix's). Such a connection must not be reused (see isTainted).
    if (this.parsedHere.length > 0) (connection as ProtocolConnection & Tainted).orgvaultTainted = true;
    super.handleError(err, connection);
  }

  // The prefix statements answer first; their rows and tags are not this query's result.
  override handleRowDescription(msg: unknown): void {
    if (this.prefixPending === 0) super.handleRowDescription(msg);
  }
  override handleDataRow(msg: unknown): void {
    if (this.prefixPending === 0) super.handleDataRow(msg);
  }
  override handleCommandComplete(msg: unknown, connection: ProtocolConnection): void {
    if (this.prefixPending > 0) this.prefixPending -= 1;
    else super.handleCommandComplete(msg, connection);
  }
}

interface Unnamed {
  orgvaultUnnamed?: boolean;
}

/**
 * Marks a connection as one whose statements must go out unnamed (Parse of the unnamed statement
 * every time): what a transaction-pooling PgBouncer before 1.21 needs, since the next transaction may
 * run on another server connection that never saw a named Parse. Set per pool, never globally.
 */
export function useUnnamedStatements(client: pg.ClientBase): void {
  (client as unknown as Unnamed).orgvaultUnnamed = true;
}

/** Runs `prefix` then `config` in one round trip; resolves with the result of `config` alone. */
export function queryWithPrefix(
  client: pg.ClientBase,
  prefixGiven: PrefixStatement[],
  configGiven: pg.QueryConfig,
): Promise<pg.QueryResult> {
  let prefix = prefixGiven;
  let config = configGiven;
  if ((client as unknown as Unnamed).orgvaultUnnamed === true) {
    prefix = prefixGiven.map(({ text, values }) => ({ text, values }));
    const { name: _name, ...rest } = configGiven;
    config = rest;
  }
  if (prefix.length === 0) return client.query(config);
  return new Promise((resolve, reject) => {
    const query = new PrefixedQuery(config, prefix, (err, result) => (err ? reject(err) : resolve(result)));
    // client.query accepts any Submittable; pg.Query is one.
    (client as unknown as { query(q: unknown): void }).query(query);
  });
}

/** What opens a scoped transaction: BEGIN and the transaction-local setting (SET LOCAL). */
export function scopeOpening(begin: 'BEGIN' | 'BEGIN READ ONLY', setting: ScopeSetting): PrefixStatement[] {
  return [
    { name: begin === 'BEGIN' ? 'ov_begin' : 'ov_begin_ro', text: begin, values: [] },
    { name: 'ov_set_scope', text: 'SELECT set_config($1, $2, true)', values: [setting.name, setting.value] },
  ];
}
