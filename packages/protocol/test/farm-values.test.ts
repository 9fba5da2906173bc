import { describe, expect, it } from 'vitest';
import { assertFarmSite, isFarmSite, relativePathProblem } from '../src/index';
import { expectProtocolError } from './helpers';

describe('isFarmSite (where the agent may send frames)', () => {
  it.each([
    ['the farm itself', 'http://127.0.0.1:8080', 'http://127.0.0.1:8080/server/send_frame.php?job=1'],
    [
      'a shepherd of the farm',
      'https://client.sheepit-renderfarm.com',
      'https://tx-usa.sheepit-renderfarm.com/x?y',
    ],
    ['the farm domain itself', 'https://client.sheepit-renderfarm.com', 'https://sheepit-renderfarm.com/x?y'],
    ['a subdomain of a two-label farm', 'https://farm.example', 'https://up.farm.example/x?y'],
  ])('accepts %s', (_label, farm, url) => {
    expect(isFarmSite(farm, url)).toBe(true);
  });

  it.each([
    ['another host', 'https://client.sheepit-renderfarm.com', 'https://evil.example/x?y'],
    ['a look-alike domain', 'https://client.sheepit-renderfarm.com', 'https://evilsheepit-renderfarm.com/x'],
    ['another port of the same IP', 'http://127.0.0.1:8080', 'http://127.0.0.1:9999/x?y'],
    [
      'plain http to a shepherd',
      'https://client.sheepit-renderfarm.com',
      'http://tx.sheepit-renderfarm.com/x',
    ],
    [
      'an odd port on a shepherd',
      'https://client.sheepit-renderfarm.com',
      'https://tx.sheepit-renderfarm.com:8443/x',
    ],
    ['a downgrade to http', 'https://farm.example', 'http://farm.example/x?y'],
    ['another IP', 'http://10.0.0.1', 'http://10.0.0.2/x?y'],
    ['localhost from a farm on localhost:1', 'http://localhost:1', 'http://localhost:2/x'],
    ['not a URL', 'https://farm.example', 'farm.example/x'],
  ])('refuses %s', (_label, farm, url) => {
    expect(isFarmSite(farm, url)).toBe(false);
  });

  it('assertFarmSite names both origins, never the query (it may hold a token)', () => {
    expectProtocolError(
      () => assertFarmSite('https://farm.example', 'https://evil.example/up?token=s3cret', 'validation_url'),
      'invalid-value',
      "validation_url https://evil.example is not on the farm's own site (https://farm.example)",
    );
  });
});

describe('relativePathProblem', () => {
  it.each(['scene.blend', 'scenes/shot 1.blend', 'a/b/c/ünïcode.blend', '..hidden/x.blend', 'x..blend'])(
    'accepts %j',
    (path) => {
      expect(relativePathProblem(path)).toBeUndefined();
    },
  );
});
