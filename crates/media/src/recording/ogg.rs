//! Opus in Ogg (RFC 7845): the writer of a recorded audio track, a reader of such files
//! (for tests and the load bot), and the page scan that recovery uses on a file a crash
//! left behind.
//!
//! Time: an Ogg page's granule position counts 48 kHz samples from the start of the
//! stream. The writer derives it from the packet's RTP timestamp (Opus' RTP clock is
//! 48 kHz), so a gap in the RTP timeline (lost packets, DTX silence, a pause) stays a gap
//! in the file's timeline: players and ffmpeg see the jump in granule positions. No packet
//! is ever fabricated to fill one.

use super::sink::Sink;
use super::{Outcome, RecordingError, Skip, WriterSummary, io_error};
use ::ogg::{PacketWriteEndInfo, PacketWriter};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

/// Opus' RTP clock and the unit of Ogg Opus granule positions.
pub const OPUS_CLOCK: u32 = 48_000;
/// The pre-skip written when none is given: libopus' usual encoder delay at 48 kHz.
pub const DEFAULT_PRE_SKIP: u16 = 312;
/// Larger than any valid Opus packet (120 ms of 1275-byte frames is about 61 KB).
const MAX_PACKET: usize = 64 * 1024;
/// Most samples one Opus packet may hold (120 ms at 48 kHz).
const MAX_PACKET_SAMPLES: u32 = 5760;
/// A forward jump of the RTP clock beyond this (a day) is a sender's timestamp reset, not
/// time passing: the packet follows the previous one instead.
const MAX_JUMP: u64 = OPUS_CLOCK as u64 * 86_400;

/// The samples (at 48 kHz) one Opus packet decodes to, from its TOC byte (RFC 6716 §3.1);
/// `None` for a packet that is not valid Opus (empty, no frame, more than 120 ms).
pub fn opus_packet_samples(packet: &[u8]) -> Option<u32> {
    let toc = *packet.first()?;
    let config = usize::from(toc >> 3);
    let frame = match config {
        0..=11 => [480, 960, 1920, 2880][config % 4],
        12..=15 => [480, 960][config % 2],
        _ => [120, 240, 480, 960][config % 4],
    };
    let frames = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => u32::from(*packet.get(1)? & 0x3f),
    };
    let samples = frame * frames;
    (frames > 0 && samples <= MAX_PACKET_SAMPLES).then_some(samples)
}

/// The identification header of an Ogg Opus stream (RFC 7845 §5.1), channel mapping
/// family 0 (mono or stereo) only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusHead {
    pub channels: u8,
    pub pre_skip: u16,
    pub input_sample_rate: u32,
    pub output_gain: i16,
    pub mapping_family: u8,
}

impl OpusHead {
    fn to_bytes(self) -> Vec<u8> {
        let mut head = Vec::with_capacity(19);
        head.extend_from_slice(b"OpusHead");
        head.push(1);
        head.push(self.channels);
        head.extend_from_slice(&self.pre_skip.to_le_bytes());
        head.extend_from_slice(&self.input_sample_rate.to_le_bytes());
        head.extend_from_slice(&self.output_gain.to_le_bytes());
        head.push(self.mapping_family);
        head
    }

    /// Parses an `OpusHead` packet.
    pub fn parse(packet: &[u8]) -> Option<Self> {
        if packet.len() < 19 || &packet[..8] != b"OpusHead" || packet[8] >> 4 != 0 {
            return None;
        }
        Some(Self {
            channels: packet[9],
            pre_skip: u16::from_le_bytes([packet[10], packet[11]]),
            input_sample_rate: u32::from_le_bytes([packet[12], packet[13], packet[14], packet[15]]),
            output_gain: i16::from_le_bytes([packet[16], packet[17]]),
            mapping_family: packet[18],
        })
    }
}

