import type { Config } from '../../config.js';
import type { Vault } from '../../vault.js';
import type { HttpMetrics } from '../metrics.js';

/** What a route file gets: built once per app, no module-level state. */
export interface RouteDeps {
  vault: Vault;
  config: Config;
  metrics: HttpMetrics;
}
