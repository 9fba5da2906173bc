import type { AgentState, LimitName, Rule } from '@flock/protocol';
import { type DesiredConfig, type OwnerConflict, withoutOwnerLimits } from './resolve';

// What applying a profile would change on one machine, limit by limit and rule by rule, from the state
// it last reported. Nothing is sent to compute it.

export interface LimitChange {
  limit: LimitName;
  now: unknown;
  after: unknown;
}

export interface RuleChange {
  rule: string;
  change: 'added' | 'removed' | 'changed';
  now: Rule | null;
  after: Rule | null;
}

export interface ConfigDiff {
  limits: LimitChange[];
  rules: RuleChange[];
  /** Limits the owner set on the machine that the profile would change: left as they are. */
  ownerConflicts: OwnerConflict[];
  /** The machine reports no rules (an agent older than rules): its rules are sent but may be refused. */
  rulesUnknown: boolean;
  /** Nothing would change. */
  unchanged: boolean;
  /** What would be sent: limits that differ (not the owner's) and the rules, when they differ. */
  send: { limits: DesiredConfig['limits']; rules: Rule[] | null };
}

export function configDiff(state: AgentState | null, desired: DesiredConfig): ConfigDiff {
  const current = state?.limits ?? null;
  const { send, ownerConflicts } = withoutOwnerLimits(desired.limits, state?.ownerLimits, current);
  const limits: LimitChange[] = [];
  const sendLimits: Record<string, unknown> = {};
  for (const [limit, after] of Object.entries(send) as [LimitName, unknown][]) {
    const now = current ? current[limit] : null;
    if (current && now === after) continue;
    limits.push({ limit, now, after });
    sendLimits[limit] = after;
  }
  const rulesNow = state?.rules?.console ?? null;
  const rules = ruleChanges(rulesNow ?? [], desired.rules);
  const rulesDiffer = rulesNow === null ? true : rules.length > 0;
  return {
    limits,
    rules,
    ownerConflicts,
    rulesUnknown: rulesNow === null,
    unchanged: limits.length === 0 && !rulesDiffer,
    send: { limits: sendLimits as DesiredConfig['limits'], rules: rulesDiffer ? desired.rules : null },
  };
}

/** Rules compared by name (names are unique without case): added, removed, or changed in any way. */
export function ruleChanges(now: readonly Rule[], after: readonly Rule[]): RuleChange[] {
  const key = (rule: Rule) => rule.name.toLowerCase();
  const before = new Map(now.map((rule) => [key(rule), rule]));
  const changes: RuleChange[] = [];
  for (const rule of after) {
    const old = before.get(key(rule)) ?? null;
    before.delete(key(rule));
    if (!old) changes.push({ rule: rule.name, change: 'added', now: null, after: rule });
    else if (JSON.stringify(canonical(old)) !== JSON.stringify(canonical(rule)))
      changes.push({ rule: rule.name, change: 'changed', now: old, after: rule });
  }
  for (const old of before.values())
    changes.push({ rule: old.name, change: 'removed', now: old, after: null });
  return changes;
}

/** A rule with its keys in one order, so two equal rules serialise the same. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  return value;
}
