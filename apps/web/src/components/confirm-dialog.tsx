'use client';
import { type ReactNode, useCallback, useEffect, useId, useRef, useState } from 'react';

export interface ConfirmRequest {
  title: string;
  /** What will happen, in a sentence or two. */
  body: ReactNode;
  /** The button that does it, e.g. "Stop 3 machines". */
  confirmLabel: string;
  /** Red button for what cannot be undone from here (Remove, Stop). */
  danger?: boolean;
}

/** Asks before doing something that is hard to undo; resolves true when the user confirmed. */
export type Confirm = (request: ConfirmRequest) => Promise<boolean>;

/**
 * A modal confirmation (the native <dialog>: focus stays inside, Escape cancels, the page behind is
 * inert), focused on Cancel so an Enter by habit does nothing harmful. Render `dialog` once; call
 * `confirm` from handlers.
 */
export function useConfirm(): { confirm: Confirm; dialog: ReactNode } {
  const [request, setRequest] = useState<ConfirmRequest | null>(null);
  const answer = useRef<(confirmed: boolean) => void>(() => {});
  const confirm = useCallback<Confirm>(
    (next) =>
      new Promise((resolve) => {
        answer.current(false); // a request still open is cancelled by the new one
        answer.current = resolve;
        setRequest(next);
      }),
    [],
  );
  const close = useCallback((confirmed: boolean) => {
    answer.current(confirmed);
    answer.current = () => {};
    setRequest(null);
  }, []);
  return { confirm, dialog: <ConfirmDialog request={request} onClose={close} /> };
}

function ConfirmDialog({
  request,
  onClose,
}: {
  request: ConfirmRequest | null;
  onClose: (confirmed: boolean) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const bodyId = useId();
  useEffect(() => {
    if (!request) return dialog.current?.close();
    if (!dialog.current?.open) dialog.current?.showModal();
    cancel.current?.focus();
  }, [request]);
  return (
    <dialog
      ref={dialog}
      className="confirm"
      role="alertdialog"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onClose={() => onClose(false)}
    >
      {request && (
        <>
          <h2 id={titleId}>{request.title}</h2>
          <div id={bodyId}>{request.body}</div>
          <div className="confirm-actions">
            <button ref={cancel} type="button" onClick={() => onClose(false)}>
              Cancel
            </button>
            <button
              type="button"
              className={request.danger ? 'danger' : 'primary'}
              onClick={() => onClose(true)}
            >
              {request.confirmLabel}
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}
