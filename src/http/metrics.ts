import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one app (its own registry: two apps in one process never share counters).
 * Labels are route templates, methods and statuses only: never an org id, key id, raw URL, anything
 * a client chose, or why an authentication failed (the endpoint is public; see the auth hook).
 */
export class HttpMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;
  readonly authFailures: Counter;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'orgvault_' });
    this.requests = new Counter({
      name: 'orgvault_http_requests_total',
      help: 'HTTP requests by route template, method and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'orgvault_http_request_duration_seconds',
      help: 'HTTP request duration by route template',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.authFailures = new Counter({
      name: 'orgvault_auth_failures_total',
      help: 'Refused authentications, every reason counted together',
      registers: [this.registry],
    });
  }
}
