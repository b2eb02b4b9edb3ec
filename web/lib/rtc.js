/**
 * The hearing's audio and video with the server's SFU: one RTCPeerConnection that publishes the local camera and
 * microphone (send-only) and receives every other member's tracks, negotiated over the hearing's live WebSocket
 * (unnumbered, per-connection messages). We send `media.offer`, the server replies `media.answer`; later the server
 * sends `media.offer` when members' tracks come or go and we reply `media.answer`. Each remote track's stream id is
 * the publishing member's roster id, so tracks are grouped into one MediaStream per member.
 *
 * Made for phones and poor networks:
 * - Video goes out as two simulcast layers (`l` at half size, `h` full) where the browser can, with capped bitrates.
 *   When the browser starves `h` (a poor uplink or a busy CPU) — the only layer the SFU's phase 1 forwards — the
 *   session goes on with one adaptive layer on a new connection (`SimulcastGuard`).
 * - The camera is swapped (`setCamera`: front/back, another camera, off and on) with `RTCRtpSender.replaceTrack`,
 *   without renegotiation; the microphone is muted by `track.enabled` (`setMicMuted`) and swapped (`setMicrophone`).
 * - Every 250 ms `getStats()` gives the audio levels (the active speaker, `SpeakerTracker`), and every 2 s the link
 *   quality of each member and of our own uplink (`classifyLink`) and which members' video stalled (camera off).
 * - Reconnection without reloading: ICE `disconnected` for 2 s, `failed`, nothing at all from the SFU for 4 s while we
 *   send (its RTCP stopped: it forgot us), the SFU closing our peer (`media.closed`), an unanswered offer, or a new
 *   connection of the live channel (the server forgot our media then) start a brand-new RTCPeerConnection and
 *   `media.offer` (at once, then with backoff), which the server takes as the replacement of this member's previous
 *   peer (`onState`: `reconnecting` meanwhile). Remote MediaStreams are kept (their tracks are swapped in place, also
 *   when another member reconnects), so the tiles keep their last frame.
 *   An ICE restart on the same connection (`restartIce()` and a new offer) was tried against this SFU and is not used:
 *   the server answers every offer with a fresh str0m peer (new ICE credentials and DTLS certificate); the transport
 *   came back, but the top simulcast layer stopped going out and the others decoded nothing (the fresh peer cannot
 *   map the streams Chrome goes on sending: their RID/MID header extensions are only sent at the start).
 */

/** @typedef {import('./live.js').LiveClient} LiveClient */

/**
 * Media signalling messages, as the server sends them.
 * @typedef {{type: 'media.answer', sdp: string}
 *   | {type: 'media.offer', sdp: string}
 *   | {type: 'media.closed'}
 *   | {type: 'media.error', code: string, message: string}} MediaMessage
 */

/**
 * The session's state: `connecting` the first time, `connected` while the SFU connection is up, `reconnecting` while
 * it is being restored (the live channel or the media path was lost), `closed` after `close()` or when the live
 * channel stopped for good.
 * @typedef {'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed'} MediaState
 */

/**
 * How well media flows on a link: a remote member's media reaching us, or our own media reaching the SFU.
 * @typedef {'good' | 'fair' | 'poor' | 'lost'} Quality
 */

/**
 * One measurement window of a link (every field optional: what the stats had).
 * @typedef {Object} LinkSample
 * @property {boolean} [connected] false: the transport is down (ICE disconnected, failed or closed)
 * @property {boolean} [receiving] false: nothing at all arrived during the window
 * @property {number} [lossFraction] packets lost / packets expected, 0–1
 * @property {number} [jitterMs] interarrival jitter
 * @property {number} [rttMs] round-trip time to the SFU
 * @property {number} [framesPerSecond] decoded video frame rate (only when video flows)
 * @property {number} [freezes] video freezes that began during the window
 * @property {number} [availableKbps] the browser's estimate of the uplink (`availableOutgoingBitrate`)
 */

/**
 * What the stats said at the last 2 s tick.
 * @typedef {Object} SessionStats
 * @property {Map<string, Quality>} quality by member id; one's own uplink under one's own id
 * @property {Set<string>} stalled members whose video track delivered no frame during the window (camera off, or
 *   their video stopped): their tile shows the avatar rather than a frozen picture
 */

/**
 * @typedef {Object} MediaSessionOptions
 * @property {(memberId: string, stream: MediaStream | null) => void} onRemote a member's media arrived, changed or left
 * @property {(code: string) => void} [onError] the server refused (e.g. `media_not_allowed`) or negotiation failed
 * @property {(state: MediaState) => void} [onState] the session's state changed
 * @property {(stats: SessionStats) => void} [onStats] link quality and stalled video, every 2 s while connected
 * @property {(memberId: string | null) => void} [onSpeaker] the active speaker changed (one's own id included)
 * @property {string} [selfId] one's own member id (default: the live channel's `welcome`)
 * @property {string} [audioDeviceId] the microphone to open (default: the system's)
 */

/**
 * Where a link reaches a grade: any one figure suffices.
 * @typedef {Object} LinkLimit
 * @property {number} lossFraction
 * @property {number} jitterMs
 * @property {number} rttMs
 * @property {number} framesPerSecond below this (but above 0)
 * @property {number} freezes
 * @property {number} availableKbps below this
 */

/**
 * Where a link becomes fair or poor. Loss and jitter hurt speech first (Opus conceals ~3 % loss well, not 10 %); a
 * freeze in a 2 s window is seen by everyone; below 10 frames/s lips stop looking natural, below 5 it is a slide show;
 * the uplink figures are what our layers need (`h` alone from ~250 kbit/s; below 100 not even the low layer and sound).
 */
/** @type {Readonly<{fair: Readonly<LinkLimit>, poor: Readonly<LinkLimit>}>} */
export const LINK_LIMITS = Object.freeze({
  fair: Object.freeze({ lossFraction: 0.03, jitterMs: 40, rttMs: 350, framesPerSecond: 10, freezes: 1, availableKbps: 250 }),
  poor: Object.freeze({ lossFraction: 0.1, jitterMs: 100, rttMs: 700, framesPerSecond: 5, freezes: 3, availableKbps: 100 }),
});

/**
 * Classify one window of a link. Pure: thresholds in `LINK_LIMITS`.
 * @param {LinkSample} sample
 * @returns {Quality}
 */
