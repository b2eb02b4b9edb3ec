/**
 * The hearing's live channel (`/api/v1/hearings/{id}/live`): one WebSocket per client that carries the hearing's state
 * and roster as numbered messages. `LiveClient` connects (cookie auth: a participant's or staff session), pings every
 * 15 s, reconnects by itself with exponential backoff (1 s, 2 s, 4 s … at most 15 s, plus jitter), resumes with
 * `?since=` the last number seen so the server replays what was missed (or sends a fresh snapshot), and feeds a small
 * `LiveStore` (hearing + roster; for staff also the witnesses waiting outside until called in). Used by the participant
 * client (/join) and the staff console.
 */

/** @typedef {import('./types.js').LiveHearing} LiveHearing */
/** @typedef {import('./types.js').LiveMember} LiveMember */
/** @typedef {import('./types.js').LiveYou} LiveYou */
/** @typedef {import('./types.js').LiveMessage} LiveMessage */

/**
 * `connecting`: the first attempt; `connected`: the server answered; `reconnecting`: lost, trying again by itself;
 * `disconnected`: stopped for good (closed by us, or replaced by another device).
 * @typedef {'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected'} LiveStatus
 */

/**
 * What listeners receive, by event name.
 * @typedef {Object} LiveEvents
 * @property {LiveStatus} status the connection's status changed
 * @property {LiveStore} change the hearing or the roster changed
 * @property {LiveMessage} message any message from the server
 * @property {LiveYou} welcome the server said who we are
 * @property {null} replaced the same person connected elsewhere: no automatic reconnection
 * @property {number} failure an attempt failed; the number of failed attempts in a row
 */

/**
 * @typedef {Object} LiveOptions
 * @property {number} [pingMs] how often to ping (the server drops a client silent for 60 s)
 * @property {number} [silenceMs] a connection that heard nothing for this long is given up and reopened
 * @property {number} [minDelayMs] first reconnection delay
 * @property {number} [maxDelayMs] longest reconnection delay (before jitter)
 * @property {(hearingId: string, since: number) => string} [url] the WebSocket address
 */

/** Roles in the order the bench and the parties are shown. */
export const ROLE_ORDER = /** @type {const} */ ([
  'presiding_judge',
  'judge',
  'clerk',
  'plaintiff',
  'defendant',
  'third_party',
  'agent',
  'witness',
  'expert',
  'interpreter',
]);

/**
 * The roster in a stable order: the bench first, then the parties by role, then by name.
 * @param {LiveMember[]} members
 * @returns {LiveMember[]}
 */
export function sortMembers(members) {
  /** @param {string} role */
  const rank = (role) => {
    const i = ROLE_ORDER.indexOf(/** @type {typeof ROLE_ORDER[number]} */ (role));
    return i < 0 ? ROLE_ORDER.length : i;
  };
  return [...members].sort((a, b) => rank(a.role) - rank(b.role) || a.name.localeCompare(b.name, 'zh-CN') || a.id.localeCompare(b.id));
}

/** The hearing and its roster as the live messages describe them. */
export class LiveStore {
  /** @type {LiveHearing | null} */
  hearing = null;
  /** @type {LiveMember[]} */
  members = [];
  /** Witnesses waiting outside until the court calls them in (only staff are told). @type {LiveMember[]} */
  witnesses = [];
  /** @type {LiveYou | null} */
  you = null;

  /**
   * Apply one message.
   * @param {LiveMessage} message
   * @returns {boolean} whether the hearing or the roster changed
   */
  apply(message) {
    switch (message.type) {
      case 'welcome':
        this.you = message.you;
        return false;
      case 'snapshot':
        this.hearing = message.hearing;
        this.members = message.members;
        this.witnesses = message.witnesses ?? [];
        return true;
      case 'state':
        this.hearing = message.hearing;
        return true;
      case 'roster':
        this.members = message.members;
        this.witnesses = message.witnesses ?? [];
        return true;
      default:
        return false;
    }
  }

  /**
   * @param {string} id
   * @returns {LiveMember | undefined}
   */
  member(id) {
    return this.members.find((m) => m.id === id);
  }
}

/** @param {string} hearingId @param {number} since */
function defaultUrl(hearingId, since) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const query = since > 0 ? `?since=${since}` : '';
  return `${scheme}://${location.host}/api/v1/hearings/${encodeURIComponent(hearingId)}/live${query}`;
}

