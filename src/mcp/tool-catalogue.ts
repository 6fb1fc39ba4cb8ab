import type { ExecutableModule } from '../agent/conversation-service.js';
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
 * The tools of an org, by name, from its executable modules. Names are looked up here, never
 * parsed back into a module id: a name that is not in this map is unknown, whatever org it might
 * belong to. (Two ids could in principle spell the same name, `a__b/c` and `a/b__c`; the first listed wins.)
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
