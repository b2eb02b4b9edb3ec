//! VP8 in IVF: the writer of a recorded video track, a reader of such files (for tests and
//! the load bot), and the repair that recovery runs on a file a crash left behind.
//!
//! IVF is a 32-byte file header followed by frames, each a 12-byte header (size u32 LE,
//! timestamp u64 LE) and the frame. Timestamps are the RTP clock (1/90000 s) relative to
//! the first keyframe, so gaps in time stay gaps.
//!
//! The header field at offset 24: libvpx' tools write the frame count there, but
//! libavformat (ffmpeg, ffprobe) reads it as the stream's duration in time-base units and
//! its own IVF muxer writes that. With a 1/90000 time base a frame count there would make
//! ffprobe report a 45-frame clip as lasting 0.5 ms, so the writer patches in the duration
//! (in 1/90000 s) on close; libvpx' reader ignores the field. A file left by a crash has 0
//! there, which ffprobe reads as an unknown duration: the frames still decode, and
//! recovery patches it.

use super::ogg::read_full;
use super::sink::Sink;
use super::{Outcome, RecordingError, Skip, WriterSummary, io_error};
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The RTP clock of video, and the time base of the IVF files written.
pub const VIDEO_CLOCK: u32 = 90_000;
const HEADER_LEN: u64 = 32;
const FRAME_HEADER_LEN: u64 = 12;
/// Far above any VP8 frame a browser sends; bounds what a hostile file makes us allocate.
const MAX_FRAME: u32 = 16 * 1024 * 1024;
/// The frame interval assumed before two frames have been seen (30 frames/s).
const DEFAULT_FRAME_INTERVAL: u64 = 3_000;
/// A forward jump of the RTP clock beyond this (a day) is a sender's timestamp reset, not
/// time passing: the frame follows the previous one instead.
const MAX_JUMP: u64 = VIDEO_CLOCK as u64 * 86_400;

