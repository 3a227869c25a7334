import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CortenError } from '../../src/protocol/index.js';
import {
  AgentControl,
  type AgentHost,
  loadScenario,
  packageRoot,
  parseScenario,
  planScenario,
  timeMs,
  type ScenarioInput,
} from '../../src/sim/index.js';

function problems(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (thrown) {
    expect(thrown).toBeInstanceOf(CortenError);
    expect((thrown as CortenError).code).toBe('VALIDATION_FAILED');
    return ((thrown as CortenError).details as { issues: { path: string; message: string }[] }).issues;
  }
  throw new Error('expected a validation error');
}

const small = (timeline: unknown[], extra: Partial<ScenarioInput> = {}) => ({
  network: { operators: 30, regions: 3 },
  timeline,
  ...extra,
});

describe('scenario files', () => {
  const dirs = [join(packageRoot(), 'scenarios'), join(packageRoot(), 'test', 'chaos', 'scenarios')];
  for (const dir of dirs) {
    for (const file of readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f))) {
      it(`${dir.slice(packageRoot().length + 1)}/${file} is valid and plans at its own size and at 300 operators × 6 regions`, () => {
        const scenario = loadScenario(join(dir, file));
        expect(planScenario(scenario).faults).toHaveLength(scenario.timeline.length);
        if (dir.endsWith('scenarios') && !dir.includes('chaos'))
          planScenario(scenario, { operators: 300, regions: 6, tasks: 20_000 });
      });
    }
  }
});

describe('scenario validation', () => {
  it('names the bad field, with the fault kind of a timeline entry', () => {
    expect(
      problems(() =>
        parseScenario(
          small([
            { at: 1, fault: 'crash', operators: { count: 1 } },
            { at: '10%', fault: 'slow', operators: { count: 2 }, factor: 0.5 },
          ]),
        ),
      ),
    ).toEqual([{ path: 'timeline[1] (slow).factor', message: 'Too small: expected number to be >=1' }]);
    const [unknownKind] = problems(() => parseScenario(small([{ at: 1, fault: 'explode', operators: { count: 1 } }])));
    expect(unknownKind!.path).toBe('timeline[0] (explode).fault');
    expect(unknownKind!.message).toMatch(/crash/);
    expect(
      problems(() => parseScenario(small([{ at: 1, fault: 'hang', operators: { count: 1 }, colour: 'red' }]))),
    ).toEqual([{ path: 'timeline[0] (hang).colour', message: 'unknown field' }]);
    expect(
      problems(() => parseScenario(small([{ at: 'soon', fault: 'hang', operators: { count: 1 } }])))[0]!.path,
    ).toBe('timeline[0] (hang).at');
    expect(
      problems(() => parseScenario(small([{ at: 1, fault: 'hang', operators: { count: 1, share: 0.5 } }])))[0]!.path,
    ).toBe('timeline[0] (hang).operators');
    expect(problems(() => parseScenario({ network: { operators: -3 } }))[0]!.path).toBe('network.operators');
  });

  it('refuses what does not fit the run: unknown regions and EUs, more victims than operators', () => {
    const scenario = parseScenario(
      small([
        { at: 1, fault: 'region-outage', region: 'mars' },
        { at: 1, fault: 'crash', operators: { count: 25 } },
        { at: 1, fault: 'crash', operators: { count: 25 } },
        { at: 1, fault: 'spike', tasks: 10, eu: 'nope' },
      ]),
    );
    const issues = problems(() => planScenario(scenario));
    expect(issues.map((i) => i.path)).toEqual([
      'timeline[0] (region-outage).region',
      'timeline[2] (crash).operators.count',
      'timeline[3] (spike).eu',
    ]);
    expect(issues[1]!.message).toBe('asks for 25 operators but only 5 are untouched by earlier faults');
  });
});

