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
    expect(log.querySelector('.stderr')?.textContent).toBe('warning');
  });
});
