// A node's channel: GROUP= in /etc/flatcar/update.conf as update_engine reads it, rewritten with every other
// line kept, and what moving to a channel does under update_engine's no-downgrade rule.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelEffect } from '../../app/api/channels.ts';
import { effectiveGroup, groupOf, withGroup } from '../../app/flatcar/channel.ts';

describe('channel', () => {
  it('sets GROUP last (update_engine takes the last occurrence) and keeps every other line', () => {
    assert.equal(withGroup('# ops\nGROUP=stable\nSERVER=disabled\nGROUP=beta\nREBOOT_STRATEGY=off', 'lts'), '# ops\nSERVER=disabled\nREBOOT_STRATEGY=off\nGROUP=lts\n');
    assert.equal(withGroup('', 'beta'), 'GROUP=beta\n');
    assert.equal(withGroup(null, 'stable'), 'GROUP=stable\n');
    assert.throws(() => withGroup('', 'beta\nSERVER=evil'), RangeError);
  });

  it('reads GROUP as update_engine of that release does (quotes kept before 3755)', () => {
    assert.equal(groupOf('GROUP=stable\nGROUP="beta"\n', '4459.2.1'), 'beta');
    assert.equal(groupOf('GROUP="beta"\n', '3510.2.8'), '"beta"');
    assert.equal(groupOf('', '4459.2.1'), null);
  });

  it("the channel update_engine asks for: /etc's GROUP, else the image's /usr/share/flatcar/update.conf, else stable", () => {
    // after `flatdeck channel NODE beta` on a stable node: /etc says beta, the image still says stable
    assert.equal(effectiveGroup('SERVER=disabled\nGROUP=beta\n', 'GROUP=stable\n', '4757.2.3'), 'beta');
    // a stock node: tmpfiles.d leaves /etc's file empty (or absent), the image decides
    assert.equal(effectiveGroup('', 'GROUP=beta\n', '4803.1.0'), 'beta');
    assert.equal(effectiveGroup(null, 'GROUP=lts\n', '4081.3.6'), 'lts');
    // `GROUP = beta` sets the key "GROUP " for update_engine, so the image's GROUP still answers
    assert.equal(effectiveGroup('GROUP = beta\n', 'GROUP=stable\n', '4757.2.3'), 'stable');
    assert.equal(effectiveGroup(null, null, '4757.2.3'), 'stable');
    assert.equal(effectiveGroup('GROUP="beta"\n', 'GROUP=stable\n', '3510.2.8'), '"beta"', 'read as that release reads it');
  });

  it('a newer release on the channel is installed at the next check; an older or equal one waits (no downgrade)', () => {
    assert.equal(channelEffect('4459.2.1', '4803.1.0'), 'updates');
    assert.equal(channelEffect('4803.1.0', '4757.2.3'), 'waits');
    assert.equal(channelEffect('4757.2.3', '4757.2.3'), 'waits');
    assert.equal(channelEffect(null, '4757.2.3'), 'unknown');
    assert.equal(channelEffect('4757.2.3', null), 'unknown');
  });
});
