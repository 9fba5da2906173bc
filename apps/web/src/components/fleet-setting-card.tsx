'use client';
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';

/** What the card needs of a fleet setting's save mutation (a value, or null for "each machine's own"). */
export interface FleetSettingSave {
  mutate: (value: string | null) => void;
  isPending: boolean;
  error: { data?: { code?: string } | null; message: string } | null;
}

/**
 * One fleet-wide text setting: what it does, its value now, and for admins a field to set it and a
 * button back to the default. The field follows the saved value.
 */
export function FleetSettingCard(props: {
  title: string;
  children: ReactNode;
  testId: string;
  current: string | null;
  /** What applies while the setting is not set. */
  unset: string;
  input: { type?: 'url'; placeholder: string; maxLength: number };
  /** The button that clears the setting, e.g. "Use each machine's own". */
  clearLabel: string;
  /** The error shown when the server refuses the value as malformed. */
  badValue: string;
  canEdit: boolean;
  save: FleetSettingSave;
}) {
  const { current, save } = props;
  const [value, setValue] = useState(current ?? '');
  useEffect(() => setValue(current ?? ''), [current]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(value.trim() === '' ? null : value.trim());
  };
  return (
    <section className="card" aria-label={props.title}>
      <h2>{props.title}</h2>
      <p className="muted">{props.children}</p>
      <p data-testid={props.testId}>
        Now: <strong>{current ?? props.unset}</strong>
      </p>
      {props.canEdit ? (
        <form className="form" onSubmit={submit}>
          <label>
            {props.title}
            <input
              {...props.input}
              value={value}
              onChange={(event) => setValue(event.target.value)}
              autoComplete="off"
              autoCapitalize="none"
            />
          </label>
          <div className="actions start">
            <button type="submit" className="primary" disabled={save.isPending}>
              Save for the fleet
            </button>
            {current && (
              <button type="button" disabled={save.isPending} onClick={() => save.mutate(null)}>
                {props.clearLabel}
              </button>
            )}
          </div>
          {save.error && (
            <p className="error-text" role="alert">
              {save.error.data?.code === 'BAD_REQUEST' ? props.badValue : save.error.message}
            </p>
          )}
        </form>
      ) : (
        <p className="muted">Only an admin can change it.</p>
      )}
    </section>
  );
}
