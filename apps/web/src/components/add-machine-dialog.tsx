'use client';
import { useMutation } from '@tanstack/react-query';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import type { InstallCommands } from '../lib/install-commands';
import { useTRPC } from '../lib/trpc';

const TARGETS: { key: keyof InstallCommands; label: string; where: string; what: ReactNode }[] = [
  {
    key: 'unix',
    label: 'Linux / macOS',
    where: 'On the new machine, in a terminal:',
    what: (
      <>
        It installs the agent and a service that starts it at boot and restarts it (a system service as root,
        a user service otherwise; a LaunchAgent on macOS). Add <code className="nowrap">--no-service</code> at
        the end for none.
      </>
    ),
  },
  {
    key: 'windows',
    label: 'Windows',
    where: 'On the new machine, in PowerShell:',
    what: 'It installs the agent under %LOCALAPPDATA% with a task that starts it at start-up.',
  },
  {
    key: 'clone',
    label: 'From a clone',
    where: 'In a clone of the Flock repository (developers):',
    what: 'It pairs the agent of this clone: one already running links within seconds, another at its next start.',
  },
];

/** Copies `text`; where the Clipboard API is missing (plain HTTP on the LAN), the selected element's text. */
async function copyText(text: string, element: HTMLElement | null): Promise<boolean> {
  if (navigator.clipboard)
    return navigator.clipboard.writeText(text).then(
      () => true,
      () => false,
    );
  if (!element) return false;
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
  return document.execCommand('copy');
}

/** Shows a fresh one-time pairing code and the one command per OS that installs and pairs the agent. */
export function AddMachineDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const dialog = useRef<HTMLDialogElement>(null);
  const commandElement = useRef<HTMLElement>(null);
  const create = useMutation(trpc.machines.addCode.mutationOptions());
  const [target, setTarget] = useState<keyof InstallCommands>('unix');
  const [copied, setCopied] = useState<boolean | null>(null);
  const [now, setNow] = useState(() => Date.now());

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new code each time the dialog opens
  useEffect(() => {
    if (!open) return dialog.current?.close();
    dialog.current?.showModal();
    setCopied(null);
    create.mutate({ consoleUrl: location.origin });
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [open]);

  const data = create.data;
  const secondsLeft = data ? Math.max(0, Math.round((data.expiresAt - now) / 1000)) : 0;
  const shown = TARGETS.find((candidate) => candidate.key === target) ?? TARGETS[0];
  const command = data && shown ? data.commands[shown.key] : '';
  const choose = (key: keyof InstallCommands) => {
    setTarget(key);
    setCopied(null);
  };

  return (
    <dialog ref={dialog} onClose={onClose} aria-labelledby="add-machine-title">
      <h2 id="add-machine-title" style={{ marginTop: 0 }}>
        Add a machine
      </h2>
      {create.isPending && <p className="muted">Creating a pairing code…</p>}
      {create.isError && <p className="error-text">Could not create a code: {create.error.message}</p>}
      {data && shown && (
        <>
          <div className="segmented" role="tablist" aria-label="Operating system of the new machine">
            {TARGETS.map((candidate) => (
              <button
                key={candidate.key}
                type="button"
                role="tab"
                aria-selected={candidate.key === target}
                onClick={() => choose(candidate.key)}
              >
                {candidate.label}
              </button>
            ))}
          </div>
          <p>{shown.where}</p>
          <div className="command">
            <code data-testid="pair-command" ref={commandElement}>
              {command}
            </code>
            <button
              type="button"
              onClick={async () => setCopied(await copyText(command, commandElement.current))}
            >
              {copied === true ? 'Copied' : 'Copy'}
            </button>
          </div>
          {copied === false && (
            <p className="error-text">Copying is blocked here: select the command and copy it.</p>
          )}
          <p className="muted">{shown.what}</p>
          {shown.key !== 'clone' &&
            (data.agentBuild ? (
              <p className="muted">
                Needs Node.js {data.agentBuild.minNode} or newer on the new machine; installs agent{' '}
                {data.agentBuild.version}.
              </p>
            ) : (
              <p className="error-text">
                This console has no agent build to install yet: run npm run build where it runs, then restart
                it.
              </p>
            ))}
          <div className="code" data-testid="pair-code">
            {data.code}
          </div>
          {data.pin && (
            <p className="muted pin" data-testid="pair-pin">
              Certificate fingerprint (the machine checks it on every connection): <code>{data.pin}</code>
            </p>
          )}
          <p className="muted">
            {secondsLeft > 0
              ? `The code works once and expires in ${Math.floor(secondsLeft / 60)}:${String(secondsLeft % 60).padStart(2, '0')}.`
              : 'This code has expired.'}{' '}
            The machine appears in the fleet as soon as its agent connects.
          </p>
        </>
      )}
      <div className="actions">
        {data && secondsLeft === 0 && (
          <button type="button" onClick={() => create.mutate({ consoleUrl: location.origin })}>
            New code
          </button>
        )}
        <button type="button" className="primary" onClick={() => dialog.current?.close()}>
          Done
        </button>
      </div>
    </dialog>
  );
}
