'use client';
import type { ControlCommand } from '@flock/protocol';
import { needsRole } from '../lib/roles';
import type { SendCommand } from './send-command';
import { useRole } from './use-role';

/** `label` names the command in its result ("Stop after frame: 1 of 1 done") when the button says less. */
const COMMANDS: { button: string; label?: string; command: ControlCommand; title?: string }[] = [
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
    title: 'Stops the agent after its current frame',
  },
];

/** Pause, resume, retry and stop: the same buttons for one machine (its page) and many (the overview). */
export function CommandButtons({ send, disabled }: { send: SendCommand; disabled: boolean }) {
  const denied = !useRole().can('operator');
  return COMMANDS.map(({ button, label, command, title }) => (
    <button
      key={button}
      type="button"
      disabled={disabled || denied}
      title={denied ? needsRole('operator') : title}
      onClick={() => void send(label ?? button, command)}
    >
      {button}
    </button>
  ));
}
