//! The transcript PDF service: the configured CJK font and the court's signing key,
//! loaded once (a self-signed key is made in the data directory when none is
//! configured, so a fresh installation works), and the rendering of one version with
//! its signatures into a PDF the court's key signs (PAdES).

use crate::config::Config;
use anyhow::Context;
use std::path::{Path, PathBuf};
use transcript_pdf::{Font, Signer, Transcript};

/// Where the self-signed key lives when none is configured.
const DEFAULT_KEY_DIR: &str = "pdf-signing";
const CERTIFICATE_FILE: &str = "certificate.pem";
const KEY_FILE: &str = "key.pem";

/// The font and key every transcript PDF is made with.
pub struct PdfService {
    font: Font,
    signer: Signer,
    /// The PDF signature's location field: the court's name.
    location: String,
}

impl PdfService {
    /// Loads the configured font (or the bundled one) and key (or the self-signed one
    /// in the data directory, created on first use).
    pub fn load(config: &Config) -> anyhow::Result<Self> {
        let settings = &config.pdf;
        let font = match &settings.font {
            Some(path) => Font::from_file(path, settings.font_index)
                .with_context(|| format!("pdf.font {}", path.display()))?,
            None => Font::bundled(),
        };
        let (certificate, key) = match (&settings.certificate, &settings.key) {
            (Some(certificate), Some(key)) => (certificate.clone(), key.clone()),
            (None, None) => {
                let dir = config.data_dir.join(DEFAULT_KEY_DIR);
                ensure_self_signed(&dir, &config.court.name)?;
                (dir.join(CERTIFICATE_FILE), dir.join(KEY_FILE))
            }
            _ => anyhow::bail!("pdf.certificate and pdf.key are set together, or neither"),
        };
        let read = |path: &Path| {
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
        };
        let signer = Signer::from_pem(&read(&certificate)?, &read(&key)?).with_context(|| {
            format!(
                "the PDF signing key {} does not fit the certificate {}",
                key.display(),
                certificate.display()
            )
        })?;
        Ok(Self {
            font,
            signer,
            location: config.court.name.clone(),
        })
    }

    /// Renders and signs a transcript (CPU-bound: run off the async workers).
    pub fn render_signed(&self, transcript: &Transcript) -> anyhow::Result<Vec<u8>> {
        let pdf = transcript_pdf::render(transcript, &self.font).context("rendering the PDF")?;
        self.signer
            .sign(&pdf, "庭审笔录", &self.location)
            .context("signing the PDF")
    }
}

/// Writes a self-signed certificate and key into `dir` unless both exist.
pub fn ensure_self_signed(dir: &Path, common_name: &str) -> anyhow::Result<()> {
    let certificate = dir.join(CERTIFICATE_FILE);
    let key = dir.join(KEY_FILE);
    if certificate.exists() && key.exists() {
        return Ok(());
    }
    write_self_signed(dir, common_name)?;
    tracing::warn!(
        dir = %dir.display(),
        "transcript PDFs are signed with a new self-signed certificate; configure pdf.certificate and pdf.key for the court's own"
    );
    Ok(())
}

/// Creates a self-signed certificate and key in `dir` (for the demo, or a court
/// without its own certificate yet); returns the two paths.
pub fn write_self_signed(dir: &Path, common_name: &str) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (certificate_pem, key_pem) =
        Signer::generate_self_signed(common_name).context("generating a signing key")?;
    let certificate = dir.join(CERTIFICATE_FILE);
    let key = dir.join(KEY_FILE);
    write_private(&key, key_pem.as_bytes())?;
    std::fs::write(&certificate, certificate_pem)
        .with_context(|| format!("cannot write {}", certificate.display()))?;
    Ok((certificate, key))
}

/// Writes a file only its owner can read (the private key).
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}
