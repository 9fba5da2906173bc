// `--min-client-version`: a farm that enforces a minimum client version answers the login of an older
// client with 101 (client too old), as the real farm does; newer and equal versions log in.
import { ConfigStatus } from '@flock/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { compareClientVersions } from '../src/client-version';
import type { RunningFarm } from '../src/index';
import { TestClient } from './helpers/client';
import { testFarm } from './helpers/farm';

let farm: RunningFarm | undefined;
afterEach(() => farm?.close());

describe('a minimum client version', () => {
  it('refuses older clients with 101 and lets equal or newer ones in', async () => {
    farm = await testFarm({ minClientVersion: '7.24086.0' });
    const login = (version: string) => new TestClient((farm as RunningFarm).url).login({ version });
    await expect(login('0.1.0')).rejects.toThrow(`status ${ConfigStatus.CLIENT_TOO_OLD}`);
    await expect(login('7.23365.9')).rejects.toThrow(`status ${ConfigStatus.CLIENT_TOO_OLD}`);
    await expect(login('7.24086.0')).resolves.toBeDefined();
    await expect(login('7.24100.1')).resolves.toBeDefined();
    expect(farm.sessions()).toHaveLength(2);
  });

  it('accepts any version when none is set', async () => {
    farm = await testFarm();
    await expect(new TestClient(farm.url).login({ version: '0.0.1' })).resolves.toBeDefined();
  });

  it('compares dotted versions part by part, numbers as numbers', () => {
    expect(compareClientVersions('7.24086.0', '7.24086.0')).toBe(0);
    expect(compareClientVersions('7.9.0', '7.10.0')).toBeLessThan(0);
    expect(compareClientVersions('7.24086', '7.24086.1')).toBeLessThan(0);
    expect(compareClientVersions('10.0.0', '9.99.99')).toBeGreaterThan(0);
    expect(compareClientVersions('7.1.0-beta', '7.1.0')).not.toBe(0);
  });
});
