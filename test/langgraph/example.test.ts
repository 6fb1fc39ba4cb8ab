import { describe, expect, it } from 'vitest';
import { EXAMPLE_SECRETS, runExample } from '../../examples/langgraph-agent/run-example.js';
import { selectedBackends } from '../support/backends.js';

/** examples/langgraph-agent (npm run example:langgraph), run on every selected engine. */
for (const backend of await selectedBackends()) {
  describe(`[${backend.name}] the LangGraph agent example`, () => {
    it('pauses before the tool, resumes from its checkpoint in a reopened vault, each org with its own credentials', async () => {
      const db = await backend.fresh();
      try {
        const runs = await runExample({ ...db.options, warn: () => {} });
        expect(
          runs.map((r) => [r.orgId, r.pausedBefore, r.credentialFields, r.conversationToolCalls]),
        ).toEqual([
          ['acme', ['tools'], ['api_key'], 1],
          ['globex', ['tools'], ['api_key', 'region'], 1],
        ]);
        for (const run of runs) {
          expect(run.answer).toMatch(/^tool said: \{"input":\{"city":"Lisbon"\}/);
          // input, agent (tool call), tools, agent (answer): each step checkpointed, history kept.
          expect(run.checkpoints).toBeGreaterThanOrEqual(4);
        }
        const output = JSON.stringify(runs);
        for (const secret of EXAMPLE_SECRETS) expect(output).not.toContain(secret);
      } finally {
        await db.dispose();
      }
    });
  });
}
