'use client';
import { useMutation } from '@tanstack/react-query';
import Link from 'next/link';
import { formatAgo, formatClockTime } from '../lib/format';
import { useTRPC } from '../lib/trpc';
import type { AlertRecord } from '../server/alerts/types';
import { AlertSettingsCard } from './alert-settings-card';
import { LoadingList } from './status';
import { Toast, useToast } from './toast';
import { Topbar } from './topbar';
import { AlertsLiveProvider, useAlertsLive } from './use-alerts-live';
import { useRole } from './use-role';

/** Open and recent alerts with their evidence; operators acknowledge them, admins set rules and webhooks. */
export function AlertsPage() {
  // One live feed for the page and its header's bell.
  return (
    <AlertsLiveProvider>
      <AlertsPageBody />
    </AlertsLiveProvider>
  );
}

function AlertsPageBody() {
  const trpc = useTRPC();
  const { list, feed } = useAlertsLive();
  const { can } = useRole();
  const canAcknowledge = can('operator');
  const [toast, notify] = useToast();
  const acknowledge = useMutation(
    trpc.alerts.acknowledge.mutationOptions({
      onSuccess: ({ acknowledged }) => notify(`${acknowledged} alert(s) acknowledged`),
    }),
  );
  const open = list?.alerts.filter((alert) => alert.resolvedAt === null) ?? [];
  const resolved = list?.alerts.filter((alert) => alert.resolvedAt !== null) ?? [];
  return (
    <>
      <Topbar live={feed} />
      <main className="page">
        <div className="head">
          <Link href="/">← Fleet</Link>
          <h1>Alerts</h1>
          {canAcknowledge && (list?.unacknowledged ?? 0) > 0 && (
            <button
              type="button"
              disabled={acknowledge.isPending}
              onClick={() => acknowledge.mutate({ id: null })}
            >
              Acknowledge all
            </button>
          )}
        </div>
        {acknowledge.isError && (
          <p className="error-text" role="alert">
            Could not acknowledge: {acknowledge.error.message}
          </p>
        )}
        {!list && <LoadingList rows={2} />}
        {list && (
          <>
            <AlertSection
              title="Open"
              empty="Nothing open: every machine is fine by the rules below."
              alerts={open}
              canAcknowledge={canAcknowledge}
              onAcknowledge={(id) => acknowledge.mutate({ id })}
              busy={acknowledge.isPending}
            />
            <AlertSection
              title="Resolved in the last 7 days"
              empty="None."
              alerts={resolved}
              canAcknowledge={canAcknowledge}
              onAcknowledge={(id) => acknowledge.mutate({ id })}
              busy={acknowledge.isPending}
            />
          </>
        )}
        {can('admin') && <AlertSettingsCard notify={notify} />}
      </main>
      <Toast message={toast} />
    </>
  );
}

function AlertSection(props: {
  title: string;
  empty: string;
  alerts: AlertRecord[];
  canAcknowledge: boolean;
  onAcknowledge: (id: number) => void;
  busy: boolean;
}) {
  return (
    <section className="card" aria-label={props.title}>
      <h2>{props.title}</h2>
      {props.alerts.length === 0 ? (
        <p className="muted">{props.empty}</p>
      ) : (
        <ul className="alert-list">
          {props.alerts.map((alert) => (
            <AlertItem key={alert.id} alert={alert} {...props} />
          ))}
        </ul>
      )}
    </section>
  );
}

function AlertItem({
  alert,
  canAcknowledge,
  onAcknowledge,
  busy,
}: {
  alert: AlertRecord;
  canAcknowledge: boolean;
  onAcknowledge: (id: number) => void;
  busy: boolean;
}) {
  const { evidence } = alert;
  return (
    <li className="alert-item" data-testid="alert" data-open={alert.resolvedAt === null}>
      <div className="alert-head">
        <span className={`badge ${alert.resolvedAt === null ? 'tone-error' : 'tone-offline'}`}>
          {alert.resolvedAt === null ? 'Open' : 'Resolved'}
        </span>
        <strong>{alert.title}</strong>
        {alert.acknowledgedAt === null && canAcknowledge && (
          <button type="button" disabled={busy} onClick={() => onAcknowledge(alert.id)}>
            Acknowledge
          </button>
        )}
      </div>
      <p className="muted alert-times">
        <Link href={`/machines/${alert.machineId}`}>{alert.machineName}</Link> · fired{' '}
        <span title={formatAgo(alert.firedAt)}>{formatClockTime(alert.firedAt)}</span>
        {alert.resolvedAt !== null && <> · resolved {formatClockTime(alert.resolvedAt)}</>}
        {alert.acknowledgedAt !== null && (
          <>
            {' '}
            · acknowledged by {alert.acknowledgedBy} {formatClockTime(alert.acknowledgedAt)}
          </>
        )}
      </p>
      <p>{alert.detail}</p>
      <details>
        <summary>Evidence{evidence.project ? ` · project ${evidence.project}` : ''}</summary>
        {evidence.crash && (
          <>
            <h3 className="evidence-title">Crash report (tail)</h3>
            <pre className="logs">{evidence.crash}</pre>
          </>
        )}
        <h3 className="evidence-title">Last log lines</h3>
        {evidence.logLines.length === 0 ? (
          <p className="muted">No log lines were known.</p>
        ) : (
          <pre className="logs">
            {evidence.logLines.map((line) => (
              <div key={`${line.at}-${line.message}`} className={`log-${line.level}`}>
                {formatClockTime(line.at)} {line.message}
              </div>
            ))}
          </pre>
        )}
      </details>
    </li>
  );
}
