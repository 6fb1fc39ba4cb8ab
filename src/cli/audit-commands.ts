import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { auditExportLine } from '../audit/audit-event-json.js';
import { internalsOf } from '../vault-internals.js';
import { CliError, EXIT, printJson, withVault } from './context.js';
import { exitCodes } from './help.js';

/** Reads a checkpoint file (the JSON of GET /v1/audit/checkpoint); a missing or non-JSON file is a user error. */
function readCheckpointFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`cannot read checkpoint file ${file}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError(`checkpoint file ${file} is not JSON`);
  }
}

/** A malformed --after is bad usage (exit 2), like any malformed option value. */
function parseSeq(value: string): number {
  if (!/^[0-9]{1,15}$/.test(value)) throw new InvalidArgumentError('must be a sequence number');
  return Number(value);
}

/** Writes a line to stdout, waiting when the pipe is full (an export can be long). */
function writeLine(line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.stdout.write(line)) resolve();
    else {
      process.stdout.once('drain', resolve);
      process.stdout.once('error', reject);
    }
  });
}

/** `orgvault audit verify` and `orgvault audit export`. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('audit trail');

  exitCodes(
    audit
      .command('verify')
      .description(
        "check an organization's audit hash chain (detects edited, deleted or reordered events); with " +
          '--checkpoint, also that it still holds the events a signed checkpoint saw (detects a deleted tail)',
      )
      .requiredOption('--org <org_id>', 'organization id')
      .option('--checkpoint <file>', 'a checkpoint saved from GET /v1/audit/checkpoint')
      .option('--json', 'print JSON'),
    '0 intact (and holding the checkpoint), 1 broken, the checkpoint does not hold, or an error (one line on stderr), 2 bad usage.',
  ).action(async (opts: { org: string; checkpoint?: string; json?: boolean }) => {
    const checkpoint = opts.checkpoint === undefined ? undefined : readCheckpointFile(opts.checkpoint);
    await withVault(async (vault) => {
      await internalsOf(vault).orgs.require(vault.org(opts.org).orgId);
      if (checkpoint === undefined) {
        const result = await vault.system.verifyAuditChain(opts.org);
        if (opts.json) {
          printJson({
            org_id: opts.org,
            ok: result.ok,
            events: result.events,
            broken_at: result.brokenAt ?? null,
            reason: result.reason ?? null,
          });
        } else if (result.ok) {
          process.stdout.write(`audit chain of ${opts.org} is intact (${result.events} events)\n`);
        }
        if (!result.ok) {
          process.stderr.write(
            `orgvault: audit chain of ${opts.org} is broken at event ${result.brokenAt}: ${result.reason}\n`,
          );
          process.exitCode = EXIT.userError;
        }
        return;
      }
      const result = await vault.system.verifyAuditCheckpoint(opts.org, checkpoint);
      if (opts.json) {
        printJson({
          org_id: opts.org,
          ok: result.ok,
          events: result.chain?.events ?? null,
          checkpoint_seq: result.ok ? result.checkpoint.seq : null,
          code: result.ok ? null : result.code,
          broken_at: result.chain?.brokenAt ?? null,
          reason: result.ok ? null : result.reason,
        });
      } else if (result.ok) {
        process.stdout.write(
          `audit chain of ${opts.org} is intact (${result.chain.events} events) and holds the checkpoint ` +
            `of ${result.checkpoint.at} (event ${result.checkpoint.seq}, key ${result.checkpoint.keyId})\n`,
        );
      }
      if (!result.ok) {
        process.stderr.write(`orgvault: audit checkpoint of ${opts.org} does not hold: ${result.reason}\n`);
        process.exitCode = EXIT.userError;
      }
    });
  });

  audit
    .command('export')
    .description("write an organization's audit events as NDJSON (oldest first, one event a line) to stdout")
    .requiredOption('--org <org_id>', 'organization id')
    .option('--after <seq>', 'only events with a greater seq', parseSeq, 0)
    .action(async (opts: { org: string; after: number }) => {
      await withVault(async (vault) => {
        for await (const e of await vault.org(opts.org).audit.export(opts.after)) {
          await writeLine(auditExportLine(e));
        }
      });
    });
}
