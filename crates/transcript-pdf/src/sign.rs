//! The court's PAdES signature on a transcript PDF, and a self-signed certificate for the demo.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::{
    DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding, SecretDocument,
};
use rand::RngCore;
use underskrift::error::CryptoError;
use underskrift::{
    CryptoSigner, DigestAlgorithm, PadesLevel, PdfSigner, SignatureAlgorithm, SigningOptions,
    SoftwareSigner, SubFilter,
};
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::asn1::{SetOfVec, Utf8StringRef};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Any, Decode, Encode, EncodePem};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

use crate::Error;

/// X.520 commonName.
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// How long the demo's self-signed certificate is valid.
const SELF_SIGNED_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);

/// Bytes reserved in the PDF for the CMS signature: room for a chain of a few RSA-4096
/// certificates (underskrift's default of 8 KiB is tight for a real court's chain).
const SIGNATURE_ROOM: usize = 16 * 1024;

/// A private key and its certificate chain, signing transcript PDFs.
///
/// Keys: ECDSA P-256 (PKCS#8 or SEC1 PEM) or RSA (PKCS#8 PEM).
pub struct Signer {
    key: Box<dyn CryptoSigner>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("Signer")
            .field("algorithm", &self.key.signature_algorithm())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer from PEM text: `cert_pem` holds the signer's certificate first, then
    /// any intermediate certificates; `key_pem` the private key of the first one.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Signer, Error> {
        let chain = Certificate::load_pem_chain(cert_pem.as_bytes())
            .map_err(|e| Error::Certificate(format!("not PEM certificates: {e}")))?;
        let leaf = chain
            .first()
            .ok_or_else(|| Error::Certificate("the PEM holds no certificate".to_owned()))?;
        let cert_public_key = leaf
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .clone();
        let chain_der = chain
            .iter()
            .map(|cert| cert.to_der())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Certificate(format!("cannot encode the certificate: {e}")))?;

        let (label, document) = SecretDocument::from_pem(key_pem)
            .map_err(|e| Error::Key(format!("not a PEM private key: {e}")))?;
        let (key, key_public_der): (Box<dyn CryptoSigner>, Vec<u8>) = match label {
            "PRIVATE KEY" => {
                if let Ok(key) = SigningKey::from_pkcs8_der(document.as_bytes()) {
                    let public = public_key_der(&key)?;
                    (Box::new(EcdsaP256 { key, chain_der }), public)
                } else {
                    let public = rsa_public_key_der(document.as_bytes())?;
                    let key = SoftwareSigner::from_rsa_der(document.as_bytes(), chain_der)
                        .map_err(|e| Error::Key(e.to_string()))?;
                    (Box::new(key), public)
                }
            }
            "EC PRIVATE KEY" => {
                let secret = p256::SecretKey::from_sec1_der(document.as_bytes()).map_err(|e| {
                    Error::Key(format!(
                        "not an ECDSA P-256 key (the only curve supported): {e}"
                    ))
                })?;
                let key = SigningKey::from(secret);
                let public = public_key_der(&key)?;
                (Box::new(EcdsaP256 { key, chain_der }), public)
            }
            other => {
                return Err(Error::Key(format!(
                    "a \"{other}\" PEM is not supported; give a PKCS#8 key \
                     (openssl pkcs8 -topk8 -nocrypt -in key.pem)"
                )));
            }
        };

        // A key that is not the certificate's would make every signature invalid.
        let key_public = SubjectPublicKeyInfoOwned::from_der(&key_public_der)
            .map_err(|e| Error::Key(format!("cannot read the key's public half: {e}")))?;
        if key_public.subject_public_key != cert_public_key {
            return Err(Error::Certificate(
                "the private key does not belong to the first certificate".to_owned(),
            ));
        }
        Ok(Signer { key })
    }

    /// A self-signed certificate and key for the demo, as (cert_pem, key_pem).
    ///
    /// ECDSA P-256, valid for ten years, usable for signing documents (digital
    /// signature and non-repudiation). Viewers will call it untrusted, rightly.
    pub fn generate_self_signed(common_name: &str) -> Result<(String, String), Error> {
        let generate =
            |what: &str, e: &dyn std::fmt::Display| Error::Generate(format!("{what}: {e}"));
        let key = random_key();
        let public_der = public_key_der(&key)?;
        let public = SubjectPublicKeyInfoOwned::from_der(&public_der)
            .map_err(|e| generate("public key", &e))?;

        let value = Utf8StringRef::new(common_name).map_err(|e| generate("common name", &e))?;
        let value = Any::encode_from(&value).map_err(|e| generate("common name", &e))?;
        let attribute = x509_cert::attr::AttributeTypeAndValue {
            oid: COMMON_NAME,
            value,
        };
        let rdn = SetOfVec::try_from(vec![attribute]).map_err(|e| generate("name", &e))?;
        let subject: Name = RdnSequence(vec![RelativeDistinguishedName(rdn)]);

        // A positive random serial of 16 bytes, as RFC 5280 asks of CAs.
        let mut serial = [0u8; 16];
        rand::rng().fill_bytes(&mut serial);
        serial[0] = (serial[0] & 0x7f) | 0x01;
        let serial = SerialNumber::new(&serial).map_err(|e| generate("serial", &e))?;
        let validity =
            Validity::from_now(SELF_SIGNED_VALIDITY).map_err(|e| generate("validity", &e))?;

        // A self-issued end-entity certificate: key usage for signing, not for a CA.
        let profile = Profile::Leaf {
            issuer: subject.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        };
        let builder = CertificateBuilder::new(profile, serial, validity, subject, public, &key)
            .map_err(|e| generate("certificate", &e))?;
        let certificate = builder
            .build::<DerSignature>()
            .map_err(|e| generate("certificate signature", &e))?;
        let cert_pem = certificate
            .to_pem(LineEnding::LF)
            .map_err(|e| generate("certificate PEM", &e))?;
        let key_pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| generate("key PEM", &e))?;
        Ok((cert_pem, key_pem.to_string()))
    }

    /// Signs a PDF (PAdES baseline B-B, an invisible signature over the whole file)
    /// and returns the signed file: the original bytes plus an incremental update.
    ///
    /// `reason` and `location` go into the signature dictionary and may be Chinese.
    /// CPU-bound and synchronous: call it from a blocking thread in async code.
    pub fn sign(&self, pdf: &[u8], reason: &str, location: &str) -> Result<Vec<u8>, Error> {
        let options = SigningOptions {
            sub_filter: SubFilter::Pades,
            pades_level: PadesLevel::BB,
            field_name: "TranscriptSignature".to_owned(),
            reason: Some(pdf_text(reason)),
            location: Some(pdf_text(location)),
            content_size: SIGNATURE_ROOM,
            ..SigningOptions::default()
        };
        let signer = PdfSigner::new().options(options);
        // Without timestamping (B-T) underskrift's future never waits on I/O.
        Ok(block_on(signer.sign(pdf, self.key.as_ref()))?)
    }
}

