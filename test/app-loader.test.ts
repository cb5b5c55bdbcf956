/**
 * How the worker loads an app module: CommonJS with require(), ES modules with import()
 * (decided as Node decides), the same exports either way, and nothing heavy (the ES
 * module loader, https/tls/crypto) pulled into a worker whose app does not need it.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppLoadError, appFromExports, importApp, isEsmFile } from '../src/worker/app-loader';
import { isHttpServer } from '../src/worker/http-server-class';

function tempTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uwsgi-ts-loader-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

test('isEsmFile: .mjs yes, .cjs no, .js by the nearest package.json "type"', () => {
  const dir = tempTree({
    'package.json': JSON.stringify({ type: 'module' }),
    'a.js': '',
    'b.mjs': '',
    'c.cjs': '',
    'sub/package.json': JSON.stringify({ name: 'sub' }),
    'sub/d.js': '',
    'sub/deeper/e.js': '',
  });
  try {
    assert.equal(isEsmFile(path.join(dir, 'a.js')), true);
    assert.equal(isEsmFile(path.join(dir, 'b.mjs')), true);
    assert.equal(isEsmFile(path.join(dir, 'c.cjs')), false);
    assert.equal(isEsmFile(path.join(dir, 'sub', 'd.js')), false, 'the nearest package.json has no type');
    assert.equal(isEsmFile(path.join(dir, 'sub', 'deeper', 'e.js')), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a CommonJS app and an ES module app give the same kind of app', async () => {
  const dir = tempTree({
    'cjs/app.js': "exports.uwsgi = () => ({ body: 'cjs' });",
    'esm/package.json': JSON.stringify({ type: 'module' }),
    'esm/app.js': "export function uwsgi() { return { body: 'esm' }; }",
    'plain.mjs': 'export default (req, res) => res.end();',
  });
  try {
    const cjs = await appFromExports(await importApp('cjs/app.js', dir));
    const esm = await appFromExports(await importApp('esm/app.js', dir));
    const listener = await appFromExports(await importApp('plain.mjs', dir));
    assert.equal(cjs?.kind, 'direct');
    assert.equal(esm?.kind, 'direct');
    assert.equal(listener?.kind, 'listener');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an app that throws while loading: AppLoadError naming the file and the cause', async () => {
  const dir = tempTree({ 'bad.js': "throw new Error('no database');" });
  try {
    await assert.rejects(importApp('bad.js', dir), (err: unknown) => {
      assert.ok(err instanceof AppLoadError);
      assert.equal(err.code, 'UWSGI_TS_APP_LOAD_FAILED');
      assert.match(err.message, /bad\.js/);
      assert.match(err.message, /no database/);
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an app file that is not there, or a directory with nothing to load: one sentence saying so, no loader stack', async () => {
  const dir = tempTree({ 'empty/README': 'no code here' });
  try {
    const cases: [string, RegExp][] = [
      ['missing.js', /^cannot load the app .*missing\.js: no such file \(a relative app path is resolved against the working directory, .*uwsgi-ts-loader-/],
      [path.join(dir, 'gone.mjs'), /^cannot load the app .*gone\.mjs: no such file$/],
      ['empty', /^cannot load the app .*empty: it is a directory with no index\.js and no package\.json "main" to load$/],
    ];
    for (const [app, message] of cases) {
      await assert.rejects(importApp(app, dir), (err: unknown) => {
        assert.ok(err instanceof AppLoadError);
        assert.equal(err.code, 'UWSGI_TS_APP_LOAD_FAILED');
        assert.match(err.message, message);
        assert.doesNotMatch(err.message, /\n\s+at /, 'no stack');
        return true;
      });
    }
    // A module that is there but requires one that is not keeps Node's message and stack.
    fs.writeFileSync(path.join(dir, 'needs.js'), "require('./not-installed');");
    await assert.rejects(importApp('needs.js', dir), /Cannot find module '\.\/not-installed'[^]*\n\s+at /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('loading a CommonJS app loads neither the ES module loader nor https/tls', () => {
  const dir = tempTree({ 'app.js': 'module.exports = (req, res) => res.end();' });
  try {
    const loader = path.join(__dirname, '..', 'src', 'worker', 'app-loader.js');
    const script = `
      const { importApp, appFromExports } = require(${JSON.stringify(loader)});
      importApp('app.js', ${JSON.stringify(dir)}).then(appFromExports).then((app) => {
        const loaded = process.moduleLoadList;
        console.log(JSON.stringify({ kind: app.kind, esm: loaded.includes('NativeModule internal/modules/esm/translators'), https: loaded.includes('NativeModule https') }));
      });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { kind: 'listener', esm: false, https: false });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('isHttpServer: http and https servers yes, a plain net.Server no', () => {
  assert.equal(isHttpServer(http.createServer()), true);
  assert.equal(isHttpServer(https.createServer()), true);
  assert.equal(isHttpServer(net.createServer()), false);
  assert.equal(isHttpServer(null), false);
});
