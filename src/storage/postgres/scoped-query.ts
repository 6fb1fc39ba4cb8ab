import pg from 'pg';

/** A transaction-local setting to apply before the first statement: `set_config(name, value, true)`. */
export interface ScopeSetting {
  name: string;
  value: string;
}

// pg exports its Query class at run time; @types/pg declares it without the protocol hooks we use.
interface ProtocolConnection {
  parse(msg: { text: string; name?: string }): void;
  bind(msg: { statement?: string; values: unknown[]; valueMapper?: (v: unknown) => unknown }): void;
  execute(msg: Record<string, never>): void;
  sync(): void;
}
type QueryInternals = {
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

/** A statement sent ahead of another in the same round trip; its result is discarded. */
export interface PrefixStatement {
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
    try {
      for (const p of this.prefix) {
        connection.parse({ text: p.text });
        // The same value mapping pg applies to its own statements (numbers, Buffers, null, Dates).
        connection.bind({ values: p.values, valueMapper: prepareValue });
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

/** Runs `prefix` then `config` in one round trip; resolves with the result of `config` alone. */
export function queryWithPrefix(
  client: pg.ClientBase,
  prefix: PrefixStatement[],
  config: pg.QueryConfig,
): Promise<pg.QueryResult> {
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
    { text: begin, values: [] },
    { text: 'SELECT set_config($1, $2, true)', values: [setting.name, setting.value] },
  ];
}

/** Runs `config` as the first statement of a new transaction with `setting` applied (one round trip). */
export function queryOpeningScope(
  client: pg.ClientBase,
  begin: 'BEGIN' | 'BEGIN READ ONLY',
  setting: ScopeSetting,
  config: pg.QueryConfig,
): Promise<pg.QueryResult> {
  return queryWithPrefix(client, scopeOpening(begin, setting), config);
}
