/**
 * The local camera and microphone: asking for them (`getUserMedia`) with an audio-only fallback when there is no
 * camera, telling refusals apart, listing devices, a microphone level meter (Web Audio `AnalyserNode`), and the one
 * local stream the hearing room keeps for its self preview (`localMedia`).
 */

/**
 * Why the camera and microphone could not be used:
 * `denied` — the user or the browser refused (NotAllowedError); `notfound` — no microphone (nor camera);
 * `busy` — another app holds the device (NotReadableError); `insecure` — not an https page;
 * `unsupported` — the browser (an in-app WebView) offers no camera access at all; `other`.
 * @typedef {'denied' | 'notfound' | 'busy' | 'insecure' | 'unsupported' | 'other'} MediaProblem
 */

/** @typedef {'user' | 'environment'} FacingMode */

/**
 * @typedef {Object} MediaChoice
 * @property {string} [videoDeviceId] a camera from `listDevices()`
 * @property {string} [audioDeviceId] a microphone from `listDevices()`
 * @property {FacingMode} [facingMode] on phones: the front (`user`) or back (`environment`) camera
 */

/**
 * @typedef {Object} LocalMedia
 * @property {MediaStream} stream
 * @property {boolean} audioOnly no camera was found: the stream has audio only
 */

/** A failure to get the camera and microphone, with its kind. */
export class MediaAccessError extends Error {
  /**
   * @param {MediaProblem} kind
   * @param {unknown} [cause]
   */
  constructor(kind, cause) {
    super(`media: ${kind}${cause instanceof Error ? ` (${cause.name}: ${cause.message})` : ''}`);
    this.name = 'MediaAccessError';
    /** @type {MediaProblem} */
    this.kind = kind;
  }
}

/**
 * @param {unknown} error
 * @returns {MediaProblem}
 */
export function classifyMediaError(error) {
  if (error instanceof MediaAccessError) return error.kind;
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
      return 'denied';
    case 'SecurityError':
      return window.isSecureContext ? 'denied' : 'insecure';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'notfound';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'busy';
    default:
      return 'other';
  }
}

/** @returns {MediaProblem | null} why this page cannot ask for the camera at all, or null when it can */
export function mediaUnavailable() {
  if (!window.isSecureContext) return 'insecure';
  if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== 'function') return 'unsupported';
  return null;
}

/**
 * @param {MediaChoice} choice
 * @returns {MediaTrackConstraints}
 */
function videoConstraints(choice) {
  /** @type {MediaTrackConstraints} */
  const video = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24, max: 30 } };
  if (choice.videoDeviceId) video.deviceId = { exact: choice.videoDeviceId };
  else if (choice.facingMode) video.facingMode = { ideal: choice.facingMode };
  return video;
}

/**
 * @param {MediaChoice} choice
 * @returns {MediaTrackConstraints}
 */
function audioConstraints(choice) {
  /** @type {MediaTrackConstraints} */
  const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  if (choice.audioDeviceId) audio.deviceId = { exact: choice.audioDeviceId };
  return audio;
}

/**
 * Ask for the camera and the microphone. Without a camera (NotFoundError), fall back to the microphone alone.
 * A chosen device that has gone is replaced by the default one.
 * @param {MediaChoice} [choice]
 * @returns {Promise<LocalMedia>}
 * @throws {MediaAccessError}
 */
export async function openLocalMedia(choice = {}) {
  const unavailable = mediaUnavailable();
  if (unavailable) throw new MediaAccessError(unavailable);
  const devices = navigator.mediaDevices;
  try {
    const stream = await devices.getUserMedia({ audio: audioConstraints(choice), video: videoConstraints(choice) });
    return { stream, audioOnly: stream.getVideoTracks().length === 0 };
  } catch (error) {
    const kind = classifyMediaError(error);
    if (kind !== 'notfound') throw new MediaAccessError(kind, error);
    if (choice.videoDeviceId || choice.audioDeviceId) {
      // The chosen device was unplugged: try the defaults before concluding there is no camera.
      return openLocalMedia({ facingMode: choice.facingMode });
    }
  }
  // No camera: the microphone alone.
  try {
    const stream = await devices.getUserMedia({ audio: audioConstraints(choice), video: false });
    return { stream, audioOnly: true };
  } catch (error) {
    throw new MediaAccessError(classifyMediaError(error), error);
  }
}