fn opus_tags() -> Vec<u8> {
    let vendor = b"cloudcourt";
    let mut tags = Vec::with_capacity(8 + 4 + vendor.len() + 4);
    tags.extend_from_slice(b"OpusTags");
    tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    tags.extend_from_slice(vendor);
    tags.extend_from_slice(&0u32.to_le_bytes());
    tags
}

/// Writes one Opus track to `{dir}/{stem}.ogg`, one packet per Ogg page.
///
/// Why a page per packet: a page is the unit a demuxer can use (it carries the CRC and
/// the granule position), so ending one per packet keeps everything but the packet in
/// flight after a crash, and gives every packet its exact RTP-derived time, so a gap lands
/// exactly where it happened. The cost, 28 bytes of page header per 20 ms packet (about
/// 11 kbit/s, a few MB per hour), is small beside video. The newest packet is held back
/// until the next one arrives so that the last page can carry the end-of-stream flag.
pub struct OggOpusWriter {
    out: PacketWriter<'static, Sink>,
    serial: u32,
    first_rtp: Option<u64>,
    /// The newest packet and its granule position, written when the next one comes.
    held: Option<(Vec<u8>, u64)>,
    /// The granule position after the newest packet accepted.
    granule: u64,
    /// The extended RTP time at the end of the newest packet accepted.
    end_rtp: Option<u64>,
    packets: u64,
}

impl OggOpusWriter {
    /// Creates `{dir}/{stem}.ogg` (never overwriting a file) and writes the `OpusHead`
    /// (48 kHz, `channels` 1 or 2, `pre_skip`) and `OpusTags` pages.
    pub fn create(
        dir: &Path,
        stem: &str,
        channels: u8,
        pre_skip: u16,
    ) -> Result<Self, RecordingError> {
        if !(1..=2).contains(&channels) {
            return Err(RecordingError::Channels(channels));
        }
        let path = dir.join(format!("{stem}.ogg"));
        let sink = Sink::create_new(&path)?;
        let mut out = PacketWriter::new(sink);
        let serial = serial_for(stem);
        let head = OpusHead {
            channels,
            pre_skip,
            input_sample_rate: OPUS_CLOCK,
            output_gain: 0,
            mapping_family: 0,
        };
        // RFC 7845: each header packet on a page of its own, granule position 0.
        let written = out
            .write_packet(head.to_bytes(), serial, PacketWriteEndInfo::EndPage, 0)
            .and_then(|()| out.write_packet(opus_tags(), serial, PacketWriteEndInfo::EndPage, 0))
            .and_then(|()| out.inner_mut().commit());
        written.map_err(io_error("write", &path))?;
        Ok(Self {
            out,
            serial,
            first_rtp: None,
            held: None,
            granule: 0,
            end_rtp: None,
            packets: 0,
        })
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        self.out.inner().path()
    }

    /// Whether [`write`](Self::write) would take this packet; `Err` says why not.
    pub fn check(&self, packet: &[u8]) -> Result<u32, Skip> {
        if packet.len() > MAX_PACKET {
            return Err(Skip::TooLarge);
        }
        opus_packet_samples(packet).ok_or(Skip::Invalid)
    }

    /// Adds one Opus packet whose first sample has the (extended, 48 kHz) RTP time
    /// `rtp_time`. Packets that are not valid Opus are skipped, not written.
    pub fn write(&mut self, rtp_time: u64, packet: &[u8]) -> Result<Outcome, RecordingError> {
        let samples = match self.check(packet) {
            Ok(samples) => u64::from(samples),
            Err(skip) => return Ok(Outcome::Skipped(skip)),
        };
        let first = *self.first_rtp.get_or_insert(rtp_time);
        // The granule position follows the RTP clock, so a gap in time stays a gap; it
        // never goes back (a reordered or overlapping packet follows the previous one).
        let next = self.granule.saturating_add(samples);
        let granule = match rtp_time.saturating_sub(first).saturating_add(samples) {
            granule if granule < next || granule - next > MAX_JUMP => next,
            granule => granule,
        };
        if let Some((held, held_granule)) = self.held.take() {
            self.write_page(held, held_granule, PacketWriteEndInfo::EndPage)?;
        }
        self.held = Some((packet.to_vec(), granule));
        self.granule = granule;
        self.end_rtp = Some(first.saturating_add(granule));
        self.packets += 1;
        Ok(Outcome::Written)
    }

