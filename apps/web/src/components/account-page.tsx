'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ROLE_ABILITIES, ROLE_LABELS } from '../lib/roles';
import { useTRPC } from '../lib/trpc';
import { LoadingList } from './status';
import { TextField } from './text-field';
import { Topbar } from './topbar';
import { UsersCard } from './users-card';

/** The signed-in user's own password, and (for admins) the console's other users. */
export function AccountPage() {
  const trpc = useTRPC();
  const status = useQuery(trpc.auth.status.queryOptions());
  const user = status.data?.user;
  return (
    <>
      <Topbar />
      <main className="page">
        <div className="head">
          <h1>Account</h1>
          {user && (
            <span className="muted" data-testid="account-user">
              Logged in as <strong>{user.username}</strong>
              {` (${ROLE_LABELS[user.role].toLowerCase()}: ${ROLE_ABILITIES[user.role]})`}
            </span>
          )}
        </div>
        {status.isPending && <LoadingList rows={2} />}
        {status.isError && <p className="error-text">Could not load your account: {status.error.message}</p>}
        {user && (
          <div className="grid-2">
            <ChangePasswordCard />
            {user.role === 'admin' && <UsersCard me={user.username} />}
          </div>
        )}
      </main>
    </>
  );
}

function ChangePasswordCard() {
  const trpc = useTRPC();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation(
    trpc.auth.changePassword.mutationOptions({
      onSuccess: () => {
        setCurrent('');
        setNext('');
        setRepeat('');
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setMismatch(next !== repeat);
    if (next === repeat) change.mutate({ current, next });
  };
  return (
    <section className="card">
      <h2>Change password</h2>
      <form className="form" onSubmit={submit}>
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={setCurrent}
        />
        <TextField
          label="New password (at least 10 characters)"
          type="password"
          autoComplete="new-password"
          value={next}
          onChange={setNext}
        />
        <TextField
          label="Repeat the new password"
          type="password"
          autoComplete="new-password"
          value={repeat}
          onChange={setRepeat}
        />
        {mismatch && <p className="error-text">The two new passwords differ.</p>}
        {change.isError && (
          <p className="error-text" role="alert">
            {change.error.message}
          </p>
        )}
        {change.isSuccess && (
          <p className="muted" role="status">
            Password changed. Your other sessions were logged out.
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={change.isPending}>
            {change.isPending ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}
