/** The queue's pure parts: `--queue` URL parsing and the task/result codec (no Redis needed). */
import { expect } from 'chai';
import { ConfigError } from '../../core/errors.ts';
import { EXPERIMENTS } from '../../experiments/catalog/index.ts';
import { outcomesInTaskOrder, planRuns } from '../../experiments/runner.ts';
import { InvariantError } from '../../core/errors.ts';
import { decodeValue, encodeValue, jobIdOf, newQueueName } from '../../experiments/queue/protocol.ts';
import { parseRedisUrl, redisOptions } from '../../experiments/queue/redis-url.ts';
import { assertReachable } from '../../experiments/queue/reach.ts';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { SimResult } from '../../sim/run.ts';

describe('queue: --queue URL', () => {
  it('reads host, port, database, credentials and TLS', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380')).to.deep.equal({ host: '127.0.0.1', port: 6380, db: 0, display: 'redis://127.0.0.1:6380' });
    expect(parseRedisUrl('redis://cache.lab')).to.include({ host: 'cache.lab', port: 6379, db: 0 });
    expect(parseRedisUrl('redis://h:1/3')).to.include({ db: 3, display: 'redis://h:1/3' });
    const auth = parseRedisUrl('rediss://ops:s%3Acret@h:6390/');
    expect(auth).to.deep.include({ username: 'ops', password: 's:cret', tls: {}, display: 'rediss://ops:***@h:6390' });
    expect(parseRedisUrl('redis://[::1]:7000').host).to.equal('::1');
    expect(redisOptions(parseRedisUrl('redis://h:1/2'))).to.deep.equal({ host: 'h', port: 1, db: 2, maxRetriesPerRequest: null });
  });

  it('rejects a bad URL with a ConfigError naming --queue, the value and the constraint', () => {
    const cases: [string, RegExp][] = [
      ['127.0.0.1:6379', /is not a URL|must use redis/],
      ['localhost', /is not a URL/],
      ['http://h:6379', /must use redis:\/\/ or rediss:\/\/, not http:/],
      ['redis://h:99999', /is not a URL/],
      ['redis://h:0', /port in 1–65535/],
      ['redis://h:6379/queue', /only a database number/],
      ['redis://h:6379?db=2', /query string/],
      ['redis://h:6379#x', /query string or fragment/],
      ['redis://:6379', /is not a URL|must name a host/],
    ];
    for (const [text, constraint] of cases) {
      const error = (() => {
        try {
          parseRedisUrl(text);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(error, text).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).key, text).to.equal('--queue');
      expect((error as ConfigError).value, text).to.equal(text);
      expect((error as ConfigError).message, text).to.match(constraint);
    }
  });
});

describe('queue: reaching Redis', () => {
  it('fails fast with a ConfigError naming --queue when nothing listens there', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve)); // now a port where nothing listens
    const error = await assertReachable(parseRedisUrl(`redis://127.0.0.1:${port}`)).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).key).to.equal('--queue');
    expect((error as ConfigError).message).to.match(new RegExp(`^--queue \\("redis://127.0.0.1:${port}"\\) must be a reachable Redis server \\(.*ECONNREFUSED`));
  });
});

describe('queue: payloads', () => {
  it('carries a task and a result losslessly, where JSON would not (NaN, ±Infinity, -0, undefined)', () => {
    const exp = EXPERIMENTS.get('churn-30pct')!;
    const task = planRuns(exp, [1], exp.tiny)[1]!;
    expect(decodeValue(encodeValue(task))).to.deep.equal(task);
    const odd = { rows: [{ round: 0, heldoutLoss: Number.NaN, energyKWh: -0, simTimeS: Infinity, skipped: undefined }], nested: [-Infinity] };
    const back = decodeValue<typeof odd>(encodeValue(odd));
    expect(Number.isNaN(back.rows[0]!.heldoutLoss)).to.equal(true);
    expect(Object.is(back.rows[0]!.energyKWh, -0)).to.equal(true);
    expect(back.rows[0]!.simTimeS).to.equal(Infinity);
    expect('skipped' in back.rows[0]!).to.equal(true);
    expect(back.nested).to.deep.equal([-Infinity]);
  });

  it('names queues per submission and jobs per task', () => {
    const a = newQueueName('byzantine');
    expect(a).to.match(/^byzantine-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(newQueueName('byzantine')).to.not.equal(a);
    const exp = EXPERIMENTS.get('churn-30pct')!;
    expect(planRuns(exp, [1, 2], exp.tiny).map(jobIdOf)).to.deep.equal(['task-0', 'task-1', 'task-2', 'task-3']);
  });

  it('pairs results with tasks in task order and rejects a missing or extra result', () => {
    const exp = EXPERIMENTS.get('churn-30pct')!;
    const tasks = planRuns(exp, [1], exp.tiny);
    const result = (tag: string) => ({ finalParamsHash: tag }) as unknown as SimResult;
    const outcomes = outcomesInTaskOrder(tasks, new Map([[1, result('b')], [0, result('a')]]));
    expect(outcomes.map((o) => [o.task.index, o.result.finalParamsHash])).to.deep.equal([[0, 'a'], [1, 'b']]);
    expect(() => outcomesInTaskOrder(tasks, new Map([[0, result('a')]]))).to.throw(InvariantError, /1 results for 2 tasks/);
    expect(() => outcomesInTaskOrder(tasks, new Map([[0, result('a')], [5, result('x')]]))).to.throw(InvariantError, /no result for task 1/);
  });
});