/**
 * The delay before reconnection attempt `attempt` (0-based): 1 s, 2 s, 4 s … capped, plus up to 30 % jitter so that
 * many clients cut off together do not come back in the same instant.
 * @param {number} attempt
 * @param {number} minMs
 * @param {number} maxMs
 * @param {number} [random] a number in [0, 1)
 * @returns {number}
 */
export function backoffDelay(attempt, minMs, maxMs, random = Math.random()) {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 16));
  return Math.round(base + base * 0.3 * random);
}

export class LiveClient {
  /** @type {LiveStore} */
  store = new LiveStore();
  /** @type {LiveStatus} */
  #status = 'idle';
  /** The highest sequence number seen (0: none yet). */
  #since = 0;
  #hearingId;
  #pingMs;
  #silenceMs;
  #minDelayMs;
  #maxDelayMs;
  #url;
  /** @type {WebSocket | null} */
  #ws = null;
  /** Failed attempts in a row (reset when the server welcomes us). */
  #failures = 0;
  #stopped = false;
  #replaced = false;
  /** A test holds reconnection back until it resumes it. */
  #held = false;
  #lastHeard = 0;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #pingTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  /** How the current connection caught up: `snapshot` or `replay` (for tests and diagnostics). */
  /** @type {'' | 'snapshot' | 'replay'} */
  #catchup = '';
  #awaitingCatchup = false;
  #connects = 0;
  #lastUrl = '';
  /** @type {Map<keyof LiveEvents, Set<(detail: any) => void>>} */
  #listeners = new Map();

