import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseProxyJump, SshConfigFile } from '../../app/ssh/ssh-config.ts';
import { planConnection } from '../../app/ssh/plan.ts';
import { SshError } from '../../app/ssh/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'flatdeck-ssh-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** What OpenSSH itself computes (`ssh -G` prints the evaluated options and connects nowhere). */
function openssh(configPath: string, host: string): Map<string, string[]> {
  const out = execFileSync('ssh', ['-G', '-F', configPath, host], { encoding: 'utf8' });
  const map = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const [k, ...v] = line.split(' ');
    if (k) map.set(k, [...(map.get(k) ?? []), v.join(' ')]);
  }
  return map;
}

const included = join(dir, 'included.conf');
writeFileSync(included, 'Host *.inc.example\n  User fromfile\n  Port 2201\n');
const CONFIG = `
Host bastion
  HostName 192.0.2.10
  User jump
  Port 2200

Host *.prod.example !db.prod.example
  User ops
  IdentityFile ~/.ssh/prod_ed25519
  IdentityFile /etc/keys/%r@%h
  ProxyJump bastion,admin@192.0.2.11:2201

Host worker-*
  HostName %h.nodes.example
  Port 2222
  UserKnownHostsFile ~/.ssh/known_hosts_fleet /etc/ssh/fleet_hosts
  IdentitiesOnly yes

Include ${included}

Host node-? Edge-*
  User single
  Port 2202

Host *
  User core
`;
const configPath = join(dir, 'config');
writeFileSync(configPath, CONFIG);

