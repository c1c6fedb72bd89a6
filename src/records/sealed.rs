//! Picture files sealed at rest: XChaCha20-Poly1305 with a random 24-byte
//! nonce per file, and the picture's own sha256 (as its record names it) as
//! associated data: a sealed picture put in place of another record's does
//! not open. Layout: `ONEMEDS1` · nonce · ciphertext and tag.

use super::RecordsError;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// The first bytes of a sealed file.
pub const MAGIC: &[u8; 8] = b"ONEMEDS1";
const NONCE: usize = 24;
/// Bytes a sealed file adds to the picture.
pub const OVERHEAD: usize = MAGIC.len() + NONCE + 16;

/// Whether `data` is a sealed file (by its first bytes).
pub fn is_sealed(data: &[u8]) -> bool {
    data.starts_with(MAGIC)
}

/// Seals `plain`, bound to `sha` (the lowercase hex sha256 of `plain`).
pub fn seal(key: &[u8; 32], sha: &str, plain: &[u8]) -> Result<Vec<u8>, RecordsError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plain,
                aad: sha.as_bytes(),
            },
        )
        .map_err(|_| RecordsError::Invalid("the picture could not be encrypted".into()))?;
    let mut out = Vec::with_capacity(OVERHEAD + plain.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens a sealed file `rel` whose record names `sha`; a wrong key, a
/// changed byte or another record's picture is refused.
pub fn open(key: &[u8; 32], rel: &str, sha: &str, data: &[u8]) -> Result<Vec<u8>, RecordsError> {
    if !is_sealed(data) || data.len() < OVERHEAD {
        return Err(RecordsError::Corrupt(format!(
            "the picture {rel} is not an encrypted picture"
        )));
    }
    let nonce = XNonce::from_slice(&data[MAGIC.len()..MAGIC.len() + NONCE]);
    XChaCha20Poly1305::new(key.into())
        .decrypt(
            nonce,
            Payload {
                msg: &data[MAGIC.len() + NONCE..],
                aad: sha.as_bytes(),
            },
        )
        .map_err(|_| {
            RecordsError::Corrupt(format!(
                "the picture {rel} does not open with this register's key (changed, swapped or another kiosk's)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_with_its_key_and_name() {
        let k = [3u8; 32];
        let plain = b"\x89PNG the picture of a patient's eye".to_vec();
        let s = seal(&k, "aa11", &plain).unwrap();
        assert!(is_sealed(&s));
        assert_eq!(s.len(), plain.len() + OVERHEAD);
        assert!(!s.windows(7).any(|w| w == b"patient"));
        assert_eq!(open(&k, "a.png", "aa11", &s).unwrap(), plain);
        // Each seal has its own nonce.
        assert_ne!(s, seal(&k, "aa11", &plain).unwrap());
        assert!(open(&[4u8; 32], "a.png", "aa11", &s).is_err());
        assert!(open(&k, "a.png", "bb22", &s).is_err());
        let mut flipped = s.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(open(&k, "a.png", "aa11", &flipped).is_err());
        assert!(open(&k, "a.png", "aa11", &plain).is_err());
    }
}
