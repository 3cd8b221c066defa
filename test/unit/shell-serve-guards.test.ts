import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs } from 'node:util';
import { ServeArgs, serveOptions } from '../../main/serve/args.ts';
import { checkHostAndOrigin, checkToken } from '../../main/serve/request-guards.ts';
import { createToken, tokenMatches } from '../../main/serve/token.ts';
import { resolveStaticPath } from '../../main/host/static-path.ts';

const port = 43117;

describe('browser-mode token', () => {
  it('is 64 hex characters and fresh every time', () => {
    const tokens = new Set(Array.from({ length: 50 }, createToken));
    assert.equal(tokens.size, 50);
    for (const t of tokens) assert.match(t, /^[0-9a-f]{64}$/);
  });

  it('matches only itself; wrong length, case or characters never match', () => {
    const token = createToken();
    assert.equal(tokenMatches(token, token), true);
    assert.equal(tokenMatches(token, createToken()), false);
    assert.equal(tokenMatches(token, token.slice(1)), false);
    assert.equal(tokenMatches(token, `${token}0`), false);
    assert.equal(tokenMatches(token, token.toUpperCase()), token === token.toUpperCase());
    assert.equal(tokenMatches(token, ''), false);
    assert.equal(tokenMatches(token, `${token.slice(0, 63)}\u00e9`), false);
  });

  it('needs a token (401) and refuses any mismatching copy (403)', () => {
    const token = createToken();
    assert.deepEqual(checkToken({}, token), { ok: false, status: 401, reason: 'This request needs the launch token.' });
    assert.equal(checkToken({ 'sec-websocket-protocol': 'flatdeck.v1' }, token).ok, false);
    assert.equal(checkToken({ 'x-flatdeck-token': token }, token).ok, true);
    assert.equal(checkToken({ 'sec-websocket-protocol': `flatdeck.v1, flatdeck.token.${token}` }, token).ok, true);
    const twice = checkToken({ 'sec-websocket-protocol': `flatdeck.token.${createToken()}, flatdeck.token.${token}` }, token);
    assert.equal(twice.ok === false && twice.status, 403);
    const joined = checkToken({ 'x-flatdeck-token': `${token}, ${token}` }, token);
    assert.equal(joined.ok === false && joined.status, 403);
  });
});

describe('browser-mode Host and Origin', () => {
  it('accepts this server by 127.0.0.1 or localhost, with or without its own Origin', () => {
    assert.equal(checkHostAndOrigin({ host: `127.0.0.1:${port}` }, port).ok, true);
    assert.equal(checkHostAndOrigin({ host: `LOCALHOST:${port}` }, port).ok, true);
    assert.equal(checkHostAndOrigin({ host: `localhost:${port}`, origin: `http://127.0.0.1:${port}` }, port).ok, true);
  });

  it('refuses other hosts, ports and origins with 403', () => {
    for (const headers of [
      {},
      { host: 'attacker.example' },
      { host: `attacker.example:${port}` },
      { host: `127.0.0.1:${port + 1}` },
      { host: `127.0.0.1` },
      { host: `[::1]:${port}` },
      { host: `127.0.0.1:${port}`, origin: 'null' },
      { host: `127.0.0.1:${port}`, origin: `https://127.0.0.1:${port}` },
      { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}.attacker.example` },
      { host: `127.0.0.1:${port}`, origin: 'http://attacker.example' },
    ]) {
      const verdict = checkHostAndOrigin(headers, port);
      assert.equal(verdict.ok === false && verdict.status, 403, JSON.stringify(headers));
    }
  });
});

describe('static paths', () => {
  it('stays inside the build directory', () => {
    assert.equal(resolveStaticPath('/srv/dist', '/'), '/srv/dist/index.html');
    assert.equal(resolveStaticPath('/srv/dist', '/assets/a.js'), '/srv/dist/assets/a.js');
    assert.equal(resolveStaticPath('/srv/dist', '/../secret'), null);
    assert.equal(resolveStaticPath('/srv/dist', '/%2e%2e/secret'), null);
    assert.equal(resolveStaticPath('/srv/dist', '/..%2f..%2fetc/passwd'), null);
    assert.equal(resolveStaticPath('/srv/dist', '/%E0%A4%A'), null);
    assert.equal(resolveStaticPath('/srv/dist', '/a%00.js'), null);
    assert.equal(resolveStaticPath('/srv/dist', '/..'), null);
    assert.equal(resolveStaticPath('/srv/dist', '/../dist-other/x'), null);
  });
});

describe('flatdeck serve arguments', () => {
  /** As runCli parses a command line: node:util parseArgs with the command's options, then its schema. */
  const parse = (argv: string[]) => {
    const { values, positionals } = parseArgs({ args: argv, options: serveOptions, strict: true, allowPositionals: true });
    return ServeArgs.parse({ values, positionals });
  };

  it('defaults to a free port without the demo', () => {
    assert.deepEqual(parse([]), { demo: false, port: 0, dataDir: null });
    assert.deepEqual(parse(['--demo', '--port', '8080']), { demo: true, port: 8080, dataDir: null });
    assert.equal(parse(['--data-dir', '/tmp/fd']).dataDir, '/tmp/fd');
  });

  it('refuses unknown options, positionals and bad ports', () => {
    for (const argv of [['--prot', '1'], ['demo'], ['--port'], ['--port', 'x'], ['--port', '65536'], ['--port', '-1'], ['--port', '1.5'], ['--port', ''], ['--data-dir', '']]) {
      assert.throws(() => parse(argv), JSON.stringify(argv));
    }
    assert.throws(() => parse(['--port', '70000']), /--port must be a whole number from 0 to 65535/);
  });
});
