// The lifecycle commands (start, restart, update) and what an agent says about its versions: round
// trips through the codec, hostile values refused where they are parsed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AgentLifecycleSchema,
  agentBuildPath,
  agentVersionId,
  decodeConsoleMessage,
  encodeMessage,
} from '../src/index';

const sha = 'ab'.repeat(32);
const command = (body: unknown) => JSON.stringify({ type: 'command', id: 'c1', issuedAt: 5, command: body });

describe('lifecycle commands', () => {
  it('start, restart and update survive the codec', () => {
    for (const body of [
      { type: 'start' },
      { type: 'restart' },
      { type: 'update', version: '0.1.1', sha256: sha },
    ]) {
      const decoded = decodeConsoleMessage(command(body));
      expect(decoded).toEqual({ ok: true, message: JSON.parse(command(body)) });
      if (decoded.ok) expect(encodeMessage(decoded.message)).toBe(command(body));
    }
  });

  it('an update names a build the agent can fetch: a version without slashes and a lower-case SHA-256', () => {
    for (const body of [
      { type: 'update', version: '../../x', sha256: sha },
      { type: 'update', version: '0.1.1', sha256: sha.toUpperCase() },
      { type: 'update', version: '0.1.1', sha256: `${sha}0` },
      { type: 'update', version: '0.1.1' },
      { type: 'update', version: '', sha256: sha },
    ])
      expect(decodeConsoleMessage(command(body)).ok, JSON.stringify(body)).toBe(false);
    fc.assert(
      fc.property(fc.string(), fc.string(), (version, sha256) => {
        const decoded = decodeConsoleMessage(command({ type: 'update', version, sha256 }));
        if (decoded.ok && decoded.message.type === 'command' && decoded.message.command.type === 'update')
          expect(agentBuildPath(decoded.message.command.sha256, 'flock-agent.mjs')).toBe(
            `/agent/builds/${sha256}/flock-agent.mjs`,
          );
      }),
    );
  });
});

describe('version ids', () => {
  it('are the version and the first 12 digits of the SHA-256, and are what the state accepts', () => {
    expect(agentVersionId('0.1.1', sha)).toBe('0.1.1-abababababab');
    expect(() => agentVersionId('a/b', sha)).toThrow();
    const lifecycle = {
      version: '0.1.1',
      versionId: agentVersionId('0.1.1', sha),
      supervisor: 'systemd',
      update: { kind: 'rolled-back', versionId: '0.1.2-0123456789ab', at: 1, message: 'it did not start' },
    };
    expect(AgentLifecycleSchema.parse(lifecycle)).toEqual(lifecycle);
    expect(AgentLifecycleSchema.safeParse({ ...lifecycle, versionId: '../x-0123456789ab' }).success).toBe(
      false,
    );
  });
});
