import { cleanup, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandEvent } from '../../app/api/index.ts';
import Terminal from '../src/components/Terminal.svelte';

afterEach(() => cleanup());

const line = (stream: CommandEvent['stream'], data: string): CommandEvent => ({
  runId: 'r',
  cluster: 'demo',
  node: 'worker-1',
  commandId: 'c',
  command: 'sudo -n update_engine_client -status',
  stream,
  data,
  at: '2026-11-26T10:00:00.000Z',
});

describe('Terminal', () => {
  it('shows each command as typed, its output, and how it ended', () => {
    render(Terminal, {
      lines: [line('command', ''), line('stdout', 'CURRENT_OP=UPDATE_STATUS_DOWNLOADING\n'), line('stderr', 'warning\n'), line('exit', '0'), line('exit', 'ssh: Cannot reach core@127.10.0.1')],
    });
    const log = screen.getByRole('log', { name: 'SSH commands' });
    expect(log.textContent).toBe(
      '$ sudo -n update_engine_client -status\nCURRENT_OP=UPDATE_STATUS_DOWNLOADING\nwarning\n[exit 0]\n[ssh: Cannot reach core@127.10.0.1]\n',
    );
    expect(log.querySelector('[data-severity="error"]')?.textContent).toBe('[ssh: Cannot reach core@127.10.0.1]');
  });

  it("colours update_engine's lines by glog level, not by the stream they came on, and folds repeats with a count", () => {
    render(Terminal, {
      lines: [
        line('command', ''),
        line('stderr', 'I20261204 18:40:01.290454  2224 update_engine_client.cc:241] Querying Update Engine status...\n'),
        line('stdout', 'W1204 18:40:02.000001  2224 omaha_request_action.cc:77] Omaha request took long\n'),
        line(
          'stderr',
          [1, 2, 3].map((s) => `E1204 18:40:0${s}.100000  2224 libcurl_http_fetcher.cc:90] Unable to get http response code: connection refused`).join('\n') + '\n',
        ),
        line('stdout', 'CURRENT_OP=UPDATE_STATUS_IDLE\n'),
      ],
    });
    const log = screen.getByRole('log', { name: 'SSH commands' });
    const levels = [...log.querySelectorAll('.output')].map((el) => [el.getAttribute('data-severity'), el.textContent?.slice(0, 5)]);
    expect(levels).toEqual([
      ['info', 'I2026'],
      ['warning', 'W1204'],
      ['error', 'E1204'],
      [null, 'CURRE'],
    ]);
    expect(log.querySelector('.repeat')?.textContent).toBe(' ×3');
    expect(log.textContent).toContain('18:40:03.100000');
  });
});
