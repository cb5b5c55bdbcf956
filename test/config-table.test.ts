import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { bool, int, path, type EnvAssignment, type SocketOwner } from '../src/config/option-types';
import {
  checkOptionTable,
  OPTION_LIST,
  OPTIONS,
  withDefault,
  type Config,
  type OptionDefinition,
  type OptionName,
} from '../src/config/options';
import type { Source } from '../src/config/origin';
import type { SocketAddress } from '../src/config/socket-address';

/*
 * Compile-time guarantees (this file does not build when they break):
 *
 * `Config` is derived from OPTIONS with a mapped type (src/config/options.ts), so every
 * Config key has exactly one table entry and every entry exactly one key. The assertions
 * below pin that derivation: the exact key set, each property's type as parsed by the
 * entry's `type`, and optional-ness from `presence`. The @ts-expect-error lines prove the
 * compiler rejects a Config without a required property, a property no entry declares,
 * and an entry whose default does not have its type's value type.
 */
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

export type TypeChecks = [
  Expect<Equal<keyof Config, OptionName>>,
  Expect<
    Equal<
      keyof Config,
      | 'socket'
      | 'chmodSocket'
      | 'chownSocket'
      | 'allowFrom'
      | 'listen'
      | 'socketTimeout'
      | 'bufferSize'
      | 'maxVars'
      | 'limitPost'
      | 'maxConnections'
      | 'workers'
      | 'gracefulTimeout'
      | 'bootTimeout'
      | 'minWorkers'
      | 'idle'
      | 'maxRequests'
      | 'maxRequestsJitter'
      | 'maxRecycling'
      | 'reloadOnRss'
      | 'harakiri'
      | 'harakiriGrace'
      | 'touchReload'
      | 'parser'
      | 'io'
      | 'vacuum'
      | 'pidfile'
      | 'uid'
      | 'gid'
      | 'chdir'
      | 'env'
      | 'app'
      | 'appListenTimeout'
      | 'metrics'
      | 'logto'
      | 'logFormat'
      | 'disableLogging'
      | 'config'
      | 'ini'
      | 'printConfig'
    >
  >,
  Expect<Equal<Config['socket'], SocketAddress[]>>,
  Expect<Equal<Config['chmodSocket'], number | undefined>>,
  Expect<Equal<Config['workers'], number>>,
  Expect<Equal<Config['parser'], 'auto' | 'native' | 'js'>>,
  Expect<Equal<Config['io'], 'auto' | 'native' | 'js'>>,
  Expect<Equal<Config['app'], string>>,
  Expect<Equal<Config['config'], string | undefined>>,
  Expect<Equal<Config['printConfig'], boolean>>,
  Expect<Equal<Config['vacuum'], boolean>>,
  Expect<Equal<Config['uid'], string | undefined>>,
  Expect<Equal<Config['chownSocket'], SocketOwner | undefined>>,
  Expect<Equal<Config['env'], EnvAssignment[] | undefined>>,
  Expect<Equal<Record<keyof Config, Source>, Record<OptionName, Source>>>,
];

const tuning = { allowFrom: [], vacuum: true, listen: 1024, socketTimeout: 60, bufferSize: 65535, maxVars: 1024, limitPost: 0, maxConnections: 1024, gracefulTimeout: 30, appListenTimeout: 30, maxRequestsJitter: 0, maxRecycling: 1, harakiriGrace: 5, bootTimeout: 60, logFormat: { kind: 'text' as const }, disableLogging: false };
const complete: Config = { socket: [], workers: 1, parser: 'auto', io: 'auto', app: 'a.js', printConfig: false, ...tuning };
// @ts-expect-error -- 'app' is required (presence: 'required'): a Config without it does not compile.
const withoutApp: Config = { socket: [], workers: 1, parser: 'auto', io: 'auto', printConfig: false, ...tuning };
// @ts-expect-error -- no table entry declares 'threads': not a Config property.
const extraKey: Config = { ...complete, threads: 4 };
// @ts-expect-error -- a parser value outside the enum's choices.
const badChoice: Config = { ...complete, parser: 'fast' };
const badDefault = withDefault({
  flag: '--example',
  type: int(1, 10),
  // @ts-expect-error -- the default must have the type's value type (number here).
  default: 'ten',
  help: 'An example.',
  group: 'Meta',
});

describe('the option table', () => {
  it('type-level checks compile (see the comment above)', () => {
    assert.ok(complete && withoutApp && extraKey && badChoice && badDefault);
  });

  it('has one runtime entry per table key, in table order', () => {
    assert.deepEqual(OPTION_LIST.map((option) => option.name), Object.keys(OPTIONS));
    for (const option of OPTION_LIST) assert.equal(option.type, OPTIONS[option.name].type);
  });

  it('passes its own consistency check (unique names, conventions)', () => {
    assert.deepEqual(checkOptionTable(OPTION_LIST), []);
  });

  it('the consistency check catches duplicates and bad names', () => {
    const base = OPTION_LIST.find((option) => option.name === 'workers')!;
    const twin: OptionDefinition = { ...base, name: 'parser' };
    const problems = checkOptionTable([base, twin]);
    for (const what of ['flag --workers', 'flag -w', 'env var UWSGI_TS_WORKERS', 'config key workers', 'uWSGI key processes']) {
      assert.ok(problems.some((problem) => problem.startsWith(`${what} is declared by both 'workers' and 'parser'`)), what);
    }
    const bad: OptionDefinition = {
      name: 'app',
      presence: 'optional',
      flag: '--Bad_Flag' as `--${string}`,
      env: 'UWSGI_TS_bad' as `UWSGI_TS_${string}`,
      configKey: 'Bad Key',
      type: path() as OptionDefinition['type'],
      help: 'no capital, no period',
      group: 'Meta',
      uwsgiAliases: ['x'],
    };
    const badProblems = checkOptionTable([bad]);
    for (const text of ['bad flag', 'bad env var', 'bad config key', 'help must be a sentence', 'need a uwsgiKey']) {
      assert.ok(badProblems.some((problem) => problem.includes(text)), text);
    }
    assert.ok(checkOptionTable([{ ...bad, flag: undefined }]).some((p) => p.includes('exactly one of flag and positional')));
    assert.ok(checkOptionTable([{ ...base, env: 'UWSGI_TS_DEBUG' }]).some((p) => p.includes('reserved')));
    assert.ok(checkOptionTable([{ ...base, negatable: true }]).some((p) => p.includes('only a boolean with a flag can be negatable')));
    const vacuum = OPTION_LIST.find((option) => option.name === 'vacuum')!;
    const clash: OptionDefinition = { ...base, name: 'workers', flag: '--no-vacuum', type: bool() as OptionDefinition['type'], short: undefined };
    assert.ok(checkOptionTable([vacuum, clash]).some((p) => p.startsWith("flag --no-vacuum is declared by both 'vacuum' and 'workers'")));
  });
});
