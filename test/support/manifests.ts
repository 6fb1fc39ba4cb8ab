/** Manifest builders for tests: a fresh object per call, never a shared mutable fixture. */
export function manifest(moduleId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const [category, platform] = moduleId.split('/') as [string, string];
  return { name: platform, category, platform, version: '1.0.0', auth_type: 'api_key', ...extra };
}

export const WEATHER = 'weather/openweather';
export const CALENDAR = 'calendar/google_calendar';
export const SEARCH = 'search/serpapi';
