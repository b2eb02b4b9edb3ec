//! A media file written unit by unit (an Ogg page, an IVF frame): buffered while a unit is
//! assembled, handed to the OS whole when it ends, and synced to the disk every few seconds.
//!
//! Handing each unit to the OS at once means a crash of the process loses at most the unit
//! being assembled; syncing only every few seconds bounds what a power cut can lose without
//! paying a disk flush per 20 ms audio packet.

use super::{RecordingError, io_error};
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long written data may stay in the OS cache before it is synced to the disk.
const SYNC_EVERY: Duration = Duration::from_secs(5);

pub(crate) struct Sink {
    path: PathBuf,
    out: BufWriter<File>,
    written: u64,
    last_sync: Instant,
}

impl Sink {
    /// Creates the file; never overwrites one (a recording's files are evidence).
    pub(crate) fn create_new(path: &Path) -> Result<Self, RecordingError> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(io_error("create", path))?;
        Ok(Self {
            path: path.to_owned(),
            out: BufWriter::with_capacity(64 * 1024, file),
            written: 0,
            last_sync: Instant::now(),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written so far (buffered or not).
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Ends a unit: hands the buffer to the OS, and syncs when the last sync is old.
    pub(crate) fn commit(&mut self) -> io::Result<()> {
        self.out.flush()?;
        if self.last_sync.elapsed() >= SYNC_EVERY {
            self.out.get_ref().sync_data()?;
            self.last_sync = Instant::now();
        }
        Ok(())
    }

    /// Flushes and syncs everything; returns the file for a last patch of its header.
    pub(crate) fn finish(mut self) -> io::Result<File> {
        self.out.flush()?;
        let file = self.out.into_inner().map_err(|err| err.into_error())?;
        file.sync_all()?;
        Ok(file)
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
