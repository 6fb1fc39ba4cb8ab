import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { diagnoseStorage, engineOf, type StorageFinding } from '../storage/engines.js';
import { printJson } from './context.js';
import { exitCodes } from './help.js';

type Finding = StorageFinding;

/**
 * `orgvault doctor`: prints the checks the server runs at start (PostgreSQL: schema version, runtime
 * role neither superuser nor BYPASSRLS nor table owner, RLS enabled and forced on every tenant
 * table; Redis when ORGVAULT_REDIS_URL is set). Exit 1 when one fails. Never prints a URL: it may
 * carry a password.
 */
export function registerDoctorCommand(program: Command): void {
  exitCodes(
    program
      .command('doctor')
      .description('check the database setup (PostgreSQL: row-level security and roles) without starting')
      .option('--json', 'print the result as JSON'),
    '0 every check passed, 1 a check failed or an error (one line on stderr), 2 bad usage.',
  ).action(async (opts: { json?: boolean }) => {
    const config = loadConfig();
    const engine = engineOf(config.databaseUrl);
    const findings: Finding[] = await diagnoseStorage(config.databaseUrl, config.databaseOwnerUrl);
    if (config.redisUrl) findings.push(await checkRedis(config.redisUrl));
    const ok = findings.every((f) => f.ok);
    if (opts.json) printJson({ ok, engine, checks: findings });
    else {
      process.stdout.write(`engine: ${engine}\n`);
      for (const f of findings) process.stdout.write(`${f.ok ? 'ok  ' : 'FAIL'}  ${f.check}: ${f.detail}\n`);
      process.stdout.write(
        ok ? 'all checks passed\n' : 'some checks FAILED: the server would refuse to start\n',
      );
    }
    if (!ok) process.exitCode = 1;
  });
}

/** Several nodes share rate-limit counters through Redis: say whether it answers (never its URL). */
async function checkRedis(url: string): Promise<Finding> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const pong = await redis.ping();
    return { ok: pong === 'PONG', check: 'rate-limit store', detail: 'Redis (ORGVAULT_REDIS_URL) answers' };
  } catch (err) {
    return {
      ok: false,
      check: 'rate-limit store',
      detail: `Redis (ORGVAULT_REDIS_URL) does not answer: ${(err as Error).message}; the server would refuse to start`,
    };
  } finally {
    redis.disconnect();
  }
}
