// SPDX-License-Identifier: GPL-2.0

//! What the test-only debugfs files share: reading a command, splitting it into words, parsing
//! numbers and hexadecimal strings, reporting the step that failed, and keeping the result of the
//! last command for reading ([`LastResult`]).

use kernel::{
    fmt,
    prelude::*,
    str::CString,
    sync::{
        new_mutex,
        Mutex, //
    },
    uaccess::UserSliceReader, //
};

/// Formats bytes as lower-case hexadecimal.
pub(crate) struct Hex<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            f.write_fmt(fmt!("{:02x}", b))?;
        }
        Ok(())
    }
}

/// Parses the decimal number `word`.
pub(crate) fn parse_number<N: core::str::FromStr>(word: &[u8]) -> Result<N> {
    core::str::from_utf8(word)
        .map_err(|_| EINVAL)?
        .parse()
        .map_err(|_| EINVAL)
}

/// Returns `word`, for instance an algorithm's name, as a C string.
pub(crate) fn c_string(word: &[u8]) -> Result<CString> {
    CString::try_from_fmt(fmt!("{}", core::str::from_utf8(word).map_err(|_| EINVAL)?))
}

/// Returns the words of `line`, separated by white space.
pub(crate) fn split_words(line: &[u8]) -> Result<KVec<&[u8]>> {
    let mut words = KVec::new();
    for w in line
        .split(|c| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
    {
        words.push(w, GFP_KERNEL)?;
    }
    Ok(words)
}

/// Reads the command written to a test file: at most `max` bytes.
pub(crate) fn read_command(reader: &mut UserSliceReader, max: usize) -> Result<KVec<u8>> {
    let n = reader.len();
    if n > max {
        return Err(EINVAL);
    }
    let mut line = KVec::from_elem(0u8, n, GFP_KERNEL)?;
    reader.read_slice(&mut line)?;
    Ok(line)
}

/// A step of a test command that failed, and its error.
pub(crate) struct Failed(pub(crate) &'static str, pub(crate) Error);

/// Returns a closure that tags an error with `step`.
pub(crate) fn at(step: &'static str) -> impl Fn(Error) -> Failed {
    move |e| Failed(step, e)
}

/// Parses hexadecimal `hex`, or `-` for nothing.
pub(crate) fn parse_hex(hex: &[u8]) -> Result<KVec<u8>> {
    /// Returns the value of the hexadecimal digit `c`.
    fn digit(c: u8) -> Result<u8> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(EINVAL),
        }
    }
    if hex == b"-" {
        return Ok(KVec::new());
    }
    if hex.len() % 2 != 0 {
        return Err(EINVAL);
    }
    let mut out = KVec::with_capacity(hex.len() / 2, GFP_KERNEL)?;
    for pair in hex.chunks_exact(2) {
        let [hi, lo] = pair else {
            return Err(EINVAL);
        };
        out.push((digit(*hi)? << 4) | digit(*lo)?, GFP_KERNEL)?;
    }
    Ok(out)
}

#[kunit_tests(rstkey_test_cmd)]
mod tests {
    use super::*;

    /// Hexadecimal strings are parsed, bad ones rejected.
    #[test]
    fn hex() -> Result {
        assert_eq!(parse_hex(b"2b7E15")?.as_slice(), &[0x2b, 0x7e, 0x15]);
        assert_eq!(parse_hex(b"")?.as_slice(), &[] as &[u8]);
        assert_eq!(parse_hex(b"-")?.as_slice(), &[] as &[u8]);
        assert!(parse_hex(b"2b7").is_err());
        assert!(parse_hex(b"2g").is_err());
        Ok(())
    }

    /// Words are split on any white space; numbers parse or are refused.
    #[test]
    fn words() -> Result {
        let words = split_words(b" a\tbb  c\n")?;
        assert_eq!(words.len(), 3);
        assert_eq!(words[1], b"bb");
        assert_eq!(parse_number::<u32>(b"4096")?, 4096);
        assert!(parse_number::<u32>(b"-1").is_err());
        Ok(())
    }
}

/// The result line of a command file's last command, which reading the file returns.
#[pin_data]
pub(crate) struct LastResult {
    /// The line, `None` before the first command.
    #[pin]
    last: Mutex<Option<CString>>,
}

impl LastResult {
    /// No command yet.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            last <- new_mutex!(None, "LastResult::last"),
        })
    }

    /// Reads a command of at most `max` bytes from `reader`, runs `run` on its words and keeps
    /// the line `run` returns, or `<prefix>: error <errno> at <step>` for the step that failed.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] for a command longer than `max`, or the error of reading it or of
    /// allocating.
    pub(crate) fn run(
        &self,
        reader: &mut UserSliceReader,
        max: usize,
        prefix: &str,
        run: impl FnOnce(&[&[u8]]) -> core::result::Result<CString, Failed>,
    ) -> Result {
        let line = read_command(reader, max)?;
        let result = match run(&split_words(&line)?) {
            Ok(line) => line,
            Err(Failed(step, e)) => {
                CString::try_from_fmt(fmt!("{}: error {} at {}\n", prefix, e.to_errno(), step))?
            }
        };
        *self.last.lock() = Some(result);
        Ok(())
    }

    /// Writes the last result, `none` before the first command.
    pub(crate) fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.last.lock() {
            Some(s) => f.write_str(s.to_str().map_err(|_| fmt::Error)?),
            None => f.write_str("none\n"),
        }
    }
}
