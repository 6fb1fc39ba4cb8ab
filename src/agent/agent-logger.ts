/**
 * Where the runtime reports invocations (pino's shape, so an app's pino logger fits). Lines carry
 * ids, codes and timings only: never inputs, results or credential values.
 */
export interface AgentLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export const SILENT_LOGGER: AgentLogger = { info() {}, warn() {} };