/// The size of a VP8 keyframe (RFC 6386 §9.1: the 3-byte frame tag with the key-frame bit
/// clear, the start code 9d 01 2a, then 14-bit width and height); `None` for an inter
/// frame or anything that is not a well-formed keyframe.
pub fn vp8_keyframe_size(frame: &[u8]) -> Option<(u16, u16)> {
    if frame.len() < 10 {
        return None;
    }
    let tag = u32::from(frame[0]) | u32::from(frame[1]) << 8 | u32::from(frame[2]) << 16;
    let inter = tag & 1 != 0;
    let version = (tag >> 1) & 7;
    if inter || version > 3 || frame[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let width = u16::from_le_bytes([frame[6], frame[7]]) & 0x3fff;
    let height = u16::from_le_bytes([frame[8], frame[9]]) & 0x3fff;
    (width > 0 && height > 0).then_some((width, height))
}

fn file_header(width: u16, height: u16, length: u32) -> [u8; HEADER_LEN as usize] {
    let mut header = [0u8; HEADER_LEN as usize];
    header[0..4].copy_from_slice(b"DKIF");
    header[4..6].copy_from_slice(&0u16.to_le_bytes());
    header[6..8].copy_from_slice(&(HEADER_LEN as u16).to_le_bytes());
    header[8..12].copy_from_slice(b"VP80");
    header[12..14].copy_from_slice(&width.to_le_bytes());
    header[14..16].copy_from_slice(&height.to_le_bytes());
    // Time base 1/90000: denominator (rate) first, then numerator (scale).
    header[16..20].copy_from_slice(&VIDEO_CLOCK.to_le_bytes());
    header[20..24].copy_from_slice(&1u32.to_le_bytes());
    header[24..28].copy_from_slice(&length.to_le_bytes());
    header
}

/// The header's length field for a stream whose last frame starts at `last_pts` (see the
/// module note: a duration in 1/90000 s; 0, "unknown", past what 32 bits hold, 13 h).
fn length_field(last_pts: u64, interval: u64) -> u32 {
    u32::try_from(last_pts.saturating_add(interval)).unwrap_or(0)
}

fn patch_length(file: &mut File, length: u32) -> io::Result<()> {
    file.seek(SeekFrom::Start(24))?;
    file.write_all(&length.to_le_bytes())?;
    file.sync_all()
}

/// Writes one VP8 track to `{dir}/{stem}.ivf`. Nothing is written, not even the file,
/// until the first keyframe: the frames before it cannot be decoded.
pub struct IvfWriter {
    path: PathBuf,
    out: Option<Sink>,
    size: Option<(u16, u16)>,
    first_rtp: Option<u64>,
    last_pts: Option<u64>,
    /// The latest interval between two frames (90 kHz), for the last frame's duration.
    interval: u64,
    frames: u64,
}

impl IvfWriter {
    /// Prepares `{dir}/{stem}.ivf`; fails if that file exists (it is never overwritten).
    pub fn create(dir: &Path, stem: &str) -> Result<Self, RecordingError> {
        let path = dir.join(format!("{stem}.ivf"));
        if path.exists() {
            return Err(RecordingError::Exists(path));
        }
        Ok(Self {
            path,
            out: None,
            size: None,
            first_rtp: None,
            last_pts: None,
            interval: DEFAULT_FRAME_INTERVAL,
            frames: 0,
        })
    }

    /// The file written (it exists once the first keyframe came).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The picture size, from the first keyframe.
    pub fn size(&self) -> Option<(u16, u16)> {
        self.size
    }

    /// Whether [`write`](Self::write) would take this frame; `Err` says why not.
    pub fn check(&self, frame: &[u8]) -> Result<(), Skip> {
        if frame.is_empty() {
            return Err(Skip::Invalid);
        }
        if frame.len() > MAX_FRAME as usize {
            return Err(Skip::TooLarge);
        }
        let keyframe_bit_clear = frame[0] & 1 == 0;
        match (self.out.is_some(), keyframe_bit_clear) {
            // A frame claiming to be a keyframe must be a well-formed one.
            (_, true) if vp8_keyframe_size(frame).is_none() => Err(Skip::Invalid),
            (false, false) => Err(Skip::BeforeKeyframe),
            _ => Ok(()),
        }
    }

    /// Adds one VP8 frame whose (extended, 90 kHz) RTP time is `rtp_time`.
    pub fn write(&mut self, rtp_time: u64, frame: &[u8]) -> Result<Outcome, RecordingError> {
        if let Err(skip) = self.check(frame) {
            return Ok(Outcome::Skipped(skip));
        }
        let out = match &mut self.out {
            Some(out) => out,
            None => {
                let Some((width, height)) = vp8_keyframe_size(frame) else {
                    return Ok(Outcome::Skipped(Skip::BeforeKeyframe));
                };
                let mut sink = Sink::create_new(&self.path)?;
                sink.write_all(&file_header(width, height, 0))
                    .map_err(io_error("write", &self.path))?;
                self.size = Some((width, height));
                self.first_rtp = Some(rtp_time);
                self.out.insert(sink)
            }
        };
        let first = self.first_rtp.unwrap_or(rtp_time);
        // Timestamps only go forward (a muxer rejects anything else).
        let pts = match self.last_pts {
            None => 0,
            Some(last) => {
                let pts = match rtp_time.saturating_sub(first) {
                    pts if pts <= last => last.saturating_add(1),
                    pts if pts - last > MAX_JUMP => last.saturating_add(self.interval),
                    pts => pts,
                };
                let interval = pts.saturating_sub(last);
                if interval <= u64::from(VIDEO_CLOCK) {
                    self.interval = interval;
                }
                pts
            }
        };
        let mut frame_header = [0u8; FRAME_HEADER_LEN as usize];
        frame_header[0..4].copy_from_slice(&(frame.len() as u32).to_le_bytes());
        frame_header[4..12].copy_from_slice(&pts.to_le_bytes());
        out.write_all(&frame_header)
            .and_then(|()| out.write_all(frame))
            .and_then(|()| out.commit())
            .map_err(io_error("write", &self.path))?;
        self.last_pts = Some(pts);
        self.frames += 1;
        Ok(Outcome::Written)
    }

    /// Flushes, patches the header's length field and syncs the file.
    pub fn close(self) -> Result<WriterSummary, RecordingError> {
        let mut bytes = 0;
        if let Some(sink) = self.out {
            bytes = sink.written();
            let mut file = sink.finish().map_err(io_error("close", &self.path))?;
            let length = length_field(self.last_pts.unwrap_or(0), self.interval);
            patch_length(&mut file, length).map_err(io_error("patch the header of", &self.path))?;
        }
        Ok(WriterSummary {
            end_rtp: self
                .first_rtp
                .zip(self.last_pts)
                .map(|(first, last)| first.saturating_add(last).saturating_add(self.interval)),
            path: self.path,
            packets: self.frames,
            bytes,
            first_rtp: self.first_rtp,
            size: self.size,
        })
    }
}

/// What recovery made of an IVF file a crash left: its intact frames, the end of the last
/// one (90 kHz, from the first), and the torn bytes cut off its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IvfRepair {
    pub(crate) frames: u64,
    pub(crate) end: Option<u64>,
    pub(crate) truncated: u64,
    pub(crate) bytes: u64,
    pub(crate) size: (u16, u16),
}

