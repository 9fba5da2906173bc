'use client';
import type { LimitName } from '@flock/protocol';
import type { inferRouterOutputs } from '@trpc/server';
import { formatClockTime } from '../lib/format';
import { LIMIT_LABEL, limitText, ruleSentence } from '../lib/rule-text';
import type { AppRouter } from '../server/api/router';

export type MachinePreview = inferRouterOutputs<AppRouter>['profiles']['preview'][number];

const VERDICT_LABEL = { holds: 'holds now', clear: 'does not hold', unknown: 'unknown' } as const;

/** What the rules would make the machine do now, in words. */
function effectText({ dryRun }: MachinePreview): string {
  const { effect, certain, snoozedUntil } = dryRun;
  if (snoozedUntil && snoozedUntil > Date.now())
    return `nothing: its rules are snoozed until ${formatClockTime(snoozedUntil)}`;
  const parts = [];
  if (effect.pauseNow) parts.push('pause now');
  else if (!effect.requesting) parts.push('finish its frame and ask for no new job');
  if (effect.coreLimit !== null) parts.push(`render with at most ${effect.coreLimit} cores`);
  const said = parts.length > 0 ? parts.join(' and ') : 'render as usual';
  return certain ? said : `${said}, as far as it can tell (some rules are unknown)`;
}

/** Per machine: each limit and rule now → after, limits its owner set, and what it would do right now. */
export function ProfilePreview({ machines }: { machines: MachinePreview[] }) {
  if (machines.length === 0)
    return <p className="muted">No machine follows this profile: assign it to machines or tags first.</p>;
  return (
    <div className="preview-list" data-testid="profile-preview">
      {machines.map((machine) => (
        <section
          key={machine.machineId}
          className="preview-machine"
          aria-label={`Changes on ${machine.name}`}
        >
          <h3>
            {machine.name}{' '}
            {!machine.online && (
              <span className="badge tone-offline">offline: applied when it reconnects</span>
            )}
          </h3>
          {machine.problem && <p className="error-text">{machine.problem}</p>}
          {machine.diff.unchanged && <p className="muted">No change: it already runs with this profile.</p>}
          <ul className="diff">
            {machine.diff.limits.map((change) => (
              <li key={change.limit}>
                {LIMIT_LABEL[change.limit]}: {limitText(change.limit, change.now)} →{' '}
                <strong>{limitText(change.limit, change.after)}</strong>
              </li>
            ))}
            {machine.diff.rules.map((change) => (
              <li key={change.rule}>
                Rule “{change.rule}” {change.change}
                {change.change === 'removed' && change.now && `: was ${ruleSentence(change.now)}`}
                {change.change === 'changed' && change.now && `: ${ruleSentence(change.now)} →`}
                {change.change === 'added' && ':'}{' '}
                {change.after ? <strong>{ruleSentence(change.after)}</strong> : null}
              </li>
            ))}
            {machine.diff.ownerConflicts.map((conflict) => (
              <li key={conflict.limit} className="owner-conflict">
                Owner set {LIMIT_LABEL[conflict.limit as LimitName].toLowerCase()} ={' '}
                {limitText(conflict.limit as LimitName, conflict.onMachine)} on the machine; the profile's{' '}
                {limitText(conflict.limit as LimitName, conflict.inProfile)} is not applied.
              </li>
            ))}
            {machine.diff.rulesUnknown && (
              <li className="muted">Its agent reports no rules (older than rules): it may refuse them.</li>
            )}
          </ul>
          {(Object.keys(machine.overrides.limits).length > 0 || machine.overrides.rules.length > 0) && (
            <p className="muted">
              Its overrides are kept:{' '}
              {[
                ...Object.entries(machine.overrides.limits).map(
                  ([limit, value]) =>
                    `${LIMIT_LABEL[limit as LimitName]} ${limitText(limit as LimitName, value)}`,
                ),
                ...machine.overrides.rules.map((rule) => `rule “${rule.name}”`),
              ].join(', ')}
            </p>
          )}
          <p>
            <strong>Right now it would</strong> {effectText(machine)}.
          </p>
          {machine.dryRun.rules.length > 0 && (
            <ul className="dry-run">
              {machine.dryRun.rules.map((rule) => (
                <li key={`${rule.source}:${rule.rule}`} data-verdict={rule.verdict}>
                  “{rule.rule}”{rule.source === 'owner' ? ' (set on the machine)' : ''}:{' '}
                  {VERDICT_LABEL[rule.verdict]}
                  {rule.verdict !== 'clear' && ` — ${rule.message}`}
                  {rule.until && ` until ${formatClockTime(rule.until)}`}
                </li>
              ))}
            </ul>
          )}
        </section>
      ))}
    </div>
  );
}
