// cracktrader-js: client of the cracktrader-tui Web API (REST + WebSocket), for Node >= 18 and browsers.
// Uses the built-in fetch; WebSocket from the global where present, else the `ws` package.

const DEFAULT_URL = 'http://127.0.0.1:8000';
const API = '/api/v1';
const ACTIVE = new Set(['starting', 'running']);
export const CHANNELS = Object.freeze(['orders', 'trades', 'status', 'equity', 'ticker', 'logs', 'optimize']);

const env = (name) => (typeof process !== 'undefined' && process.env ? process.env[name] : undefined);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A request the server refused or could not answer; fields come from the error envelope. */
export class CrackTraderError extends Error {
  constructor(message, { status = null, code = 'ERROR', details = {} } = {}) {
    super(status === null ? message : `${code}: ${message}`);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.details = details;
    this.rawMessage = message;
  }
}
export class BadRequestError extends CrackTraderError {}
export class AuthenticationError extends CrackTraderError {}
export class PermissionDeniedError extends CrackTraderError {}
export class NotFoundError extends CrackTraderError {}
export class ConflictError extends CrackTraderError {}
export class RateLimitError extends CrackTraderError {
  constructor(message, { retryAfter = null, ...rest } = {}) {
    super(message, rest);
    this.retryAfter = retryAfter;
  }
}
export class ServerError extends CrackTraderError {}
/** The server could not be reached; the message names the URL. */
export class CrackTraderConnectionError extends CrackTraderError {}
/** `waitForRun` gave up before the run finished. */
export class CrackTraderTimeoutError extends CrackTraderError {}

const BY_STATUS = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: BadRequestError,
  415: BadRequestError,
  422: BadRequestError,
};

/** The error for a non-2xx answer, read from `{"error": {code, message, details}}`. */
export function errorFromResponse(status, body, retryAfterHeader) {
  const env = body && typeof body === 'object' ? body.error : undefined;
  const code = (env && env.code) || `HTTP_${status}`;
  const message = (env && env.message) || `the server answered HTTP ${status}`;
  const details = env && env.details && typeof env.details === 'object' ? env.details : {};
  if (status === 429) {
    const candidates = [retryAfterHeader, details.retry_after_seconds, details.retry_after];
    const retryAfter = candidates.map(Number).find((n) => Number.isFinite(n) && n >= 0) ?? null;
    return new RateLimitError(message, { status, code, details, retryAfter });
  }
  const Cls = BY_STATUS[status] || (status >= 500 ? ServerError : CrackTraderError);
  return new Cls(message, { status, code, details });
}

function backoff(attempt, retryAfter) {
  if (retryAfter !== null && retryAfter !== undefined) return Math.min(Math.max(retryAfter, 0), 60) * 1000;
  return Math.min(250 * 2 ** attempt, 5000);
}

function runPath(runId) {
  if (!runId) throw new TypeError('runId must not be empty');
  return `/runs/${encodeURIComponent(runId)}`;
}

async function webSocketClass() {
  if (typeof globalThis.WebSocket === 'function') return { WS: globalThis.WebSocket, headers: false };
  const mod = await import('ws');
  return { WS: mod.default || mod.WebSocket, headers: true };
}

