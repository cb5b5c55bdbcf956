import { ConfigError, ConfigErrorCode } from './errors';

/**
 * A small INI parser for config files ([uwsgi-ts] sections) and uWSGI ini files ([uwsgi]):
 *
 *   ; a comment            # also a comment (whole lines only: `;`/`#` inside a value are kept)
 *   [section]
 *   key = value            value trimmed; `=` inside the value is kept (`env = A=B`)
 *   key = "quoted value"   keeps spaces; \" and \\ are the only escapes; a comment may follow
 *   key                    a bare key (uWSGI style): means `true`
 *   key = again            repeated keys are all kept, in order (lists)
 *
 * Lines may end in \n or \r\n; a UTF-8 byte-order mark is skipped. Errors give file:line.
 */
export interface IniEntry {
  readonly key: string;
  readonly value: string;
  /** 1-based line number. */
  readonly line: number;
  /** True for a `key` line without `=` (its value is 'true'). */
  readonly bare: boolean;
}

export interface IniSection {
  /** '' for lines before the first [section] header. */
  readonly name: string;
  /** Line of the header (0 for the unnamed leading section). */
  readonly line: number;
  readonly entries: IniEntry[];
}

export interface IniDocument {
  /** In file order; a name may occur more than once. */
  readonly sections: readonly IniSection[];
}

const KEY = /^[^\s"'=;#[\]]+$/;
const SECTION = /^\[([^\]]*)\]\s*(?:[;#].*)?$/;

function syntaxError(file: string, line: number, message: string): ConfigError {
  return new ConfigError(ConfigErrorCode.FILE_SYNTAX, `${file}:${line}: ${message}`);
}

/** Reads a double-quoted value starting at text[0] === '"'. */
function unquote(text: string, file: string, line: number): string {
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
      value += text[i + 1];
      i++;
    } else if (ch === '"') {
      const rest = text.slice(i + 1).trim();
      if (rest !== '' && !rest.startsWith(';') && !rest.startsWith('#')) {
        throw syntaxError(file, line, `unexpected text after the closing quote: ${JSON.stringify(rest)}`);
      }
      return value;
    } else {
      value += ch;
    }
  }
  throw syntaxError(file, line, 'unterminated quoted value (missing closing ")');
}

/** Parses INI text; `file` is only used in error messages. Throws ConfigError (UWSGI_TS_CONFIG_FILE_SYNTAX). */
export function parseIni(text: string, file: string): IniDocument {
  const sections: IniSection[] = [];
  let current: IniSection = { name: '', line: 0, entries: [] };
  sections.push(current);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const line = lines[index]!.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;

    if (line.startsWith('[')) {
      const match = SECTION.exec(line);
      if (!match) throw syntaxError(file, lineNumber, `bad section header ${JSON.stringify(line)} (expected [name])`);
      const name = match[1]!.trim();
      if (name === '') throw syntaxError(file, lineNumber, 'empty section name');
      current = { name, line: lineNumber, entries: [] };
      sections.push(current);
      continue;
    }

    const eq = line.indexOf('=');
    const key = (eq === -1 ? line : line.slice(0, eq)).trim();
    if (key === '') throw syntaxError(file, lineNumber, "missing key before '='");
    if (!KEY.test(key)) {
      throw syntaxError(file, lineNumber, `expected 'key = value', a [section] or a comment, got ${JSON.stringify(line)}`);
    }
    if (eq === -1) {
      current.entries.push({ key, value: 'true', line: lineNumber, bare: true });
      continue;
    }
    const rawValue = line.slice(eq + 1).trim();
    const value = rawValue.startsWith('"') ? unquote(rawValue, file, lineNumber) : rawValue;
    current.entries.push({ key, value, line: lineNumber, bare: false });
  }
  return { sections: sections.filter((section) => section.name !== '' || section.entries.length > 0) };
}

/** The entries of every section called `name` (in file order), or undefined when there is none. */
export function sectionEntries(doc: IniDocument, name: string): IniEntry[] | undefined {
  const matching = doc.sections.filter((section) => section.name === name);
  return matching.length === 0 ? undefined : matching.flatMap((section) => section.entries);
}
