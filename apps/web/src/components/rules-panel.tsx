'use client';
import { type AgentState, describeActiveRule, type FactName, type LimitName } from '@flock/protocol';
import { useMutation, useQuery } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import Link from 'next/link';
import { useState } from 'react';
import { formatClockTime } from '../lib/format';
import { LIMIT_LABEL, limitText, ruleSentence } from '../lib/rule-text';
import { useTRPC } from '../lib/trpc';
import type { AppRouter } from '../server/api/router';
import { OverrideRulesForm } from './override-rules-form';
import { RoleGate } from './role-gate';
import type { SendCommand } from './send-command';
import type { Notify } from './toast';

const FACT_LABEL: Record<FactName, string> = {
  'user-idle': 'keyboard and mouse idle time',
  battery: 'battery',
  'cpu-temperature': 'CPU temperature',
  'gpu-temperature': 'GPU temperature',
  'owner-cpu': "owner's CPU load",
};

const SNOOZE_MINUTES = 120;

/**
 * A machine's rules: those in force now with when they lift, its owner's (read-only) and the
 * console's, facts it cannot read, the snooze, and the profile it follows with its overrides.
 */
export function RulesPanel({
  machineId,
  state,
  online,
  send,
  busy,
  notify,
}: {
  machineId: string;
  state: AgentState | null;
  online: boolean;
  send: SendCommand;
  busy: boolean;
  notify: Notify;
}) {
  const trpc = useTRPC();
  const rules = state?.rules;
  // Assignments change from the Profiles page: asked again every 15 s.
  const profile = useQuery(
    trpc.profiles.machine.queryOptions({ id: machineId }, { refetchInterval: 15_000 }),
  );
  const snoozed = rules?.snoozedUntil && rules.snoozedUntil > Date.now() ? rules.snoozedUntil : null;
  return (
    <section className="card rules-panel" aria-label="Rules">
      <div className="card-head">
        <h2>Rules</h2>
        <RoleGate minimum="operator">
          {snoozed ? (
            <button
              type="button"
              disabled={busy || !online}
              onClick={() => send('End snooze', { type: 'snooze-rules', minutes: 0 })}
            >
              End snooze
            </button>
          ) : (
            <button
              type="button"
              disabled={busy || !online || !rules}
              onClick={() => send('Snooze rules for 2 h', { type: 'snooze-rules', minutes: SNOOZE_MINUTES })}
            >
              Snooze 2 h
            </button>
          )}
        </RoleGate>
      </div>
      <FollowedProfile data={profile.data} />
      {!rules && (
        <p className="muted">
          {state
            ? 'This agent reports no rules: it is older than rules. Update it from the Updates panel to use them.'
            : 'Not reported yet.'}
        </p>
      )}
      {snoozed && <p className="banner">Rules snoozed until {formatClockTime(snoozed)}: none is in force.</p>}
      {rules && rules.active.length > 0 && (
        <ul className="active-rules" data-testid="active-rules">
          {rules.active.map((active) => (
            <li key={`${active.source}:${active.rule}`}>
              {describeActiveRule(active)}
              {active.until ? `, until ${formatClockTime(active.until)}` : ''}
            </li>
          ))}
        </ul>
      )}
      {rules && rules.active.length === 0 && !snoozed && <p className="muted">No rule holds now.</p>}
      {rules && rules.unavailable.length > 0 && (
        <p className="muted">
          The machine cannot read: {rules.unavailable.map((fact) => FACT_LABEL[fact]).join(', ')} (rules on
          them never hold).
        </p>
      )}
      {rules && (
        <>
          <h3>Set on the machine by its owner (read-only)</h3>
          {rules.owner.length === 0 && (state?.ownerLimits ?? []).length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul>
              {rules.owner.map((rule) => (
                <li key={rule.name}>
                  “{rule.name}”: {ruleSentence(rule)}
                </li>
              ))}
              {(state?.ownerLimits ?? []).map((limit) => (
                <li key={limit}>
                  {LIMIT_LABEL[limit]} = {limitText(limit, state?.limits[limit])} (a profile leaves it)
                </li>
              ))}
            </ul>
          )}
          <h3>From the console</h3>
          {rules.console.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul>
              {rules.console.map((rule) => (
                <li key={rule.name}>
                  “{rule.name}”: {ruleSentence(rule)}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {profile.data && (
        <MachineOverrides
          machineId={machineId}
          data={profile.data}
          refetch={profile.refetch}
          notify={notify}
        />
      )}
    </section>
  );
}

type MachineProfile = inferRouterOutputs<AppRouter>['profiles']['machine'];

function FollowedProfile({ data }: { data: MachineProfile | undefined }) {
  if (!data) return null;
  const { choice, profile } = data;
  if (!choice || !profile)
    return (
      <p>
        Follows no profile. <Link href="/profiles">Profiles</Link>
      </p>
    );
  return (
    <p data-testid="followed-profile">
      Follows profile <Link href="/profiles">“{profile.name}”</Link>{' '}
      {choice.via.kind === 'machine' ? 'assigned to this machine' : `through its tag “${choice.via.tag}”`} by{' '}
      {choice.assignedBy} at {formatClockTime(choice.assignedAt)}.
      {choice.passedOver.length > 0 &&
        ` Passed over: ${choice.passedOver.map((p) => `“${p.profileName}” (tag “${p.tag}”)`).join(', ')}, assigned earlier: the most recent tag assignment wins.`}
    </p>
  );
}

/**
 * The machine's overrides: the limits and rules it runs with instead of (or besides) its profile's.
 * Operators add, change and clear its override rules with the profile form's rule editor.
 */
function MachineOverrides({
  machineId,
  data,
  refetch,
  notify,
}: {
  machineId: string;
  data: MachineProfile;
  refetch: () => unknown;
  notify: Notify;
}) {
  const trpc = useTRPC();
  const [editing, setEditing] = useState(false);
  const save = (done: string) =>
    trpc.profiles.setOverrides.mutationOptions({
      onSuccess: () => {
        void refetch();
        setEditing(false);
        notify(`${done} Apply the profile to send the change.`);
      },
      onError: (error) => notify(`Not saved: ${error.message}`, 'error'),
    });
  const saveRules = useMutation(save('Override rules saved.'));
  const clear = useMutation(save('Overrides cleared.'));
  const { overrides, profile } = data;
  const hasOverrides = Object.keys(overrides.limits).length > 0 || overrides.rules.length > 0;
  if (!hasOverrides && !profile) return null;
  return (
    <>
      <h3>This machine's overrides</h3>
      {!hasOverrides && <p className="muted">None: it runs with its profile as it is.</p>}
      {hasOverrides && !editing && (
        <ul data-testid="overrides">
          {(Object.entries(overrides.limits) as [LimitName, unknown][]).map(([limit, value]) => (
            <li key={limit}>
              {LIMIT_LABEL[limit]} {limitText(limit, value)} (instead of the profile's)
            </li>
          ))}
          {overrides.rules.map((rule) => (
            <li key={rule.name}>
              “{rule.name}”: {ruleSentence(rule)}
              {profile?.rules.some((r) => r.name.toLowerCase() === rule.name.toLowerCase())
                ? " (instead of the profile's)"
                : ''}
            </li>
          ))}
        </ul>
      )}
      {editing ? (
        <OverrideRulesForm
          overrides={overrides}
          profileRules={profile?.rules ?? []}
          busy={saveRules.isPending}
          onSave={(next) => saveRules.mutate({ id: machineId, ...next })}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <RoleGate minimum="operator">
          <div className="actions">
            <button type="button" onClick={() => setEditing(true)}>
              {overrides.rules.length > 0 ? 'Edit override rules' : 'Add override rule'}
            </button>
            {hasOverrides && (
              <button
                type="button"
                disabled={clear.isPending}
                onClick={() => clear.mutate({ id: machineId, limits: {}, rules: [] })}
              >
                Clear overrides
              </button>
            )}
          </div>
        </RoleGate>
      )}
    </>
  );
}
