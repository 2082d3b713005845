// SPDX-License-Identifier: GPL-2.0

//! Key blobs, version 2, as `include/uapi/linux/rstkey_km.h` defines them.

use aes::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::traits::PublicKeyParts;
use sha2::Sha256;
use std::fmt;

/// `"RKWB"`, the magic.
pub const MAGIC: &[u8; 4] = b"RKWB";
/// The version this tool writes and reads.
pub const VERSION: u8 = 2;
/// AES-256-CBC with HMAC-SHA256.
pub const ALG_AES256_CBC_HMAC_SHA256: u8 = 1;
/// The header's size.
pub const HDR_SIZE: usize = 32;
/// The tag's size.
pub const TAG_SIZE: usize = 32;
/// The largest key.
pub const MAX_KEY: usize = 4096;
/// The largest public key of an RSA key's blob.
pub const MAX_PUB: usize = 1024;
/// The size of the public key's length, which follows the header in an RSA key's blob.
pub const PUB_LEN_SIZE: usize = 2;
/// The device key's size: the encryption key, then the MAC key.
pub const DEVICE_KEY_SIZE: usize = 64;

/// Key types (`RSTKEY_KM_KEY_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// An AES key.
    Aes = 1,
    /// An RSA private key, DER `RSAPrivateKey`.
    Rsa = 2,
}

/// Usages (`RSTKEY_KM_USAGE_*`) and their names.
pub const USAGES: &[(u16, &str, KeyType)] = &[
    (1 << 0, "cbc", KeyType::Aes),
    (1 << 1, "ecb", KeyType::Aes),
    (1 << 2, "ctr", KeyType::Aes),
    (1 << 3, "xts", KeyType::Aes),
    (1 << 8, "sign", KeyType::Rsa),
    (1 << 9, "decrypt", KeyType::Rsa),
];

/// The exportable flag (`RSTKEY_KM_FLAG_EXPORTABLE`).
pub const FLAG_EXPORTABLE: u32 = 1 << 0;

/// What a blob says of its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Info {
    pub key_type: KeyType,
    pub usage: u16,
    pub flags: u32,
    pub key_len: usize,
}

