// SPDX-License-Identifier: GPL-2.0

//! The test-only debugfs file `selftest`: runs engine operations on request.
//!
//! Writing a command runs it and fails with its error, if any; reading the file returns the
//! result of the last command as one line, see `Documentation/crypto/device_drivers/rstkey.rst`.
//! Commands:
//!
//! - `cipher-session [KEY]`: creates an AES-CBC encryption session with the hexadecimal `KEY`
//!   (the AES-128 key of NIST SP 800-38A, F.2.1, by default) and destroys it. Result:
//!   `cipher-session: ok session_id=<id> open_sessions=<number while it was open>`.
//! - `cipher-session-dec [KEY]`: the same with a decryption session.
//! - `cipher-session-double-destroy`: creates a session and destroys it twice; the second destroy
//!   must fail on the device. Result: `cipher-session-double-destroy: error <errno> at destroy2`.
//!
//! Failures are reported as `<command>: error <errno> at <step>`, the step being `parse`,
//! `create`, `destroy` or `destroy2`.

use kernel::{
    debugfs,
    fmt,
    prelude::*,
    sync::{
        new_mutex,
        Arc,
        Mutex, //
    },
    uaccess::UserSliceReader, //
};

use crate::{
    engine::{
        Cipher,
        Direction,
        Engine,
        SessionId, //
    },
    virtio_engine::VirtioEngine, //
};

/// The AES-128 key of NIST SP 800-38A, F.2.1 (CBC-AES128.Encrypt).
const NIST_AES128_KEY: [u8; 16] = [
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
];

/// The longest command accepted.
const MAX_COMMAND: usize = 512;

/// The longest key accepted in a command, in bytes.
const MAX_KEY: usize = 128;

/// The step of a command that failed.
#[derive(Clone, Copy)]
enum Step {
    /// Parsing the command.
    Parse,
    /// Creating the session.
    Create,
    /// Destroying the session.
    Destroy,
    /// Destroying the session a second time.
    Destroy2,
}

impl Step {
    /// Returns the step's name in the result line.
    fn name(self) -> &'static str {
        match self {
            Self::Parse => "parse",
            Self::Create => "create",
            Self::Destroy => "destroy",
            Self::Destroy2 => "destroy2",
        }
    }
}

/// The result of the last command.
#[derive(Clone, Copy)]
enum Outcome {
    /// No command has run yet.
    None,
    /// A session was created and destroyed.
    Session {
        /// The session's ID.
        id: SessionId,
        /// The number of open sessions while it was open.
        open: u64,
    },
    /// The command failed.
    Failed {
        /// The step that failed.
        step: Step,
        /// The error.
        err: Error,
    },
}

/// The last command and its result.
struct Last {
    /// The command's name.
    command: &'static str,
    /// The result.
    outcome: Outcome,
}

/// The `selftest` file.
#[pin_data]
pub(crate) struct Selftest {
    /// The engine the commands run on.
    engine: Arc<VirtioEngine>,
    /// The last command and its result.
    #[pin]
    last: Mutex<Last>,
}

impl Selftest {
    /// Creates the file's data for `engine`.
    pub(crate) fn new(engine: Arc<VirtioEngine>) -> impl PinInit<Self> {
        pin_init!(Self {
            engine,
            last <- new_mutex!(
                Last {
                    command: "none",
                    outcome: Outcome::None,
                },
                "Selftest::last"
            ),
        })
    }

    /// Creates a session for `direction` with `key`, and destroys it once, or twice if `twice`.
    fn cipher_session(&self, key: &[u8], direction: Direction, twice: bool) -> Outcome {
        let engine = &*self.engine;
        let id = match engine.create_cipher_session(Cipher::AesCbc, direction, key) {
            Ok(id) => id,
            Err(err) => {
                return Outcome::Failed {
                    step: Step::Create,
                    err,
                }
            }
        };
        let open = engine.open_sessions();

        if let Err(err) = engine.destroy_cipher_session(id) {
            return Outcome::Failed {
                step: Step::Destroy,
                err,
            };
        }

        if twice {
            return match engine.destroy_cipher_session(id) {
                // The device destroyed a session that did not exist any more.
                Ok(()) => Outcome::Session { id, open },
                Err(err) => Outcome::Failed {
                    step: Step::Destroy2,
                    err,
                },
            };
        }

        Outcome::Session { id, open }
    }

