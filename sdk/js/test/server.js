// Starts the real `cracktrader-tui serve` binary on a free port.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const WRITE_KEY = 'sdk-write-key';
export const READ_KEY = 'sdk-read-key';
export const PAPER = {
  strategy_name: 'TestStrategy',
  symbols: ['BTC/USDT'],
  timeframe: '1m',
  strategy_params: { period: 2, slow: 3 },
  exchange: 'sim',
  exchange_config: { speed: 6000 },
  mode: 'paper',
};

function binary() {
  if (process.env.CRACKTRADER_BIN) return process.env.CRACKTRADER_BIN;
  for (const profile of ['release', 'debug']) {
    const p = join(ROOT, 'target', profile, 'cracktrader-tui');
    if (existsSync(p)) return p;
  }
  throw new Error('build the server first (cargo build --release) or set CRACKTRADER_BIN');
}

export async function startServer(...args) {
  const dir = mkdtempSync(join(tmpdir(), 'cracktrader-js-'));
  mkdirSync(join(dir, 'strategies'));
  const env = { ...process.env, CRACKTRADER_STRATEGIES: join(dir, 'strategies') };
  delete env.CRACKTRADER_API_KEYS;
  const proc = spawn(binary(), ['serve', '--port', '0', '--data-dir', dir, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30000);
    proc.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  return {
    url,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