/// Cuts a torn last frame off `path` and patches the header's length field. `None` when
/// the file does not even hold an IVF header (then it is left untouched).
pub(crate) fn repair(path: &Path) -> io::Result<Option<IvfRepair>> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let total = file.metadata()?.len();
    let mut input = BufReader::new(&mut file);
    let mut header = [0u8; HEADER_LEN as usize];
    if read_full(&mut input, &mut header)? < header.len() || &header[..4] != b"DKIF" {
        return Ok(None);
    }
    let header_len = u64::from(u16::from_le_bytes([header[6], header[7]])).max(HEADER_LEN);
    input.seek(SeekFrom::Start(header_len))?;
    let mut valid = header_len;
    let (mut frames, mut last_pts, mut interval) = (0u64, None::<u64>, DEFAULT_FRAME_INTERVAL);
    loop {
        let mut frame_header = [0u8; FRAME_HEADER_LEN as usize];
        if read_full(&mut input, &mut frame_header)? < frame_header.len() {
            break;
        }
        let size = u32::from_le_bytes([
            frame_header[0],
            frame_header[1],
            frame_header[2],
            frame_header[3],
        ]);
        let mut pts_bytes = [0u8; 8];
        pts_bytes.copy_from_slice(&frame_header[4..12]);
        let pts = u64::from_le_bytes(pts_bytes);
        if size > MAX_FRAME || valid + FRAME_HEADER_LEN + u64::from(size) > total {
            break;
        }
        input.seek_relative(i64::from(size))?;
        if let Some(last) = last_pts
            && pts > last
            && pts - last <= u64::from(VIDEO_CLOCK)
        {
            interval = pts - last;
        }
        last_pts = Some(pts);
        frames += 1;
        valid += FRAME_HEADER_LEN + u64::from(size);
    }
    drop(input);
    let valid = valid.min(total);
    if valid < total {
        file.set_len(valid)?;
    }
    patch_length(&mut file, length_field(last_pts.unwrap_or(0), interval))?;
    Ok(Some(IvfRepair {
        frames,
        end: last_pts.map(|last| last.saturating_add(interval)),
        truncated: total - valid,
        bytes: valid,
        size: (
            u16::from_le_bytes([header[12], header[13]]),
            u16::from_le_bytes([header[14], header[15]]),
        ),
    }))
}

/// An IVF file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IvfHeader {
    pub fourcc: [u8; 4],
    pub width: u16,
    pub height: u16,
    /// The time base is `timebase_num / timebase_den` seconds.
    pub timebase_den: u32,
    pub timebase_num: u32,
    /// Offset 24: a frame count (libvpx) or a duration in time-base units (ffmpeg).
    pub length: u32,
}

/// One frame read from an IVF file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvfFrame {
    /// In time-base units.
    pub pts: u64,
    pub data: Vec<u8>,
}

/// Reads the frames of an IVF file.
pub struct IvfReader<R: Read> {
    inner: R,
    header: IvfHeader,
}

impl IvfReader<BufReader<File>> {
    /// Opens an IVF file.
    pub fn open(path: &Path) -> io::Result<Self> {
        Self::new(BufReader::new(File::open(path)?))
    }
}

