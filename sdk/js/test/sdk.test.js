import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import CrackTrader, {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  CrackTraderConnectionError,
  CrackTraderError,
  CrackTraderTimeoutError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
} from 'cracktrader-js';
import { PAPER, READ_KEY, WRITE_KEY, startServer } from './server.js';

describe('against the real server', () => {
  let server;
  let api;
  before(async () => {
    server = await startServer('--api-key', WRITE_KEY, '--api-key', `${READ_KEY}:read`, '--rate-limit', '0');
    api = new CrackTrader({ apiKey: WRITE_KEY, baseUrl: server.url });
  });
  after(() => server.stop());

  test('the documented snippet: balance before a run', async () => {
    process.env.CRACKTRADER_URL = server.url;
    try {
      const documented = new CrackTrader({ apiKey: WRITE_KEY });
      const balance = await documented.getBalance();
      assert.equal(balance.run_id, null);
      assert.deepEqual(balance.holdings, []);
    } finally {
      delete process.env.CRACKTRADER_URL;
    }
    assert.equal(new CrackTrader().baseUrl, 'http://127.0.0.1:8000');
  });

  test('errors carry the envelope', async () => {
    await assert.rejects(api.stop(), (e) => {
      assert.ok(e instanceof ConflictError && e instanceof CrackTraderError);
      assert.equal(e.status, 409);
      assert.equal(e.code, 'NO_ACTIVE_RUN');
      assert.ok(e.rawMessage.length > 0 && typeof e.details === 'object');
      return true;
    });
    await assert.rejects(api.resume(), ConflictError);
    await assert.rejects(
      api.startBacktest({ strategy_name: 'Nope', symbols: ['BTC/USDT'], timeframe: '1h' }),
      (e) => e instanceof BadRequestError && e.code === 'UNKNOWN_STRATEGY',
    );
    await assert.rejects(api.results(), NotFoundError);
    await assert.rejects(
      new CrackTrader({ apiKey: READ_KEY, baseUrl: server.url }).startBacktest({
        strategy_name: 'BuyAndHold', symbols: ['BTC/USDT'], timeframe: '1h',
      }),
      (e) => e instanceof PermissionDeniedError && e.status === 403,
    );
    await assert.rejects(
      new CrackTrader({ apiKey: 'wrong-key', baseUrl: server.url }).status(),
      (e) => e instanceof AuthenticationError && e.status === 401,
    );
    await assert.rejects(async () => api.startLive({ ...PAPER, mode: 'moon' }), TypeError);
  });

  test('a parameter sweep runs and ranks its grid', async () => {
    const started = await api.startOptimize({
      strategy_name: 'MovingAverageCross',
      symbols: ['BTC/USDT'],
      timeframe: '1h',
      grid: { fast_period: [5, 10], slow_period: { start: 20, end: 40, step: 10 } },
      objective: 'total_return',
    });
    const final = await api.waitForRun({ runId: started.run_id, timeout: 60000 });
    assert.equal(final.status, 'completed', final.error);
    assert.equal(final.optimize.completed, 6);
    const sweep = (await api.results()).optimization;
    assert.equal(sweep.completed, 6);
    const scores = sweep.results.map((r) => r.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
    assert.deepEqual(sweep.best.params, sweep.results[0].params);
    await assert.rejects(
      api.startOptimize({ strategy_name: 'MovingAverageCross', symbols: ['BTC/USDT'], timeframe: '1h', grid: { nope: [1] } }),
      (e) => e instanceof CrackTraderError && e.code === 'INVALID_PARAMS',
    );
    await assert.rejects(async () => api.startOptimize({ strategy_name: 'X', symbols: ['BTC/USDT'], timeframe: '1h' }), TypeError);
    await api.reset();
  });

  test('a backtest round trip and every read', async () => {
    assert.equal((await api.health()).status, 'healthy');
    assert.equal((await api.status()).status, 'idle');
    assert.ok((await api.strategies()).strategies.some((s) => s.name === 'MovingAverageCross'));
    assert.ok((await api.exchanges()).exchanges.some((e) => e.id === 'sim'));
    assert.ok((await api.meta()).api_version);
    assert.ok((await api.openapi()).paths['/api/v1/balance']);

    const started = await api.startBacktest({
      strategy_name: 'MovingAverageCross',
      strategy_params: { fast_period: 5, slow_period: 20 },
      symbols: ['BTC/USDT'],
      timeframe: '1h',
      initial_cash: 5000,
    });
    const final = await api.waitForRun({ runId: started.run_id, timeout: 60000 });
    assert.equal(final.status, 'completed', final.error);
    const res = await api.results();
    assert.equal(res.run_id, started.run_id);
    assert.equal(res.config.initial_cash, 5000);
    assert.ok(res.performance_metrics.total_trades >= 1);
    const balance = await api.getBalance();
    assert.equal(balance.run_id, started.run_id);
    assert.equal(balance.total_value, res.final_value);
    assert.equal((await api.detailedStatus()).run_id, started.run_id);
    const listed = await api.runs({ limit: 5, mode: 'backtest' });
    assert.equal(listed.runs[0].run_id, started.run_id);
    assert.deepEqual((await api.runs({ status: 'failed' })).runs, []);
    assert.equal((await api.run(started.run_id)).final_value, res.final_value);
    const csv = await api.exportTradesCsv(started.run_id);
    assert.equal(csv.trim().split('\n').length, res.trades.length + 1);
    assert.ok((await api.exportEquityCsv(started.run_id)).startsWith('timestamp'));
    const page = await api.runTrades(started.run_id, { limit: 1 });
    assert.equal(page.total, res.trades.length);
    assert.deepEqual(page.items, res.trades.slice(0, 1));
    if (page.next_cursor) {
      const next = await api.runTrades(started.run_id, { limit: 1, cursor: page.next_cursor });
      assert.deepEqual(next.items, res.trades.slice(1, 2));
    }
    assert.equal((await api.runOrders(started.run_id)).total, res.orders.length);
    assert.equal((await api.runEquity(started.run_id, { limit: 2 })).items.length, 2);
    assert.ok(listed.runs[0].stored_bytes > 0);
    assert.equal((await api.pruneRuns({ olderThan: 30 })).deleted, 0);
    await assert.rejects(api.pruneRuns({}), TypeError);
    assert.equal((await api.reset()).status, 'idle');
    await api.deleteRun(started.run_id);
    await assert.rejects(api.run(started.run_id), NotFoundError);
  });

  test('a paper run streams orders and trades; waitForRun times out while it runs', async () => {
    const started = await api.startLive(PAPER);
    await assert.rejects(api.waitForRun({ runId: started.run_id, timeout: 300 }), CrackTraderTimeoutError);
    const seen = new Set();
    let close;
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only saw ${[...seen]}`)), 30000);
      close = api.subscribe(['orders', 'trades'], (m) => {
        if (m.type === undefined && (m.channel === 'orders' || m.channel === 'trades')) {
          assert.equal(m.data.symbol, 'BTC/USDT');
          seen.add(m.channel);
        }
        if (seen.size === 2) {
          clearTimeout(timer);
          resolve();
        }
      }, { symbol: 'BTC/USDT' });
    });
    close();
    assert.equal((await api.stop()).status, 'stopped');
  });
});

test('429 carries retryAfter', async () => {
  const server = await startServer('--api-key', WRITE_KEY, '--rate-limit', '3');
  try {
    const api = new CrackTrader({ apiKey: WRITE_KEY, baseUrl: server.url });
    await assert.rejects(
      (async () => {
        for (let i = 0; i < 10; i++) await api.status();
      })(),
      (e) => e instanceof RateLimitError && e.status === 429 && e.retryAfter > 0 && e.code === 'RATE_LIMITED',
    );
  } finally {
    await server.stop();
  }
});

test('reads are retried, run starts never', async () => {
  const calls = [];
  const fakeFetch = async (url, init) => {
    calls.push(init.method);
    return new Response(JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'slow', details: {} } }), {
      status: 429,
      headers: { 'retry-after': '0', 'content-type': 'application/json' },
    });
  };
  const api = new CrackTrader({ baseUrl: 'http://test', maxRetries: 2, fetch: fakeFetch });
  await assert.rejects(api.status(), RateLimitError);
  assert.deepEqual(calls, ['GET', 'GET', 'GET']);
  calls.length = 0;
  await assert.rejects(api.startBacktest({ strategy_name: 'BuyAndHold', symbols: ['BTC/USDT'], timeframe: '1h' }), RateLimitError);
  assert.deepEqual(calls, ['POST']);
});

test('an unreachable server names the URL', async () => {
  const port = await new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const api = new CrackTrader({ baseUrl: `http://127.0.0.1:${port}`, timeout: 2000 });
  await assert.rejects(api.health(), (e) => e instanceof CrackTraderConnectionError && e.message.includes(`127.0.0.1:${port}`));
});