  #onOnline = () => this.#retrySoon();
  #onVisible = () => {
    if (document.visibilityState === 'visible') this.#retrySoon();
  };

  /**
   * @param {string} hearingId
   * @param {LiveOptions} [options]
   */
  constructor(hearingId, options = {}) {
    this.#hearingId = hearingId;
    this.#pingMs = options.pingMs ?? 15_000;
    this.#silenceMs = options.silenceMs ?? 45_000;
    this.#minDelayMs = options.minDelayMs ?? 1_000;
    this.#maxDelayMs = options.maxDelayMs ?? 15_000;
    this.#url = options.url ?? defaultUrl;
  }

  /** The hearing this channel follows. */
  get hearingId() {
    return this.#hearingId;
  }

  /** @returns {LiveStatus} */
  get status() {
    return this.#status;
  }

  /** @returns {number} the highest sequence number seen */
  get since() {
    return this.#since;
  }

  /** @returns {boolean} the same person connected elsewhere and took this connection over */
  get replaced() {
    return this.#replaced;
  }

  /** @returns {{since: number, connects: number, catchup: string, url: string, status: LiveStatus}} for tests and diagnostics */
  get debug() {
    return { since: this.#since, connects: this.#connects, catchup: this.#catchup, url: this.#lastUrl, status: this.#status };
  }

  /**
   * Listen to an event; returns the function that stops listening.
   * @template {keyof LiveEvents} K
   * @param {K} type
   * @param {(detail: LiveEvents[K]) => void} listener
   * @returns {() => void}
   */
  on(type, listener) {
    let set = this.#listeners.get(type);
    if (!set) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * @template {keyof LiveEvents} K
   * @param {K} type
   * @param {LiveEvents[K]} detail
   */
  #emit(type, detail) {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) {
      try {
        listener(detail);
      } catch (error) {
        console.error(error);
      }
    }
  }

  /** Open the channel (again, after `close()` or being replaced). */
  connect() {
    this.#stopped = false;
    this.#replaced = false;
    this.#failures = 0;
    // Test hook: the page's current live client, for `window.__ccLive.dropForTest()`.
    /** @type {{__ccLive?: LiveClient}} */ (/** @type {unknown} */ (window)).__ccLive = this;
    window.addEventListener('online', this.#onOnline);
    document.addEventListener('visibilitychange', this.#onVisible);
    this.#setStatus(this.#status === 'connected' ? 'connected' : 'connecting');
    this.#open();
  }

  /**
   * Send one message on the current connection (the media signalling of web/lib/rtc.js); dropped when not connected:
   * the session starts again at the next `welcome`.
   * @param {{type: string} & Record<string, unknown>} message
   * @returns {boolean} whether it was sent
   */
  send(message) {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(message));
    return true;
  }

  /** Close for good (no reconnection). */
  close() {
    this.#stopped = true;
    window.removeEventListener('online', this.#onOnline);
    document.removeEventListener('visibilitychange', this.#onVisible);
    clearTimeout(this.#retryTimer);
    this.#teardown(1000, 'closed');
    this.#setStatus('disconnected');
  }

  /**
   * Test hook: cut the connection as a network failure would; with `hold`, stay disconnected until `resumeForTest()`.
   * @param {boolean} [hold]
   */
  dropForTest(hold = false) {
    this.#held = hold;
    if (this.#ws) this.#lost(this.#ws);
  }

  /** Test hook: let a held client reconnect now. */
  resumeForTest() {
    this.#held = false;
    this.#retrySoon();
  }

  /** @param {LiveStatus} status */
  #setStatus(status) {
    if (status === this.#status) return;
    this.#status = status;
    this.#emit('status', status);
  }

  #open() {
    clearTimeout(this.#retryTimer);
    if (this.#stopped || this.#held) return;
    this.#teardown(1000, 'reopen');
    const url = this.#url(this.#hearingId, this.#since);
    this.#lastUrl = url;
    this.#connects += 1;
    /** @type {WebSocket} */
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (error) {
      console.warn('live: cannot open', error);
      this.#scheduleRetry();
      return;
    }
    this.#ws = ws;
    this.#awaitingCatchup = true;
    this.#lastHeard = Date.now();
    ws.addEventListener('message', (event) => {
      if (ws !== this.#ws) return;
      this.#lastHeard = Date.now();
      /** @type {LiveMessage} */
      let message;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return;
      }
      this.#receive(message);
    });
    ws.addEventListener('close', () => {
      if (ws === this.#ws) this.#lost(ws);
    });
    // An error is followed by `close`, which does the work.
    ws.addEventListener('error', () => {});
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => this.#ping(ws), this.#pingMs);
  }

  /** @param {WebSocket} ws */
  #ping(ws) {
    if (ws !== this.#ws) return;
    if (Date.now() - this.#lastHeard > this.#silenceMs) {
      // A half-open connection (a phone that changed networks): give it up.
      this.#lost(ws);
      return;
    }
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ping' }));
  }

  /** @param {LiveMessage} message */
  #receive(message) {
    this.#emit('message', message);
    switch (message.type) {
      case 'welcome':
        this.#failures = 0;
        this.store.apply(message);
        this.#setStatus('connected');
        this.#emit('welcome', message.you);
        return;
      case 'replaced':
        this.#replaced = true;
        this.#stopped = true;
        this.#teardown(1000, 'replaced');
        this.#setStatus('disconnected');
        this.#emit('replaced', null);
        return;
      case 'pong':
        return;
      case 'snapshot':
        // Always taken, even with a lower number (the server restarted and counts from 0 again).
        if (this.#awaitingCatchup) this.#catchup = 'snapshot';
        this.#awaitingCatchup = false;
        this.#since = message.seq;
        if (this.store.apply(message)) this.#emit('change', this.store);
        return;
      default: {
        if (!('seq' in message) || typeof message.seq !== 'number') return;
        if (message.seq <= this.#since) return;
        if (this.#awaitingCatchup) this.#catchup = 'replay';
        this.#awaitingCatchup = false;
        this.#since = message.seq;
        if (this.store.apply(message)) this.#emit('change', this.store);
      }
    }
  }

  /**
   * The connection `ws` is gone (closed by the server, the network, or given up): try again unless stopped.
   * @param {WebSocket} ws
   */
  #lost(ws) {
    if (ws !== this.#ws) return;
    this.#teardown(4000, 'lost');
    if (this.#stopped) {
      this.#setStatus('disconnected');
      return;
    }
    this.#failures += 1;
    this.#setStatus('reconnecting');
    this.#emit('failure', this.#failures);
    this.#scheduleRetry();
  }

  #scheduleRetry() {
    clearTimeout(this.#retryTimer);
    if (this.#stopped || this.#held) return;
    const delay = backoffDelay(Math.max(0, this.#failures - 1), this.#minDelayMs, this.#maxDelayMs);
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  /** Back online or visible again: do not wait for the rest of the backoff. */
  #retrySoon() {
    if (this.#stopped || this.#held || this.#status !== 'reconnecting') return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#open(), 200);
  }

  /**
   * Forget the current socket (closing it when still open).
   * @param {number} code
   * @param {string} reason
   */
  #teardown(code, reason) {
    clearInterval(this.#pingTimer);
    const ws = this.#ws;
    this.#ws = null;
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
      try {
        ws.close(code, reason);
      } catch {
        // Already closing.
      }
    }
  }
}
