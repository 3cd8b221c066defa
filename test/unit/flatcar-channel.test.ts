// A node's channel: GROUP= in /etc/flatcar/update.conf as update_engine reads it, rewritten with every other
// line kept, and what moving to a channel does under update_engine's no-downgrade rule.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelEffect } from '../../app/api/channels.ts';
import { groupOf, withGroup } from '../../app/flatcar/channel.ts';

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

  it('a newer release on the channel is installed at the next check; an older or equal one waits (no downgrade)', () => {
    assert.equal(channelEffect('4459.2.1', '4803.1.0'), 'updates');
    assert.equal(channelEffect('4803.1.0', '4757.2.3'), 'waits');
    assert.equal(channelEffect('4757.2.3', '4757.2.3'), 'waits');
    assert.equal(channelEffect(null, '4757.2.3'), 'unknown');
    assert.equal(channelEffect('4757.2.3', null), 'unknown');
  });
});
