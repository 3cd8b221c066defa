// What the simulated fleet looks like: both /etc/os-release formats, realistic versions per channel,
// loopback addresses, a release server that offers newer versions only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { composeFleet, nodeAddress } from '../../sim/fleet/composition.ts';
import { hasLib64OsRelease, prettyNameOf, renderOsRelease } from '../../sim/fleet/os-release.ts';
import { DEFAULT_RELEASES, ReleaseServer } from '../../sim/fleet/release-server.ts';
import { channelOf, compareVersions, usesQuotedOsRelease } from '../../sim/fleet/versions.ts';
import { generateKeyPair } from '../../sim/outputs.ts';

function parseOsRelease(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trimEnd()
      .split('\n')
      .map((line) => {
        const eq = line.indexOf('=');
        return [line.slice(0, eq), line.slice(eq + 1)];
      }),
  );
}

describe('os-release rendering', () => {
  it('renders old releases unquoted with the (Oklo) codename', () => {
    const fields = parseOsRelease(renderOsRelease('3510.2.8'));
    assert.equal(fields.VERSION_ID, '3510.2.8');
    assert.equal(fields.ID, 'flatcar');
    assert.equal(fields.ID_LIKE, 'coreos');
    assert.equal(fields.PRETTY_NAME, '"Flatcar Container Linux by Kinvolk 3510.2.8 (Oklo)"');
    assert.match(fields.BUILD_ID ?? '', /^\d{4}-\d\d-\d\d-\d{4}$/);
    assert.equal(fields.NAME, '"Flatcar Container Linux by Kinvolk"');
  });

  it('renders current releases with every value double-quoted and no codename', () => {
    const text = renderOsRelease('4757.2.0');
    for (const line of text.trimEnd().split('\n')) assert.match(line, /^[A-Z_]+=".*"$/, line);
    const fields = parseOsRelease(text);
    assert.equal(fields.VERSION_ID, '"4757.2.0"');
    assert.equal(fields.PRETTY_NAME, '"Flatcar Container Linux by Kinvolk 4757.2.0"');
    assert.equal(fields.ID, '"flatcar"');
  });

  it('switches format where Flatcar did: Beta 4628.1.x and Stable 4757.2.0', () => {
    assert.equal(usesQuotedOsRelease('4593.1.1'), false);
    assert.equal(usesQuotedOsRelease('4628.1.2'), true);
    assert.equal(usesQuotedOsRelease('4593.2.0'), false);
    assert.equal(usesQuotedOsRelease('4757.2.0'), true);
    assert.equal(prettyNameOf('3510.3.5'), 'Flatcar Container Linux by Kinvolk 3510.3.5 (LTS 2023)');
  });

  it('current releases carry SUPPORT_URL, a quoted value with a # inside, between BUG_REPORT_URL and FLATCAR_BOARD', () => {
    const keys = renderOsRelease('4757.2.0').trimEnd().split('\n').map((l) => l.slice(0, l.indexOf('=')));
    assert.deepEqual(keys.slice(keys.indexOf('BUG_REPORT_URL'), keys.indexOf('BUG_REPORT_URL') + 3), ['BUG_REPORT_URL', 'SUPPORT_URL', 'FLATCAR_BOARD']);
    assert.equal(parseOsRelease(renderOsRelease('4757.2.0')).SUPPORT_URL, '"https://groups.google.com/forum/#!forum/flatcar-linux-user"');
    assert.equal(parseOsRelease(renderOsRelease('4459.2.1')).SUPPORT_URL, undefined, 'the old format has none');
  });

  it('drops /usr/lib64/os-release from releases branched after 2026-05-19', () => {
    assert.equal(hasLib64OsRelease('4628.1.2'), true);
    assert.equal(hasLib64OsRelease('4757.2.0'), false);
    assert.equal(hasLib64OsRelease('4803.1.0'), false);
  });

  it('maps MINOR to the channel', () => {
    assert.deepEqual(['4852.0.0', '4803.1.0', '4757.2.3', '4081.3.6'].map(channelOf), ['alpha', 'beta', 'stable', 'lts']);
  });
});