    fn write_page(
        &mut self,
        packet: Vec<u8>,
        granule: u64,
        end: PacketWriteEndInfo,
    ) -> Result<(), RecordingError> {
        let serial = self.serial;
        let written = self
            .out
            .write_packet(packet, serial, end, granule)
            .and_then(|()| self.out.inner_mut().commit());
        written.map_err(|source| RecordingError::Io {
            action: "write",
            path: self.path().to_owned(),
            source,
        })
    }

    /// Writes the held packet on the last page (end of stream) and syncs the file.
    pub fn close(mut self) -> Result<WriterSummary, RecordingError> {
        if let Some((held, granule)) = self.held.take() {
            self.write_page(held, granule, PacketWriteEndInfo::EndStream)?;
        }
        let path: PathBuf = self.path().to_owned();
        let sink = self.out.into_inner();
        let bytes = sink.written();
        sink.finish().map_err(io_error("close", &path))?;
        Ok(WriterSummary {
            path,
            packets: self.packets,
            bytes,
            first_rtp: self.first_rtp,
            end_rtp: self.end_rtp,
            size: None,
        })
    }
}

/// A stream serial number that differs between a recording's files (FNV-1a of the name).
fn serial_for(stem: &str) -> u32 {
    stem.bytes().fold(0x811c_9dc5u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// One Opus packet read back from an Ogg file, with its place on the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusPacket {
    pub data: Vec<u8>,
    /// The granule position of its first sample (48 kHz samples from the stream's start,
    /// pre-skip included): the RTP time to send it with, relative to the first packet.
    pub start: u64,
    /// The samples it decodes to (from its TOC byte; 0 if it is not valid Opus).
    pub samples: u32,
}

/// Reads the Opus packets of an Ogg Opus file (its first logical stream), each with its
/// time from the page granule positions, so gaps in the file's timeline come out too.
pub struct OpusReader<R: Read + Seek> {
    packets: ::ogg::PacketReader<R>,
    head: OpusHead,
    serial: u32,
    /// Packets of the page being read: their time is known when the page ends.
    page: Vec<(Vec<u8>, u32)>,
    ready: VecDeque<OpusPacket>,
    /// The granule position after the last packet timed.
    end: u64,
    done: bool,
}

fn ogg_error(err: ::ogg::OggReadError) -> io::Error {
    match err {
        ::ogg::OggReadError::ReadError(err) => err,
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    }
}

impl OpusReader<BufReader<File>> {
    /// Opens an Ogg Opus file.
    pub fn open(path: &Path) -> io::Result<Self> {
        Self::new(BufReader::new(File::open(path)?))
    }
}

impl<R: Read + Seek> OpusReader<R> {
    /// Reads the `OpusHead` and `OpusTags` headers.
    pub fn new(inner: R) -> io::Result<Self> {
        let mut packets = ::ogg::PacketReader::new(inner);
        let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
        let first = packets
            .read_packet()
            .map_err(ogg_error)?
            .ok_or_else(|| invalid("empty Ogg file"))?;
        let head = OpusHead::parse(&first.data).ok_or_else(|| invalid("no OpusHead"))?;
        let serial = first.stream_serial();
        loop {
            let tags = packets
                .read_packet()
                .map_err(ogg_error)?
                .ok_or_else(|| invalid("no OpusTags"))?;
            if tags.stream_serial() == serial {
                break;
            }
        }
        Ok(Self {
            packets,
            head,
            serial,
            page: Vec::new(),
            ready: VecDeque::new(),
            end: 0,
            done: false,
        })
    }

    /// The stream's identification header.
    pub fn head(&self) -> &OpusHead {
        &self.head
    }

    /// The next packet, or `None` at the end of the stream.
    pub fn next_packet(&mut self) -> io::Result<Option<OpusPacket>> {
        loop {
            if let Some(packet) = self.ready.pop_front() {
                return Ok(Some(packet));
            }
            if self.done {
                return Ok(None);
            }
            let Some(packet) = self.packets.read_packet().map_err(ogg_error)? else {
                // A page cut short carries no granule position: time its packets by
                // their durations.
                self.done = true;
                self.time_page(None);
                continue;
            };
            if packet.stream_serial() != self.serial {
                continue;
            }
            let samples = opus_packet_samples(&packet.data).unwrap_or(0);
            let last_in_page = packet.last_in_page();
            let end_of_stream = packet.last_in_stream();
            let granule = packet.absgp_page();
            self.page.push((packet.data, samples));
            if last_in_page {
                self.time_page(Some(granule));
            }
            if end_of_stream {
                self.done = true;
            }
        }
    }

    /// Gives the packets of a finished page their start times: backwards from the page's
    /// granule position (so a gap before the page shows), or forwards from the previous
    /// page when the granule is missing or smaller (the last page may trim its end).
    fn time_page(&mut self, granule: Option<u64>) {
        let total: u64 = self.page.iter().map(|(_, s)| u64::from(*s)).sum();
        let mut start = match granule {
            Some(granule) if granule != u64::MAX && granule >= self.end.saturating_add(total) => {
                granule - total
            }
            _ => self.end,
        };
        for (data, samples) in self.page.drain(..) {
            self.ready.push_back(OpusPacket {
                data,
                start,
                samples,
            });
            start = start.saturating_add(u64::from(samples));
        }
        self.end = start;
    }
}

/// What a scan of an Ogg file's pages found: where the last intact page ends, the last
/// granule position, and how many packets end on the intact pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct OggScan {
    pub(crate) valid_len: u64,
    pub(crate) last_granule: Option<u64>,
    pub(crate) packets: u64,
}

