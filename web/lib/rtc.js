/**
 * The hearing's audio and video with the server's SFU: one RTCPeerConnection that publishes the local camera and
 * microphone (send-only) and receives every other member's tracks, negotiated over the hearing's live WebSocket
 * (unnumbered, per-connection messages). The microphone, released after the device check, is opened again here. We send `media.offer`, the server replies `media.answer`; later the server
 * sends `media.offer` when members' tracks come or go and we reply `media.answer`. Each remote track's stream id is
 * the publishing member's roster id, so tracks are grouped into one MediaStream per member. The session starts again
 * after every reconnection of the live channel (the server ends the old one with the old socket).
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
 * @typedef {Object} MediaSessionOptions
 * @property {(memberId: string, stream: MediaStream | null) => void} onRemote a member's media arrived, changed or left
 * @property {(code: string) => void} [onError] the server refused (e.g. `media_not_allowed`) or negotiation failed
 */

export class MediaSession {
  #live;
  #options;
  /** @type {MediaStream | null} */
  #local = null;
  /** The microphone, opened for the session. @type {MediaStreamTrack | null} */
  #mic = null;
  /** @type {RTCPeerConnection | null} */
  #pc = null;
  /** Remote media by member id. @type {Map<string, MediaStream>} */
  #remote = new Map();
  /** Signalling is handled one message at a time, in order. */
  #queue = Promise.resolve();
  #started = false;
  /** @type {Array<() => void>} */
  #unlisten = [];

  /**
   * @param {LiveClient} live
   * @param {MediaSessionOptions} options
   */
  constructor(live, options) {
    this.#live = live;
    this.#options = options;
  }

  /** @returns {ReadonlyMap<string, MediaStream>} remote media by member id */
  get remote() {
    return this.#remote;
  }

  /** @returns {RTCPeerConnection | null} for tests and diagnostics */
  get connection() {
    return this.#pc;
  }

  /**
   * Publish `local` (or only receive, without one) and receive the others; again after each reconnection.
   * @param {MediaStream | null} local
   */
  start(local) {
    if (this.#started) return;
    this.#started = true;
    this.#local = local;
    this.#unlisten.push(
      this.#live.on('message', (message) => {
        const type = /** @type {{type: string}} */ (message).type;
        if (type.startsWith('media.')) this.#enqueue(() => this.#handle(/** @type {MediaMessage} */ (/** @type {unknown} */ (message))));
      }),
      // A new connection of the live channel: the server forgot the old media session.
      this.#live.on('welcome', () => this.#enqueue(() => this.#offer())),
    );
    if (this.#live.status === 'connected') this.#enqueue(() => this.#offer());
  }

  /** Stop sending and receiving. */
  close() {
    this.#started = false;
    for (const unlisten of this.#unlisten) unlisten();
    this.#unlisten = [];
    if (this.#pc) this.#live.send({ type: 'media.leave' });
    this.#reset();
    this.#mic?.stop();
    this.#mic = null;
  }

  /** @returns {Promise<MediaStreamTrack | null>} the microphone (opened once; none when refused or absent) */
  async #microphone() {
    if (this.#mic?.readyState === 'live') return this.#mic;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
      this.#mic = stream.getAudioTracks()[0] ?? null;
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
    });
  }

  #reset() {
    this.#pc?.close();
    this.#pc = null;
    for (const memberId of [...this.#remote.keys()]) {
      this.#remote.delete(memberId);
      this.#options.onRemote(memberId, null);
    }
  }

  /** A fresh connection and our offer. */
  async #offer() {
    if (!this.#started) return;
    this.#reset();
    const mic = await this.#microphone();
    if (!this.#started) return;
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    this.#pc = pc;
    const video = this.#local?.getVideoTracks().filter((t) => t.readyState === 'live') ?? [];
    const tracks = mic ? [mic, ...video] : video;
    const outgoing = new MediaStream(tracks);
    for (const track of tracks) pc.addTransceiver(track, { direction: 'sendonly', streams: [outgoing] });
    // Nothing to publish: one receive-only line so the offer is not empty.
    if (tracks.length === 0) pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addEventListener('track', (event) => this.#onTrack(pc, event));
    await pc.setLocalDescription(await pc.createOffer());
    if (pc !== this.#pc) return;
    // ICE-lite server: it learns our address from our STUN checks, no candidates to trickle.
    this.#live.send({ type: 'media.offer', sdp: pc.localDescription?.sdp ?? '' });
  }

  /** @param {MediaMessage} message */
  async #handle(message) {
    const pc = this.#pc;
    switch (message.type) {
      case 'media.answer':
        if (pc && pc.signalingState === 'have-local-offer') await pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
        return;
      case 'media.offer': {
        if (!pc) return;
        await pc.setRemoteDescription({ type: 'offer', sdp: message.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        if (pc !== this.#pc) return;
        this.#live.send({ type: 'media.answer', sdp: pc.localDescription?.sdp ?? '' });
        this.#pruneEnded();
        return;
      }
      case 'media.closed':
        this.#reset();
        return;
      case 'media.error':
        this.#options.onError?.(message.code);
        return;
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
    // A member who came back: the old track of that kind is replaced.
    for (const old of stream.getTracks()) if (old.kind === event.track.kind) stream.removeTrack(old);
    stream.addTrack(event.track);
    event.track.addEventListener('ended', () => this.#pruneEnded());
    event.streams[0]?.addEventListener('removetrack', () => this.#pruneEnded());
    this.#options.onRemote(memberId, stream);
  }

  /** Drop tracks whose transceiver the server stopped (the member left). */
  #pruneEnded() {
    const pc = this.#pc;
    if (!pc) return;
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
        this.#remote.delete(memberId);
        this.#options.onRemote(memberId, null);
      } else if (changed) this.#options.onRemote(memberId, stream);
    }
  }
}