export function classifyLink(sample) {
  if (sample.connected === false || sample.receiving === false) return 'lost';
  /** @param {Readonly<LinkLimit>} limit */
  const reaches = (limit) =>
    (sample.lossFraction ?? 0) >= limit.lossFraction ||
    (sample.jitterMs ?? 0) >= limit.jitterMs ||
    (sample.rttMs ?? 0) >= limit.rttMs ||
    (sample.freezes ?? 0) >= limit.freezes ||
    (sample.availableKbps !== undefined && sample.availableKbps < limit.availableKbps) ||
    // No frames at all is a stalled or absent camera, not a slow link: only a low but non-zero rate counts.
    (sample.framesPerSecond !== undefined && sample.framesPerSecond > 0 && sample.framesPerSecond < limit.framesPerSecond);
  if (reaches(LINK_LIMITS.poor)) return 'poor';
  if (reaches(LINK_LIMITS.fair)) return 'fair';
  return 'good';
}

/**
 * The loudness of audio over a window, from two readings of the cumulative `totalAudioEnergy` and
 * `totalSamplesDuration` (inbound-rtp, media-source): the RMS level, 0–1 (1 = full scale). Null without a window.
 * @param {{energy: number, duration: number} | undefined} before
 * @param {{energy: number, duration: number}} after
 * @returns {number | null}
 */
export function windowLevel(before, after) {
  if (!before) return null;
  const duration = after.duration - before.duration;
  if (!(duration > 0)) return null;
  return Math.sqrt(Math.max(0, after.energy - before.energy) / duration);
}

/**
 * @typedef {Object} SpeakerOptions
 * @property {number} [threshold] RMS level counted as voice: 0.02 ≈ −34 dBFS, above a noise-suppressed room, below
 *   quiet speech after the browser's automatic gain control
 * @property {number} [attackMs] voice must last this long before its member becomes the speaker (a cough or a door
 *   does not)
 * @property {number} [holdMs] the speaker stays highlighted through pauses this long (between words), so the
 *   highlight does not flicker
 * @property {number} [takeoverMs] someone else louder than the speaker for this long takes over (the speaker's room
 *   noise must not keep the highlight forever)
 */

/**
 * The active speaker from periodic audio levels, with hysteresis. Pure: `update` takes the levels and the time.
 */
export class SpeakerTracker {
  #threshold;
  #attackMs;
  #holdMs;
  #takeoverMs;
  /** Since when each member has been loud without a break. @type {Map<string, number>} */
  #loudSince = new Map();
  /** When each member was last loud. @type {Map<string, number>} */
  #lastLoud = new Map();
  /** @type {string | null} */
  #speaker = null;
  /** @type {string | null} */
  #challenger = null;
  #challengerSince = 0;

  /** @param {SpeakerOptions} [options] */
  constructor(options = {}) {
    this.#threshold = options.threshold ?? 0.02;
    this.#attackMs = options.attackMs ?? 200;
    this.#holdMs = options.holdMs ?? 450;
    this.#takeoverMs = options.takeoverMs ?? 1000;
  }

  /** @returns {string | null} the current speaker */
  get speaker() {
    return this.#speaker;
  }

