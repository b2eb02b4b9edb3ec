//! Writes the seed hearing's signed transcript to a file, to look at:
//! `cargo run -p transcript-pdf --example sample -- /tmp/transcript.pdf`.

#[path = "../tests/common/mod.rs"]
mod common;

use transcript_pdf::{Font, Signer, render};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "transcript-sample.pdf".to_owned());
    let transcript = common::seed_transcript(common::seed_signatures());
    let pdf = render(&transcript, &Font::bundled())?;
    let (cert, key) = Signer::generate_self_signed("北京市石景山区人民法院")?;
    let signed = Signer::from_pem(&cert, &key)?.sign(&pdf, "确认庭审笔录", "北京市石景山区")?;
    std::fs::write(&path, signed)?;
    eprintln!("wrote {path}");
    Ok(())
}
