'use client';
import type { ControlCommand } from '@flock/protocol';
import { formatCount } from '../lib/format';
import { needsRole } from '../lib/roles';
import { type ConfirmRequest, useConfirm } from './confirm-dialog';
import type { SendCommand } from './send-command';
import { useRole } from './use-role';

interface CommandButton {
  button: string;
  /** Names the command in its result ("Stop after frame: 1 of 1 done") when the button says less. */
  label?: string;
  command: ControlCommand;
  title?: string;
  /** Asked first, for `count` machines ("this machine" or "3 machines" in `machines`). */
  confirm?: (machines: string, count: number) => ConfirmRequest;
}

const COMMANDS: CommandButton[] = [
  { button: 'Pause after frame', command: { type: 'pause', when: 'after-frame' } },
  { button: 'Pause now', command: { type: 'pause', when: 'now' } },
  { button: 'Resume', command: { type: 'resume' } },
  {
    button: 'Retry now',
    command: { type: 'retry-now' },
    title: 'Ends a wait (a back-off, a refused login) and asks the farm again now',
  },
  {
    button: 'Stop',
    label: 'Stop after frame',
    command: { type: 'stop', when: 'after-frame' },
    title: 'Stops rendering after the current frame and its upload; the agent stays linked until Start',
    confirm: (machines, count) => ({
      title: `Stop ${machines}?`,
      body: (
        <p>
          {count === 1 ? 'It finishes' : 'Each finishes'} its current frame and its upload, logs out of the
          farm and renders nothing more until you press Start.{' '}
          {count === 1 ? 'Its agent stays' : 'The agents stay'} linked to the console.
        </p>
      ),
      confirmLabel: `Stop ${machines}`,
      danger: true,
    }),
  },
  {
    button: 'Start',
    command: { type: 'start' },
    title: 'Renders again after a Stop from the console',
  },
  {
    button: 'Restart',
    command: { type: 'restart' },
    title: 'Restarts the agent after its current frame and upload (agents installed with a service)',
    confirm: (machines, count) => ({
      title: `Restart ${machines}?`,
      body: (
        <p>
          {count === 1 ? 'Its agent finishes' : 'Each agent finishes'} its current frame and its upload, logs
          out and exits; its service starts it again within seconds. An agent without a service refuses and
          says so.
        </p>
      ),
      confirmLabel: `Restart ${machines}`,
    }),
  },
];

/** Pause, resume, retry, stop, start and restart: the same buttons for one machine (its page) and many. */
export function CommandButtons({
  send,
  disabled,
  machines = 1,
}: {
  send: SendCommand;
  disabled: boolean;
  machines?: number;
}) {
  const denied = !useRole().can('operator');
  const { confirm, dialog } = useConfirm();
  const count = machines === 1 ? 'this machine' : formatCount(machines, 'machine');
  const run = async ({ button, label, command, confirm: ask }: CommandButton) => {
    if (ask && !(await confirm(ask(count, machines)))) return;
    await send(label ?? button, command);
  };
  return (
    <>
      {COMMANDS.map((entry) => (
        <button
          key={entry.button}
          type="button"
          disabled={disabled || denied}
          title={denied ? needsRole('operator') : entry.title}
          onClick={() => void run(entry)}
        >
          {entry.button}
        </button>
      ))}
      {dialog}
    </>
  );
}
