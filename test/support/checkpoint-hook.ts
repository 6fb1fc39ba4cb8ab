import type { Repositories } from '../../src/storage/stores.js';
import type { Vault } from '../../src/vault.js';
import { internalsOf } from '../../src/vault-internals.js';

/**
 * Pauses the first transaction that reads a conversation's checkpoint and finds none, right after
 * that read, to run `hook` (e.g. another invocation) before the transaction goes on. Every read and
 * write still goes to the vault's real storage; only the moment is chosen. Returns a counter of the
 * transactions that read a checkpoint (a rolled-back attempt counts too). The one place tests wrap
 * the storage under a vault.
 */
export function pauseAfterFirstEmptyCheckpointRead(
  vault: Vault,
  hook: () => Promise<void>,
): { checkpointTransactions(): number } {
  const storage = internalsOf(vault).storage;
  const transaction = storage.transaction.bind(storage);
  let fired = false;
  let count = 0;
  storage.transaction = ((scope, fn) =>
    transaction(scope, (tx) => {
      const checkpoints = new Proxy(tx.checkpoints, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (prop !== 'findCheckpoint' || typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            count++;
            const found = await value.apply(target, args);
            if (found === null && !fired) {
              fired = true;
              await hook();
            }
            return found;
          };
        },
      });
      const wrapped = new Proxy(tx, {
        get: (target, prop, receiver) =>
          prop === 'checkpoints' ? checkpoints : Reflect.get(target, prop, receiver),
      }) as Repositories;
      return fn(wrapped);
    })) as typeof storage.transaction;
  return { checkpointTransactions: () => count };
}
