import { spawn } from 'node:child_process';
import fs from 'node:fs';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cpuUseBetween, machineBusyTicks, processTicks, processTreeTicks } from '../bench/support/cpu.js';
import { procStatusBytes } from '../bench/support/memory.js';
import { formatCpu, formatMs, formatRate, formatRatio, judgeAim, leastDisturbed, markdownTable, ratioTo } from '../bench/support/report.js';
import { selectBenchFiles } from '../bench/support/select.js';
import { benchSettingsFromEnv, DEFAULT_SETTINGS } from '../bench/support/settings.js';

describe('benchmark reports', () => {
  test('a table lines up its columns, figures right-aligned, and escapes pipes', () => {
    const table = markdownTable(
      ['Request', 'req/s'],
      [
        ['bare node', '21,000'],
        ['a|b', '9'],
      ],
    );
    assert.equal(
      table,
      ['| Request   |  req/s |', '| --------- | -----: |', '| bare node | 21,000 |', '| a\\|b      |      9 |'].join('\n'),
    );
  });

  test('a row with the wrong number of cells is a bug in the bench script, not a broken table', () => {
    assert.throws(() => markdownTable(['a', 'b'], [['only one']]), /row 0 has 1 cells, the header 2/);
  });

  test('figures are rounded the way a reader expects', () => {
    assert.equal(formatRate(12345.6), '12,346');
    assert.equal(formatMs(3), '3 ms');
    assert.equal(formatMs(0.256), '0.26 ms');
    assert.equal(formatRatio(0.4267), '0.43×');
    assert.equal(formatCpu({ server: 0.987, loadGenerator: 0.85, others: 0 }), '0.99 / 0.85 / 0.00');
    assert.equal(formatCpu(null), 'n/a');
    assert.equal(ratioTo(20_000, 6_000), 0.3);
    assert.equal(ratioTo(0, 6_000), 0, 'a dead baseline gives no ratio rather than Infinity');
  });

  test('an aim is met only with the rate, the p99 and no failed request', () => {
    const aim = { name: 'single update', minRatio: 0.3, maxP99Ms: 20 };
    assert.deepEqual(judgeAim(aim, { ratio: 0.42, p99Ms: 6, failures: 0 }), {
      met: true,
      text: 'met: 0.420× ≥ 0.30×, p99 6 ms < 20 ms',
    });
    assert.equal(judgeAim(aim, { ratio: 0.29, p99Ms: 6, failures: 0 }).text, 'MISSED: 0.290× < 0.30×, p99 6 ms < 20 ms');
    assert.equal(judgeAim(aim, { ratio: 0.42, p99Ms: 20, failures: 0 }).text, 'MISSED: 0.420× ≥ 0.30×, p99 20 ms ≥ 20 ms');
    assert.equal(
      judgeAim(aim, { ratio: 0.9, p99Ms: 2, failures: 17 }).text,
      'MISSED: 0.900× ≥ 0.30×, p99 2 ms < 20 ms, 17 failed requests',
    );
  });
});

describe('several rounds of one row', () => {
  const round = (requestsPerSecond: number, others: number | null) => ({
    requestsPerSecond,
    cpu: others === null ? null : { server: 1, loadGenerator: 1, others },
  });

  test('the round the rest of the machine disturbed least is the one reported, even if another was faster', () => {
    assert.equal(leastDisturbed([round(5000, 0.9), round(6000, 0.02), round(6500, 0.3)]).requestsPerSecond, 6000);
  });

  test('without CPU figures the median round is reported', () => {
    assert.equal(leastDisturbed([round(9000, null), round(3000, null), round(6000, null)]).requestsPerSecond, 6000);
    assert.throws(() => leastDisturbed([]), /no rounds/);
  });
});

