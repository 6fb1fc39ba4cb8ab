import { AIMessage, HumanMessage } from '@langchain/core/messages';
import type { BaseCheckpointSaver, ChannelVersions, Checkpoint } from '@langchain/langgraph-checkpoint';
import { emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';
import { OrgvaultSaver } from '../src/langgraph/index.js';
import type { Vault } from '../src/vault.js';
import type { BenchCase } from './harness.js';

const THREADS = 50;
const meta = { source: 'loop' as const, step: 1, parents: {} };

/**
 * A small agent step: a few chat messages and a counter, both changed (so both are written as
 * deltas). `chat`: the messages as LangChain message objects, as a chat agent keeps them, which
 * both savers' serializers revive on every read; otherwise plain objects, which OrgvaultSaver reads
 * without the reviver's walk (src/langgraph/plain-json.ts): both rows are printed.
 */
function step(i: number, chat = false): { checkpoint: Checkpoint; versions: ChannelVersions } {
  const messages = Array.from({ length: 4 }, (_, k) => {
    const content = `message ${i}-${k}`;
    if (chat) return k % 2 ? new AIMessage(content) : new HumanMessage(content);
    return { role: k % 2 ? 'ai' : 'human', content };
  });
  const versions = { messages: i + 1, counter: i + 1 };
  return {
    checkpoint: {
      ...emptyCheckpoint(),
      id: uuid6(-1),
      channel_values: { messages, counter: i },
      channel_versions: versions,
    },
    versions,
  };
}

const threadOf = (i: number, prefix = 'bench') => ({
  configurable: { thread_id: `${prefix}-${i % THREADS}`, checkpoint_ns: '' },
});

/**
 * `langgraph.put` and `langgraph.getTuple`: OrgvaultSaver (sealed, per org) against a LangGraph
 * saver of the same engine that does no encryption and no tenancy, measured in the same run.
 */
export async function langgraphCases(
  vault: Vault,
  orgId: string,
  floor: BaseCheckpointSaver,
): Promise<BenchCase[]> {
  const ours = new OrgvaultSaver(vault.org(orgId));
  for (const saver of [ours, floor]) {
    for (let t = 0; t < THREADS; t++) {
      for (const chat of [false, true]) {
        const { checkpoint, versions } = step(t, chat);
        await saver.put(threadOf(t, chat ? 'chat' : 'bench'), checkpoint, meta, versions);
      }
    }
  }
  const put = (saver: BaseCheckpointSaver) => (i: number) => {
    const { checkpoint, versions } = step(i);
    return saver.put(threadOf(i), checkpoint, meta, versions);
  };
  const get =
    (saver: BaseCheckpointSaver, prefix = 'bench') =>
    (i: number) =>
      saver.getTuple(threadOf(i, prefix));
  return [
    { name: 'langgraph.put', run: put(ours), floor: put(floor) },
    { name: 'langgraph.getTuple', run: get(ours), floor: get(floor) },
    { name: 'langgraph.getTuple.chat', run: get(ours, 'chat'), floor: get(floor, 'chat') },
  ];
}
