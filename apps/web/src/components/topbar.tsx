'use client';
import { useMutation } from '@tanstack/react-query';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { ROLE_ABILITIES, ROLE_LABELS } from '../lib/roles';
import { useTRPC } from '../lib/trpc';
import { AlertsBell } from './alerts-bell';
import { InsecureBanner } from './insecure-banner';
import { useRole } from './use-role';

export type LiveState = 'live' | 'reconnecting' | 'offline';

const LIVE_LABEL: Record<LiveState, string> = {
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Not connected',
};

/** `live` is the state of the page's live feed; pages without one (the account page) omit it. */
export function Topbar({ live, children }: { live?: LiveState; children?: ReactNode }) {
  const trpc = useTRPC();
  const { role, can } = useRole();
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({ onSettled: () => location.assign('/login') }),
  );
  return (
    <>
      <InsecureBanner />
      <header className="topbar">
        <Link href="/" className="brand">
          Flock
        </Link>
        {live && (
          <span className="live" data-state={live} data-testid="live">
            {LIVE_LABEL[live]}
          </span>
        )}
        <span className="spacer" />
        {children}
        <AlertsBell />
        <nav className="topbar-account" aria-label="Account">
          {can('operator') && (
            <Link href="/audit" className="account-link">
              Audit
            </Link>
          )}
          {role && (
            <span className="role" data-testid="role" title={ROLE_ABILITIES[role]}>
              {ROLE_LABELS[role]}
            </span>
          )}
          <Link href="/account" className="account-link">
            Account
          </Link>
          <button type="button" onClick={() => logout.mutate()} disabled={logout.isPending}>
            Log out
          </button>
        </nav>
      </header>
    </>
  );
}

/** Maps a tRPC subscription status onto what the user should be told. */
export function liveState(status: 'idle' | 'connecting' | 'pending' | 'error', hasData: boolean): LiveState {
  if (status === 'pending') return 'live';
  if (status === 'connecting' && hasData) return 'reconnecting';
  return status === 'error' ? 'offline' : 'reconnecting';
}
