// Compiled by `npm run typecheck` only: the declarations must accept the documented usage and reject
// wrong field names.
import CrackTrader, { ConflictError, RateLimitError, type BacktestRequest, type StreamMessage } from 'cracktrader-js';

const api = new CrackTrader({ apiKey: 'your_key' });
const balance = await api.getBalance();
const cash: number | null | undefined = balance.cash;
const request: BacktestRequest = { strategy_name: 'MovingAverageCross', symbols: ['BTC/USDT'], timeframe: '1h' };
const started = await api.startBacktest(request);
const final = await api.waitForRun({ runId: started.run_id ?? null, timeout: 60_000 });
const status: string = final.status;
// @ts-expect-error: the API's field is strategy_name
const wrong: BacktestRequest = { strategy: 'x', symbols: [], timeframe: '1h' };
const close = api.subscribe(['orders', 'trades'], (m: StreamMessage) => {
  if (m.type === undefined && m.channel === 'orders') console.log(m.data.status, m.seq);
});
close();
try {
  await api.stop();
} catch (e) {
  if (e instanceof ConflictError) console.log(e.code, e.status, e.details);
  if (e instanceof RateLimitError) console.log(e.retryAfter);
}
export { cash, status, wrong };