/**
 * The cameras and microphones (with their names once access was granted).
 * @returns {Promise<{cameras: MediaDeviceInfo[], microphones: MediaDeviceInfo[]}>}
 */
export async function listDevices() {
  if (!navigator.mediaDevices?.enumerateDevices) return { cameras: [], microphones: [] };
  const all = await navigator.mediaDevices.enumerateDevices();
  const real = (/** @type {MediaDeviceInfo} */ d) => d.deviceId !== '' && d.deviceId !== 'default' && d.deviceId !== 'communications';
  return {
    cameras: all.filter((d) => d.kind === 'videoinput' && d.deviceId !== ''),
    microphones: all.filter((d) => d.kind === 'audioinput' && real(d)),
  };
}

/**
 * Stop every track of a stream.
 * @param {MediaStream | null | undefined} stream
 */
export function stopStream(stream) {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

/**
 * The device id a stream's track of `kind` uses, when the browser says.
 * @param {MediaStream | null | undefined} stream
 * @param {'audio' | 'video'} kind
 * @returns {string}
 */
export function trackDeviceId(stream, kind) {
  const track = kind === 'audio' ? stream?.getAudioTracks()[0] : stream?.getVideoTracks()[0];
  return track?.getSettings().deviceId ?? '';
}

/** The microphone's loudness, about ten times a second, as a number from 0 to 1. */
export class LevelMeter {
  /** @type {AudioContext | null} */
  #context = null;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #timer;
  #onGesture = () => {
    void this.#context?.resume();
  };

  /**
   * @param {MediaStream} stream with an audio track
   * @param {(level: number) => void} onLevel
   */
  constructor(stream, onLevel) {
    const Context = window.AudioContext ?? /** @type {{webkitAudioContext?: typeof AudioContext}} */ (/** @type {unknown} */ (window)).webkitAudioContext;
    if (!Context || stream.getAudioTracks().length === 0) return;
    const context = new Context();
    this.#context = context;
    const source = context.createMediaStreamSource(stream);
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    analyser.smoothingTimeConstant = 0.3;
    source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    let shown = 0;
    this.#timer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      const rms = Math.sqrt(sum / samples.length);
      // Speech sits around 0.02–0.2 RMS: a square-root scale makes quiet speech visible.
      const level = Math.min(1, Math.sqrt(rms * 5));
      // Rise fast, fall slowly, like a VU meter.
      shown = level > shown ? level : shown * 0.8 + level * 0.2;
      onLevel(shown);
    }, 100);
    // Browsers start audio only after the user touched the page.
    if (context.state === 'suspended') {
      void context.resume();
      document.addEventListener('pointerdown', this.#onGesture, true);
      document.addEventListener('keydown', this.#onGesture, true);
    }
  }

  /** @returns {boolean} the browser waits for a touch before it lets the meter listen */
  get suspended() {
    return this.#context?.state === 'suspended';
  }

  stop() {
    clearInterval(this.#timer);
    document.removeEventListener('pointerdown', this.#onGesture, true);
    document.removeEventListener('keydown', this.#onGesture, true);
    void this.#context?.close().catch(() => {});
    this.#context = null;
  }
}

/**
 * The local media the hearing room keeps between screens (the self preview), and who shows it.
 * Only the camera is kept: the microphone is released after the self-test until live media arrives.
 */
class LocalMediaHolder {
  /** @type {MediaStream | null} */
  stream = null;
  audioOnly = false;
  /** @type {FacingMode} */
  facingMode = 'user';
  /** @type {Set<() => void>} */
  #listeners = new Set();

  /**
   * Keep `stream` (its audio tracks stopped) in place of the previous one.
   * @param {MediaStream} stream
   * @param {boolean} audioOnly
   * @param {FacingMode} facingMode
   */
  keep(stream, audioOnly, facingMode) {
    for (const track of stream.getAudioTracks()) track.stop();
    if (this.stream && this.stream !== stream) stopStream(this.stream);
    this.stream = audioOnly ? null : stream;
    this.audioOnly = audioOnly;
    this.facingMode = facingMode;
    this.#changed();
  }

  /** Stop everything (leaving). */
  release() {
    stopStream(this.stream);
    this.stream = null;
    this.#changed();
  }

  /**
   * @param {() => void} listener
   * @returns {() => void} stops listening
   */
  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed() {
    for (const listener of [...this.#listeners]) listener();
  }
}

/** The page's one local media holder. */
export const localMedia = new LocalMediaHolder();
