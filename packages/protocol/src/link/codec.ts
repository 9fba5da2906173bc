import type { z } from 'zod';
import {
  type AgentToConsole,
  AgentToConsoleSchema,
  type ConsoleToAgent,
  ConsoleToAgentSchema,
  LINK_MAX_MESSAGE_CHARS,
} from './messages';
import type { AgentState, AgentStatePatch } from './state';

export type Decoded<T> = { ok: true; message: T } | { ok: false; reason: string };

function decode<T>(schema: z.ZodType<T>, raw: string): Decoded<T> {
  if (raw.length > LINK_MAX_MESSAGE_CHARS)
    return { ok: false, reason: `message over ${LINK_MAX_MESSAGE_CHARS} chars` };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'message';
  return { ok: false, reason: `${where}: ${issue?.message ?? 'invalid'}` };
}

/** Parses and validates one text frame from an agent; never throws. */
export const decodeAgentMessage = (raw: string): Decoded<AgentToConsole> => decode(AgentToConsoleSchema, raw);

/** Parses and validates one text frame from the console; never throws. */
export const decodeConsoleMessage = (raw: string): Decoded<ConsoleToAgent> =>
  decode(ConsoleToAgentSchema, raw);

export const encodeMessage = (message: AgentToConsole | ConsoleToAgent): string => JSON.stringify(message);

/** The top-level keys of `next` that differ from `prev` (compared by value). */
export function diffState(prev: AgentState, next: AgentState): AgentStatePatch {
  const changes: Record<string, unknown> = {};
  for (const key of Object.keys(next) as (keyof AgentState)[]) {
    if (JSON.stringify(prev[key]) !== JSON.stringify(next[key])) changes[key] = next[key];
  }
  return changes as AgentStatePatch;
}

export function applyPatch(state: AgentState, patch: AgentStatePatch): AgentState {
  return { ...state, ...patch };
}

export const isEmptyPatch = (patch: AgentStatePatch): boolean => Object.keys(patch).length === 0;
