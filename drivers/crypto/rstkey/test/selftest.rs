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
//! - `cbc-stale-session`: creates a session, destroys it, and then runs an encryption on a data
//!   queue in it: the device must fail the request, whose status becomes the error. Result:
//!   `cbc-stale-session: error <errno> at encrypt`.
//! - `cbc-kat`: encrypts the plaintext of NIST SP 800-38A, F.2.1 (AES-128-CBC) on a data queue
//!   and checks the ciphertext, then decrypts the ciphertext and checks the plaintext, each in a
//!   session of its own. Result: `cbc-kat: ok`.
//!
//! Failures are reported as `<command>: error <errno> at <step>`, the step being `parse`,
//! `create`, `destroy`, `destroy2`, `encrypt`, `decrypt` or `compare` (a wrong result, reported
//! as `EBADMSG`).

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

use super::cmd::parse_hex;

/// The AES-128 key of NIST SP 800-38A, F.2.1 (CBC-AES128.Encrypt).
const NIST_AES128_KEY: [u8; 16] = [
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
];

/// The IV of NIST SP 800-38A, F.2.1.
const NIST_IV: [u8; 16] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
];

/// The plaintext of NIST SP 800-38A, F.2.1.
const NIST_PLAINTEXT: [u8; 64] = [
    0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
    0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51,
    0x30, 0xc8, 0x1c, 0x46, 0xa3, 0x5c, 0xe4, 0x11, 0xe5, 0xfb, 0xc1, 0x19, 0x1a, 0x0a, 0x52, 0xef,
    0xf6, 0x9f, 0x24, 0x45, 0xdf, 0x4f, 0x9b, 0x17, 0xad, 0x2b, 0x41, 0x7b, 0xe6, 0x6c, 0x37, 0x10,
];

/// The ciphertext of NIST SP 800-38A, F.2.1 (CBC-AES128.Encrypt).
const NIST_CIPHERTEXT: [u8; 64] = [
    0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46, 0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9, 0x19, 0x7d,
    0x50, 0x86, 0xcb, 0x9b, 0x50, 0x72, 0x19, 0xee, 0x95, 0xdb, 0x11, 0x3a, 0x91, 0x76, 0x78, 0xb2,
    0x73, 0xbe, 0xd6, 0xb8, 0xe3, 0xc1, 0x74, 0x3b, 0x71, 0x16, 0xe6, 0x9e, 0x22, 0x22, 0x95, 0x16,
    0x3f, 0xf1, 0xca, 0xa1, 0x68, 0x1f, 0xac, 0x09, 0x12, 0x0e, 0xca, 0x30, 0x75, 0x86, 0xe1, 0xa7,
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
    /// Encrypting on a data queue.
    Encrypt,
    /// Decrypting on a data queue.
    Decrypt,
    /// Comparing the result with the expected one.
    Compare,
}

impl Step {
    /// Returns the step's name in the result line.
    fn name(self) -> &'static str {
        match self {
            Self::Parse => "parse",
            Self::Create => "create",
            Self::Destroy => "destroy",
            Self::Destroy2 => "destroy2",
            Self::Encrypt => "encrypt",
            Self::Decrypt => "decrypt",
            Self::Compare => "compare",
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
    /// The known-answer test passed.
    Passed,
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
        // The key goes to restricted memory first; the device reads it from there.
        let created = engine
            .import_key(key)
            .and_then(|key| engine.create_cipher_session(Cipher::AesCbc, direction, &key));
        let id = match created {
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

    /// Runs `src` through a new session of `direction` with the NIST key and IV, and checks the
    /// result against `expected`.
    fn cbc_known_answer(
        &self,
        direction: Direction,
        src: &[u8],
        expected: &[u8],
    ) -> core::result::Result<(), (Step, Error)> {
        let engine = &*self.engine;
        let step = match direction {
            Direction::Encrypt => Step::Encrypt,
            Direction::Decrypt => Step::Decrypt,
        };

        let id = engine
            .import_key(&NIST_AES128_KEY)
            .and_then(|key| engine.create_cipher_session(Cipher::AesCbc, direction, &key))
            .map_err(|e| (Step::Create, e))?;
        let output = engine.cipher(id, direction, &NIST_IV, src);
        let destroyed = engine.destroy_cipher_session(id);

        let output = output.map_err(|e| (step, e))?;
        destroyed.map_err(|e| (Step::Destroy, e))?;
        if output.as_slice() != expected {
            return Err((Step::Compare, EBADMSG));
        }

        Ok(())
    }

    /// Runs the AES-CBC known-answer test of NIST SP 800-38A, F.2.1, both ways.
    fn cbc_kat(&self) -> Outcome {
        let result = self
            .cbc_known_answer(Direction::Encrypt, &NIST_PLAINTEXT, &NIST_CIPHERTEXT)
            .and_then(|()| {
                self.cbc_known_answer(Direction::Decrypt, &NIST_CIPHERTEXT, &NIST_PLAINTEXT)
            });

        match result {
            Ok(()) => Outcome::Passed,
            Err((step, err)) => Outcome::Failed { step, err },
        }
    }

    /// Runs an encryption in a session that has been destroyed: a request the device fails.
    fn cbc_stale_session(&self) -> Outcome {
        let engine = &*self.engine;
        let id = match engine
            .import_key(&NIST_AES128_KEY)
            .and_then(|key| engine.create_cipher_session(Cipher::AesCbc, Direction::Encrypt, &key))
        {
            Ok(id) => id,
            Err(err) => {
                return Outcome::Failed {
                    step: Step::Create,
                    err,
                }
            }
        };
        if let Err(err) = engine.destroy_cipher_session(id) {
            return Outcome::Failed {
                step: Step::Destroy,
                err,
            };
        }
        match engine.cipher(id, Direction::Encrypt, &NIST_IV, &NIST_PLAINTEXT) {
            // The device encrypted in a session that is gone.
            Ok(_) => Outcome::Passed,
            Err(err) => Outcome::Failed {
                step: Step::Encrypt,
                err,
            },
        }
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
            b"cbc-kat" if arg.is_none() => return ("cbc-kat", self.cbc_kat()),
            b"cbc-stale-session" if arg.is_none() => {
                return ("cbc-stale-session", self.cbc_stale_session())
            }
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

        let key = match arg {
            None => None,
            Some(hex) => match parse_hex(hex) {
                Ok(key) if key.len() <= MAX_KEY => Some(key),
                _ => return (name, parse_error),
            },
        };
        let key = key.as_deref().unwrap_or(&NIST_AES128_KEY);

        (name, self.cipher_session(key, direction, false))
    }
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
            Outcome::Passed => f.write_fmt(fmt!("{}: ok\n", last.command)),
            Outcome::Failed { step, err } => f.write_fmt(fmt!(
                "{}: error {} at {}\n",
                last.command,
                err.to_errno(),
                step.name()
            )),
        }
    }
}
