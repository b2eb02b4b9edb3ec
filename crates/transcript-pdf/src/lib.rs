//! The court transcript (庭审笔录) as a PDF: Chinese layout with krilla, PAdES signature with underskrift.
//!
//! [`render`] lays a [`Transcript`] out on A4 pages with its own CJK line breaking
//! (krilla shapes text but does not break lines) and prints every page's number and
//! the transcript version it shows. [`Signer::sign`] then adds a PAdES B-B signature
//! that `pdfsig` and Acrobat can check.

mod font;
mod linebreak;
mod render;
mod sign;

pub use font::Font;
pub use render::render;
pub use sign::Signer;

/// One version of a hearing's transcript, ready to print.
///
/// The caller formats every value (dates in the court's time zone, names with their
/// roles); this crate only lays them out.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    /// The court's name, printed centred on the first page: 北京市石景山区人民法院.
    pub court: String,
    /// The document title, printed centred and larger: 庭审笔录.
    pub title: String,
    /// Ordered label/value lines printed as `标签：值`: 时间, 地点, 案由, 案号, 审判人员, 书记员.
    pub header: Vec<(String, String)>,
    /// The clerk's note printed before the entries (开庭审理前，书记员应当查明……).
    pub opening_note: String,
    /// What was said, in order.
    pub entries: Vec<Entry>,
    /// The version number of the transcript rendered.
    pub version: u32,
    /// Hex SHA-256 of that version's canonical form, printed on every page.
    pub sha256: String,
    /// The handwritten signatures, printed after the entries.
    pub signatures: Vec<SignatureBlock>,
    /// The fixed words the PDF prints.
    pub labels: Labels,
}

/// One thing said at the hearing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// Who said it, with the role: 审判长 许1.
    pub speaker: String,
    /// What was said; `\n` starts a new line.
    pub text: String,
}

/// One person's handwritten signature under the transcript.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignatureBlock {
    /// The signer's name.
    pub signer: String,
    /// The signer's role: 原告.
    pub role: String,
    /// When they signed, already formatted in the court's local time.
    pub signed_at: String,
    /// The hex SHA-256 of the transcript version the signature is bound to.
    pub sha256: String,
    /// The handwriting as a PNG image (transparent or not).
    pub png: Vec<u8>,
}

/// The fixed words the PDF prints, so the caller owns the wording.
///
/// Templates replace `{page}`, `{pages}`, `{version}` and `{sha256}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    /// Page number at the foot of every page: `第 {page} 页 共 {pages} 页`.
    pub page_footer: String,
    /// The small line naming the version on every page: `{version}` and `{sha256}`.
    pub version_footer: String,
    /// Title of the signature section: 签名.
    pub signatures_heading: String,
    /// Label before the signer's name.
    pub signer: String,
    /// Label before the signer's role.
    pub role: String,
    /// Label before the signing time.
    pub signed_at: String,
    /// Label before the hash of the version a signature is bound to.
    pub signed_version: String,
}

impl Default for Labels {
    fn default() -> Self {
        Labels {
            page_footer: "第 {page} 页 共 {pages} 页".to_owned(),
            version_footer: "笔录版本 {version}　SHA-256：{sha256}".to_owned(),
            signatures_heading: "签名".to_owned(),
            signer: "签名人".to_owned(),
            role: "身份".to_owned(),
            signed_at: "签名时间".to_owned(),
            signed_version: "签署版本 SHA-256".to_owned(),
        }
    }
}

/// What can go wrong while rendering or signing a transcript.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The font file could not be read.
    #[error("cannot read the font file {path}: {source}")]
    FontFile {
        /// The path given.
        path: std::path::PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// The font data is not a font this crate can print Chinese with.
    #[error("the font (collection index {index}) cannot be used: {reason}")]
    Font {
        /// The collection index given.
        index: u32,
        /// Why it was refused.
        reason: String,
    },
    /// A signature block's image is not a PNG krilla can read.
    #[error("the signature image of {signer} (block {index}) is not a readable PNG: {reason}")]
    SignatureImage {
        /// The block's position in [`Transcript::signatures`].
        index: usize,
        /// The block's signer.
        signer: String,
        /// What the PNG decoder said.
        reason: String,
    },
    /// krilla refused to write the document.
    #[error("cannot write the transcript PDF: {0}")]
    Pdf(String),
    /// The private key PEM is not a key this crate can sign with.
    #[error("cannot read the signing key: {0}")]
    Key(String),
    /// The certificate PEM is unreadable or does not belong to the key.
    #[error("cannot read the signing certificate: {0}")]
    Certificate(String),
    /// The self-signed certificate could not be made.
    #[error("cannot create a self-signed certificate: {0}")]
    Generate(String),
    /// underskrift could not sign the PDF.
    #[error("cannot sign the transcript PDF: {0}")]
    Sign(#[from] underskrift::PdfSignError),
}
