// The install routes' paths and the Node version floor: built and parsed back, hostile paths refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AGENT_BUILD_FILES,
  AgentManifestSchema,
  agentBuildPath,
  CertPinSchema,
  nodeVersionAtLeast,
  nodeVersionFloor,
  parseAgentBuildPath,
} from '../src/index';

const sha256 = fc.stringMatching(/^[0-9a-f]{64}$/);

describe('agent build paths', () => {
  it('parse back to what built them', () => {
    fc.assert(
      fc.property(sha256, fc.constantFrom(...AGENT_BUILD_FILES), (sha, file) => {
        expect(parseAgentBuildPath(agentBuildPath(sha, file))).toEqual({ sha256: sha, file });
      }),
    );
  });

  it('refuse anything else: other files, traversal, encoded slashes, upper case, arbitrary strings', () => {
    const sha = 'a'.repeat(64);
    for (const path of [
      `/agent/builds/${sha}/console.sqlite`,
      `/agent/builds/${sha}/../flock-agent.mjs`,
      `/agent/builds/..%2f..%2f${sha}/flock-agent.mjs`,
      `/agent/builds/${sha.toUpperCase()}/flock-agent.mjs`,
      `/agent/builds/${sha}/flock-agent.mjs/`,
      `/agent/builds/${sha}0/flock-agent.mjs`,
    ])
      expect(parseAgentBuildPath(path), path).toBeNull();
    fc.assert(
      fc.property(fc.string(), (path) => {
        const parsed = parseAgentBuildPath(path);
        if (parsed) expect(path).toBe(agentBuildPath(parsed.sha256, parsed.file));
      }),
    );
    expect(() => agentBuildPath('../x', 'flock-agent.mjs')).toThrow();
  });
});

describe('Node versions', () => {
  it('the floor of an engines range, and comparisons', () => {
    expect(nodeVersionFloor('>=20.19')).toBe('20.19.0');
    expect(nodeVersionFloor('>= 22')).toBe('22.0.0');
    expect(() => nodeVersionFloor('^20.19')).toThrow('expected an engines range');
    expect(nodeVersionAtLeast('v20.19.0', '20.19.0')).toBe(true);
    expect(nodeVersionAtLeast('20.20.2', '20.19.0')).toBe(true);
    expect(nodeVersionAtLeast('v20.9.0', '20.19.0')).toBe(false);
    expect(nodeVersionAtLeast('v18.19.1', '20.19.0')).toBe(false);
    expect(nodeVersionAtLeast('v22.0.0', '20.19.0')).toBe(true);
  });
});

describe('manifest and pin', () => {
  it('accept what the console serves and refuse look-alikes', () => {
    const sha = 'b'.repeat(64);
    const manifest = {
      version: '0.1.0',
      minNode: '20.19.0',
      agent: { sha256: sha, url: agentBuildPath(sha, 'flock-agent.mjs') },
      launcher: { sha256: 'c'.repeat(64), url: agentBuildPath(sha, 'launcher.mjs') },
    };
    expect(AgentManifestSchema.parse(manifest)).toEqual(manifest);
    expect(
      AgentManifestSchema.safeParse({ ...manifest, agent: { sha256: sha, url: 'http://evil/x' } }).success,
    ).toBe(false);
    expect(CertPinSchema.safeParse(`sha256//${Buffer.alloc(32).toString('base64')}`).success).toBe(true);
    expect(CertPinSchema.safeParse(`sha256//${Buffer.alloc(31).toString('base64')}`).success).toBe(false);
  });
});
