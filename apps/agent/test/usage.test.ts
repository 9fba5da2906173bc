// The live `usage` of the state: machine CPU and the render's (else the agent's) memory, sampled on
// the injected clock; unit-tested with counters moved by hand, then end to end with the sandbox
// farm's renderer (a real process whose RSS the render runner watches).
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { type CpuTimes, procStatCpuTimes, UsageMonitor } from '../src/hardware/index.js';
import { descendantsOf, processTreeRssKiB } from '../src/render/index.js';
import { OwnerCpuAverage } from '../src/rules/facts.js';
import { cleanUp, syntheticProject, testAgent, testFarm, until } from './e2e-helpers.js';
import { testJob, testStore } from './support/store.js';

afterEach(cleanUp);

const MiB = 1024 ** 2;
const tick = () => new Promise((resolve) => setImmediate(resolve));

function fakeMachine() {
  const cpu: CpuTimes = { busyMs: 10_000, totalMs: 40_000, cores: 2 };
  let reads = 0;
  return {
    cpu,
    reads: () => reads,
    sources: {
      cpuTimes: () => {
        reads += 1;
        return { ...cpu };
      },
      ownRssBytes: () => 150 * MiB,
    },
    /** `wallMs` of wall time pass on every core, `busyMs` of it busy (summed over cores). */
    run(wallMs: number, busyMs: number) {
      cpu.totalMs += wallMs * cpu.cores;
      cpu.busyMs += busyMs;
    },
  };
}

/** A usage monitor over a fake machine, on a manual clock, feeding a test store. */
function monitorOnFakeMachine() {
  const clock = new ManualClock();
  const store = testStore(clock);
  const machine = fakeMachine();
  const monitor = new UsageMonitor({ store, clock, sources: machine.sources });
  return { clock, store, machine, monitor };
}

describe('usage monitor', () => {
  it("shows machine CPU, the render's memory while it renders and the agent's own otherwise", async () => {
    const { clock, store, machine, monitor } = monitorOnFakeMachine();
    monitor.start();
    await tick();
    expect(store.state.usage).toEqual({ cpuPercent: 0, memoryBytes: 150 * MiB });

    store.update({ job: testJob(clock.now()) });
    await tick(); // woken by the job: the fast period starts now
    machine.run(2_000, 3_000); // 3 s busy of 4 s on 2 cores: 150 (top units)
    await clock.advance(2_000);
    expect(store.state.usage.cpuPercent).toBe(150);

    store.update({ job: testJob(clock.now(), { phase: 'render' }) });
    monitor.onRenderEvent({ type: 'started', pid: 42, argv: [] });
    monitor.onRenderEvent({ type: 'memory', rssKiB: 512_000, peakKiB: 512_000 });
    machine.run(2_000, 4_000);
    await clock.advance(2_000);
    expect(store.state.usage).toEqual({ cpuPercent: 200, memoryBytes: 512_000 * 1024 });

    store.update({ job: null }); // the frame is done: shown at once, not after the next period
    await tick();
    expect(store.state.usage.memoryBytes).toBe(150 * MiB);
    await monitor.stop();
  });

  it('samples every 2 s while a job is current and every 10 s when idle', async () => {
    const { clock, store, machine, monitor } = monitorOnFakeMachine();
    monitor.start();
    await tick();
    const idleStart = machine.reads();
    await clock.advance(9_000);
    expect(machine.reads()).toBe(idleStart);
    await clock.advance(1_000);
    expect(machine.reads()).toBe(idleStart + 1);

    store.update({ job: testJob(clock.now()) });
    await tick();
    const busyStart = machine.reads();
    expect(busyStart).toBe(idleStart + 2); // woken by the job
    await clock.advance(6_000);
    expect(machine.reads()).toBe(busyStart + 3);
    await monitor.stop();
    expect(clock.pendingSleepers).toBe(0);
  });

  it('keeps the last CPU figure over a window too short to measure', async () => {
    const { store, machine, monitor } = monitorOnFakeMachine();
    monitor.sample();
    machine.run(1_000, 500); // a quarter of 2 cores: 50 (top units)
    monitor.sample();
    expect(store.state.usage.cpuPercent).toBe(50);
    machine.run(10, 20); // 10 ms: kernel ticks, not a measurement
    monitor.sample();
    expect(store.state.usage.cpuPercent).toBe(50);
    machine.run(1_000, 2_000);
    monitor.sample();
    expect(store.state.usage.cpuPercent).toBe(200);
  });
});

