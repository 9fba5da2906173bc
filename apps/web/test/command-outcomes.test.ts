import { describe, expect, it } from 'vitest';
import { describeOutcomes } from '../src/lib/command-outcomes';
import type { CommandOutcome } from '../src/server/link/hub';

const acked = (machineId: string, result: Extract<CommandOutcome, { status: 'acked' }>['result']) =>
  ({ machineId, commandId: `c-${machineId}`, status: 'acked', result }) as const;

describe('what a command did, in one sentence', () => {
  it('says when there was nothing to do instead of counting it as done', () => {
    expect(
      describeOutcomes('Resume', [acked('a', { ok: true, unchanged: true, message: 'was not paused' })]),
    ).toBe('Resume: 1 was not paused');
    expect(
      describeOutcomes('Resume', [
        acked('a', { ok: true, message: 'resumed' }),
        acked('b', { ok: true, unchanged: true, message: 'was not paused' }),
        acked('c', { ok: true, unchanged: true, message: 'was not paused' }),
      ]),
    ).toBe('Resume: 1 of 3 done, 2 were not paused');
  });

  it('says limits for an offline machine are queued for its return, not failed', () => {
    expect(describeOutcomes('Limits', [{ machineId: 'a', commandId: 'c', status: 'queued' }])).toBe(
      'Limits: queued: applied when it reconnects',
    );
    expect(
      describeOutcomes('Limits', [
        acked('a', { ok: true }),
        { machineId: 'b', commandId: 'c', status: 'queued' },
        { machineId: 'c', commandId: 'd', status: 'queued' },
      ]),
    ).toBe('Limits: 1 of 3 done, 2 queued: applied when they reconnect');
  });

  it('keeps the refusals, the silent and the offline machines apart', () => {
    expect(
      describeOutcomes('Limits', [
        acked('a', { ok: false, reason: 'invalid', message: '99 cores asked, this machine has 2' }),
        { machineId: 'b', commandId: 'c', status: 'sent' },
        { machineId: 'c', commandId: 'd', status: 'offline' },
      ]),
    ).toBe('Limits: 0 of 3 done, 1 not answered yet, 1 offline, refused: 99 cores asked, this machine has 2');
  });
});
