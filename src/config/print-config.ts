import { OPTION_LIST, type OptionDefinition } from './options';
import type { ResolvedConfig } from './load';

/** Shown for an optional value that no source set. */
export const NOT_SET = '(not set)';

/** The name of an option in --print-config: its config key, else its flag without dashes. */
export function printName(option: OptionDefinition): string {
  return option.configKey ?? option.flag?.replace(/^--/, '') ?? option.name;
}

/**
 * The --print-config output: one line per option in table order, in aligned columns —
 * key, value (as it would be written in a config file), source of the value.
 */
export function renderPrintConfig(resolved: Pick<ResolvedConfig, 'config' | 'sources'>): string {
  const rows: [string, string, string][] = [['key', 'value', 'source']];
  for (const option of OPTION_LIST) {
    const value = (resolved.config as unknown as Record<string, unknown>)[option.name];
    rows.push([printName(option), value === undefined ? NOT_SET : option.type.format(value), resolved.sources[option.name]]);
  }
  const keyWidth = Math.max(...rows.map((row) => row[0].length));
  const valueWidth = Math.max(...rows.map((row) => row[1].length));
  return rows.map(([key, value, source]) => `${key.padEnd(keyWidth)}  ${value.padEnd(valueWidth)}  ${source}`).join('\n') + '\n';
}
