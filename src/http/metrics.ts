import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Bound on remembered label sets; past it the memory starts over (the series stay in the registry). */
const MAX_BOUND_SERIES = 4096;

interface BoundSeries {
  requests: { inc(): void };
  duration: { observe(value: number): void };
}

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
  /**
   * The counter and histogram children per (method, route, status), bound once: `inc(labels)` hashes
   * and sorts its label object on every call, a measurable share of a cheap request.
   */
  private readonly bound = new Map<string, BoundSeries>();

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

  /** Counts one answered request and its duration (seconds). */
  recordRequest(method: string, route: string, status: number, seconds: number): void {
    const id = `${method} ${status} ${route}`;
    let series = this.bound.get(id);
    if (series === undefined) {
      if (this.bound.size >= MAX_BOUND_SERIES) this.bound.clear();
      series = {
        requests: this.requests.labels({ method, route, status: String(status) }),
        duration: this.duration.labels({ method, route }),
      };
      this.bound.set(id, series);
    }
    series.requests.inc();
    series.duration.observe(seconds);
  }
}