/// Walks the pages of an Ogg file and stops at the first one that is incomplete or fails
/// its CRC: what a crash may leave at the end.
pub(crate) fn scan_pages(mut input: impl Read) -> io::Result<OggScan> {
    let mut scan = OggScan::default();
    let mut header = [0u8; 27];
    loop {
        if read_full(&mut input, &mut header)? < header.len()
            || &header[..4] != b"OggS"
            || header[4] != 0
        {
            return Ok(scan);
        }
        let mut lacing = vec![0u8; usize::from(header[26])];
        if read_full(&mut input, &mut lacing)? < lacing.len() {
            return Ok(scan);
        }
        let body_len: usize = lacing.iter().map(|&l| usize::from(l)).sum();
        let mut body = vec![0u8; body_len];
        if read_full(&mut input, &mut body)? < body_len {
            return Ok(scan);
        }
        let stored = u32::from_le_bytes([header[22], header[23], header[24], header[25]]);
        header[22..26].fill(0);
        let crc = crc_update(crc_update(crc_update(0, &header), &lacing), &body);
        if crc != stored {
            return Ok(scan);
        }
        let mut granule_bytes = [0u8; 8];
        granule_bytes.copy_from_slice(&header[6..14]);
        let granule = u64::from_le_bytes(granule_bytes);
        if granule != u64::MAX {
            scan.last_granule = Some(granule);
        }
        scan.packets += lacing.iter().filter(|&&l| l < 255).count() as u64;
        scan.valid_len += (header.len() + lacing.len() + body_len) as u64;
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
pub(crate) fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

/// Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial value 0, no final xor.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut r = (i as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            r = if r & 0x8000_0000 != 0 {
                (r << 1) ^ 0x04c1_1db7
            } else {
                r << 1
            };
            bit += 1;
        }
        table[i] = r;
        i += 1;
    }
    table
};

