import type { ExecutableModule } from '../agent/conversation-service.js';
import { isModuleId, MODULE_PART_MAX } from '../ids.js';
import { ANY_OBJECT, httpInputSchema, type InputSchema } from './input-schema.js';

/** One MCP tool: an action of an enabled module of the caller's org. */
export interface ModuleTool {
  name: string;
  description: string;
  inputSchema: InputSchema;
  moduleId: string;
  action: string;
}

/** `<category>__<platform>__<action>`: module ids hold a slash, which tool names may not. */
export function toolName(moduleId: string, action: string): string {
  return `${moduleId.replace('/', '__')}__${action}`;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function describe(module: ExecutableModule, action: string, how: string | null): string {
  const m = module.manifest;
  const title = text(m.display_name) ?? text(m.name) ?? module.moduleId;
  const about = text(m.description);
  return `${title} (${module.moduleId}): action "${action}"${how ? ` (${how})` : ''}${about ? `. ${about}` : ''}`;
}

/**
 * The tools of an org, by name, from its executable modules. A name is a tool only when it is in
 * this map, whatever org it might belong to: tools/call builds the map from the org's own rows of
 * the modules the name could belong to (candidateModuleIds), never trusting a reading of the name.
 * (Two ids could in principle spell the same name, `a__b/c` and `a/b__c`; the first listed wins.)
 */
export function toolCatalogue(modules: ExecutableModule[]): Map<string, ModuleTool> {
  const tools = new Map<string, ModuleTool>();
  const add = (tool: ModuleTool) => {
    if (!tools.has(tool.name)) tools.set(tool.name, tool);
  };
  for (const module of modules) {
    const { executable } = module;
    if (executable.kind === 'builtin') {
      for (const action of Object.keys(executable.module.actions).sort()) {
        add({
          name: toolName(module.moduleId, action),
          description: describe(module, action, 'built-in'),
          inputSchema: ANY_OBJECT,
          moduleId: module.moduleId,
          action,
        });
      }
      continue;
    }
    for (const [action, spec] of Object.entries(executable.spec.actions).sort(([a], [b]) =>
      a < b ? -1 : 1,
    )) {
      add({
        name: toolName(module.moduleId, action),
        description: describe(module, action, `${spec.method} ${spec.path}`),
        inputSchema: httpInputSchema(spec),
        moduleId: module.moduleId,
        action,
      });
    }
  }
  return tools;
}

/**
 * The module ids whose tools could be named `name`: every way of reading it as
 * `<category>__<platform>__<action>` (a part may itself hold `__`, or end with `_`, so every pair
 * of `__` positions, overlapping ones included), valid ids only. A tool of the catalogue named
 * `name` has its module among these; which of them is one is for the org's own rows to say.
 */
export function candidateModuleIds(name: string): string[] {
  // A part is at most MODULE_PART_MAX characters: only `__` positions that can end one are tried, so
  // a hostile name of any length costs at most (MODULE_PART_MAX + 1)^2 short candidates (every pair
  // of positions of a long name would cost cubic time on the event loop, for every org).
  const at: number[] = [];
  const last = 2 * MODULE_PART_MAX + 2;
  for (let i = name.indexOf('__'); i !== -1 && i <= last; i = name.indexOf('__', i + 1)) at.push(i);
  const ids = new Set<string>();
  for (const [k, i] of at.entries()) {
    if (i > MODULE_PART_MAX) break;
    for (const j of at.slice(k + 1)) {
      if (j < i + 2) continue;
      if (j - (i + 2) > MODULE_PART_MAX) break;
      const id = `${name.slice(0, i)}/${name.slice(i + 2, j)}`;
      if (isModuleId(id)) ids.add(id);
    }
  }
  return [...ids];
}