    /// Runs `line` and returns the command's name and result.
    fn run(&self, line: &[u8]) -> (&'static str, Outcome) {
        let mut words = line
            .split(|c| c.is_ascii_whitespace())
            .filter(|w| !w.is_empty());
        let command = words.next().unwrap_or_default();
        let arg = words.next();
        let extra = words.next();
        let parse_error = Outcome::Failed {
            step: Step::Parse,
            err: EINVAL,
        };

        let (name, direction) = match command {
            b"cipher-session" => ("cipher-session", Direction::Encrypt),
            b"cipher-session-dec" => ("cipher-session-dec", Direction::Decrypt),
            b"cipher-session-double-destroy" if arg.is_none() => {
                return (
                    "cipher-session-double-destroy",
                    self.cipher_session(&NIST_AES128_KEY, Direction::Encrypt, true),
                )
            }
            _ => return ("unknown", parse_error),
        };
        if extra.is_some() {
            return (name, parse_error);
        }

        let mut key = [0u8; MAX_KEY];
        let key = match arg {
            None => &NIST_AES128_KEY[..],
            Some(hex) => match parse_hex(hex, &mut key) {
                Ok(key) => key,
                Err(_) => return (name, parse_error),
            },
        };

        (name, self.cipher_session(key, direction, false))
    }
}

/// Parses the hexadecimal string `hex` into `buf`, and returns the bytes parsed.
///
/// # Errors
///
/// [`EINVAL`] if `hex` has an odd length, a character that is not a hexadecimal digit, or more
/// bytes than `buf` holds.
fn parse_hex<'a>(hex: &[u8], buf: &'a mut [u8]) -> Result<&'a [u8]> {
    /// Returns the value of the hexadecimal digit `c`.
    fn digit(c: u8) -> Result<u8> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(EINVAL),
        }
    }

    if hex.len() % 2 != 0 {
        return Err(EINVAL);
    }
    let len = hex.len() / 2;
    let out = buf.get_mut(..len).ok_or(EINVAL)?;
    let mut rest = hex;
    for byte in out.iter_mut() {
        let [hi, lo, tail @ ..] = rest else {
            return Err(EINVAL);
        };
        *byte = (digit(*hi)? << 4) | digit(*lo)?;
        rest = tail;
    }

    Ok(out)
}

impl debugfs::Reader for Selftest {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let mut buf = [0u8; MAX_COMMAND];
        let n = reader.len();
        let line = buf.get_mut(..n).ok_or(EINVAL)?;
        reader.read_slice(line)?;

        let (command, outcome) = self.run(line);
        *self.last.lock() = Last { command, outcome };

        match outcome {
            Outcome::Failed { err, .. } => Err(err),
            _ => Ok(()),
        }
    }
}

impl debugfs::Writer for Selftest {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = self.last.lock();

        match last.outcome {
            Outcome::None => f.write_str("none\n"),
            Outcome::Session { id, open } => f.write_fmt(fmt!(
                "{}: ok session_id={} open_sessions={}\n",
                last.command,
                id.0,
                open
            )),
            Outcome::Failed { step, err } => f.write_fmt(fmt!(
                "{}: error {} at {}\n",
                last.command,
                err.to_errno(),
                step.name()
            )),
        }
    }
}

#[kunit_tests(rstkey_selftest)]
mod tests {
    use super::*;

    /// Hexadecimal keys are parsed, bad ones rejected.
    #[test]
    fn hex() -> Result {
        let mut buf = [0u8; 4];

        assert_eq!(parse_hex(b"2b7E15", &mut buf)?, &[0x2b, 0x7e, 0x15]);
        assert_eq!(parse_hex(b"", &mut buf)?, &[] as &[u8]);
        assert!(parse_hex(b"2b7", &mut buf).is_err());
        assert!(parse_hex(b"2g", &mut buf).is_err());
        assert!(parse_hex(b"0011223344", &mut buf).is_err());

        Ok(())
    }
}
