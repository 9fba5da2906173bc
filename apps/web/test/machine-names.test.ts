// The name a machine gets on its first hello: the name of the same hardware's earlier pairing when
// that one is gone (paired again), its own hostname when the earlier one is still online (a second
// agent on the same host, e.g. one installed beside `npm start`'s).
import { describe, expect, it } from 'vitest';
import type { ConsoleRepo, MachineRow } from '../src/server/db/repo';
import type { Fleet } from '../src/server/link/fleet';
import { nameOnHello } from '../src/server/link/machine-names';

const HWID = 'hw-0123456789';

function machines(rows: MachineRow[], online: Set<string>) {
  const byId = new Map(rows.map((row) => [row.id, { ...row }]));
  const repo = {
    getMachine: async (id: string) => byId.get(id),
    setMachineHwid: async (id: string, hwid: string) => {
      const row = byId.get(id);
      if (row) row.hwid = hwid;
    },
    earlierPairingOf: async (hwid: string, exceptId: string) =>
      [...byId.values()]
        .filter((row) => row.hwid === hwid && row.id !== exceptId)
        .sort((a, b) => b.createdAt - a.createdAt)[0],
    renameMachine: async (id: string, name: string) => {
      const row = byId.get(id);
      if (row) row.name = name;
    },
  } as unknown as ConsoleRepo;
  const fleet = {
    rename: () => undefined,
    summary: (id: string) => (byId.has(id) ? { online: online.has(id) } : undefined),
  } as unknown as Fleet;
  return { repo, fleet, nameOf: (id: string) => byId.get(id)?.name };
}

const row = (id: string, name: string, createdAt: number, hwid: string | null): MachineRow =>
  ({ id, name, createdAt, hwid, hello: null, secretHash: 'x', revokedAt: null }) as unknown as MachineRow;

const hello = { hwid: HWID, machine: { hostname: 'render-box' } } as Parameters<typeof nameOnHello>[3];

describe('the name on a first hello', () => {
  it('is the earlier pairing’s name when that one is gone (the same machine paired again)', async () => {
    const { repo, fleet, nameOf } = machines(
      [row('old', 'alice-desk', 1, HWID), row('new', 'new', 2, null)],
      new Set(),
    );
    expect(await nameOnHello(repo, fleet, 'new', hello)).toBe('alice-desk');
    expect(nameOf('new')).toBe('alice-desk');
  });

  it('is its own hostname when the earlier pairing is still online (a second agent on the host)', async () => {
    const { repo, fleet, nameOf } = machines(
      [row('first', 'local-agent', 1, HWID), row('second', 'second', 2, null)],
      new Set(['first']),
    );
    expect(await nameOnHello(repo, fleet, 'second', hello)).toBe('render-box');
    expect(nameOf('second')).toBe('render-box');
  });
});
