// SPDX-License-Identifier: GPL-2.0

//! `rstkey-wrap`: wraps AES keys and RSA private keys into rstkey key blobs (version 2) for a
//! device key, and inspects blobs without ever showing key material.
//!
//! A blob is what a provisioning host hands to a device: the secure world unwraps it into
//! restricted memory with its device key, and the normal world never sees the key. See
//! `Documentation/tee/rstkey-sw.rst` for the format.

mod blob;

use blob::{Info, KeyType, DEVICE_KEY_SIZE};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use std::io::Read;
use std::process::ExitCode;
use zeroize::Zeroizing;

const USAGE: &str = "\
usage: rstkey-wrap wrap --device-key FILE --type aes|rsa [--usage LIST] [--exportable]
                        [--iv HEX] KEY OUT
       rstkey-wrap inspect [--device-key FILE] BLOB

wrap     wraps the key in the file KEY into a version 2 blob written to OUT:
         aes: the key's raw bytes (16, 24 or 32; 32 or 64 for xts);
         rsa: a private key of 1024 to 4096 bits, PEM or DER, PKCS#1 or PKCS#8
         (unencrypted); the blob holds its DER RSAPrivateKey
  --device-key FILE  the device's 64-byte key (encryption key, then MAC key)
  --usage LIST       comma-separated: cbc, ecb, ctr, xts (aes; default cbc),
                     sign, decrypt (rsa; default sign,decrypt)
  --exportable       mark the key as one that may be exported wrapped
  --iv HEX           the IV, 32 hex digits (default: random); to reproduce a blob
inspect  prints what the blob's header says (type, usages, sizes), never key
         material; with --device-key, also whether its tag is valid
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(Error::Usage(e)) => {
            eprintln!("rstkey-wrap: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Error::Failed(e)) => {
            eprintln!("rstkey-wrap: error: {e}");
            ExitCode::FAILURE
        }
    }
}

enum Error {
    Usage(String),
    Failed(String),
}

impl From<String> for Error {
    fn from(e: String) -> Self {
        Error::Failed(e)
    }
}

fn read(path: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|e| Error::Failed(format!("{path}: {e}")))
}

fn device_key(path: &str) -> Result<Zeroizing<[u8; DEVICE_KEY_SIZE]>, Error> {
    let bytes = read(path)?;
    let key = <[u8; DEVICE_KEY_SIZE]>::try_from(bytes.as_slice()).map_err(|_| {
        Error::Failed(format!(
            "{path}: a device key is {DEVICE_KEY_SIZE} bytes, not {}",
            bytes.len()
        ))
    })?;
    Ok(Zeroizing::new(key))
}

fn parse_iv(hex: &str) -> Result<[u8; 16], Error> {
    let bad = || Error::Usage(format!("--iv `{hex}`: 32 hex digits"));
    if hex.len() != 32 {
        return Err(bad());
    }
    let mut iv = [0u8; 16];
    for (i, b) in iv.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16)
            .map_err(|_| bad())?;
    }
    Ok(iv)
}

fn random_iv() -> Result<[u8; 16], Error> {
    let mut iv = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut iv))
        .map_err(|e| Error::Failed(format!("/dev/urandom: {e}")))?;
    Ok(iv)
}

