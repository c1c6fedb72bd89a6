//! The register key and how the register is protected: the secret is the
//! systemd credential `register-key`, read from `$CREDENTIALS_DIRECTORY`
//! (sealed by `systemd-creds` to the TPM2 or the host key; outside systemd
//! the same variable points at a folder holding the file). Two keys are
//! derived from it with HKDF-SHA256: one for SQLCipher, one for the
//! pictures. Without a key the register is plain only when the settings
//! say `unencrypted_register = true` (development).

use super::RecordsError;
use crate::settings::Settings;
use hkdf::Hkdf;
use sha2::Sha256;
use std::path::Path;
use zeroize::Zeroizing;

/// The credential's file name in `$CREDENTIALS_DIRECTORY`.
pub const CREDENTIAL: &str = "register-key";
/// Fewer secret bytes than this are refused (32 random bytes is the norm).
pub const MIN_SECRET_BYTES: usize = 32;
/// Larger files are not a key.
const MAX_SECRET_BYTES: usize = 4096;

/// The two keys derived from the register secret. Wiped from memory on drop.
#[derive(Clone)]
pub struct RegisterKey {
    db: Zeroizing<[u8; 32]>,
    images: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for RegisterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RegisterKey(…)")
    }
}

impl RegisterKey {
    /// Derives the keys from a secret of at least [`MIN_SECRET_BYTES`].
    pub fn from_secret(secret: &[u8]) -> Result<RegisterKey, RecordsError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(RecordsError::BadKey(format!(
                "it holds {} bytes; at least {MIN_SECRET_BYTES} random bytes are needed",
                secret.len()
            )));
        }
        let hk = Hkdf::<Sha256>::new(Some(b"onemed register v1"), secret);
        let mut db = Zeroizing::new([0u8; 32]);
        let mut images = Zeroizing::new([0u8; 32]);
        // Expanding 32 bytes from SHA-256 cannot fail.
        let ok = hk.expand(b"sqlcipher", db.as_mut()).is_ok()
            && hk.expand(b"images", images.as_mut()).is_ok();
        if !ok {
            return Err(RecordsError::BadKey("key derivation failed".into()));
        }
        Ok(RegisterKey { db, images })
    }

    /// Reads `register-key` from `dir`; `Ok(None)` when there is no such file.
    pub fn from_dir(dir: &Path) -> Result<Option<RegisterKey>, RecordsError> {
        let path = dir.join(CREDENTIAL);
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(RecordsError::BadKey(format!("{}: {e}", path.display()))),
        };
        if !meta.is_file() || meta.len() > MAX_SECRET_BYTES as u64 {
            return Err(RecordsError::BadKey(format!(
                "{} is not a key file",
                path.display()
            )));
        }
        let secret = Zeroizing::new(
            std::fs::read(&path)
                .map_err(|e| RecordsError::BadKey(format!("{}: {e}", path.display())))?,
        );
        RegisterKey::from_secret(&secret).map(Some)
    }

    /// SQLCipher's `PRAGMA key` value: the raw key, so no passphrase stretching.
    pub(super) fn sqlcipher_pragma(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(70));
        s.push_str("x'");
        for b in self.db.iter() {
            s.push_str(&format!("{b:02x}"));
        }
        s.push('\'');
        s
    }

    pub(super) fn images(&self) -> &[u8; 32] {
        &self.images
    }
}

/// How the register's files are kept on disk.
#[derive(Debug, Clone)]
pub enum Protection {
    /// SQLCipher database and sealed pictures.
    Encrypted(RegisterKey),
    /// Plain files: development only, said on the home screen.
    Plain,
}

impl Protection {
    /// The protection the settings give: the credential in their
    /// `credentials_dir` when there is one; else plain only when they say
    /// `unencrypted_register = true`; else [`RecordsError::NoKey`].
    pub fn from_settings(s: &Settings) -> Result<Protection, RecordsError> {
        let key = match &s.credentials_dir {
            Some(dir) => RegisterKey::from_dir(dir)?,
            None => None,
        };
        match key {
            Some(k) => Ok(Protection::Encrypted(k)),
            None if s.unencrypted_register => Ok(Protection::Plain),
            None => Err(RecordsError::NoKey),
        }
    }

    pub fn is_encrypted(&self) -> bool {
        matches!(self, Protection::Encrypted(_))
    }

    pub fn key(&self) -> Option<&RegisterKey> {
        match self {
            Protection::Encrypted(k) => Some(k),
            Protection::Plain => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_derive_apart_and_short_secrets_are_refused() {
        let k = RegisterKey::from_secret(&[7u8; 32]).unwrap();
        assert_ne!(k.db.as_ref(), k.images.as_ref());
        assert_ne!(k.db.as_ref(), &[7u8; 32]);
        let other = RegisterKey::from_secret(&[8u8; 32]).unwrap();
        assert_ne!(k.db.as_ref(), other.db.as_ref());
        assert!(k.sqlcipher_pragma().starts_with("x'") && k.sqlcipher_pragma().len() == 67);
        assert!(matches!(
            RegisterKey::from_secret(&[1u8; 31]),
            Err(RecordsError::BadKey(_))
        ));
        assert_eq!(format!("{k:?}"), "RegisterKey(…)");
    }

    #[test]
    fn the_key_file_is_read_from_the_folder() {
        let d = tempfile::tempdir().unwrap();
        assert!(RegisterKey::from_dir(d.path()).unwrap().is_none());
        std::fs::write(d.path().join(CREDENTIAL), [9u8; 32]).unwrap();
        let k = RegisterKey::from_dir(d.path()).unwrap().unwrap();
        assert_eq!(
            k.db.as_ref(),
            RegisterKey::from_secret(&[9u8; 32]).unwrap().db.as_ref()
        );
        std::fs::write(d.path().join(CREDENTIAL), b"short").unwrap();
        assert!(RegisterKey::from_dir(d.path()).is_err());
    }
}