describe('scenario planning', () => {
  it('resolves times against the load window and picks distinct victims, the same for the same seed', () => {
    const scenario = parseScenario(
      small(
        [
          { at: '50%', fault: 'crash', operators: { count: 4 }, for: '2s' },
          { at: '500ms', fault: 'lie', operators: { share: 0.1, region: 'us-east' } },
          { at: '1m', fault: 'region-cut', region: 'ap-south', mode: 'reset' },
        ],
        { load: { tasks: 1000, rate: 100 } },
      ),
    );
    const plan = planScenario(scenario);
    expect(plan.load.windowMs).toBe(10_000);
    expect(plan.faults.map((f) => [f.startMs, f.endMs])).toEqual([
      [5000, 7000],
      [500, null],
      [60_000, null],
    ]);
    const [crash, lie, cut] = plan.faults;
    expect(crash!.agents).toHaveLength(4);
    expect(lie!.agents).toHaveLength(1);
    expect(lie!.agents.every((i) => plan.regions[i % 3] === 'us-east')).toBe(true);
    expect(crash!.agents.some((i) => lie!.agents.includes(i))).toBe(false);
    expect(cut!.agents).toHaveLength(10);
    expect(plan.steps.map((s) => [s.atMs, s.command.op])).toEqual([
      [500, 'faults'],
      [5000, 'crash'],
      [7000, 'restart'],
      [60_000, 'partition'],
    ]);
    expect(planScenario(scenario).faults).toEqual(plan.faults);
    expect(planScenario(scenario, { seed: 99 }).faults[0]!.agents).not.toEqual(crash!.agents);
    expect(plan.classOf.filter((k) => k === 'crash')).toHaveLength(4);
    expect(timeMs('2m', 0)).toBe(120_000);
    expect(timeMs(1.5, 0)).toBe(1500);
  });

  it('spreads agents over hosts and sets the load rate from the capacity when asked for auto', () => {
    const plan = planScenario(
      parseScenario({
        network: { operators: 1000, regions: 6, maxConcurrent: 4 },
        cost: { medianMs: 1000, sigma: 0 },
        load: { tasks: 100, utilization: 0.5 },
      }),
    );
    expect(plan.hosts).toEqual([
      { first: 0, count: 250 },
      { first: 250, count: 250 },
      { first: 500, count: 250 },
      { first: 750, count: 250 },
    ]);
    // 1000 operators × 4 slots at 1 s a task, half busy, 2 replicas a task.
    expect(plan.load.rate).toBeCloseTo(1000);
  });
});

describe('agent host control channel', () => {
  it('applies commands to the agents named and refuses bad ones with the field', () => {
    const calls: string[] = [];
    const agent = (i: number) => ({
      crash: () => calls.push(`crash ${i}`),
      hang: () => calls.push(`hang ${i}`),
      setSlowFactor: (f: number) => calls.push(`slow ${i} ${f}`),
    });
    const host = { agent: (i: number) => (i < 4 ? agent(i) : undefined) } as unknown as AgentHost;
    const control = new AgentControl(host);
    expect(control.handle('{"id":1,"op":"crash","agents":[0,2]}')).toEqual({ id: 1, ok: true });
    expect(control.handle('{"id":2,"op":"slow","agents":[3],"factor":4}')).toEqual({ id: 2, ok: true });
    expect(calls).toEqual(['crash 0', 'crash 2', 'slow 3 4']);
    expect(control.handle('{"id":3,"op":"slow","agents":[3],"factor":0}')).toMatchObject({
      id: 3,
      ok: false,
      error: expect.stringMatching(/^VALIDATION_FAILED: factor/),
    });
    expect(control.handle('{"id":4,"op":"hang","agents":[1,9]}')).toMatchObject({
      id: 4,
      ok: false,
      error: expect.stringMatching(/agent 9 is not on this host/),
    });
    expect(calls).toHaveLength(3);
    expect(control.handle('nonsense')).toMatchObject({ ok: false, error: expect.stringMatching(/^MALFORMED_JSON/) });
  });
});