/// underskrift writes Reason and Location bytes as they are; a UTF-8 byte order mark
/// first makes them a PDF 2.0 UTF-8 text string, so Chinese reads back as Chinese
/// rather than as PDFDocEncoding mojibake. ASCII needs no mark.
fn pdf_text(text: &str) -> String {
    if text.is_ascii() {
        text.to_owned()
    } else {
        format!("\u{feff}{text}")
    }
}

/// A fresh P-256 key from the operating system's randomness.
fn random_key() -> SigningKey {
    let mut rng = rand::rng();
    loop {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        // Fails only for the zero scalar or one above the group order: retry.
        if let Ok(key) = SigningKey::from_slice(&bytes) {
            return key;
        }
    }
}

fn public_key_der(key: &SigningKey) -> Result<Vec<u8>, Error> {
    key.verifying_key()
        .to_public_key_der()
        .map(|der| der.into_vec())
        .map_err(|e| Error::Key(format!("cannot encode the public key: {e}")))
}

fn rsa_public_key_der(pkcs8_der: &[u8]) -> Result<Vec<u8>, Error> {
    let key = rsa::RsaPrivateKey::from_pkcs8_der(pkcs8_der)
        .map_err(|e| Error::Key(format!("neither an ECDSA P-256 nor an RSA key: {e}")))?;
    rsa::RsaPublicKey::from(&key)
        .to_public_key_der()
        .map(|der| der.into_vec())
        .map_err(|e| Error::Key(format!("cannot encode the public key: {e}")))
}

/// ECDSA P-256 for underskrift. Its own software signer hashes the already hashed
/// signed attributes a second time for ECDSA keys, which makes signatures no
/// verifier accepts; this signs the digest as given.
struct EcdsaP256 {
    key: SigningKey,
    /// DER certificates, the signer's first; never empty.
    chain_der: Vec<Vec<u8>>,
}

impl CryptoSigner for EcdsaP256 {
    fn sign_hash(&self, hash: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let signature: p256::ecdsa::Signature = self
            .key
            .sign_prehash(hash)
            .map_err(|e| CryptoError::SigningFailed(e.to_string()))?;
        Ok(signature.to_der().as_bytes().to_vec())
    }

    fn certificate_der(&self) -> &[u8] {
        self.chain_der.first().map_or(&[], Vec::as_slice)
    }

    fn certificate_chain_der(&self) -> Vec<&[u8]> {
        self.chain_der.iter().map(Vec::as_slice).collect()
    }

    fn digest_algorithm(&self) -> DigestAlgorithm {
        DigestAlgorithm::Sha256
    }

    fn signature_algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::EcdsaP256
    }
}

/// Runs a future to completion on this thread, parking while it is pending.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_cert::der::DecodePem;

    #[test]
    fn self_signed_certificate_and_key_make_a_signer() {
        let (cert, key) = Signer::generate_self_signed("北京市石景山区人民法院").expect("generate");
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
        let parsed = Certificate::from_pem(cert.as_bytes()).expect("certificate parses");
        assert!(
            parsed
                .tbs_certificate
                .subject
                .to_string()
                .contains("北京市石景山区人民法院")
        );
        Signer::from_pem(&cert, &key).expect("signer");
    }

    #[test]
    fn a_key_that_is_not_the_certificates_is_refused() {
        let (cert, _) = Signer::generate_self_signed("a").expect("generate");
        let (_, other_key) = Signer::generate_self_signed("b").expect("generate");
        assert!(matches!(
            Signer::from_pem(&cert, &other_key),
            Err(Error::Certificate(_))
        ));
        assert!(matches!(
            Signer::from_pem(&cert, "nonsense"),
            Err(Error::Key(_))
        ));
        assert!(matches!(
            Signer::from_pem("nonsense", &other_key),
            Err(Error::Certificate(_))
        ));
    }

    #[test]
    fn chinese_reason_is_marked_as_utf8() {
        assert_eq!(pdf_text("sign"), "sign");
        assert_eq!(pdf_text("确认笔录").as_bytes()[..3], [0xEF, 0xBB, 0xBF]);
    }
}
