import type { LimitName, Limits, Rule } from '@flock/protocol';
import type { Overrides, ProfileLimits } from '../../lib/profiles';

// Which profile a machine follows, and what it should run with: pure, so the preview, the apply and
// the tests read it the same way.

export interface Assignment {
  kind: 'machine' | 'tag';
  /** The machine's id, or the tag. */
  target: string;
  profileId: number;
  assignedAt: number;
  assignedBy: string;
}

/** The profile a machine follows and why; `passedOver`: its tags' other profiles, which lost. */
export interface ProfileChoice {
  profileId: number;
  via: { kind: 'machine' } | { kind: 'tag'; tag: string };
  assignedAt: number;
  assignedBy: string;
  passedOver: { tag: string; profileId: number }[];
}

/**
 * A machine's own assignment wins; else its tags': between tags with different profiles the most
 * recently assigned wins (ties: the tag first in alphabetical order), and the others are listed.
 */
export function profileFor(
  machineId: string,
  tags: readonly string[],
  assignments: readonly Assignment[],
): ProfileChoice | null {
  const own = assignments.find((a) => a.kind === 'machine' && a.target === machineId);
  const tagged = assignments
    .filter((a) => a.kind === 'tag' && tags.includes(a.target))
    .sort((a, b) => b.assignedAt - a.assignedAt || a.target.localeCompare(b.target));
  const winner = own ?? tagged[0];
  if (!winner) return null;
  return {
    profileId: winner.profileId,
    via: winner.kind === 'machine' ? { kind: 'machine' } : { kind: 'tag', tag: winner.target },
    assignedAt: winner.assignedAt,
    assignedBy: winner.assignedBy,
    passedOver: tagged
      .filter((a) => a !== winner && a.profileId !== winner.profileId)
      .map((a) => ({ tag: a.target, profileId: a.profileId })),
  };
}

export interface DesiredConfig {
  limits: ProfileLimits;
  rules: Rule[];
}

/** The profile with the machine's overrides: an override rule replaces the profile's of the same name. */
export function withOverrides(profile: DesiredConfig, overrides: Overrides): DesiredConfig {
  const replaced = new Map(overrides.rules.map((rule) => [rule.name.toLowerCase(), rule]));
  const rules = profile.rules.map((rule) => {
    const override = replaced.get(rule.name.toLowerCase());
    replaced.delete(rule.name.toLowerCase());
    return override ?? rule;
  });
  return { limits: { ...profile.limits, ...overrides.limits }, rules: [...rules, ...replaced.values()] };
}

/** A limit the profile sets that the machine's owner set on the machine: left as the owner set it. */
export interface OwnerConflict {
  limit: LimitName;
  onMachine: unknown;
  inProfile: unknown;
}

/** The limits to send: the desired ones less those the owner set on the machine, which are listed. */
export function withoutOwnerLimits(
  limits: ProfileLimits,
  ownerLimits: readonly LimitName[] | undefined,
  current: Limits | null,
): { send: ProfileLimits; ownerConflicts: OwnerConflict[] } {
  const send: Record<string, unknown> = {};
  const ownerConflicts: OwnerConflict[] = [];
  for (const [limit, value] of Object.entries(limits) as [LimitName, unknown][]) {
    if (!ownerLimits?.includes(limit)) send[limit] = value;
    else if (current?.[limit] !== value)
      ownerConflicts.push({ limit, onMachine: current?.[limit] ?? null, inProfile: value });
  }
  return { send: send as ProfileLimits, ownerConflicts };
}