fn crc_update(crc: u32, data: &[u8]) -> u32 {
    data.iter().fold(crc, |crc, &byte| {
        (crc << 8) ^ CRC_TABLE[usize::from((crc >> 24) as u8 ^ byte)]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn toc_durations() {
        // config 31 (CELT 20 ms), one frame.
        assert_eq!(opus_packet_samples(&[0xf8, 0]), Some(960));
        // config 1 (SILK 20 ms), two frames.
        assert_eq!(opus_packet_samples(&[0x09, 0]), Some(1920));
        // config 16 (CELT 2.5 ms), code 3 with 4 frames.
        assert_eq!(opus_packet_samples(&[0x83, 4]), Some(480));
        // config 3 (SILK 60 ms) × 3 frames is 180 ms: invalid.
        assert_eq!(opus_packet_samples(&[0x1b, 3]), None);
        // code 3 without its frame count byte, no frame, empty.
        assert_eq!(opus_packet_samples(&[0x03]), None);
        assert_eq!(opus_packet_samples(&[0x83, 0]), None);
        assert_eq!(opus_packet_samples(&[]), None);
    }

    #[test]
    fn head_round_trip() {
        let head = OpusHead {
            channels: 2,
            pre_skip: 312,
            input_sample_rate: 48_000,
            output_gain: -3,
            mapping_family: 0,
        };
        assert_eq!(OpusHead::parse(&head.to_bytes()), Some(head));
        assert_eq!(OpusHead::parse(b"OpusHead"), None);
    }

    #[test]
    fn writes_pages_the_reader_and_the_scan_accept_with_gaps_kept()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut writer = OggOpusWriter::create(dir.path(), "a", 1, 312)?;
        let packet_bytes = [0xf8u8, 1, 2, 3];
        let packet = packet_bytes;
        for i in 0..10u64 {
            // 10 packets of 20 ms, then 1 s missing, then 5 more.
            writer.write(1_000 + i * 960, &packet)?;
        }
        for i in 0..5u64 {
            writer.write(1_000 + 10 * 960 + 48_000 + i * 960, &packet)?;
        }
        assert_eq!(writer.write(99, &[])?, Outcome::Skipped(Skip::Invalid));
        let summary = writer.close()?;
        assert_eq!(summary.packets, 15);
        assert_eq!(summary.end_rtp, Some(1_000 + 15 * 960 + 48_000));

        let bytes = std::fs::read(dir.path().join("a.ogg"))?;
        let scan = scan_pages(Cursor::new(&bytes))?;
        assert_eq!(scan.valid_len, bytes.len() as u64);
        assert_eq!(scan.last_granule, Some(15 * 960 + 48_000));
        assert_eq!(scan.packets, 2 + 15);

        let mut reader = OpusReader::new(Cursor::new(&bytes))?;
        assert_eq!(reader.head().channels, 1);
        assert_eq!(reader.head().pre_skip, 312);
        let mut starts = Vec::new();
        while let Some(packet) = reader.next_packet()? {
            assert_eq!(packet.data, packet_bytes);
            assert_eq!(packet.samples, 960);
            starts.push(packet.start);
        }
        assert_eq!(starts.len(), 15);
        assert_eq!(starts[9], 9 * 960);
        assert_eq!(starts[10], 10 * 960 + 48_000);

        // A torn last page is left out by the scan.
        let torn = &bytes[..bytes.len() - 2];
        let scan = scan_pages(Cursor::new(torn))?;
        assert!(scan.valid_len < torn.len() as u64);
        assert_eq!(scan.last_granule, Some(14 * 960 + 48_000));
        Ok(())
    }

    #[test]
    fn never_overwrites_and_rejects_bad_channels() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let _first = OggOpusWriter::create(dir.path(), "a", 2, 312)?;
        assert!(OggOpusWriter::create(dir.path(), "a", 2, 312).is_err());
        assert!(matches!(
            OggOpusWriter::create(dir.path(), "b", 3, 312),
            Err(RecordingError::Channels(3))
        ));
        Ok(())
    }
}
