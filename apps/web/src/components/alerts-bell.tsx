'use client';
import Link from 'next/link';
import { useAlertsLive } from './use-alerts-live';

/** The header's bell: how many alerts nobody acknowledged yet, a link to the list. */
export function AlertsBell() {
  const { list } = useAlertsLive();
  const count = list?.unacknowledged ?? 0;
  const label = count === 0 ? 'Alerts: none new' : `Alerts: ${count} not acknowledged`;
  return (
    <Link href="/alerts" className="bell" aria-label={label} title={label} data-testid="alerts-bell">
      <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
        <path
          fill="currentColor"
          d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
        />
      </svg>
      {count > 0 && (
        <span className="bell-count" data-testid="alerts-unread">
          {count > 99 ? '99+' : count}
        </span>
      )}
    </Link>
  );
}