export default class CrackTrader {
  /**
   * @param {{apiKey?: string, baseUrl?: string, timeout?: number, maxRetries?: number, fetch?: typeof fetch}} [options]
   * `baseUrl` defaults to $CRACKTRADER_URL or http://127.0.0.1:8000, `apiKey` to $CRACKTRADER_API_KEY;
   * `timeout` is per request, in milliseconds; `maxRetries` retries reads (never run starts) after a 429
   * or a lost connection.
   */
  constructor({ apiKey, baseUrl, timeout = 30000, maxRetries = 0, fetch: fetchImpl } = {}) {
    let url = (baseUrl || env('CRACKTRADER_URL') || DEFAULT_URL).replace(/\/+$/, '');
    if (url.endsWith(API)) url = url.slice(0, -API.length);
    if (!/^https?:\/\//.test(url)) throw new TypeError(`baseUrl must start with http:// or https://, got ${url}`);
    if (!(Number.isInteger(maxRetries) && maxRetries >= 0)) throw new TypeError('maxRetries must be 0 or more');
    this.baseUrl = url;
    this.apiKey = apiKey ?? env('CRACKTRADER_API_KEY') ?? null;
    this.timeout = timeout;
    this.maxRetries = maxRetries;
    this._fetch = fetchImpl || globalThis.fetch.bind(globalThis);
  }

  _headers(json) {
    const h = { Accept: 'application/json' };
    if (json) h['Content-Type'] = 'application/json';
    if (this.apiKey) h['X-API-Key'] = this.apiKey;
    return h;
  }

  async _send(method, path, { query, body, idempotent = method === 'GET', text = false } = {}) {
    let url = this.baseUrl + API + path;
    if (query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) qs.set(k, String(v));
      const s = qs.toString();
      if (s) url += `?${s}`;
    }
    for (let attempt = 0; ; attempt++) {
      let res;
      try {
        res = await this._fetch(url, {
          method,
          headers: this._headers(body !== undefined),
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeout),
        });
      } catch (e) {
        if (idempotent && attempt < this.maxRetries) {
          await sleep(backoff(attempt));
          continue;
        }
        throw new CrackTraderConnectionError(`cannot reach ${this.baseUrl}: ${e?.cause?.message || e?.message || e}`);
      }
      if (res.ok) {
        if (text) return res.text();
        const raw = await res.text();
        return raw ? JSON.parse(raw) : null;
      }
      let parsed = null;
      try {
        parsed = JSON.parse(await res.text());
      } catch {
        parsed = null;
      }
      const err = errorFromResponse(res.status, parsed, res.headers.get('retry-after'));
      if (err instanceof RateLimitError && idempotent && attempt < this.maxRetries) {
        await sleep(backoff(attempt, err.retryAfter));
        continue;
      }
      throw err;
    }
  }

  // Reading state
  getBalance() { return this._send('GET', '/balance'); }
  health() { return this._send('GET', '/health'); }
  status() { return this._send('GET', '/status'); }
  detailedStatus() { return this._send('GET', '/status/detailed'); }
  results() { return this._send('GET', '/results'); }
  strategies() { return this._send('GET', '/strategies'); }
  exchanges() { return this._send('GET', '/exchanges'); }
  meta() { return this._send('GET', '/meta'); }
  openapi() { return this._send('GET', '/openapi.json'); }

  // History
  runs({ limit, offset, status, mode } = {}) { return this._send('GET', '/runs', { query: { limit, offset, status, mode } }); }
  run(runId) { return this._send('GET', runPath(runId)); }
  /** One page of a stored run's orders, oldest first; pass `nextCursor` on as `cursor`. */
  runOrders(runId, { limit, cursor } = {}) { return this._send('GET', `${runPath(runId)}/orders`, { query: { limit, cursor } }); }
  runTrades(runId, { limit, cursor } = {}) { return this._send('GET', `${runPath(runId)}/trades`, { query: { limit, cursor } }); }
  runEquity(runId, { limit, cursor } = {}) { return this._send('GET', `${runPath(runId)}/equity`, { query: { limit, cursor } }); }
  deleteRun(runId) { return this._send('DELETE', runPath(runId)); }
  /** Deletes runs started more than `olderThan` days ago and/or all but the newest `keep`. */
  pruneRuns({ olderThan, keep } = {}) {
    if (olderThan === undefined && keep === undefined) {
      return Promise.reject(new TypeError('say what to delete: olderThan (days) and/or keep'));
    }
    return this._send('DELETE', '/runs', { query: { older_than: olderThan, keep }, idempotent: false });
  }
  exportTradesCsv(runId) { return this._send('GET', `${runPath(runId)}/trades.csv`, { text: true }); }
  exportEquityCsv(runId) { return this._send('GET', `${runPath(runId)}/equity.csv`, { text: true }); }

  // Starting and commanding runs: never retried.
  startBacktest(request) { return this._send('POST', '/run/backtest', { body: request, idempotent: false }); }
  /** A parameter sweep as one run (mode `optimize`): `grid`, `objective`, `min_trades`, `walk_forward`. */
  startOptimize(request) {
    if (!request || typeof request.grid !== 'object' || request.grid === null) {
      return Promise.reject(new TypeError('startOptimize needs a grid: {param: [values]} or {param: {start, end, step}}'));
    }
    return this._send('POST', '/run/optimize', { body: request, idempotent: false });
  }
  startLive(request) {
    if (!request || !['paper', 'live'].includes(request.mode)) {
      return Promise.reject(new TypeError(`mode must be 'paper' or 'live', got ${request && request.mode}`));
    }
    return this._send('POST', '/run/live', { body: request, idempotent: false });
  }
  stop() { return this._send('POST', '/run/stop', { body: {}, idempotent: false }); }
  resume() { return this._send('POST', '/run/resume', { body: {}, idempotent: false }); }
  reset() { return this._send('DELETE', '/run/reset', { body: {}, idempotent: false }); }

  /**
   * Waits until the run (the current one by default) has finished; resolves to its final status.
   * `timeout` and `poll` are in milliseconds.
   */
  async waitForRun({ runId = null, timeout = 60000, poll = 200 } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const s = await this.status();
      const current = runId === null || s.run_id === runId;
      if (current && !ACTIVE.has(s.status)) return s;
      if (!current) {
        const r = await this.run(runId);
        if (!ACTIVE.has(r.status)) {
          return {
            run_id: r.run_id, status: r.status, mode: r.config.mode, start_time: r.start_time,
            end_time: r.end_time ?? null, value: r.final_value, pnl: r.final_value - r.config.initial_cash,
            trade_count: r.trades.length, error: r.error ?? null, trading_paused: false,
          };
        }
      }
      if (Date.now() >= deadline) {
        throw new CrackTraderTimeoutError(`run ${runId || s.run_id} still ${s.status} after ${timeout} ms`, { code: 'TIMEOUT' });
      }
      await sleep(poll);
    }
  }

  /**
   * Subscribes to WebSocket channels; `onMessage` gets every parsed message (`{channel, data, seq}` and
   * the `subscribed`/`resync`/`error` frames). Reconnects and subscribes again after a lost connection.
   * Returns a function that closes the subscription for good.
   */
  subscribe(channels, onMessage, { symbol, onError } = {}) {
    const chans = typeof channels === 'string' ? [channels] : [...channels];
    if (chans.length === 0) throw new TypeError('subscribe to at least one channel');
    for (const c of chans) {
      if (!CHANNELS.includes(c)) throw new TypeError(`unknown channel ${c}; channels: ${CHANNELS.join(', ')}`);
    }
    let closed = false;
    let socket = null;
    let attempt = 0;
    const wsUrl = `${this.baseUrl.replace(/^http/, 'ws')}${API}/ws`;
    const connect = async () => {
      if (closed) return;
      let WS;
      let headers;
      try {
        ({ WS, headers } = await webSocketClass());
      } catch (e) {
        onError?.(new CrackTraderConnectionError(`no WebSocket available: ${e.message}`));
        return;
      }
      if (closed) return;
      const url = !headers && this.apiKey ? `${wsUrl}?api_key=${encodeURIComponent(this.apiKey)}` : wsUrl;
      const ws = headers && this.apiKey ? new WS(url, { headers: { 'X-API-Key': this.apiKey } }) : new WS(url);
      socket = ws;
      ws.onopen = () => {
        attempt = 0;
        for (const c of chans) ws.send(JSON.stringify(symbol ? { action: 'subscribe', channel: c, symbol } : { action: 'subscribe', channel: c }));
      };
      ws.onmessage = (ev) => {
        let msg;
        try {
          msg = JSON.parse(typeof ev.data === 'string' ? ev.data : String(ev.data));
        } catch {
          return;
        }
        onMessage(msg);
      };
      ws.onerror = (ev) => onError?.(new CrackTraderConnectionError(`WebSocket ${wsUrl}: ${ev?.message || 'error'}`));
      ws.onclose = () => {
        if (closed) return;
        const wait = backoff(attempt++);
        setTimeout(connect, wait);
      };
    };
    connect();
    return () => {
      closed = true;
      if (socket && socket.readyState <= 1) socket.close();
    };
  }
}

export { CrackTrader };
