/**
 * The local camera and microphone: asking for them (`getUserMedia`) with an audio-only fallback when there is no
 * camera, telling refusals apart, listing devices, opening the camera alone (`openCamera`: turned on again in the
 * room) or the next one (`openNextCamera`: 切换摄像头, front ↔ back on a phone, the next camera on a PC), a microphone
 * level meter (Web Audio `AnalyserNode`), and the one local stream the hearing room keeps for its self preview and
 * publishes (`localMedia`, with the devices last chosen).
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
 * Open a camera alone, without the microphone (the room's microphone is the media session's).
 * @param {MediaChoice} [choice]
 * @returns {Promise<MediaStream>}
 * @throws {MediaAccessError}
 */
export async function openCamera(choice = {}) {
  const unavailable = mediaUnavailable();
  if (unavailable) throw new MediaAccessError(unavailable);
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: false, video: videoConstraints(choice) });
  } catch (error) {
    const kind = classifyMediaError(error);
    // The chosen camera has gone: any camera rather than none.
    if (kind === 'notfound' && (choice.videoDeviceId || choice.facingMode)) return openCamera({});
    throw new MediaAccessError(kind, error);
  }
}

/**
 * Which way a camera track faces: what the browser says (phones), else `user` (a PC's webcam faces its user).
 * @param {MediaStreamTrack | null | undefined} track
 * @returns {FacingMode}
 */
export function cameraFacing(track) {
  const facing = track?.getSettings().facingMode;
  return facing === 'environment' ? 'environment' : 'user';
}

/**
 * Open the next camera (切换摄像头). A phone's cameras say which way they face: the other side is asked for
 * (front ↔ back); phones rarely open two cameras at once, so the current one is stopped first, and opened again when
 * the other fails. A PC's cameras do not say: the next one of the list is opened, then the current one stopped.
 * @param {MediaStreamTrack | null} current the camera in use
 * @param {FacingMode} facing which way it faces
 * @returns {Promise<{stream: MediaStream, facingMode: FacingMode, switched: boolean} | null>} the camera now in use
 *   (`switched` false: the other one failed and the phone's current one was opened again); null: no other camera
 * @throws {MediaAccessError} no camera could be opened (on a PC the current one is still running)
 */
export async function openNextCamera(current, facing) {
  const { cameras } = await listDevices();
  if (cameras.length < 2) return null;
  const settings = current?.getSettings() ?? {};
  if (settings.facingMode === 'user' || settings.facingMode === 'environment') {
    /** @type {FacingMode} */
    const next = facing === 'user' ? 'environment' : 'user';
    current?.stop();
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: false, video: { ...videoConstraints({}), facingMode: { exact: next } } });
      return { stream, facingMode: next, switched: true };
    } catch (error) {
      console.warn('media: the other camera did not open', error);
      // Back to the camera we had (without it the room would show nothing of us).
      return { stream: await openCamera({ facingMode: facing }), facingMode: facing, switched: false };
    }
  }
  const index = cameras.findIndex((c) => c.deviceId === settings.deviceId);
  const next = cameras[(index + 1) % cameras.length];
  if (!next || next.deviceId === settings.deviceId) return null;
  const stream = await openCamera({ videoDeviceId: next.deviceId });
  current?.stop();
  return { stream, facingMode: cameraFacing(stream.getVideoTracks()[0]), switched: true };
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
 * The local media the hearing room keeps between screens (the self preview, and the camera the room publishes), and
 * who shows it. Only the camera is kept: the microphone is released after the self-test until live media arrives (the
 * chosen one is remembered). `release()` also turns the camera off in the room (关闭摄像头).
 */
class LocalMediaHolder {
  /** @type {MediaStream | null} */
  stream = null;
  audioOnly = false;
  /** @type {FacingMode} */
  facingMode = 'user';
  /** The microphone last chosen (the device check's), for the room's media session; '' for the system's. */
  audioDeviceId = '';
  /** The camera last kept, to open it again when the camera is turned back on. */
  videoDeviceId = '';
  /** @type {Set<() => void>} */
  #listeners = new Set();

  /**
   * Keep `stream` (its audio tracks stopped) in place of the previous one.
   * @param {MediaStream} stream
   * @param {boolean} audioOnly
   * @param {FacingMode} facingMode
   */
  keep(stream, audioOnly, facingMode) {
    this.audioDeviceId = trackDeviceId(stream, 'audio') || this.audioDeviceId;
    if (!audioOnly) this.videoDeviceId = trackDeviceId(stream, 'video') || this.videoDeviceId;
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
