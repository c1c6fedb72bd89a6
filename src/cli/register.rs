//! `onemed register encrypt [--data DIR]`: encrypts a register written
//! before encryption (or under `unencrypted_register`) with the key in
//! `$CREDENTIALS_DIRECTORY/register-key`. The plain file is kept until the
//! encrypted copy verifies; run it again after an interruption.

use super::Fatal;
use crate::records::encrypt::encrypt_register;
use crate::records::{Protection, RecordsError};
use crate::settings::Settings;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Encrypt a plain register in place (stop the kiosk first).
    Encrypt {
        /// The data folder holding the register (default: the settings' data_dir).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
}

pub fn run(settings: &Settings, args: &Args) -> anyhow::Result<()> {
    match &args.action {
        Action::Encrypt { data } => {
            let data = super::data_dir(settings, data.as_deref())?;
            let with_key = Settings {
                unencrypted_register: false,
                ..settings.clone()
            };
            let key = match Protection::from_settings(&with_key) {
                Ok(Protection::Encrypted(k)) => k,
                Ok(Protection::Plain) | Err(RecordsError::NoKey) => {
                    return Err(Fatal(
                        "no register key: set CREDENTIALS_DIRECTORY to the folder holding \
                         'register-key' (under systemd: systemd-run -p LoadCredentialEncrypted=…, \
                         see systemd/README.md)"
                            .into(),
                    )
                    .into())
                }
                Err(e) => return Err(Fatal(e.to_string()).into()),
            };
            let done = encrypt_register(&data, &key).map_err(|e| Fatal(e.to_string()))?;
            println!("{done}");
            Ok(())
        }
    }
}