impl<R: Read> IvfReader<R> {
    /// Reads the file header.
    pub fn new(mut inner: R) -> io::Result<Self> {
        let mut header = [0u8; HEADER_LEN as usize];
        inner.read_exact(&mut header)?;
        if &header[..4] != b"DKIF" {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not an IVF file (no DKIF)",
            ));
        }
        let header_len = u64::from(u16::from_le_bytes([header[6], header[7]]));
        if header_len > HEADER_LEN {
            io::copy(
                &mut (&mut inner).take(header_len - HEADER_LEN),
                &mut io::sink(),
            )?;
        }
        let word = |at: usize| {
            u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let header = IvfHeader {
            fourcc: [header[8], header[9], header[10], header[11]],
            width: u16::from_le_bytes([header[12], header[13]]),
            height: u16::from_le_bytes([header[14], header[15]]),
            timebase_den: word(16),
            timebase_num: word(20),
            length: word(24),
        };
        Ok(Self { inner, header })
    }

    /// The file header.
    pub fn header(&self) -> &IvfHeader {
        &self.header
    }

    /// The next frame; `None` at the end of the file, an error for a torn frame.
    pub fn next_frame(&mut self) -> io::Result<Option<IvfFrame>> {
        let mut frame_header = [0u8; FRAME_HEADER_LEN as usize];
        match read_full(&mut self.inner, &mut frame_header)? {
            0 => return Ok(None),
            n if n < frame_header.len() => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "torn IVF frame header",
                ));
            }
            _ => {}
        }
        let size = u32::from_le_bytes([
            frame_header[0],
            frame_header[1],
            frame_header[2],
            frame_header[3],
        ]);
        if size > MAX_FRAME {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("IVF frame of {size} bytes"),
            ));
        }
        let mut pts = [0u8; 8];
        pts.copy_from_slice(&frame_header[4..12]);
        let mut data = vec![0u8; size as usize];
        self.inner.read_exact(&mut data)?;
        Ok(Some(IvfFrame {
            pts: u64::from_le_bytes(pts),
            data,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A keyframe's first bytes: frame tag (key, version 0, shown), start code, 320x240.
    fn keyframe() -> Vec<u8> {
        let mut frame = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a];
        frame.extend_from_slice(&320u16.to_le_bytes());
        frame.extend_from_slice(&240u16.to_le_bytes());
        frame.extend_from_slice(&[0u8; 20]);
        frame
    }

    #[test]
    fn keyframe_header() {
        assert_eq!(vp8_keyframe_size(&keyframe()), Some((320, 240)));
        let mut scaled = keyframe();
        scaled[7] |= 0xc0; // the 2-bit scale above the 14-bit width
        assert_eq!(vp8_keyframe_size(&scaled), Some((320, 240)));
        let mut inter = keyframe();
        inter[0] |= 1;
        assert_eq!(vp8_keyframe_size(&inter), None);
        let mut bad_code = keyframe();
        bad_code[4] = 0;
        assert_eq!(vp8_keyframe_size(&bad_code), None);
        assert_eq!(vp8_keyframe_size(&keyframe()[..9]), None);
    }

    #[test]
    fn waits_for_a_keyframe_writes_and_reads_back() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut writer = IvfWriter::create(dir.path(), "v")?;
        assert_eq!(
            writer.write(10, &[0x01, 2, 3])?,
            Outcome::Skipped(Skip::BeforeKeyframe)
        );
        assert!(!writer.path().exists());
        assert_eq!(writer.write(20, &keyframe())?, Outcome::Written);
        assert_eq!(writer.write(3_020, &[0x01, 2, 3])?, Outcome::Written);
        // A frame that goes back in time is placed just after the previous one.
        assert_eq!(writer.write(1_000, &[0x01, 4])?, Outcome::Written);
        assert_eq!(writer.write(9_020, &[0x01, 5])?, Outcome::Written);
        let summary = writer.close()?;
        assert_eq!(summary.packets, 4);
        assert_eq!(summary.size, Some((320, 240)));

        let mut reader = IvfReader::open(&dir.path().join("v.ivf"))?;
        let header = *reader.header();
        assert_eq!(&header.fourcc, b"VP80");
        assert_eq!((header.width, header.height), (320, 240));
        assert_eq!((header.timebase_num, header.timebase_den), (1, 90_000));
        let mut pts = Vec::new();
        while let Some(frame) = reader.next_frame()? {
            pts.push(frame.pts);
        }
        assert_eq!(pts, [0, 3_000, 3_001, 9_000]);
        // The length field holds the duration: last frame + its interval.
        assert_eq!(header.length, 9_000 + 5_999);
        Ok(())
    }

    #[test]
    fn repair_cuts_a_torn_frame_and_patches_the_length() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut writer = IvfWriter::create(dir.path(), "v")?;
        writer.write(0, &keyframe())?;
        writer.write(6_000, &[0x01, 2, 3])?;
        let path = writer.path().to_owned();
        // A crash: the writer is gone without closing, and half a frame follows.
        drop(writer);
        let intact = std::fs::metadata(&path)?.len();
        let mut file = OpenOptions::new().append(true).open(&path)?;
        file.write_all(&[100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3])?;
        drop(file);
        let repaired = repair(&path)?.ok_or("no header")?;
        assert_eq!(repaired.frames, 2);
        assert_eq!(repaired.truncated, 15);
        assert_eq!(repaired.end, Some(12_000));
        assert_eq!(std::fs::metadata(&path)?.len(), intact);
        let reader = IvfReader::open(&path)?;
        assert_eq!(reader.header().length, 12_000);
        Ok(())
    }

    #[test]
    fn garbage_does_not_panic() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let garbage = dir.path().join("g.ivf");
        let mut bytes = b"DKIF\0\0\xff\xffVP80".to_vec();
        bytes.extend((0u8..60).map(|i| i.wrapping_mul(97)));
        std::fs::write(&garbage, &bytes)?;
        if let Ok(mut reader) = IvfReader::open(&garbage) {
            while let Ok(Some(_)) = reader.next_frame() {}
        }
        let repaired = repair(&garbage)?.ok_or("no header")?;
        assert_eq!(repaired.frames, 0);
        std::fs::write(dir.path().join("h.ivf"), b"nope")?;
        assert_eq!(repair(&dir.path().join("h.ivf"))?, None);
        Ok(())
    }
}