describe('machine CPU from /proc/stat', () => {
  it('sums the per-core lines as os.cpus() does (ticks of 10 ms; iowait is neither busy nor idle)', () => {
    const text = [
      'cpu  377144 32227 103582 244713 3946 0 3468 17266 0 0',
      'cpu0 183715 16521 51153 128118 1606 7 1219 8675 0 0',
      'cpu1 193428 15705 52428 116594 2340 0 2249 8590 0 0',
      'intr 1 2 3',
    ].join('\n');
    const busy = 183715 + 16521 + 51153 + 7 + 193428 + 15705 + 52428;
    expect(procStatCpuTimes(text)).toEqual({
      busyMs: busy * 10,
      totalMs: (busy + 128118 + 116594) * 10,
      cores: 2,
    });
    expect(procStatCpuTimes('cpu  1 2 3 4\nintr 5')).toBeUndefined();
  });
});

describe('usage of a running agent (sandbox farm renderer)', () => {
  it('is the render tree while the renderer runs, the agent itself after it', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1, { synthetic: { renderMs: 4_000 } });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    const renderTreeBytes = () => {
      const children = descendantsOf(process.pid).filter((pid) => pid !== process.pid);
      return children.reduce((sum, pid) => sum + (processTreeRssKiB(pid) ?? 0), 0) * 1024;
    };
    let during: { usage: typeof t.agent.store.state.usage; tree: number } | undefined;
    await until(
      () => {
        const { job, usage } = t.agent.store.state;
        const tree = renderTreeBytes();
        // the figure comes from the runner's RSS watch (every 200 ms): compare within a margin
        if (job?.phase === 'render' && usage.cpuPercent > 0 && Math.abs(usage.memoryBytes - tree) < tree / 4)
          during = { usage, tree };
        return during !== undefined;
      },
      { clock, stepMs: 2_000, what: 'the render tree in usage', lines: t.lines },
    );
    expect(during?.usage.memoryBytes).toBeGreaterThan(0);
    // the renderer (a small Node process) is far smaller than this test process, so the two figures
    // below cannot be mistaken for each other
    expect(during?.tree).toBeLessThan(process.memoryUsage.rss() * 0.75);

    await until(() => farm.frames(project.id)[0]?.state === 'done', {
      clock,
      stepMs: 2_000,
      what: 'the frame delivered',
      lines: t.lines,
    });
    await until(() => t.agent.store.state.job === null, { what: 'no job', lines: t.lines });
    const after = t.agent.store.state.usage.memoryBytes;
    const own = process.memoryUsage.rss();
    expect(Math.abs(after - own)).toBeLessThan(own / 4);
  });
});

describe('usage monitor feeding the owner’s CPU load', () => {
  it('records the machine’s counters and the CPU time of what the agent started, at each sample', async () => {
    const clock = new ManualClock();
    const store = testStore(clock);
    const machine = fakeMachine();
    let childrenMs: number | null = 0;
    const ownerCpu = new OwnerCpuAverage();
    const sources = { ...machine.sources, childrenCpuMs: () => childrenMs };
    const monitor = new UsageMonitor({ store, clock, sources, ownerCpu });
    store.update({ job: testJob(clock.now()) });
    monitor.start();
    await tick();
    for (let second = 0; second < 60; second += 2) {
      machine.run(2_000, 3_000); // 75 % of the 2 cores busy …
      childrenMs = (childrenMs ?? 0) + 2_000; // … one core of it the render's
      await clock.advance(2_000);
    }
    expect(ownerCpu.percent(clock.now())).toBe(25);
    await monitor.stop();
  });

  it('without the render’s CPU time (not Linux): no figure while a job runs, one a minute after', async () => {
    const clock = new ManualClock();
    const store = testStore(clock);
    const machine = fakeMachine();
    const ownerCpu = new OwnerCpuAverage();
    const monitor = new UsageMonitor({
      store,
      clock,
      sources: { ...machine.sources, childrenCpuMs: () => null },
      ownerCpu,
    });
    store.update({ job: testJob(clock.now()) });
    monitor.start();
    await tick();
    machine.run(2_000, 4_000);
    await clock.advance(2_000);
    expect(ownerCpu.percent(clock.now())).toBeNull();
    store.update({ job: null });
    await tick();
    for (let second = 0; second < 70; second += 10) {
      machine.run(10_000, 5_000);
      await clock.advance(10_000);
    }
    expect(ownerCpu.percent(clock.now())).toBe(25);
    await monitor.stop();
  });
});