impl Info {
    /// Checks the rules the secure world applies: at least one usage, all of the type, known
    /// flags, a length the type and each usage take.
    pub fn check(&self) -> Result<(), String> {
        let of_type: u16 = USAGES
            .iter()
            .filter(|(_, _, t)| *t == self.key_type)
            .map(|(b, _, _)| b)
            .sum();
        if self.usage == 0 {
            return Err("a key needs at least one usage".into());
        }
        if self.usage & !of_type != 0 {
            return Err(format!(
                "usages {} are not usages of {:?} keys",
                usage_names(self.usage & !of_type),
                self.key_type
            ));
        }
        if self.flags & !FLAG_EXPORTABLE != 0 {
            return Err(format!(
                "unknown flags {:#x}",
                self.flags & !FLAG_EXPORTABLE
            ));
        }
        let len = self.key_len;
        match self.key_type {
            KeyType::Aes => {
                if self.usage & 0x7 != 0 && ![16, 24, 32].contains(&len) {
                    return Err(format!(
                        "an AES key for CBC, ECB or CTR is 16, 24 or 32 bytes, not {len}"
                    ));
                }
                if self.usage & 0x8 != 0 && ![32, 64].contains(&len) {
                    return Err(format!(
                        "an AES-XTS key is 32 or 64 bytes (two keys), not {len}"
                    ));
                }
            }
            KeyType::Rsa => {
                if !(1..=MAX_KEY).contains(&len) {
                    return Err(format!(
                        "an RSA key blob holds 1 to {MAX_KEY} bytes, not {len}"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The names of the usage bits in `usage`, separated by commas.
pub fn usage_names(usage: u16) -> String {
    let mut names: Vec<String> = USAGES
        .iter()
        .filter(|(b, _, _)| usage & b != 0)
        .map(|(_, n, _)| (*n).to_owned())
        .collect();
    let known: u16 = USAGES.iter().map(|(b, _, _)| b).sum();
    if usage & !known != 0 {
        names.push(format!("{:#x}", usage & !known));
    }
    names.join(",")
}

/// Parses a list of usage names such as `cbc,ctr`.
pub fn parse_usages(list: &str) -> Result<u16, String> {
    list.split(',')
        .map(|n| {
            USAGES
                .iter()
                .find(|(_, name, _)| *name == n)
                .map(|(b, _, _)| *b)
                .ok_or_else(|| {
                    format!("unknown usage `{n}` (known: cbc, ecb, ctr, xts, sign, decrypt)")
                })
        })
        .try_fold(0, |acc, b| b.map(|b| acc | b))
}

/// Wraps `key` of `info` under `device_key` with the IV `iv`; `public` is the public key of an
/// RSA key (DER RSAPublicKey), empty for an AES key.
pub fn wrap(
    device_key: &[u8; DEVICE_KEY_SIZE],
    key: &[u8],
    public: &[u8],
    info: Info,
    iv: &[u8; 16],
) -> Result<Vec<u8>, String> {
    if info.key_len != key.len() {
        return Err("the key's length is not the header's".into());
    }
    info.check()?;
    match info.key_type {
        KeyType::Aes if !public.is_empty() => {
            return Err("an AES key's blob has no public key".into())
        }
        KeyType::Rsa if public.is_empty() || public.len() > MAX_PUB => {
            return Err(format!(
                "an RSA key's blob has a public key of 1 to {MAX_PUB} bytes, not {}",
                public.len()
            ))
        }
        _ => (),
    }
    let mut blob = Vec::with_capacity(HDR_SIZE + public.len() + key.len() + 18 + TAG_SIZE);
    blob.extend_from_slice(MAGIC);
    blob.push(VERSION);
    blob.push(ALG_AES256_CBC_HMAC_SHA256);
    blob.extend_from_slice(&(key.len() as u16).to_le_bytes());
    blob.push(info.key_type as u8);
    blob.push(0);
    blob.extend_from_slice(&info.usage.to_le_bytes());
    blob.extend_from_slice(&info.flags.to_le_bytes());
    blob.extend_from_slice(iv);
    if info.key_type == KeyType::Rsa {
        blob.extend_from_slice(&(public.len() as u16).to_le_bytes());
        blob.extend_from_slice(public);
    }
    let enc = cbc::Encryptor::<aes::Aes256>::new_from_slices(&device_key[..32], iv)
        .map_err(|e| format!("AES-256-CBC: {e}"))?;
    blob.extend_from_slice(&enc.encrypt_padded_vec_mut::<Pkcs7>(key));
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&device_key[32..])
        .map_err(|e| format!("HMAC-SHA256: {e}"))?;
    mac.update(&blob);
    blob.extend_from_slice(&mac.finalize().into_bytes());
    Ok(blob)
}

/// What [`inspect`] found.
#[derive(Debug, PartialEq, Eq)]
pub struct Inspected {
    pub info: Info,
    pub size: usize,
    /// An RSA key's public key: its size in bits and its public exponent.
    pub public: Option<(usize, String)>,
    /// Whether the tag is right, if a device key was given.
    pub tag_valid: Option<bool>,
}

impl fmt::Display for Inspected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "version: {VERSION}")?;
        writeln!(f, "wrapping: AES-256-CBC, HMAC-SHA256")?;
        writeln!(
            f,
            "key type: {}",
            match self.info.key_type {
                KeyType::Aes => "aes",
                KeyType::Rsa => "rsa",
            }
        )?;
        writeln!(f, "key length: {} bytes", self.info.key_len)?;
        if let Some((bits, e)) = &self.public {
            writeln!(f, "public key: {bits}-bit RSA, exponent {e}")?;
        }
        writeln!(f, "usages: {}", usage_names(self.info.usage))?;
        writeln!(
            f,
            "exportable: {}",
            if self.info.flags & FLAG_EXPORTABLE != 0 {
                "yes"
            } else {
                "no"
            }
        )?;
        writeln!(f, "blob size: {} bytes", self.size)?;
        match self.tag_valid {
            Some(true) => writeln!(f, "tag: valid for this device key"),
            Some(false) => writeln!(f, "tag: NOT valid for this device key"),
            None => writeln!(f, "tag: not checked (no device key given)"),
        }
    }
}

/// Reads the header of `blob`, checks its structure and, with `device_key`, its tag. Never
/// decrypts the key.
pub fn inspect(
    blob: &[u8],
    device_key: Option<&[u8; DEVICE_KEY_SIZE]>,
) -> Result<Inspected, String> {
    if blob.len() < HDR_SIZE {
        return Err(format!(
            "{} bytes: shorter than a header ({HDR_SIZE})",
            blob.len()
        ));
    }
    if &blob[..4] != MAGIC {
        return Err("not an rstkey key blob (no \"RKWB\" magic)".into());
    }
    if blob[4] != VERSION {
        return Err(format!(
            "version {}: this tool reads version {VERSION}",
            blob[4]
        ));
    }
    if blob[5] != ALG_AES256_CBC_HMAC_SHA256 {
        return Err(format!("unknown wrapping algorithm {}", blob[5]));
    }
    let key_len = usize::from(u16::from_le_bytes([blob[6], blob[7]]));
    let key_type = match blob[8] {
        1 => KeyType::Aes,
        2 => KeyType::Rsa,
        t => return Err(format!("unknown key type {t}")),
    };
    if blob[9] != 0 {
        return Err("the reserved byte is not zero".into());
    }
    let info = Info {
        key_type,
        usage: u16::from_le_bytes([blob[10], blob[11]]),
        flags: u32::from_le_bytes([blob[12], blob[13], blob[14], blob[15]]),
        key_len,
    };
    info.check()?;
    let ct_len = (key_len / 16 + 1) * 16;
    // An RSA key's public key follows the header, with its length.
    let (public, pub_size) = match key_type {
        KeyType::Aes => (None, 0),
        KeyType::Rsa => {
            let len = blob
                .get(HDR_SIZE..HDR_SIZE + PUB_LEN_SIZE)
                .ok_or("too short for an RSA key's public key")?;
            let len = usize::from(u16::from_le_bytes([len[0], len[1]]));
            if len == 0 || len > MAX_PUB {
                return Err(format!(
                    "a public key of {len} bytes: an RSA key's blob has 1 to {MAX_PUB}"
                ));
            }
            let der = blob
                .get(HDR_SIZE + PUB_LEN_SIZE..HDR_SIZE + PUB_LEN_SIZE + len)
                .ok_or("too short for its public key")?;
            let key = rsa::RsaPublicKey::from_pkcs1_der(der)
                .map_err(|e| format!("the public key is not a DER RSAPublicKey: {e}"))?;
            (
                Some((key.n().bits(), key.e().to_string())),
                PUB_LEN_SIZE + len,
            )
        }
    };
    let body = HDR_SIZE + pub_size + ct_len;
    if blob.len() != body + TAG_SIZE {
        return Err(format!(
            "{} bytes: a blob of a {key_len}-byte key is {} bytes",
            blob.len(),
            body + TAG_SIZE
        ));
    }
    let tag_valid = device_key.map(|dk| {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&dk[32..]).expect("any key length");
        mac.update(&blob[..body]);
        mac.verify_slice(&blob[body..]).is_ok()
    });
    Ok(Inspected {
        info,
        size: blob.len(),
        public,
        tag_valid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The KUnit vector of `drivers/tee/rstkey_sw/blob.rs`, made by `tests/host/wrap-key`.
    const VECTOR: [u8; 96] = [
        0x52, 0x4b, 0x57, 0x42, 0x02, 0x01, 0x10, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad,
        0xae, 0xaf, 0xce, 0x1c, 0xf3, 0xa4, 0xe3, 0xb8, 0x7b, 0x13, 0x9b, 0xa3, 0xcf, 0xf1, 0x0a,
        0xce, 0x35, 0xb6, 0x06, 0xd9, 0x6b, 0x2e, 0x18, 0x4b, 0xf2, 0x2b, 0x73, 0xd3, 0x1b, 0xa4,
        0xbe, 0x14, 0xd8, 0xc9, 0x1b, 0x8e, 0xc8, 0xa3, 0x6e, 0xc7, 0xe0, 0x81, 0x9a, 0x55, 0xb7,
        0xd1, 0x6a, 0x87, 0xe0, 0x0e, 0x31, 0xf5, 0x81, 0xa2, 0x1f, 0x35, 0x06, 0x3c, 0x5c, 0x4b,
        0xc8, 0x15, 0xcb, 0xf3, 0xe0, 0x7d,
    ];

    fn dk() -> [u8; 64] {
        core::array::from_fn(|i| i as u8)
    }

    #[test]
    fn wrap_gives_the_openssl_vector() {
        let info = Info {
            key_type: KeyType::Aes,
            usage: 1,
            flags: 0,
            key_len: 16,
        };
        let iv: [u8; 16] = core::array::from_fn(|i| 0xa0 + i as u8);
        assert_eq!(
            wrap(&dk(), b"0123456789abcdef", &[], info, &iv).unwrap(),
            VECTOR
        );
        let got = inspect(&VECTOR, Some(&dk())).unwrap();
        assert_eq!((got.info, got.size, got.tag_valid), (info, 96, Some(true)));
        assert_eq!(
            inspect(&VECTOR, Some(&[7; 64])).unwrap().tag_valid,
            Some(false)
        );
    }

    #[test]
    fn bad_keys_and_blobs_are_refused() {
        let aes = |usage, key_len| Info {
            key_type: KeyType::Aes,
            usage,
            flags: 0,
            key_len,
        };
        assert!(aes(1, 17).check().unwrap_err().contains("16, 24 or 32"));
        assert!(aes(8, 16).check().unwrap_err().contains("XTS"));
        assert!(aes(0x100, 16).check().unwrap_err().contains("sign"));
        assert!(aes(0, 16).check().unwrap_err().contains("at least one"));
        assert!(parse_usages("cbc,gcm").unwrap_err().contains("gcm"));
        assert_eq!(parse_usages("cbc,xts"), Ok(9));
        let mut b = VECTOR;
        b[4] = 1;
        assert!(inspect(&b, None).unwrap_err().contains("version 1"));
        assert!(inspect(&VECTOR[..95], None)
            .unwrap_err()
            .contains("95 bytes"));
        assert!(inspect(b"RKWB", None).is_err());
        assert!(inspect(&[0; 96], None).unwrap_err().contains("magic"));
        let rsa = Info {
            key_type: KeyType::Rsa,
            usage: 0x100,
            flags: 0,
            key_len: 16,
        };
        let iv = [0; 16];
        assert!(wrap(&dk(), &[1; 16], &[], rsa, &iv)
            .unwrap_err()
            .contains("public key"));
        assert!(wrap(&dk(), &[1; 16], &[1; 1025], rsa, &iv)
            .unwrap_err()
            .contains("1025"));
        assert!(wrap(&dk(), &[1; 16], &[1], aes(1, 16), &iv)
            .unwrap_err()
            .contains("no public key"));
        // An RSA blob whose public key is not DER.
        let b = wrap(&dk(), &[1; 16], &[1, 2, 3], rsa, &iv).unwrap();
        assert!(inspect(&b, None).unwrap_err().contains("RSAPublicKey"));
    }

    /// An RSA key's blob: the public key between the header and the ciphertext, which
    /// `inspect` reads.
    #[test]
    fn rsa_blob_carries_the_public_key() {
        // A 512-bit public key (openssl rsa -RSAPublicKey_out -outform DER), e = 65537.
        let public: [u8; 74] = [
            0x30, 0x48, 0x02, 0x41, 0x00, 0xbd, 0x68, 0xf1, 0xfa, 0x4e, 0x97, 0xc2, 0x84, 0x52,
            0xa9, 0x67, 0xf0, 0x3a, 0xae, 0x08, 0x0d, 0x63, 0x59, 0x3f, 0x8a, 0x97, 0xc0, 0xa6,
            0x43, 0xa0, 0x24, 0x0f, 0x0f, 0xd2, 0x8c, 0x91, 0x81, 0xcf, 0x7f, 0x10, 0x24, 0x38,
            0x4d, 0xd8, 0x24, 0x15, 0x19, 0xe1, 0xb9, 0x48, 0xc6, 0xd7, 0xf1, 0x2c, 0x79, 0x2f,
            0x98, 0x4d, 0x96, 0x9a, 0x99, 0x49, 0x13, 0x73, 0xcf, 0x26, 0x2d, 0x19, 0x0d, 0x02,
            0x03, 0x01, 0x00, 0x01,
        ];
        let info = Info {
            key_type: KeyType::Rsa,
            usage: 0x300,
            flags: 0,
            key_len: 20,
        };
        let b = wrap(&dk(), &[9; 20], &public, info, &[0; 16]).unwrap();
        assert_eq!(b.len(), HDR_SIZE + 2 + public.len() + 32 + TAG_SIZE);
        assert_eq!(&b[HDR_SIZE..HDR_SIZE + 2], &[74, 0]);
        assert_eq!(&b[HDR_SIZE + 2..HDR_SIZE + 76], &public[..]);
        let got = inspect(&b, Some(&dk())).unwrap();
        assert_eq!(got.public, Some((512, "65537".to_string())));
        assert_eq!(got.tag_valid, Some(true));
        let mut bad = b.clone();
        bad[HDR_SIZE + 12] ^= 1;
        assert_eq!(inspect(&bad, Some(&dk())).unwrap().tag_valid, Some(false));
        assert!(inspect(&b[..b.len() - 1], None)
            .unwrap_err()
            .contains("bytes"));
    }

    /// The constants are the C header's.
    #[test]
    fn constants_match_the_uapi_header() {
        let h = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../include/uapi/linux/rstkey_km.h"
        ))
        .unwrap();
        let def = |name: &str| {
            h.lines()
                .find_map(|l| {
                    let rest = l.strip_prefix("#define ")?.strip_prefix(name)?;
                    rest.starts_with(|c: char| c.is_whitespace())
                        .then(|| rest.trim().to_owned())
                })
                .unwrap_or_else(|| panic!("{name} not in the header"))
        };
        let num = |name: &str| -> u64 {
            let v = def(name);
            let v = v
                .split("/*")
                .next()
                .unwrap()
                .trim()
                .trim_matches(|c| c == '(' || c == ')');
            if let Some((a, b)) = v.split_once("<<") {
                a.trim().parse::<u64>().unwrap() << b.trim().parse::<u64>().unwrap()
            } else if let Some(hex) = v.strip_prefix("0x") {
                u64::from_str_radix(hex, 16).unwrap()
            } else {
                v.parse().unwrap()
            }
        };
        assert_eq!(num("RSTKEY_KM_BLOB_MAGIC").to_le_bytes()[..4], MAGIC[..]);
        assert_eq!(num("RSTKEY_KM_BLOB_VERSION"), u64::from(VERSION));
        assert_eq!(num("RSTKEY_KM_BLOB_ALG_AES256_CBC_HMAC_SHA256"), 1);
        assert_eq!(num("RSTKEY_KM_BLOB_TAG_SIZE"), TAG_SIZE as u64);
        assert_eq!(num("RSTKEY_KM_MAX_KEY"), MAX_KEY as u64);
        assert_eq!(num("RSTKEY_KM_MAX_PUB"), MAX_PUB as u64);
        assert_eq!(num("RSTKEY_KM_KEY_AES"), KeyType::Aes as u64);
        assert_eq!(num("RSTKEY_KM_KEY_RSA"), KeyType::Rsa as u64);
        assert_eq!(num("RSTKEY_KM_FLAG_EXPORTABLE"), u64::from(FLAG_EXPORTABLE));
        for (bit, name, _) in USAGES {
            let c = match *name {
                "sign" | "decrypt" => format!("RSTKEY_KM_USAGE_RSA_{}", name.to_uppercase()),
                n => format!("RSTKEY_KM_USAGE_AES_{}", n.to_uppercase()),
            };
            assert_eq!(num(&c), u64::from(*bit), "{c}");
        }
    }
}