describe('fleet composition', () => {
  it('is deterministic per seed', () => {
    assert.deepEqual(composeFleet({ nodes: 8, seed: 7, addressBase: '127.10.0.1', sshPort: 2222 }), composeFleet({ nodes: 8, seed: 7, addressBase: '127.10.0.1', sshPort: 2222 }));
  });

  it('mixes formats, versions, channels and update policies', () => {
    const specs = composeFleet({ nodes: 6, seed: 1, addressBase: '127.10.0.1', sshPort: 2222 });
    assert.deepEqual(
      specs.map((s) => s.address),
      ['127.10.0.1', '127.10.0.2', '127.10.0.3', '127.10.0.4', '127.10.0.5', '127.10.0.6'],
    );
    assert.ok(specs.some((s) => usesQuotedOsRelease(s.version)) && specs.some((s) => !usesQuotedOsRelease(s.version)));
    assert.ok(new Set(specs.map((s) => s.version)).size > 1);
    assert.ok(new Set(specs.map((s) => channelOf(s.version))).size > 1);
    assert.ok(specs.some((s) => s.units === 'kubermatic') && specs.some((s) => s.units === 'fluo-ready'));
    assert.equal(new Set(specs.map((s) => s.machineId)).size, specs.length);
    for (const s of specs) {
      assert.match(s.machineId, /^[0-9a-f]{32}$/);
      const seconds = DEFAULT_RELEASES.stable.size / s.bytesPerSecond;
      assert.ok(seconds >= 55 && seconds <= 130, `${s.name} downloads in ${seconds} s`);
    }
    const first = specs[0];
    assert.ok(first && first.units === 'kubermatic' && !usesQuotedOsRelease(first.version), 'worker-1 is the Kubermatic-style old-format node');
    assert.ok(new ReleaseServer().offer('stable', first.version), 'worker-1 has an update waiting');
  });

  it('profiles: stock nodes run both units from vendor links with an empty update.conf; kubermatic masks both; mixed keeps the fixed three', () => {
    const opts = { nodes: 6, seed: 3, addressBase: '127.10.0.1', sshPort: 2222 };
    const stock = composeFleet({ ...opts, profile: 'stock' });
    assert.deepEqual([...new Set(stock.map((s) => s.units))], ['stock']);
    assert.deepEqual([...new Set(stock.map((s) => s.updateConf))], [''], 'tmpfiles.d creates the file empty when Ignition wrote nothing');
    assert.deepEqual([...new Set(composeFleet({ ...opts, profile: 'kubermatic' }).map((s) => s.units))], ['kubermatic']);
    assert.deepEqual(composeFleet({ ...opts, profile: 'mixed' }).map((s) => s.units), ['kubermatic', 'fluo-ready', 'kubermatic', 'stock', 'stock', 'stock']);
    assert.deepEqual(
      composeFleet({ ...opts, profile: 'mixed' }).slice(0, 3).map((s) => s.version),
      composeFleet(opts).slice(0, 3).map((s) => s.version),
    );
    assert.ok(composeFleet(opts).every((s) => s.units !== 'stock'), 'the classic fleet (in-process default) has no stock nodes');
  });

  it('mixed: the sixth node is the Ubuntu worker not migrated yet; smaller mixed fleets and other profiles are all Flatcar', () => {
    const opts = { nodes: 7, seed: 3, addressBase: '127.10.0.1', sshPort: 2222 };
    assert.deepEqual(composeFleet({ ...opts, profile: 'mixed' }).filter((s) => s.distribution === 'ubuntu').map((s) => s.name), ['worker-6']);
    assert.ok(composeFleet({ ...opts, nodes: 5, profile: 'mixed' }).every((s) => s.distribution === undefined));
    assert.ok(composeFleet({ ...opts, profile: 'stock' }).every((s) => s.distribution === undefined));
  });

  it('places nodes round-robin in zones when asked (--zones), and in none otherwise', () => {
    const opts = { nodes: 7, seed: 2, addressBase: '127.10.0.1', sshPort: 2222 };
    assert.deepEqual(composeFleet({ ...opts, zones: 3 }).map((s) => s.zone), ['zone-a', 'zone-b', 'zone-c', 'zone-a', 'zone-b', 'zone-c', 'zone-a']);
    assert.ok(composeFleet(opts).every((s) => s.zone === undefined));
    assert.deepEqual(
      composeFleet({ ...opts, zones: 3 }).map(({ zone: _zone, ...rest }) => rest),
      composeFleet(opts),
      'zones change nothing else of the fleet',
    );
    assert.throws(() => composeFleet({ ...opts, zones: 0 }), /zones must be 1\.\.26/);
  });

  it('counts addresses past the last octet into the third, skipping .0 and .255', () => {
    assert.equal(nodeAddress('127.10.0.1', 253), '127.10.0.254');
    assert.equal(nodeAddress('127.10.0.1', 254), '127.10.1.1');
    assert.throws(() => nodeAddress('10.0.0.1', 0), /loopback/);
  });
});

describe('release server', () => {
  it('offers the channel release only to older versions and accepts new releases', () => {
    const releases = new ReleaseServer();
    assert.deepEqual(releases.offer('stable', '4459.2.1'), DEFAULT_RELEASES.stable);
    assert.equal(releases.offer('stable', DEFAULT_RELEASES.stable.version), null);
    assert.equal(releases.offer('stable', '4803.1.0'), null, 'no downgrades');
    releases.publish('stable', { version: '4852.2.0', size: 470_000_000 });
    assert.ok(compareVersions(releases.offer('stable', DEFAULT_RELEASES.stable.version)?.version ?? '0.0.0', DEFAULT_RELEASES.stable.version) > 0);
    assert.throws(() => releases.publish('stable', { version: 'latest', size: 1 }));
  });
});

describe('generated keys', () => {
  it('are always complete ed25519 key pairs (ssh2 truncates some, they are regenerated)', () => {
    for (let i = 0; i < 1500; i++) {
      const pair = generateKeyPair(`k${i}`);
      const parsed = ssh2.utils.parseKey(pair.private);
      assert.ok(!(parsed instanceof Error), `key ${i}: ${parsed instanceof Error ? parsed.message : ''}`);
      assert.match(pair.public, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} k\d+$/);
    }
  });
});
