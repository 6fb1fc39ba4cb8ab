import { AIMessage, AIMessageChunk, type BaseMessage, ToolMessage } from '@langchain/core/messages';
import type { RunnableConfig } from '@langchain/core/runnables';
import { FakeStreamingChatModel } from '@langchain/core/utils/testing';
import { Annotation, END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { OrgvaultSaver } from '../../src/langgraph/index.js';
import type { Vault } from '../../src/vault.js';

/** The orgvault module the agent's tool calls run: a built-in that echoes its input and the credential field names. */
export const TOOL_MODULE = 'demo/echo';

/** The agent's state: LangGraph's messages, plus the org every tool call resolves in. */
const AgentState = Annotation.Root({
  ...MessagesAnnotation.spec,
  orgId: Annotation<string>(),
});

/**
 * A StateGraph agent checkpointed by OrgvaultSaver: a (fake, offline) chat model asks for a tool
 * call; the tool node runs it as an orgvault module in the state's org, in the conversation named
 * by the thread id, so the call also lands in that conversation's tool results. The graph stops
 * before the tool node: a second run (another process, a reopened vault) resumes from the checkpoint.
 */
export function buildAgent(vault: Vault, orgId: string) {
  const model = new FakeStreamingChatModel({
    sleep: 0,
    chunks: [
      new AIMessageChunk({
        content: '',
        tool_calls: [{ id: 'call-1', name: TOOL_MODULE, args: { city: 'Lisbon' }, type: 'tool_call' }],
      }),
    ],
  });

  async function agent(state: typeof AgentState.State): Promise<{ messages: BaseMessage[] }> {
    const last = state.messages.at(-1);
    // The model has had its tool result: answer from it (a scripted model would say the same).
    if (last instanceof ToolMessage) return { messages: [new AIMessage(`tool said: ${String(last.content)}`)] };
    return { messages: [await model.invoke(state.messages)] };
  }

  async function tools(state: typeof AgentState.State, config: RunnableConfig) {
    const call = (state.messages.at(-1) as AIMessage).tool_calls?.[0];
    if (!call) throw new Error('the tool node runs only after a tool call');
    const conversationId = config.configurable?.thread_id as string;
    // The state's org, not a caller-chosen one: credentials are injected and the result scrubbed there.
    const { result } = await vault.org(state.orgId).conversations.invoke(conversationId, {
      moduleId: call.name,
      action: 'echo',
      input: call.args,
    });
    return { messages: [new ToolMessage({ tool_call_id: call.id ?? call.name, content: JSON.stringify(result) })] };
  }

  const route = (state: typeof AgentState.State) =>
    (state.messages.at(-1) as AIMessage).tool_calls?.length ? 'tools' : END;

  return new StateGraph(AgentState)
    .addNode('agent', agent)
    .addNode('tools', tools)
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', route, ['tools', END])
    .addEdge('tools', 'agent')
    .compile({ checkpointer: new OrgvaultSaver(vault.org(orgId)), interruptBefore: ['tools'] });
}
