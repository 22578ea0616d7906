import { readFileSync } from 'node:fs';

/** How one Lua script is registered: its command name (versioned by its text through EVALSHA) and KEYS count. */
export interface ScriptDef {
  readonly name: string;
  readonly file: string;
  readonly keys: number;
  readonly readOnly?: boolean;
}

const luaDir = new URL('../../../lua/', import.meta.url);
const sources = new Map<string, string>();
const INCLUDE = /^-- @include ([a-z_]+)$/gm;

/**
 * A script's text as Redis runs it: lua/<file> with every `-- @include name` line replaced by
 * lua/includes/<name>.lua (shared single-function pieces, as BullMQ does it).
 */
export function scriptSource(file: string): string {
  let lua = sources.get(file);
  if (lua === undefined) {
    const text = readFileSync(new URL(file, luaDir), 'utf8');
    lua = text.replace(INCLUDE, (_, name: string) =>
      readFileSync(new URL(`includes/${name}.lua`, luaDir), 'utf8').trimEnd(),
    );
    sources.set(file, lua);
  }
  return lua;
}

export function defineScript(name: string, file: string, keys: number, readOnly = false): ScriptDef {
  return { name, file, keys, readOnly };
}
