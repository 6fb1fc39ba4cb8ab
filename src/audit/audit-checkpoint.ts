import { sign, verify } from 'node:crypto';
import { z } from 'zod';
import { type Clock, isoNow } from '../clock.js';
import { type AuditLog, type ChainVerification, GENESIS_HASH } from './audit-log.js';
import type { AuditSigningKeys } from './audit-signing-keys.js';

/**
 * A signed statement "org X's audit chain had `seq` events and its newest hash was `head` at `at`".
 * A chain alone cannot show that its newest events were deleted; a checkpoint the tenant kept can.
 */
export interface AuditCheckpoint {
  orgId: string;
  seq: number;
  head: string;
  at: string;
  keyId: string;
  /** Ed25519 over checkpointMessage(), base64. */
  signature: string;
}

/** The exact bytes that are signed (DESIGN.md, Audit). */
export function checkpointMessage(c: Pick<AuditCheckpoint, 'orgId' | 'seq' | 'head' | 'at'>): Buffer {
  return Buffer.from(`orgvault-audit-checkpoint\n${c.orgId}\n${c.seq}\n${c.head}\n${c.at}\n`, 'utf8');
}

/** The wire and file form (GET /v1/audit/checkpoint, the file given to `audit verify --checkpoint`). */
export function checkpointToJson(c: AuditCheckpoint) {
  return { org_id: c.orgId, seq: c.seq, head: c.head, at: c.at, key_id: c.keyId, signature: c.signature };
}

const CheckpointJson = z.object({
  org_id: z.string().min(1).max(200),
  seq: z.number().int().min(0),
  head: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.string().min(1).max(64),
  key_id: z.string().min(1).max(64),
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/),
});

/** Why a checkpoint does not hold (denials are data: only bugs and broken storage throw). */
export type CheckpointFailure =
  | 'MALFORMED'
  | 'OTHER_ORG'
  | 'UNKNOWN_KEY'
  | 'BAD_SIGNATURE'
  | 'CHAIN_BROKEN'
  | 'CHAIN_SHORTER'
  | 'HEAD_DIFFERS';

export type CheckpointVerification =
  | { ok: true; checkpoint: AuditCheckpoint; chain: ChainVerification }
  | { ok: false; code: CheckpointFailure; reason: string; chain?: ChainVerification };

function parseCheckpoint(value: unknown): AuditCheckpoint | null {
  const parsed = CheckpointJson.safeParse(value);
  if (!parsed.success) return null;
  const c = parsed.data;
  return { orgId: c.org_id, seq: c.seq, head: c.head, at: c.at, keyId: c.key_id, signature: c.signature };
}

export interface AuditCheckpointOptions {
  audit: AuditLog;
  keys: AuditSigningKeys;
  clock: Clock;
}

/**
 * Issues and checks signed checkpoints: the one place that knows the rule, used by the HTTP routes,
 * the CLI and the library alike.
 */
export class AuditCheckpoints {
  private readonly audit: AuditLog;
  private readonly keys: AuditSigningKeys;
  private readonly clock: Clock;

  constructor(options: AuditCheckpointOptions) {
    this.audit = options.audit;
    this.keys = options.keys;
    this.clock = options.clock;
  }

  /** Signs the org's current head (seq 0 and the genesis hash for an empty chain). */
  async issue(orgId: string): Promise<AuditCheckpoint> {
    const [newest] = await this.audit.list(orgId, 1);
    const body = { orgId, seq: newest?.seq ?? 0, head: newest?.hash ?? GENESIS_HASH, at: isoNow(this.clock) };
    const key = this.keys.signer;
    if (key.privateKey === null) throw new Error('the first audit signing key has no private half');
    const signature = sign(null, checkpointMessage(body), key.privateKey).toString('base64');
    return { ...body, keyId: key.keyId, signature };
  }

  /** The verification keys, newest first, for anyone to check a checkpoint offline. */
  publicKeys(): Array<{ key_id: string; algorithm: 'Ed25519'; public_key: string }> {
    return this.keys.all().map((k) => ({
      key_id: k.keyId,
      algorithm: 'Ed25519',
      public_key: k.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    }));
  }

  /** Whether the checkpoint was signed by one of the configured keys (its chain is not looked at). */
  verifySignature(checkpoint: AuditCheckpoint): { ok: true } | { ok: false; code: CheckpointFailure } {
    const key = this.keys.find(checkpoint.keyId);
    if (key === undefined) return { ok: false, code: 'UNKNOWN_KEY' };
    const signature = Buffer.from(checkpoint.signature, 'base64');
    const valid = verify(null, checkpointMessage(checkpoint), key.publicKey, signature);
    return valid ? { ok: true } : { ok: false, code: 'BAD_SIGNATURE' };
  }

  /**
   * Checks a checkpoint the tenant kept (its parsed JSON) against the org's chain as stored now: the
   * checkpoint must be this org's and signed by a configured key, and the chain must be intact, at
   * least `seq` long, with the checkpoint's `head` as the hash of event `seq`. Deleting the newest
   * events, or rewriting them, is caught; events appended since the checkpoint are fine.
   */
  async verify(orgId: string, value: unknown): Promise<CheckpointVerification> {
    const checkpoint = parseCheckpoint(value);
    if (checkpoint === null) {
      return { ok: false, code: 'MALFORMED', reason: 'not an audit checkpoint' };
    }
    if (checkpoint.orgId !== orgId) {
      return { ok: false, code: 'OTHER_ORG', reason: `the checkpoint is of org ${checkpoint.orgId}` };
    }
    const signed = this.verifySignature(checkpoint);
    if (!signed.ok) {
      const reason =
        signed.code === 'UNKNOWN_KEY'
          ? `signed by key ${checkpoint.keyId}, which is not a configured audit signing key`
          : 'the signature does not verify';
      return { ok: false, code: signed.code, reason };
    }
    const chain = await this.audit.verify(orgId, { hashAt: checkpoint.seq });
    if (!chain.ok) {
      return {
        ok: false,
        code: 'CHAIN_BROKEN',
        reason: `the chain is broken at event ${chain.brokenAt}: ${chain.reason}`,
        chain,
      };
    }
    if (chain.events < checkpoint.seq) {
      return {
        ok: false,
        code: 'CHAIN_SHORTER',
        reason: `the chain has ${chain.events} events, the checkpoint of ${checkpoint.at} saw ${checkpoint.seq}: events were deleted`,
        chain,
      };
    }
    if (chain.hashAt !== checkpoint.head) {
      return {
        ok: false,
        code: 'HEAD_DIFFERS',
        reason: `event ${checkpoint.seq} differs from the one the checkpoint of ${checkpoint.at} signed`,
        chain,
      };
    }
    return { ok: true, checkpoint, chain };
  }
}