describe('choosing bench scripts', () => {
  const files = ['run.ts', 'support', 'foundation.bench.ts', 'bulk.bench.ts', 'delivery.bench.ts'];

  test('with no argument every bench script runs, in name order', () => {
    assert.deepEqual(selectBenchFiles(files, []), {
      selected: ['bulk.bench.ts', 'delivery.bench.ts', 'foundation.bench.ts'],
      unmatched: [],
    });
  });

  test('arguments pick scripts by part of their name; a typo is reported, not silently ignored', () => {
    assert.deepEqual(selectBenchFiles(files, ['found', 'bulk']).selected, ['bulk.bench.ts', 'foundation.bench.ts']);
    assert.deepEqual(selectBenchFiles(files, ['foundation', 'delivry']).unmatched, ['delivry']);
  });
});

describe('reading /proc', () => {
  test('peak RSS comes from VmHWM, in bytes', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t   93124 kB\nVmRSS:\t   90000 kB\n';
    assert.equal(procStatusBytes(status, 'VmHWM'), 93124 * 1024);
    assert.equal(procStatusBytes(status, 'VmSwap'), null);
  });

  test('machine busy time counts user, nice, system, irq, softirq and steal, not idle or iowait', () => {
    const stat = 'cpu  100 2 30 5000 40 5 6 7 0 0\ncpu0 50 1 15 2500 20 2 3 3 0 0\nintr 1 2 3\n';
    assert.equal(machineBusyTicks(stat), 100 + 2 + 30 + 5 + 6 + 7);
  });

  test('process CPU is utime + stime, even when the command name holds spaces and parentheses', () => {
    const rest = 'S 1 2 3 4 5 6 7 8 9 10 1500 250 0 0 20 0 8 0 100';
    assert.equal(processTicks(`4242 (node (bench) x) ${rest}`), 1750);
  });

  test('CPU use is reported in cores, and what neither the server nor the load generator used is "others"', () => {
    const before = { at: 0, machine: 1000, server: new Map([[7, 100]]), database: null, self: 200 };
    const after = { at: 10_000, machine: 3000, server: new Map([[7, 1080]]), database: null, self: 1000 };
    const use = cpuUseBetween(before, after);
    assert.equal(use.server.toFixed(2), '0.98');
    assert.equal(use.loadGenerator.toFixed(2), '0.80');
    assert.equal(use.database, null);
    assert.equal(use.others.toFixed(2), '0.22');
    // With the database's pid given, its share is taken out of "others".
    // A backend that exited in between (pid 8) is left out; one that started (pid 9) counts whole.
    const withDatabase = cpuUseBetween(
      {
        ...before,
        database: new Map([
          [5, 50],
          [8, 900],
        ]),
      },
      {
        ...after,
        database: new Map([
          [5, 150],
          [9, 50],
        ]),
      },
    );
    assert.equal(withDatabase.database!.toFixed(2), '0.15');
    assert.equal(withDatabase.others.toFixed(2), '0.07');
  });

  test('a process tree counts the process and its live descendants', async () => {
    // A child that spins for a while: its CPU counts in this process's tree, not in this process.
    const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 5000; while (Date.now() < end);']);
    try {
      await new Promise((resolve) => setTimeout(resolve, 400));
      const own = processTicks(fs.readFileSync('/proc/self/stat', 'utf8'));
      const childTicks = processTicks(fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8'));
      assert.ok(childTicks > 0, 'the child has used CPU');
      const tree = processTreeTicks(process.pid);
      assert.equal(tree.get(child.pid!)! >= childTicks, true);
      assert.ok([...tree.values()].reduce((a, b) => a + b, 0) >= own + childTicks);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('settings', () => {
  test('defaults are the documented ones; the environment can shorten a run; nonsense is refused', () => {
    assert.deepEqual(benchSettingsFromEnv({}), DEFAULT_SETTINGS);
    assert.deepEqual(benchSettingsFromEnv({ BENCH_DURATION_SECONDS: '3', BENCH_WARMUP_SECONDS: '0' }), {
      ...DEFAULT_SETTINGS,
      durationSeconds: 3,
      warmupSeconds: 0,
    });
    assert.throws(() => benchSettingsFromEnv({ BENCH_CONNECTIONS: 'many' }), /BENCH_CONNECTIONS must be an integer/);
  });
});
