import { HumanMessage } from '@langchain/core/messages';
import { OrgvaultSaver } from '../../src/langgraph/index.js';
import { type OpenVaultOptions, openVault } from '../../src/vault.js';
import { buildAgent, TOOL_MODULE } from './agent.js';

/** Two orgs, each with its own credentials, running the same thread id side by side. */
const ORGS = [
  { orgId: 'acme', credentials: { api_key: 'acme-secret-value-1' } },
  { orgId: 'globex', credentials: { api_key: 'globex-secret-value-2', region: 'eu-secret-region' } },
];
export const THREAD_ID = 'support-chat-1';

export interface OrgRun {
  orgId: string;
  /** Where the first run stopped: the node the checkpoint says comes next. */
  pausedBefore: string[];
  answer: string;
  credentialFields: string[];
  /** The orgvault conversation of the same id: the module calls the thread made. */
  conversationToolCalls: number;
  /** Checkpoints LangGraph kept for the thread (full history). */
  checkpoints: number;
}

/** On a new, empty database: runs the agent twice per org (pause before the tool, then resume in a reopened vault). */
export async function runExample(options: OpenVaultOptions): Promise<OrgRun[]> {
  const config = { configurable: { thread_id: THREAD_ID } };
  const paused = new Map<string, string[]>();
  const first = await openVault(options);
  try {
    for (const { orgId, credentials } of ORGS) {
      await first.system.createOrg(orgId, { name: orgId });
      const org = first.org(orgId);
      await org.modules.install({ name: 'echo', category: 'demo', platform: 'echo', version: '1.0.0' });
      await org.credentials.store(TOOL_MODULE, credentials);
      const graph = buildAgent(first, orgId);
      await graph.invoke({ messages: [new HumanMessage('weather in Lisbon?')], orgId }, config);
      paused.set(orgId, [...(await graph.getState(config)).next]);
    }
  } finally {
    await first.close();
  }

  // Second run: a new vault (as after a restart) resumes each org's thread from its checkpoint.
  const second = await openVault(options);
  try {
    const runs: OrgRun[] = [];
    for (const { orgId } of ORGS) {
      const graph = buildAgent(second, orgId);
      const final = await graph.invoke(null, config);
      const answer = String(final.messages.at(-1)?.content);
      const echoed = JSON.parse(answer.replace(/^tool said: /, '')) as { credential_fields: string[] };
      const history = new OrgvaultSaver(second.org(orgId)).list(config);
      let checkpoints = 0;
      for await (const _ of history) checkpoints++;
      runs.push({
        orgId,
        pausedBefore: paused.get(orgId) ?? [],
        answer,
        credentialFields: echoed.credential_fields,
        conversationToolCalls: (await second.org(orgId).conversations.get(THREAD_ID))?.toolResults.length ?? 0,
        checkpoints,
      });
    }
    return runs;
  } finally {
    await second.close();
  }
}

/** Every credential value the example stores: none may appear in what it returns. */
export const EXAMPLE_SECRETS = ORGS.flatMap((o) => Object.values(o.credentials));
