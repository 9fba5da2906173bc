import type { LimitName, Rule, RuleAction, RuleCondition } from '@flock/protocol';

// Rules and limits as the console's pages say them, in words rather than JSON.

const CONDITION_WORDS: {
  [K in RuleCondition['kind']]: (when: Extract<RuleCondition, { kind: K }>) => string;
} = {
  'user-active': (when) => `someone used the computer in the last ${when.idleMinutes} min`,
  'process-running': (when) =>
    `${when.names.map((name) => `\`${name}\``).join(', ')} ${when.names.length === 1 ? 'runs' : 'run'}`,
  'on-battery': () => 'on battery',
  'temperature-above': (when) => `the ${when.sensor.toUpperCase()} is above ${when.celsius} °C`,
  'owner-cpu-above': (when) => `the owner's programs use more than ${when.percent} % of the CPU`,
  'time-window': (when) => `within ${when.window} (machine's local time)`,
};

export function conditionText(when: RuleCondition): string {
  return (CONDITION_WORDS[when.kind] as (when: RuleCondition) => string)(when);
}

export function actionText(action: RuleAction): string {
  if (action.type === 'pause-now') return 'pause now';
  if (action.type === 'limit-cores') return `use at most ${action.cores} cores`;
  return 'finish the frame, ask for no new job';
}

/** "While `blender` runs: pause now". */
export function ruleSentence(rule: Rule): string {
  const condition = conditionText(rule.when);
  return `${condition.charAt(0).toUpperCase()}${condition.slice(1)}: ${actionText(rule.action)}`;
}

export const LIMIT_LABEL: Record<LimitName, string> = {
  computeMethod: 'Compute method',
  gpu: 'GPU',
  cores: 'Cores',
  memoryBytes: 'Memory',
  maxFrameTimeSeconds: 'Max frame time',
  priority: 'Priority',
  requestTime: 'Request time',
};

/** A limit's value in words: `null` is no limit (or always, for the request time). */
export function limitText(limit: LimitName, value: unknown): string {
  if (value === null || value === undefined) return limit === 'requestTime' ? 'always' : 'no limit';
  if (limit === 'memoryBytes') return `${Math.round((Number(value) / 2 ** 30) * 10) / 10} GiB`;
  if (limit === 'maxFrameTimeSeconds') return `${Math.round(Number(value) / 60)} min`;
  if (limit === 'computeMethod') return value === 'cpu_gpu' ? 'CPU + GPU' : String(value).toUpperCase();
  return String(value);
}
