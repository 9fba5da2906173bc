'use client';
import { type FormEvent, useState } from 'react';
import { formatAgo, formatClockTime } from '../lib/format';
import { TextField } from './text-field';

export interface FarmAccountView {
  login: string;
  setAt: number;
  setBy: string;
}

/** What is set (login, who, when: never the render key) and the form that replaces or removes it. */
export function FarmAccountForm({
  current,
  saveLabel,
  removeLabel,
  busy,
  error,
  onSave,
  onRemove,
}: {
  current: FarmAccountView | null;
  saveLabel: string;
  removeLabel: string;
  busy: boolean;
  error: string | null;
  onSave: (account: { login: string; renderKey: string }) => void;
  onRemove: () => void;
}) {
  const [login, setLogin] = useState(current?.login ?? '');
  const [renderKey, setRenderKey] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSave({ login: login.trim(), renderKey });
    setRenderKey('');
  };
  return (
    <>
      <p data-testid="farm-account-now">
        {current ? (
          <>
            Set: <strong>{current.login}</strong>, render key stored encrypted
            <span className="muted" title={formatClockTime(current.setAt)}>
              {' '}
              (by {current.setBy}, {formatAgo(current.setAt)})
            </span>
          </>
        ) : (
          'None set.'
        )}
      </p>
      <form className="form" onSubmit={submit}>
        <TextField label="SheepIt login" autoComplete="off" value={login} onChange={setLogin} />
        <TextField
          label="Render key"
          type="password"
          autoComplete="new-password"
          value={renderKey}
          onChange={setRenderKey}
        />
        <div className="actions" style={{ justifyContent: 'flex-start' }}>
          <button type="submit" className="primary" disabled={busy}>
            {saveLabel}
          </button>
          {current && (
            <button type="button" disabled={busy} onClick={onRemove}>
              {removeLabel}
            </button>
          )}
        </div>
        {error && (
          <p className="error-text" role="alert">
            {error}
          </p>
        )}
      </form>
    </>
  );
}

/** A tRPC error as a sentence: a refused value says what to type instead. */
export function farmAccountError(
  error: { message: string; data?: { code?: string } | null } | null,
): string | null {
  if (!error) return null;
  return error.data?.code === 'BAD_REQUEST'
    ? 'Enter the SheepIt login and its render key (at most 100 and 200 characters, no line breaks).'
    : error.message;
}
