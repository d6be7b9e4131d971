// Start a paper run on `sim` and print its fills as they happen (Ctrl-C stops the run).
// Start a server first (`cracktrader-tui serve`), then: node examples/watch-paper.js
import CrackTrader from 'cracktrader-js';

const api = new CrackTrader();
await api.startLive({
  strategy_name: 'MovingAverageCross',
  strategy_params: { fast_period: 3, slow_period: 8 },
  symbols: ['BTC/USDT'],
  timeframe: '1m',
  exchange: 'sim',
  exchange_config: { speed: 600 },
  mode: 'paper',
});
const close = api.subscribe(['trades'], (m) => {
  if (m.channel === 'trades' && m.data) {
    const t = m.data;
    console.log(`${t.timestamp}  ${t.side.padEnd(4)} ${t.size.toFixed(6)} ${t.symbol} @ ${t.price.toFixed(2)}`);
  }
});
process.on('SIGINT', async () => {
  close();
  console.log((await api.stop()).message);
  process.exit(0);
});