  /**
   * Take one reading of every member's level.
   * @param {Iterable<[string, number]>} levels member id → RMS level (members absent are silent)
   * @param {number} now milliseconds
   * @returns {string | null} the speaker after this reading
   */
  update(levels, now) {
    const heard = new Map(levels);
    for (const id of [...this.#loudSince.keys()]) if ((heard.get(id) ?? 0) < this.#threshold) this.#loudSince.delete(id);
    for (const [id, level] of heard) {
      if (level < this.#threshold) continue;
      if (!this.#loudSince.has(id)) this.#loudSince.set(id, now);
      this.#lastLoud.set(id, now);
    }
    // Candidates: loud now, for at least the attack time; the loudest first.
    const candidates = [...this.#loudSince]
      .filter(([, since]) => now - since >= this.#attackMs)
      .map(([id]) => id)
      .sort((a, b) => (heard.get(b) ?? 0) - (heard.get(a) ?? 0));
    const current = this.#speaker;
    const currentHeld = current !== null && now - (this.#lastLoud.get(current) ?? -Infinity) <= this.#holdMs;
    if (!currentHeld) {
      this.#speaker = candidates[0] ?? null;
      this.#challenger = null;
      return this.#speaker;
    }
    // The speaker holds; someone steadily louder takes over.
    const top = candidates[0];
    if (top !== undefined && top !== current && (heard.get(top) ?? 0) > (heard.get(current) ?? 0)) {
      if (this.#challenger !== top) {
        this.#challenger = top;
        this.#challengerSince = now;
      } else if (now - this.#challengerSince >= this.#takeoverMs) {
        this.#speaker = top;
        this.#challenger = null;
      }
    } else {
      this.#challenger = null;
    }
    return this.#speaker;
  }

  /** Forget everyone (the connection was replaced). */
  reset() {
    this.#loudSince.clear();
    this.#lastLoud.clear();
    this.#speaker = null;
    this.#challenger = null;
  }
}

/**
 * The video layers, low to high as Chrome expects. The SFU knows them by rid (`h` is the one it forwards today).
 * The caps keep a cheap phone on 4G going: ~850 kbit/s for both at most; `l` at half size and 15 frames/s.
 * @type {readonly RTCRtpEncodingParameters[]}
 */
export const SIMULCAST_LAYERS = Object.freeze([
  Object.freeze({ rid: 'l', scaleResolutionDownBy: 2, maxBitrate: 150_000, maxFramerate: 15 }),
  Object.freeze({ rid: 'h', maxBitrate: 700_000 }),
]);

/** One layer only (no simulcast): the top layer's cap. */
const SINGLE_LAYER = Object.freeze({ maxBitrate: 700_000 });

/**
 * Whether a camera picture is large enough for Chrome to send both layers: below about 480×270 pixels it sends the
 * first (`l`) only, which the SFU would drop. Unknown sizes (no track yet) count as large: the room asks for 640×480.
 * @param {{width?: number, height?: number}} settings
 * @returns {boolean}
 */
export function simulcastFits(settings) {
  if (!settings.width || !settings.height) return true;
  return settings.width * settings.height >= 480 * 270;
}

/**
 * Whether simulcast can go on. The browser starves the top layer (`h`) first when the uplink or the CPU cannot carry
 * both: an SFU that forwards only `h` (this one's phase 1) then shows little or nothing of us, and one that picks
 * layers per subscriber can only offer everyone the fixed low one. Two windows in a row where `h` got less than half
 * the frames of `l` mean it will not recover soon: the session falls back to one layer, which the browser adapts to
 * the uplink instead of pausing — the best picture such an uplink can carry, for everyone. (Only deactivating `l`
 * would not do with phase 1: its keyframe requests name no layer and may reach the inactive one, which the browser
 * ignores.) Pure.
 */
export class SimulcastGuard {
  #starvedWindows = 0;
  #since;
  #graceMs;

  /**
   * @param {number} now milliseconds: when the connection started
   * @param {number} [graceMs] windows before then do not count: the browser starts its uplink estimate at about
   *   300 kbit/s and adds `h` once it has grown (measured against this SFU on loopback: after about 5 s)
   */
  constructor(now, graceMs = 10_000) {
    this.#since = now;
    this.#graceMs = graceMs;
  }

  /**
   * @param {{top?: number, low?: number}} window frames encoded during the window by `h` and by `l` (undefined:
   *   unknown, e.g. the first window)
   * @param {number} now milliseconds
   * @returns {boolean} true: fall back to one layer now
   */
  update(window, now) {
    const { top, low } = window;
    // Nothing to judge: the camera is off, or no window yet.
    if (top === undefined || low === undefined || (top === 0 && low === 0)) return false;
    if (now - this.#since < this.#graceMs) return false;
    if (top * 2 < low) this.#starvedWindows += 1;
    else this.#starvedWindows = 0;
    return this.#starvedWindows >= 2;
  }
}

/**
 * How long to wait before reconnection attempt `attempt` (0-based, failures in a row): at once the first time (a
 * phone that changed networks wants its picture back now), then 1 s, 2 s, 4 s … at most 15 s, plus up to 30 %
 * jitter so that a room cut off together does not come back in the same instant.
 * @param {number} attempt
 * @param {number} [random] a number in [0, 1)
 * @returns {number} milliseconds
 */
export function reconnectDelay(attempt, random = Math.random()) {
  if (attempt <= 0) return 0;
  const base = Math.min(15_000, 1000 * 2 ** Math.min(attempt - 1, 8));
  return Math.round(base + base * 0.3 * random);
}

/** ICE disconnected this long (not failed yet) counts as lost: the connection is replaced. */
export const DISCONNECTED_GRACE_MS = 2000;
/** An offer without an answer (or error) this long is sent again on a new connection. */
const ANSWER_TIMEOUT_MS = 8000;
/** A connection that has not come up this long after the answer is replaced. */
const CONNECT_TIMEOUT_MS = 10_000;
/** After a reconnection, remote media of the old connection not renewed by then is dropped. */
const STALE_MS = 5000;
/** A member whose tracks all ended keeps their (empty) stream this long, in case they come back (their reconnection). */
const REJOIN_MS = 5000;
/** Nothing received from the SFU this long on a connection that sends media: it is lost. */
const SILENT_MS = 4000;
/** A member's new video stream is not called stalled before this (its first keyframe may take a moment). */
const STALL_AFTER_MS = 4000;
/** Audio levels for the active speaker. */
const LEVEL_TICK_MS = 250;
/** Link quality. */
const QUALITY_TICK_MS = 2000;

/**
 * The microphone: the browser's echo cancellation (loudspeakers on phones), noise suppression (a street, a busy
 * office) and gain control (near and far voices alike). The SDP is left as the browser makes it (Opus defaults).
 * @type {Readonly<MediaTrackConstraints>}
 */
const MIC_CONSTRAINTS = Object.freeze({ echoCancellation: true, noiseSuppression: true, autoGainControl: true });

/** Own media reaching the SFU: ICE states where it does. */
const UP = new Set(['connected', 'completed']);

/**
 * @param {MediaStream | null | undefined} stream
 * @returns {MediaStreamTrack | null} its live video track
 */
function liveVideo(stream) {
  return stream?.getVideoTracks().find((t) => t.readyState === 'live') ?? null;
}

/**
 * Cumulative counters of one RTP stream, kept between two readings.
 * @typedef {Object} Counters
 * @property {number} received packets received
 * @property {number} lost packets lost
 * @property {number} frames frames decoded
 * @property {number} freezes
 * @property {number} [concealed] audio: samples concealed (played without having arrived in time)
 * @property {number} [samples] audio: samples played
 */

export class MediaSession {
  #live;
  #options;
  /** The court's TURN servers with this viewer's credentials, and when they were fetched. */
  /** @type {{servers: RTCIceServer[], at: number} | null} */
  #ice = null;
  /** The camera to publish (null: none or turned off). @type {MediaStreamTrack | null} */
  #camera = null;
  /** The last connection had (or the next should have) a video line, so the camera can come back without one. */
  #videoLine = false;
  /** The microphone, opened for the session. @type {MediaStreamTrack | null} */
  #mic = null;
  #micMuted = false;
  /** @type {string | undefined} */
  #micDeviceId;
  /** @type {RTCPeerConnection | null} */
  #pc = null;
  /** @type {RTCRtpSender | null} */
  #audioSender = null;
  /** @type {RTCRtpSender | null} */
  #videoSender = null;
  #simulcast = false;
  /** Simulcast is tried until it failed once in this session (see `SimulcastGuard`). */
  #simulcastAllowed = true;
  #simulcastGuard = new SimulcastGuard(0);
  /** Remote media by member id. @type {Map<string, MediaStream>} */
  #remote = new Map();
  /** The remote streams still hold the previous connection's tracks (kept so tiles keep their last frame). */
  #stale = false;
  /** Members whose tracks all ended, until they are dropped. @type {Map<string, ReturnType<typeof setTimeout>>} */
  #emptied = new Map();
  /** Signalling is handled one message at a time, in order. */
  #queue = Promise.resolve();
  /**
   * The connections whose offers await the server's reply on this live connection, oldest first: the server answers
   * each offer once, in order, so a late answer to a replaced connection's offer is told apart and dropped.
   * @type {RTCPeerConnection[]}
   */
  #offered = [];
  #started = false;
  /** @type {Array<() => void>} */
  #unlisten = [];
  /** @type {MediaState} */
  #state = 'idle';
  /** Failed connection attempts in a row (reset once connected). */
  #failures = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #graceTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #answerTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #connectTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #staleTimer;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #statsTimer;
  #sampling = false;
  #lastQualityAt = 0;
  /** Audio energy readings by stats id, for levels. @type {Map<string, {energy: number, duration: number}>} */
  #energy = new Map();
  /** Counters by stats id at the last quality tick. @type {Map<string, Counters>} */
  #counters = new Map();
  /**
   * When each inbound stream (stats id) or remote video track (track id) was first seen: a stream is judged stalled
   * only once it had time to start. @type {Map<string, number>}
   */
  #firstSeen = new Map();
  /** The members last reported stalled. @type {Set<string>} */
  #stalled = new Set();
  #tracker = new SpeakerTracker();
  /** @type {string | null} */
  #speaker = null;
  /** @type {Map<string, Quality>} */
  #quality = new Map();
  /** The last readings, for `debug`. @type {Map<string, number>} */
  #lastLevels = new Map();
  /** @type {LinkSample} */
  #lastUplink = {};
  /** @type {Record<string, LinkSample>} */
  #lastLinks = {};
  #onOnline = () => {
    // Back on a network: do not wait for the rest of a backoff.
    if (this.#started && this.#state === 'reconnecting' && this.#retryTimer !== undefined) this.#retry('online', true);
  };

  /**
   * @param {LiveClient} live
   * @param {MediaSessionOptions} options
   */
  constructor(live, options) {
    this.#live = live;
    this.#options = options;
    this.#micDeviceId = options.audioDeviceId || undefined;
  }

  /** @returns {ReadonlyMap<string, MediaStream>} remote media by member id */
  get remote() {
    return this.#remote;
  }

  /** @returns {RTCPeerConnection | null} for tests and diagnostics */
  get connection() {
    return this.#pc;
  }

  /** @returns {MediaState} */
  get state() {
    return this.#state;
  }

  /** @returns {boolean} one's own microphone is muted (by oneself; the court's mute is the roster's) */
  get micMuted() {
    return this.#micMuted;
  }

  /** @returns {boolean} a microphone is open (false: refused or absent: nothing to mute) */
  get hasMicrophone() {
    return this.#mic?.readyState === 'live';
  }

  /** @returns {boolean} the video goes out as two simulcast layers */
  get simulcast() {
    return this.#simulcast;
  }

  /** @returns {string | null} the active speaker's member id */
  get speaker() {
    return this.#speaker;
  }

  /** @returns {ReadonlyMap<string, Quality>} link quality by member id (one's own uplink under one's own id) */
  get quality() {
    return this.#quality;
  }

  /**
   * @returns {{levels: Record<string, number>, uplink: LinkSample, links: Record<string, LinkSample>, stalled: string[],
   *   simulcastAllowed: boolean, failures: number, stale: boolean}} the last readings, for tests and diagnostics
   */
  get debug() {
    return {
      levels: Object.fromEntries(this.#lastLevels),
      uplink: { ...this.#lastUplink },
      links: { ...this.#lastLinks },
      stalled: [...this.#stalled],
      simulcastAllowed: this.#simulcastAllowed,
      failures: this.#failures,
      stale: this.#stale,
    };
  }

  /**
   * The court's TURN (and STUN) servers, with short-lived credentials for this viewer (`GET …/media/ice-servers`),
   * refetched after an hour; none when they cannot be read (the SFU's own UDP and TCP candidates remain).
   * @returns {Promise<RTCIceServer[]>}
   */
  async #iceServers() {
    if (this.#ice && Date.now() - this.#ice.at < 3_600_000) return this.#ice.servers;
    try {
      const response = await fetch(`/api/v1/hearings/${encodeURIComponent(this.#live.hearingId)}/media/ice-servers`, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      });
      if (!response.ok) return this.#ice?.servers ?? [];
      const body = /** @type {{ice_servers?: RTCIceServer[]}} */ (await response.json());
      const servers = Array.isArray(body.ice_servers) ? body.ice_servers : [];
      this.#ice = { servers, at: Date.now() };
      return servers;
    } catch {
      return this.#ice?.servers ?? [];
    }
  }

  /**
   * Publish `local`'s camera (or only receive, without one) and the microphone, and receive the others; again after
   * each reconnection.
   * @param {MediaStream | null} local
   */
  start(local) {
    if (this.#started) return;
    this.#started = true;
    this.#camera = liveVideo(local);
    this.#videoLine = this.#camera !== null;
    this.#unlisten.push(
      this.#live.on('message', (message) => {
        const type = /** @type {{type: string}} */ (message).type;
        if (type.startsWith('media.')) this.#enqueue(() => this.#handle(/** @type {MediaMessage} */ (/** @type {unknown} */ (message))));
      }),
      // A new connection of the live channel: the server forgot the old media session (and its pending offers).
      this.#live.on('welcome', () => {
        this.#offered = [];
        this.#enqueue(() => this.#connect());
      }),
      this.#live.on('status', (status) => {
        if (status === 'reconnecting' && this.#state !== 'idle') {
          // The server ends our media with the old socket: keep the last pictures until the new connection.
          this.#keepRemote();
          this.#setState('reconnecting');
        }
        // Closed or taken over by another device: no more media here.
        if (status === 'disconnected') this.#shutDown();
      }),
    );
    window.addEventListener('online', this.#onOnline);
    this.#statsTimer = setInterval(() => void this.#sample(), LEVEL_TICK_MS);
    if (this.#live.status === 'connected') this.#enqueue(() => this.#connect());
  }

  /** Stop sending and receiving. */
  close() {
    if (this.#pc) this.#live.send({ type: 'media.leave' });
    this.#shutDown();
    this.#mic?.stop();
    this.#mic = null;
  }

  /**
   * Publish this camera track instead of the current one (a camera switch, the camera turned off with `null` or on
   * again), without renegotiation. A connection that had no video line (it started without a camera) is replaced.
   * @param {MediaStreamTrack | null} track
   * @returns {Promise<void>}
   */
  async setCamera(track) {
    const next = track?.readyState === 'live' ? track : null;
    if (next === this.#camera) return;
    this.#camera = next;
    if (next) prepareCamera(next);
    if (!this.#started) return;
    if (next && !this.#videoSender) {
      this.#videoLine = true;
      // A video line is needed: with this SFU, a new offer is a new connection.
      if (this.#pc) this.#enqueue(() => this.#connect());
      return;
    }
    try {
      await this.#videoSender?.replaceTrack(next);
    } catch (error) {
      console.warn('media: camera not replaced', error);
    }
  }

  /**
   * Mute or unmute one's own microphone (silence is sent: no renegotiation, and unmuting is instant).
   * @param {boolean} muted
   */
  setMicMuted(muted) {
    this.#micMuted = muted;
    if (this.#mic) this.#mic.enabled = !muted;
  }

  /**
   * Use another microphone (a headset plugged in, a choice in the device check).
   * @param {string} deviceId
   * @returns {Promise<void>}
   */
  async setMicrophone(deviceId) {
    if (!deviceId || deviceId === this.#micDeviceId) return;
    this.#micDeviceId = deviceId;
    const old = this.#mic;
    // Not opened yet: the next connection opens this one.
    if (!old) return;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: { ...MIC_CONSTRAINTS, deviceId: { ideal: deviceId } } });
      const mic = stream.getAudioTracks()[0];
      if (!mic) return;
      mic.enabled = !this.#micMuted;
      await this.#audioSender?.replaceTrack(mic);
      this.#mic = mic;
      old.stop();
    } catch (error) {
      // The old microphone goes on.
      console.warn('media: microphone not replaced', error);
    }
  }

  /** Replace the connection now (e.g. the app knows the network changed). */
  restart() {
    if (this.#started) this.#retry('restart', true);
  }

  /** Test hook: lose the connection to the SFU as a network failure would (the transport closes under us). */
  dropForTest() {
    const pc = this.#pc;
    if (!pc) return;
    this.#keepRemote();
    pc.close();
    this.#lost(pc, 'test');
  }

  /** @returns {Promise<MediaStreamTrack | null>} the microphone (opened once; none when refused or absent) */
  async #microphone() {
    if (this.#mic?.readyState === 'live') return this.#mic;
    /** @type {MediaTrackConstraints} */
    const audio = { ...MIC_CONSTRAINTS };
    if (this.#micDeviceId) audio.deviceId = { ideal: this.#micDeviceId };
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio });
      this.#mic = stream.getAudioTracks()[0] ?? null;
      if (this.#mic) this.#mic.enabled = !this.#micMuted;
    } catch (error) {
      // The room goes on without sending sound; the others are still heard.
      console.warn('media: no microphone', error);
      this.#mic = null;
    }
    return this.#mic;
  }

  /** @param {() => Promise<void>} task */
  #enqueue(task) {
    this.#queue = this.#queue.then(task).catch((error) => {
      console.warn('media:', error);
      this.#options.onError?.('negotiation_failed');
      this.#retry('negotiation');
    });
  }

  /** @param {MediaState} state */
  #setState(state) {
    if (state === this.#state) return;
    this.#state = state;
    this.#options.onState?.(state);
  }

  #clearTimers() {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    clearTimeout(this.#graceTimer);
    clearTimeout(this.#answerTimer);
    clearTimeout(this.#connectTimer);
  }

  /** Stop for good: the connection, the timers, the remote media. */
  #shutDown() {
    const wasStarted = this.#started;
    this.#started = false;
    for (const unlisten of this.#unlisten) unlisten();
    this.#unlisten = [];
    window.removeEventListener('online', this.#onOnline);
    this.#clearTimers();
    clearTimeout(this.#staleTimer);
    clearInterval(this.#statsTimer);
    for (const timer of this.#emptied.values()) clearTimeout(timer);
    this.#emptied.clear();
    this.#pc?.close();
    this.#pc = null;
    this.#audioSender = null;
    this.#videoSender = null;
    for (const memberId of [...this.#remote.keys()]) {
      this.#remote.delete(memberId);
      this.#options.onRemote(memberId, null);
    }
    if (this.#speaker !== null) {
      this.#speaker = null;
      this.#options.onSpeaker?.(null);
    }
    if (wasStarted) this.#setState('closed');
  }

  /**
   * The connection `pc` is lost: replace it (at once the first time, then with a growing delay).
   * @param {RTCPeerConnection} pc
   * @param {string} why
   */
  #lost(pc, why) {
    if (pc !== this.#pc) return;
    this.#retry(why);
  }

  /**
   * Schedule a new connection.
   * @param {string} why for the console
   * @param {boolean} [now] without the backoff delay
   */
  #retry(why, now = false) {
    if (!this.#started) return;
    this.#clearTimers();
    this.#keepRemote();
    // Never connected yet: still `connecting`; otherwise the tiles say it is coming back.
    if (this.#state === 'connected') this.#setState('reconnecting');
    const delay = now ? 0 : reconnectDelay(this.#failures);
    this.#failures += 1;
    console.info(`media: reconnecting (${why}) in ${delay} ms`);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#enqueue(() => this.#connect());
    }, delay);
  }

  /** A fresh connection and our offer (the server replaces our previous peer with it). */
  async #connect() {
    if (!this.#started) return;
    this.#clearTimers();
    const old = this.#pc;
    this.#pc = null;
    this.#audioSender = null;
    this.#videoSender = null;
    if (old) {
      old.close();
      this.#setState('reconnecting');
    } else if (this.#state === 'idle') {
      this.#setState('connecting');
    }
    this.#keepRemote();
    this.#energy.clear();
    this.#counters.clear();
    this.#firstSeen.clear();
    this.#tracker.reset();
    const mic = await this.#microphone();
    const iceServers = await this.#iceServers();
    // Offline: the next `welcome` of the live channel starts again.
    if (!this.#started || this.#live.status !== 'connected') return;
    const pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    this.#pc = pc;
    const camera = this.#camera;
    const outgoing = new MediaStream([mic, camera].filter((t) => t !== null));
    if (mic) this.#audioSender = addAudio(pc, mic, outgoing);
    if (camera || this.#videoLine) {
      const video = addVideo(pc, camera, outgoing, this.#simulcastAllowed);
      this.#videoSender = video.sender;
      this.#simulcast = video.simulcast;
      this.#simulcastGuard = new SimulcastGuard(performance.now());
      this.#videoLine = true;
    }
    // Nothing to publish: one receive-only line so the offer is not empty.
    if (!mic && !this.#videoSender) pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addEventListener('track', (event) => this.#onTrack(pc, event));
    pc.addEventListener('connectionstatechange', () => this.#watch(pc));
    await pc.setLocalDescription(await pc.createOffer());
    if (pc !== this.#pc) return;
    // ICE-lite server: it learns our address from our STUN checks, no candidates to trickle.
    if (!this.#live.send({ type: 'media.offer', sdp: pc.localDescription?.sdp ?? '' })) return;
    this.#offered.push(pc);
    this.#answerTimer = setTimeout(() => this.#lost(pc, 'no answer'), ANSWER_TIMEOUT_MS);
  }

  /**
   * The connection's state changed: connected resets the backoff; disconnected for a while, or failed, replaces it.
   * @param {RTCPeerConnection} pc
   */
  #watch(pc) {
    if (pc !== this.#pc) return;
    switch (pc.connectionState) {
      case 'connected':
        clearTimeout(this.#graceTimer);
        clearTimeout(this.#connectTimer);
        this.#failures = 0;
        this.#setState('connected');
        // Nobody publishes (no offer will come): what is left of the old connection goes after a while.
        if (this.#stale) {
          clearTimeout(this.#staleTimer);
          this.#staleTimer = setTimeout(() => this.#renewed(), STALE_MS);
        }
        return;
      case 'disconnected':
        // Often back by itself within a second or two (a Wi-Fi hiccup); otherwise the network changed.
        clearTimeout(this.#graceTimer);
        this.#graceTimer = setTimeout(() => {
          if (pc === this.#pc && pc.connectionState !== 'connected') this.#lost(pc, 'disconnected');
        }, DISCONNECTED_GRACE_MS);
        this.#setState('reconnecting');
        return;
      case 'failed':
        this.#lost(pc, 'failed');
        return;
      default:
        return;
    }
  }

  /** @param {MediaMessage} message */
  async #handle(message) {
    const pc = this.#pc;
    switch (message.type) {
      case 'media.answer':
        // The answer to the oldest offer still waiting: an older connection's is dropped.
        if (this.#offered.shift() !== pc || !pc || pc.signalingState !== 'have-local-offer') return;
        clearTimeout(this.#answerTimer);
        await pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
        clearTimeout(this.#connectTimer);
        if (pc.connectionState !== 'connected') this.#connectTimer = setTimeout(() => this.#lost(pc, 'not connecting'), CONNECT_TIMEOUT_MS);
        return;
      case 'media.offer': {
        if (!pc) return;
        await pc.setRemoteDescription({ type: 'offer', sdp: message.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        if (pc !== this.#pc) return;
        this.#live.send({ type: 'media.answer', sdp: pc.localDescription?.sdp ?? '' });
        // The SFU offers everything already published at once: what the old connection had and this one did not
        // bring has left.
        this.#renewed();
        return;
      }
      case 'media.closed':
        // The SFU ended our peer (it stopped hearing us): connect again — unless this connection's offer is still on
        // its way, and the peer that ended was the one it replaces.
        if (pc && !this.#offered.includes(pc)) this.#lost(pc, 'closed by the server');
        return;
      case 'media.error': {
        // Refusals of an answer of ours name it; the others refuse the oldest offer still waiting.
        const toAnswer = message.code === 'media_answer_refused' || message.code === 'media_not_started';
        const offered = toAnswer ? pc : this.#offered.shift();
        if (offered !== pc) return;
        clearTimeout(this.#answerTimer);
        this.#options.onError?.(message.code);
        // Not allowed (a witness not called in): nothing to retry. Otherwise the offer or an answer failed.
        if (message.code !== 'media_not_allowed' && pc) this.#lost(pc, message.code);
        return;
      }
    }
  }

  /**
   * @param {RTCPeerConnection} pc
   * @param {RTCTrackEvent} event
   */
  #onTrack(pc, event) {
    if (pc !== this.#pc) return;
    const memberId = event.streams[0]?.id;
    if (!memberId) return;
    let stream = this.#remote.get(memberId);
    if (!stream) {
      stream = new MediaStream();
      this.#remote.set(memberId, stream);
    }
    clearTimeout(this.#emptied.get(memberId));
    this.#emptied.delete(memberId);
    // A member who came back, or our own reconnection: the old track of that kind is replaced in the same stream.
    for (const old of stream.getTracks()) if (old.kind === event.track.kind) stream.removeTrack(old);
    stream.addTrack(event.track);
    event.track.addEventListener('ended', () => this.#pruneEnded());
    event.streams[0]?.addEventListener('removetrack', () => this.#pruneEnded());
    this.#options.onRemote(memberId, stream);
  }

  /**
   * The connection is going: the remote streams stay (the tiles keep their last frame) until the new connection's
   * tracks replace the old ones in them.
   */
  #keepRemote() {
    if (this.#remote.size > 0) this.#stale = true;
  }

  /** The new connection has brought what it brings: drop what is left of the old one. */
  #renewed() {
    clearTimeout(this.#staleTimer);
    this.#stale = false;
    this.#pruneEnded();
  }

  /** Drop tracks whose transceiver the server stopped (the member left), or of an older connection. */
  #pruneEnded() {
    const pc = this.#pc;
    // Until the new connection has brought its tracks, the old ones keep their last frame.
    if (!pc || this.#stale || pc.connectionState === 'closed') return;
    const live = new Set(
      pc
        .getTransceivers()
        .filter((t) => t.currentDirection !== 'stopped' && t.currentDirection !== 'inactive')
        .map((t) => t.receiver.track),
    );
    for (const [memberId, stream] of [...this.#remote]) {
      let changed = false;
      for (const track of stream.getTracks()) {
        if (track.readyState === 'ended' || !live.has(track)) {
          stream.removeTrack(track);
          changed = true;
        }
      }
      if (stream.getTracks().length === 0) {
        // Gone, or reconnecting (their old tracks end before the new ones come): their tile keeps its last picture
        // a little while, and the same stream takes their new tracks.
        if (!this.#emptied.has(memberId)) {
          this.#emptied.set(
            memberId,
            setTimeout(() => {
              this.#emptied.delete(memberId);
              if (this.#remote.get(memberId) !== stream || stream.getTracks().length > 0) return;
              this.#remote.delete(memberId);
              this.#options.onRemote(memberId, null);
            }, REJOIN_MS),
          );
        }
      } else if (changed) this.#options.onRemote(memberId, stream);
    }
  }

  /** One stats reading: audio levels every time, link quality every 2 s (less often while the page is hidden). */
  async #sample() {
    const pc = this.#pc;
    if (this.#sampling || !this.#started) return;
    const now = performance.now();
    const qualityDue = now - this.#lastQualityAt >= QUALITY_TICK_MS - LEVEL_TICK_MS / 2;
    // Levels only for a highlight someone shows (not on a hidden page): otherwise every 2 s is enough.
    if (!qualityDue && (document.hidden || !this.#options.onSpeaker)) return;
    const selfId = this.#options.selfId ?? this.#live.store.you?.id ?? '';
    if (!pc || pc.connectionState !== 'connected') {
      if (qualityDue && this.#state !== 'idle' && this.#state !== 'connecting') {
        this.#lastQualityAt = now;
        this.#report(new Map(selfId ? [[selfId, /** @type {Quality} */ ('lost')]] : []), this.#stalled);
      }
      return;
    }
    this.#sampling = true;
    /** @type {RTCStatsReport} */
    let report;
    try {
      report = await pc.getStats();
    } catch {
      return;
    } finally {
      this.#sampling = false;
    }
    if (pc !== this.#pc) return;
    const owners = new Map();
    for (const [memberId, stream] of this.#remote) for (const track of stream.getTracks()) owners.set(track.id, memberId);
    const byMid = new Map();
    for (const t of pc.getTransceivers()) if (t.mid && owners.has(t.receiver.track.id)) byMid.set(t.mid, owners.get(t.receiver.track.id));

    /** @type {Map<string, number>} */
    const levels = new Map();
    /** Per member: the window's counters and current values. */
    /** @type {Map<string, {received: number, lost: number, audio: number, concealed: number, samples: number, frames: number, freezes: number, audioJitter?: number, videoJitter?: number, fps?: number, video: boolean, fresh: boolean, young: boolean}>} */
    const members = new Map();
    /** @type {LinkSample} */
    const self = { connected: UP.has(pc.iceConnectionState) };
    /** @type {Map<string, any>} */
    const pairs = new Map();
    let selectedPair = '';
    let selfRtt = -1;
    let selfLoss = -1;
    /** Frames encoded in the window by simulcast layer. @type {Map<string, number>} */
    const encoded = new Map();
    /** The browser says the uplink holds our video back. */
    let bandwidthLimited = false;

    report.forEach((/** @type {any} */ s) => {
      switch (s.type) {
        case 'inbound-rtp': {
          const memberId = owners.get(s.trackIdentifier) ?? byMid.get(s.mid);
          if (!memberId) return;
          if (s.kind === 'audio' && typeof s.totalAudioEnergy === 'number') {
            const reading = { energy: s.totalAudioEnergy, duration: s.totalSamplesDuration ?? 0 };
            const level = windowLevel(this.#energy.get(s.id), reading);
            this.#energy.set(s.id, reading);
            if (level !== null) levels.set(memberId, Math.max(levels.get(memberId) ?? 0, level));
          } else if (s.kind === 'audio' && typeof s.audioLevel === 'number') {
            // A browser without the energy totals: the level at this instant (its own smoothing).
            levels.set(memberId, Math.max(levels.get(memberId) ?? 0, s.audioLevel));
          }
          if (!qualityDue) return;
          const entry = members.get(memberId) ?? { received: 0, lost: 0, audio: 0, concealed: 0, samples: 0, frames: 0, freezes: 0, video: false, fresh: false, young: false };
          members.set(memberId, entry);
          if (!this.#firstSeen.has(s.id)) this.#firstSeen.set(s.id, now);
          if (now - (this.#firstSeen.get(s.id) ?? now) < STALL_AFTER_MS) entry.young = true;
          /** @type {Counters} */
          const counters = {
            received: s.packetsReceived ?? 0,
            lost: Math.max(0, s.packetsLost ?? 0),
            frames: s.framesDecoded ?? 0,
            freezes: s.freezeCount ?? 0,
            concealed: s.concealedSamples ?? 0,
            samples: s.totalSamplesReceived ?? 0,
          };
          const before = this.#counters.get(s.id);
          this.#counters.set(s.id, counters);
          // First seen: no window yet.
          if (!before) {
            entry.fresh = true;
            return;
          }
          entry.received += Math.max(0, counters.received - before.received);
          entry.lost += Math.max(0, counters.lost - before.lost);
          if (typeof s.jitter === 'number') {
            if (s.kind === 'audio') entry.audioJitter = Math.max(entry.audioJitter ?? 0, s.jitter * 1000);
            else entry.videoJitter = Math.max(entry.videoJitter ?? 0, s.jitter * 1000);
          }
          if (s.kind === 'audio') {
            const audio = Math.max(0, counters.received - before.received);
            entry.audio += audio;
            // Concealment only while packets come (without any, the member is muted or the link is down: see
            // `receiving`), so that silence from a muted member is not taken for loss.
            if (audio > 0) {
              entry.concealed += Math.max(0, (counters.concealed ?? 0) - (before.concealed ?? 0));
              entry.samples += Math.max(0, (counters.samples ?? 0) - (before.samples ?? 0));
            }
          }
          if (s.kind === 'video') {
            entry.video = true;
            entry.frames += Math.max(0, counters.frames - before.frames);
            entry.freezes += Math.max(0, counters.freezes - before.freezes);
            if (typeof s.framesPerSecond === 'number') entry.fps = s.framesPerSecond;
          }
          return;
        }
        case 'outbound-rtp':
          if (s.kind === 'video' && s.qualityLimitationReason === 'bandwidth') bandwidthLimited = true;
          // The simulcast layers going out: frames encoded in the window, by rid.
          if (qualityDue && s.kind === 'video' && s.rid) {
            const frames = s.framesEncoded ?? 0;
            const before = this.#counters.get(s.id);
            this.#counters.set(s.id, { received: 0, lost: 0, frames, freezes: 0 });
            if (before) encoded.set(s.rid, frames - before.frames);
          }
          return;
        case 'media-source':
          if (s.kind === 'audio' && typeof s.totalAudioEnergy === 'number' && selfId) {
            const reading = { energy: s.totalAudioEnergy, duration: s.totalSamplesDuration ?? 0 };
            const level = windowLevel(this.#energy.get(s.id), reading);
            this.#energy.set(s.id, reading);
            // Muted: silence goes out whatever the microphone hears.
            if (level !== null) levels.set(selfId, this.#micMuted || !this.#mic?.enabled ? 0 : level);
          }
          return;
        case 'remote-inbound-rtp':
          // What the SFU reports of our streams: the worst of them.
          if (typeof s.roundTripTime === 'number') selfRtt = Math.max(selfRtt, s.roundTripTime * 1000);
          if (typeof s.fractionLost === 'number') selfLoss = Math.max(selfLoss, s.fractionLost);
          return;
        case 'transport':
          if (s.selectedCandidatePairId) selectedPair = s.selectedCandidatePairId;
          return;
        case 'candidate-pair':
          pairs.set(s.id, s);
          return;
        default:
          return;
      }
    });

    const pair = pairs.get(selectedPair) ?? [...pairs.values()].find((p) => p.nominated && p.state === 'succeeded');
    // Nothing at all from the SFU for a while although we send (its RTCP feedback on our media comes many times a
    // second): it has forgotten us, or the path is gone; the browser's ICE would take longer to say so. (A page that
    // sends nothing may legitimately hear nothing but ICE checks every few seconds.)
    const silentMs = typeof pair?.lastPacketReceivedTimestamp === 'number' ? pair.timestamp - pair.lastPacketReceivedTimestamp : 0;
    const sending = Boolean(this.#audioSender?.track || this.#videoSender?.track);
    if (silentMs > SILENT_MS && sending) {
      this.#lost(pc, `nothing received for ${Math.round(silentMs)} ms`);
      return;
    }

    this.#lastLevels = levels;
    const speaker = this.#tracker.update(levels, now);
    if (speaker !== this.#speaker) {
      this.#speaker = speaker;
      this.#options.onSpeaker?.(speaker);
    }
    if (!qualityDue) return;
    this.#lastQualityAt = now;

    if (selfRtt < 0 && typeof pair?.currentRoundTripTime === 'number') selfRtt = pair.currentRoundTripTime * 1000;
    if (selfRtt >= 0) self.rttMs = selfRtt;
    if (selfLoss >= 0) self.lossFraction = selfLoss;
    // The estimate only grows as far as what we send needs: it says something of the network only when the browser
    // says the uplink holds our video back (not for a receive-only page, a camera off, or a busy CPU).
    if (typeof pair?.availableOutgoingBitrate === 'number' && bandwidthLimited) {
      self.availableKbps = pair.availableOutgoingBitrate / 1000;
    }
    this.#lastUplink = self;
    if (this.#simulcast && this.#simulcastGuard.update({ top: encoded.get('h'), low: encoded.get('l') }, now)) {
      this.#simulcastAllowed = false;
      console.info(`media: the top layer starves (${encoded.get('h')} frames, ${encoded.get('l')} in the low one); going on with one layer`);
      this.#enqueue(() => this.#connect());
    }

    /** @type {Map<string, Quality>} */
    const quality = new Map();
    /** @type {Set<string>} */
    const stalled = new Set();
    /** @type {Record<string, LinkSample>} */
    const links = {};
    if (selfId) quality.set(selfId, classifyLink(self));
    for (const [memberId, m] of members) {
      if (m.fresh && m.received === 0) continue;
      const expected = m.received + m.lost;
      // The SFU numbers the packets it forwards afresh, so `packetsLost` only sees the loss between it and us, never
      // the loss on the member's own uplink; what that did to their voice shows as concealment here.
      const concealed = m.samples > 0 ? m.concealed / m.samples : 0;
      /** @type {LinkSample} */
      const link = {
        // Audio or decoded pictures: the SFU's padding (it probes our bandwidth on the video streams) arrives even
        // while nothing of the member does.
        receiving: m.audio > 0 || m.frames > 0,
        lossFraction: Math.max(expected > 0 ? m.lost / expected : 0, concealed),
        jitterMs: m.audioJitter ?? m.videoJitter,
        framesPerSecond: m.frames > 0 ? m.fps : undefined,
        freezes: m.freezes,
      };
      links[memberId] = link;
      quality.set(memberId, classifyLink(link));
      // A stream that has just started (a reconnection waiting for its first keyframe) keeps the last picture.
      if (m.video && m.frames === 0 && !m.fresh && !m.young) stalled.add(memberId);
    }
    // A member's video track with no stats at all has never delivered a packet (once it had time to).
    for (const [memberId, stream] of this.#remote) {
      const track = stream.getVideoTracks()[0];
      if (!track || members.has(memberId) || this.#stale) continue;
      if (!this.#firstSeen.has(track.id)) this.#firstSeen.set(track.id, now);
      if (now - (this.#firstSeen.get(track.id) ?? now) >= STALL_AFTER_MS) stalled.add(memberId);
    }
    this.#lastLinks = links;
    // While our own connection is being replaced, nothing is judged: the tiles keep their last picture.
    this.#stalled = this.#state === 'connected' ? stalled : this.#stalled;
    this.#report(quality, this.#stalled);
  }

  /**
   * @param {Map<string, Quality>} quality
   * @param {Set<string>} stalled
   */
  #report(quality, stalled) {
    this.#quality = quality;
    this.#options.onStats?.({ quality, stalled });
  }


}

/**
 * Hints for the camera track. `motion`: under CPU or bandwidth pressure the browser lowers the resolution and keeps
 * the frame rate (Chrome's maintain-framerate). A hearing is talk: fluid lips and gestures keep speech readable, and
 * a face stays recognisable at a lower resolution, whereas a choppy picture tires everyone.
 * @param {MediaStreamTrack} track
 */
function prepareCamera(track) {
  if ('contentHint' in track) track.contentHint = 'motion';
}

/**
 * The microphone's line: audio goes first when the network is congested (priority), as speech is what a hearing
 * cannot lose. The SDP stays as the browser makes it (Opus with its defaults).
 * @param {RTCPeerConnection} pc
 * @param {MediaStreamTrack} track
 * @param {MediaStream} stream
 * @returns {RTCRtpSender}
 */
function addAudio(pc, track, stream) {
  try {
    return pc.addTransceiver(track, { direction: 'sendonly', streams: [stream], sendEncodings: [{ priority: 'high', networkPriority: 'high' }] }).sender;
  } catch {
    return pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] }).sender;
  }
}

/**
 * The camera's line: two simulcast layers where the browser takes them and the picture is large enough, else one.
 * Without a track (camera off for now) the line is still made, so that the camera comes back by `replaceTrack`.
 * @param {RTCPeerConnection} pc
 * @param {MediaStreamTrack | null} track
 * @param {MediaStream} stream
 * @param {boolean} simulcast whether to try two layers
 * @returns {{sender: RTCRtpSender, simulcast: boolean}}
 */
function addVideo(pc, track, stream, simulcast) {
  if (track) prepareCamera(track);
  /** @type {RTCRtpTransceiverInit} */
  const init = { direction: 'sendonly', streams: [stream] };
  if (simulcast && simulcastFits(track?.getSettings() ?? {})) {
    try {
      const transceiver = pc.addTransceiver(track ?? 'video', { ...init, sendEncodings: SIMULCAST_LAYERS.map((layer) => ({ ...layer })) });
      const encodings = transceiver.sender.getParameters().encodings ?? [];
      if (encodings.length >= 2) return { sender: transceiver.sender, simulcast: true };
      // A browser that took only the first layer: give it the single layer's settings.
      void single(transceiver.sender);
      return { sender: transceiver.sender, simulcast: false };
    } catch (error) {
      console.info('media: no simulcast here', error);
    }
  }
  const transceiver = pc.addTransceiver(track ?? 'video', { ...init, sendEncodings: [{ ...SINGLE_LAYER }] });
  return { sender: transceiver.sender, simulcast: false };
}

/**
 * Best effort: one full-size layer at the top layer's cap.
 * @param {RTCRtpSender} sender
 */
async function single(sender) {
  try {
    const parameters = sender.getParameters();
    const first = parameters.encodings[0];
    if (!first) return;
    first.scaleResolutionDownBy = 1;
    first.maxBitrate = SINGLE_LAYER.maxBitrate;
    delete first.maxFramerate;
    await sender.setParameters(parameters);
  } catch (error) {
    console.info('media: single layer unchanged', error);
  }
}
