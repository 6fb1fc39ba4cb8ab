import pg from 'pg';

/** A transaction-local setting to apply before the first statement: `set_config(name, value, true)`. */
export interface ScopeSetting {
  name: string;
  value: string;
}

// pg exports its Query class at run time; @types/pg declares it without the protocol hooks we use.
interface ProtocolConnection {
  parse(msg: { text: string; name?: string }): void;
  bind(msg: { statement?: string; values: unknown[] }): void;
  execute(msg: Record<string, never>): void;
}
type QueryInternals = {
  prepare(connection: ProtocolConnection): void;
  handleRowDescription(msg: unknown): void;
  handleDataRow(msg: unknown): void;
  handleCommandComplete(msg: unknown, connection: ProtocolConnection): void;
  requiresPreparation(): boolean;
};
const BaseQuery = pg.Query as unknown as new (
  config: pg.QueryConfig,
  values: unknown[] | undefined,
  callback: (err: Error | null, result: pg.QueryResult) => void,
) => QueryInternals;

/**
 * The first statement of a scoped transaction, sent in ONE round trip with what opens the scope:
 * `BEGIN [READ ONLY]`, `SELECT set_config($1, $2, true)`, then the statement itself, as extended-
 * protocol messages behind a single Sync. The server runs them strictly in order, so the setting is
 * in force before the statement's row-level security is evaluated, it is transaction-local
 * (set_config's third argument = SET LOCAL) and every value is a bound parameter.
 *
 * Without this, a one-query tenant read costs four round trips (BEGIN, set_config, query, COMMIT);
 * with it, two, and the read path does not wait for the second (see ScopedTransaction).
 */
class ScopedFirstQuery extends BaseQuery {
  private prefixPending = 2;

  constructor(
    config: pg.QueryConfig,
    private readonly begin: string,
    private readonly setting: ScopeSetting,
    callback: (err: Error | null, result: pg.QueryResult) => void,
  ) {
    super(config, undefined, callback);
  }

  override requiresPreparation(): boolean {
    return true;
  }

  override prepare(connection: ProtocolConnection): void {
    connection.parse({ text: this.begin });
    connection.bind({ values: [] });
    connection.execute({});
    connection.parse({ text: 'SELECT set_config($1, $2, true)' });
    connection.bind({ values: [this.setting.name, this.setting.value] });
    connection.execute({});
    super.prepare(connection);
  }

  // The two prefix statements answer before the real one; their rows and tags are not its result.
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

/** Runs `config` as the first statement of a new transaction with `setting` applied (one round trip). */
export function queryOpeningScope(
  client: pg.ClientBase,
  begin: 'BEGIN' | 'BEGIN READ ONLY',
  setting: ScopeSetting,
  config: pg.QueryConfig,
): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    const query = new ScopedFirstQuery(config, begin, setting, (err, result) =>
      err ? reject(err) : resolve(result),
    );
    // client.query accepts any Submittable; pg.Query is one.
    (client as unknown as { query(q: unknown): void }).query(query);
  });
}
