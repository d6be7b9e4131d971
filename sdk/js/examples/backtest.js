// Backtest MovingAverageCross on the offline `sim` exchange and print its metrics.
// Start a server first (`cracktrader-tui serve`), then: node examples/backtest.js
import CrackTrader from 'cracktrader-js';

const api = new CrackTrader(); // CRACKTRADER_URL / CRACKTRADER_API_KEY, or http://127.0.0.1:8000
const run = await api.startBacktest({
  strategy_name: 'MovingAverageCross',
  strategy_params: { fast_period: 10, slow_period: 30 },
  symbols: ['BTC/USDT'],
  timeframe: '1h',
  initial_cash: 10000,
});
const final = await api.waitForRun({ runId: run.run_id, timeout: 120000 });
console.log(`run ${final.run_id}: ${final.status}`);
const { final_value: value, performance_metrics: m } = await api.results();
console.log(`final value   ${value.toFixed(2)}`);
console.log(`total return  ${(m.total_return * 100).toFixed(2)}%`);
console.log(`sharpe        ${m.sharpe_ratio ?? '-'}`);
console.log(`max drawdown  ${(m.max_drawdown * 100).toFixed(2)}%`);
console.log(`round trips   ${m.total_trades}`);