/// Reads an RSA private key, PEM or DER, PKCS#1 or PKCS#8, and returns its DER RSAPrivateKey
/// and its public key, DER RSAPublicKey.
fn rsa_key(path: &str, bytes: &[u8]) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), Error> {
    let key = if bytes.starts_with(b"-----BEGIN") {
        let text =
            std::str::from_utf8(bytes).map_err(|_| format!("{path}: PEM that is not text"))?;
        if text.contains("ENCRYPTED") {
            return Err(Error::Failed(format!(
                "{path}: an encrypted private key; decrypt it first"
            )));
        }
        if text.contains("PUBLIC KEY") {
            return Err(Error::Failed(format!(
                "{path}: a public key, not a private key"
            )));
        }
        RsaPrivateKey::from_pkcs8_pem(text)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(text))
            .map_err(|e| format!("{path}: not an RSA private key in PKCS#8 or PKCS#1 PEM: {e}"))?
    } else {
        RsaPrivateKey::from_pkcs8_der(bytes)
            .or_else(|_| RsaPrivateKey::from_pkcs1_der(bytes))
            .map_err(|e| format!("{path}: not an RSA private key in PKCS#8 or PKCS#1 DER: {e}"))?
    };
    let bits = key.n().bits();
    if !(1024..=4096).contains(&bits) {
        return Err(Error::Failed(format!(
            "{path}: a {bits}-bit key; rstkey takes 1024 to 4096 bits"
        )));
    }
    let der = key.to_pkcs1_der().map_err(|e| format!("{path}: {e}"))?;
    let public = key
        .to_public_key()
        .to_pkcs1_der()
        .map_err(|e| format!("{path}: {e}"))?;
    Ok((
        Zeroizing::new(der.as_bytes().to_vec()),
        public.as_bytes().to_vec(),
    ))
}

fn run(args: &[String]) -> Result<String, Error> {
    let (cmd, rest) = args
        .split_first()
        .ok_or(Error::Usage("no command".into()))?;
    let mut opts = std::collections::HashMap::new();
    let mut pos = Vec::new();
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--device-key" | "--type" | "--usage" | "--iv" => {
                let v = it
                    .next()
                    .ok_or_else(|| Error::Usage(format!("{a} needs a value")))?;
                opts.insert(a.as_str(), v.as_str());
            }
            "--exportable" => {
                opts.insert("--exportable", "");
            }
            o if o.starts_with("--") => return Err(Error::Usage(format!("unknown option `{o}`"))),
            p => pos.push(p),
        }
    }
    match (cmd.as_str(), pos.as_slice()) {
        ("wrap", [key_path, out]) => {
            let dk = device_key(
                opts.get("--device-key")
                    .ok_or(Error::Usage("wrap needs --device-key".into()))?,
            )?;
            let key_type = match opts.get("--type").copied() {
                Some("aes") => KeyType::Aes,
                Some("rsa") => KeyType::Rsa,
                Some(t) => return Err(Error::Usage(format!("--type `{t}`: aes or rsa"))),
                None => return Err(Error::Usage("wrap needs --type".into())),
            };
            let usage = match (opts.get("--usage"), key_type) {
                (Some(l), _) => blob::parse_usages(l).map_err(Error::Usage)?,
                (None, KeyType::Aes) => 1,
                (None, KeyType::Rsa) => (1 << 8) | (1 << 9),
            };
            let raw = read(key_path)?;
            let (key, public) = match key_type {
                KeyType::Aes => (raw, Vec::new()),
                KeyType::Rsa => rsa_key(key_path, &raw)?,
            };
            let info = Info {
                key_type,
                usage,
                flags: if opts.contains_key("--exportable") {
                    blob::FLAG_EXPORTABLE
                } else {
                    0
                },
                key_len: key.len(),
            };
            let iv = match opts.get("--iv") {
                Some(h) => parse_iv(h)?,
                None => random_iv()?,
            };
            let b = blob::wrap(&dk, &key, &public, info, &iv)
                .map_err(|e| format!("{key_path}: {e}"))?;
            std::fs::write(out, &b).map_err(|e| format!("{out}: {e}"))?;
            Ok(format!(
                "{out}: {} bytes, {:?} key of {} bytes, usages {}\n",
                b.len(),
                key_type,
                key.len(),
                blob::usage_names(usage)
            ))
        }
        ("inspect", [path]) => {
            let dk = opts
                .get("--device-key")
                .map(|p| device_key(p))
                .transpose()?;
            let bytes = read(path)?;
            let found = blob::inspect(&bytes, dk.as_deref()).map_err(|e| format!("{path}: {e}"))?;
            Ok(found.to_string())
        }
        ("wrap" | "inspect", _) => Err(Error::Usage(format!("{cmd}: wrong number of arguments"))),
        _ => Err(Error::Usage(format!("unknown command `{cmd}`"))),
    }
}
