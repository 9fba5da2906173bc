'use client';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '../lib/trpc';

/** Shows a fresh one-time pairing code and the exact command to run on the new machine. */
export function AddMachineDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const dialog = useRef<HTMLDialogElement>(null);
  const create = useMutation(trpc.machines.addCode.mutationOptions());
  const [copied, setCopied] = useState(false);
  const [now, setNow] = useState(() => Date.now());

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new code each time the dialog opens
  useEffect(() => {
    if (!open) return dialog.current?.close();
    dialog.current?.showModal();
    setCopied(false);
    create.mutate({ consoleUrl: location.origin });
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [open]);

  const data = create.data;
  const secondsLeft = data ? Math.max(0, Math.round((data.expiresAt - now) / 1000)) : 0;
  const copy = async () => {
    if (!data) return;
    await navigator.clipboard?.writeText(data.command).catch(() => {});
    setCopied(true);
  };

  return (
    <dialog ref={dialog} onClose={onClose} aria-labelledby="add-machine-title">
      <h2 id="add-machine-title" style={{ marginTop: 0 }}>
        Add a machine
      </h2>
      {create.isPending && <p className="muted">Creating a pairing code…</p>}
      {create.isError && <p className="error-text">Could not create a code: {create.error.message}</p>}
      {data && (
        <>
          <p>On the new machine, in the Flock checkout, run:</p>
          <div className="command">
            <code data-testid="pair-command">{data.command}</code>
            <button type="button" onClick={copy}>
              {copied ? 'Copied' : 'Copy'}
            </button>
          </div>
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