describe('~/.ssh/config agrees with OpenSSH (ssh -G)', () => {
  const ours = SshConfigFile.parse(CONFIG, { home: homedir() });
  for (const host of ['web1.prod.example', 'db.prod.example', 'worker-3', 'bastion', 'a.inc.example', 'plain', 'node-1', 'node-', 'node-12', 'edge-1']) {
    it(host, () => {
      const ssh = openssh(configPath, host);
      const r = ours.resolve(host);
      assert.equal(r.hostName, ssh.get('hostname')![0]);
      assert.equal(r.user ?? 'core', ssh.get('user')![0]);
      assert.equal(String(r.port ?? 22), ssh.get('port')![0]);
      // ssh -G prints IdentityFile before expanding `~` and `%` tokens; expand them as ssh does when it loads keys
      const expand = (p: string) => p.replace(/^~\//, `${homedir()}/`).replaceAll('%r', ssh.get('user')![0]!).replaceAll('%h', ssh.get('hostname')![0]!);
      if (r.identityFiles.length > 0) assert.deepEqual(r.identityFiles, ssh.get('identityfile')!.map(expand));
      if (r.userKnownHostsFiles) assert.deepEqual(r.userKnownHostsFiles, ssh.get('userknownhostsfile')![0]!.split(' ').map(expand));
      const jump = ssh.get('proxyjump')?.[0];
      assert.deepEqual(r.proxyJump, jump === undefined ? [] : parseProxyJump(jump, host));
      assert.equal(r.identitiesOnly, ssh.get('identitiesonly')![0] === 'yes');
    });
  }
});

describe('~/.ssh/config safety and extras', () => {
  it('never runs Match exec, whatever it says', () => {
    const marker = join(dir, 'pwned');
    const config = SshConfigFile.parse(`Match exec "touch ${marker}"\n  User evil\n  HostName evil.example\nHost *\n  User core\n`);
    const r = config.resolve('node-1');
    assert.equal(r.user, 'core');
    assert.equal(r.hostName, 'node-1');
    assert.equal(existsSync(marker), false);
  });

  it('still evaluates safe Match criteria', () => {
    const config = SshConfigFile.parse('Match host 10.0.*\n  User matched\nHost *\n  User core\n');
    assert.equal(config.resolve('10.0.1.2').user, 'matched');
    assert.equal(config.resolve('192.168.1.1').user, 'core');
  });

  it('does not canonicalize host names (that would run nslookup)', () => {
    const config = SshConfigFile.parse('Host n1\n  CanonicalizeHostname yes\n  CanonicalDomains example.org\n');
    assert.equal(config.resolve('n1').hostName, 'n1');
  });

  it('follows Include relative to ~/.ssh, with wildcards, and reopens the enclosing Host block', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.ssh', 'conf.d'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'conf.d', 'a.conf'), 'Port 2300\n');
    writeFileSync(join(home, '.ssh', 'conf.d', 'b.conf'), 'Host other\n  User b\n');
    writeFileSync(join(home, '.ssh', 'config'), 'Host n*\n  Include conf.d/*.conf\n  User after-include\n');
    const config = await SshConfigFile.load(join(home, '.ssh', 'config'), { home });
    const r = config.resolve('n1');
    assert.equal(r.port, 2300);
    assert.equal(r.user, 'after-include');
    assert.equal(config.resolve('other').user, 'b');
    assert.equal((await SshConfigFile.load(join(home, 'nope'), { home })).resolve('x').hostName, 'x');
  });

  it('parses ProxyJump hop lists and rejects nonsense', () => {
    assert.deepEqual(parseProxyJump('a,u@b:2200,[fe80::1]:22', 'h'), [{ host: 'a' }, { host: 'b', user: 'u', port: 2200 }, { host: 'fe80::1', port: 22 }]);
    assert.deepEqual(parseProxyJump('none', 'h'), []);
    assert.throws(() => parseProxyJump('a b', 'h'), SshError);
  });

  it('an explicit target port and user beat the config; ProxyCommand is refused with a clear error', () => {
    const sshConfig = SshConfigFile.parse(`Host worker-*\n  Port 2222\n  User ops\n  IdentityFile /k/id\nHost pc\n  ProxyCommand nc %h %p\n`);
    const defaults = { sshConfig, home: '/home/op', agentSocket: null };
    const plain = planConnection({ nodeName: 'w', host: 'worker-1' }, defaults);
    assert.deepEqual([plain.node.port, plain.node.user, plain.node.identityFiles], [2222, 'ops', ['/k/id']]);
    const explicit = planConnection({ nodeName: 'w', host: 'worker-1', port: 22, user: 'core' }, defaults);
    assert.deepEqual([explicit.node.port, explicit.node.user], [22, 'core']);
    const none = planConnection({ nodeName: 'x', host: '10.0.0.9' }, defaults);
    assert.equal(none.node.user, 'core');
    assert.equal(none.node.identityFiles[0], '/home/op/.ssh/id_rsa');
    assert.throws(() => planConnection({ nodeName: 'p', host: 'pc' }, defaults), (e: unknown) => e instanceof SshError && e.kind === 'unsupported-config');
  });

  it('a jump host and identity file from Settings act like ssh -J and ssh -i', () => {
    const sshConfig = SshConfigFile.parse(`Host bastion\n  HostName 10.1.0.1\n  User jump\n  IdentityFile /k/bastion\nHost worker-*\n  ProxyJump old-bastion\n  IdentityFile /k/id\nHost pc\n  ProxyCommand nc %h %p\n`);
    const defaults = { sshConfig, home: '/home/op', agentSocket: null, jumpHosts: [{ host: 'bastion', port: 2200 }], identityFiles: ['~/.ssh/fleet_%h'] };
    const plan = planConnection({ nodeName: 'w', host: 'worker-1' }, defaults);
    assert.deepEqual(plan.jumps.map((j) => [j.host, j.port, j.user, j.identityFiles]), [['10.1.0.1', 2200, 'jump', ['/k/bastion']]], 'the hop replaces ProxyJump and keeps its own config');
    assert.deepEqual(plan.node.identityFiles, ['/home/op/.ssh/fleet_worker-1', '/k/id'], 'the setting first, then the config');
    assert.deepEqual(planConnection({ nodeName: 'x', host: '10.0.0.9' }, defaults).node.identityFiles, ['/home/op/.ssh/fleet_10.0.0.9'], 'no OpenSSH default files once one is named');
    assert.equal(planConnection({ nodeName: 'p', host: 'pc' }, defaults).jumps[0]?.host, '10.1.0.1', 'a jump host wins over ProxyCommand');
  });
});

describe('~/.ssh/config fuzz', () => {
  it('any text either resolves or fails with an SshError, and never runs anything', () => {
    const marker = join(dir, 'fuzz-pwned');
    const line = fc.oneof(
      fc.constantFrom('Host *', 'Host a !b', 'Match all', 'Match exec "touch ' + marker + '"', 'Match host', 'Match final',
        'HostName %h.x', 'Port 22', 'Port abc', 'User u', 'ProxyJump a,b:2', 'ProxyJump @@', 'IdentityFile ~/k',
        'Include /nonexistent/*', 'CanonicalizeHostname yes', 'CanonicalDomains example.org', '"', '=', ''),
      fc.string(),
    );
    fc.assert(fc.property(fc.array(line, { maxLength: 12 }), fc.constantFrom('a', 'b', 'x.y', 'c'), (lines, host) => {
      try {
        SshConfigFile.parse(lines.join('\n')).resolve(host);
      } catch (e) {
        assert.ok(e instanceof SshError, String(e));
      }
    }), { numRuns: 1500 });
    assert.equal(existsSync(marker), false);
  });
});
