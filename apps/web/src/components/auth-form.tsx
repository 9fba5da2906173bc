'use client';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { nextUrl } from '../lib/next-url';
import { useTRPC } from '../lib/trpc';
import { InsecureBanner } from './insecure-banner';
import { TextField } from './text-field';

export function AuthForm({ mode }: { mode: 'login' | 'setup' }) {
  const trpc = useTRPC();
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const options = {
    onSuccess: () =>
      location.assign(nextUrl(new URLSearchParams(location.search).get('next'), location.origin)),
  };
  const login = useMutation(trpc.auth.login.mutationOptions(options));
  const setup = useMutation(trpc.auth.setup.mutationOptions(options));
  const pending = login.isPending || setup.isPending;
  const error = (mode === 'login' ? login : setup).error;
  // What was said about the last try is stale once the user changes what they typed.
  const edit = (set: (value: string) => void) => (value: string) => {
    set(value);
    setMismatch(false);
    login.reset();
    setup.reset();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (mode === 'setup') {
      setMismatch(password !== confirm);
      if (password === confirm) setup.mutate({ password });
    } else login.mutate({ username, password });
  };

  return (
    <main className="auth">
      <InsecureBanner />
      <h1>{mode === 'login' ? 'Flock console' : 'Welcome to Flock'}</h1>
      {mode === 'setup' && (
        <p className="muted">
          First start: choose the admin password (at least 10 characters). You will log in as “admin”.
        </p>
      )}
      <form className="form" onSubmit={submit}>
        {mode === 'login' && (
          <TextField
            label="User name"
            autoComplete="username"
            value={username}
            onChange={edit(setUsername)}
          />
        )}
        <TextField
          label={mode === 'login' ? 'Password' : 'New admin password'}
          type="password"
          autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
          value={password}
          onChange={edit(setPassword)}
        />
        {mode === 'setup' && (
          <TextField
            label="Repeat it"
            type="password"
            autoComplete="new-password"
            value={confirm}
            onChange={edit(setConfirm)}
          />
        )}
        {mismatch && <p className="error-text">The two passwords differ.</p>}
        {error && (
          <p className="error-text" role="alert">
            {error.message}
          </p>
        )}
        <button type="submit" className="primary" disabled={pending}>
          {pending ? 'Checking…' : mode === 'login' ? 'Log in' : 'Set password and enter'}
        </button>
      </form>
    </main>
  );
}
