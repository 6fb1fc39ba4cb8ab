/** The `orgvault/langgraph` entry point: a LangGraph.js checkpoint saver per org. */
export { OrgvaultSaver } from './orgvault-saver.js';
