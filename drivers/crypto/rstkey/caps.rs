// SPDX-License-Identifier: GPL-2.0

//! Capabilities of a virtio-crypto device.
//!
//! The device advertises its services and algorithms in its configuration space (VIRTIO 1.2,
//! section 5.9.4, `struct virtio_crypto_config`). The algorithm masks have one bit per algorithm,
//! the bit number being the algorithm's `VIRTIO_CRYPTO_*` value.

use kernel::{
    debugfs,
    device::Bound,
    fmt,
    io::io_read,
    prelude::*,
    uapi,
    virtio, //
};

/// The virtio-crypto device type.
pub(crate) struct VirtioCrypto;

// SAFETY: VIRTIO 1.2, section 5.9.4: the device configuration of a crypto device (device ID
// 20) is `struct virtio_crypto_config`: twelve `le32` fields followed by the `le64` `max_size`,
// none of them depending on a feature.
unsafe impl virtio::DeviceType for VirtioCrypto {
    const ID: u32 = uapi::VIRTIO_ID_CRYPTO;
    type Config = uapi::virtio_crypto_config;
}

/// Bit numbers and names of a `status` field.
const STATUS_NAMES: &[(u32, &str)] = &[(0, "hw-ready")];

/// Bit numbers (`VIRTIO_CRYPTO_SERVICE_*`) and names of the services.
const SERVICE_NAMES: &[(u32, &str)] = &[
    (uapi::VIRTIO_CRYPTO_SERVICE_CIPHER, "cipher"),
    (uapi::VIRTIO_CRYPTO_SERVICE_HASH, "hash"),
    (uapi::VIRTIO_CRYPTO_SERVICE_MAC, "mac"),
    (uapi::VIRTIO_CRYPTO_SERVICE_AEAD, "aead"),
    (uapi::VIRTIO_CRYPTO_SERVICE_AKCIPHER, "akcipher"),
];

/// Bit numbers (`VIRTIO_CRYPTO_CIPHER_*`) and names of the ciphers.
const CIPHER_NAMES: &[(u32, &str)] = &[
    (uapi::VIRTIO_CRYPTO_NO_CIPHER, "null"),
    (uapi::VIRTIO_CRYPTO_CIPHER_ARC4, "arc4"),
    (uapi::VIRTIO_CRYPTO_CIPHER_AES_ECB, "aes-ecb"),
    (uapi::VIRTIO_CRYPTO_CIPHER_AES_CBC, "aes-cbc"),
    (uapi::VIRTIO_CRYPTO_CIPHER_AES_CTR, "aes-ctr"),
    (uapi::VIRTIO_CRYPTO_CIPHER_DES_ECB, "des-ecb"),
    (uapi::VIRTIO_CRYPTO_CIPHER_DES_CBC, "des-cbc"),
    (uapi::VIRTIO_CRYPTO_CIPHER_3DES_ECB, "3des-ecb"),
    (uapi::VIRTIO_CRYPTO_CIPHER_3DES_CBC, "3des-cbc"),
    (uapi::VIRTIO_CRYPTO_CIPHER_3DES_CTR, "3des-ctr"),
    (uapi::VIRTIO_CRYPTO_CIPHER_KASUMI_F8, "kasumi-f8"),
    (uapi::VIRTIO_CRYPTO_CIPHER_SNOW3G_UEA2, "snow3g-uea2"),
    (uapi::VIRTIO_CRYPTO_CIPHER_AES_F8, "aes-f8"),
    (uapi::VIRTIO_CRYPTO_CIPHER_AES_XTS, "aes-xts"),
    (uapi::VIRTIO_CRYPTO_CIPHER_ZUC_EEA3, "zuc-eea3"),
];

/// Bit numbers (`VIRTIO_CRYPTO_HASH_*`) and names of the hashes.
const HASH_NAMES: &[(u32, &str)] = &[
    (uapi::VIRTIO_CRYPTO_NO_HASH, "null"),
    (uapi::VIRTIO_CRYPTO_HASH_MD5, "md5"),
    (uapi::VIRTIO_CRYPTO_HASH_SHA1, "sha1"),
    (uapi::VIRTIO_CRYPTO_HASH_SHA_224, "sha224"),
    (uapi::VIRTIO_CRYPTO_HASH_SHA_256, "sha256"),
    (uapi::VIRTIO_CRYPTO_HASH_SHA_384, "sha384"),
    (uapi::VIRTIO_CRYPTO_HASH_SHA_512, "sha512"),
    (uapi::VIRTIO_CRYPTO_HASH_SHA3_224, "sha3-224"),
    (uapi::VIRTIO_CRYPTO_HASH_SHA3_256, "sha3-256"),
    (uapi::VIRTIO_CRYPTO_HASH_SHA3_384, "sha3-384"),
    (uapi::VIRTIO_CRYPTO_HASH_SHA3_512, "sha3-512"),
    (uapi::VIRTIO_CRYPTO_HASH_SHA3_SHAKE128, "shake128"),
    (uapi::VIRTIO_CRYPTO_HASH_SHA3_SHAKE256, "shake256"),
];

/// Bit numbers (`VIRTIO_CRYPTO_MAC_*`) and names of the MACs.
const MAC_NAMES: &[(u32, &str)] = &[
    (uapi::VIRTIO_CRYPTO_NO_MAC, "null"),
    (uapi::VIRTIO_CRYPTO_MAC_HMAC_MD5, "hmac-md5"),
    (uapi::VIRTIO_CRYPTO_MAC_HMAC_SHA1, "hmac-sha1"),
    (uapi::VIRTIO_CRYPTO_MAC_HMAC_SHA_224, "hmac-sha224"),
    (uapi::VIRTIO_CRYPTO_MAC_HMAC_SHA_256, "hmac-sha256"),
    (uapi::VIRTIO_CRYPTO_MAC_HMAC_SHA_384, "hmac-sha384"),
    (uapi::VIRTIO_CRYPTO_MAC_HMAC_SHA_512, "hmac-sha512"),
    (uapi::VIRTIO_CRYPTO_MAC_CMAC_3DES, "cmac-3des"),
    (uapi::VIRTIO_CRYPTO_MAC_CMAC_AES, "cmac-aes"),
    (uapi::VIRTIO_CRYPTO_MAC_KASUMI_F9, "kasumi-f9"),
    (uapi::VIRTIO_CRYPTO_MAC_SNOW3G_UIA2, "snow3g-uia2"),
    (uapi::VIRTIO_CRYPTO_MAC_GMAC_AES, "gmac-aes"),
    (uapi::VIRTIO_CRYPTO_MAC_GMAC_TWOFISH, "gmac-twofish"),
    (uapi::VIRTIO_CRYPTO_MAC_CBCMAC_AES, "cbcmac-aes"),
    (uapi::VIRTIO_CRYPTO_MAC_CBCMAC_KASUMI_F9, "cbcmac-kasumi-f9"),
    (uapi::VIRTIO_CRYPTO_MAC_XCBC_AES, "xcbc-aes"),
];

/// Bit numbers (`VIRTIO_CRYPTO_AEAD_*`) and names of the AEADs.
const AEAD_NAMES: &[(u32, &str)] = &[
    (uapi::VIRTIO_CRYPTO_NO_AEAD, "null"),
    (uapi::VIRTIO_CRYPTO_AEAD_GCM, "gcm"),
    (uapi::VIRTIO_CRYPTO_AEAD_CCM, "ccm"),
    (
        uapi::VIRTIO_CRYPTO_AEAD_CHACHA20_POLY1305,
        "chacha20-poly1305",
    ),
];

/// Bit numbers (`VIRTIO_CRYPTO_AKCIPHER_*`) and names of the asymmetric ciphers.
const AKCIPHER_NAMES: &[(u32, &str)] = &[
    (uapi::VIRTIO_CRYPTO_NO_AKCIPHER, "null"),
    (uapi::VIRTIO_CRYPTO_AKCIPHER_RSA, "rsa"),
    (uapi::VIRTIO_CRYPTO_AKCIPHER_DSA, "dsa"),
    (uapi::VIRTIO_CRYPTO_AKCIPHER_ECDSA, "ecdsa"),
];

/// The names of the bits set in a mask, separated by spaces.
///
/// Bits without a name are shown as `bit<N>`; an empty mask is shown as `none`.
struct Names {
    /// The mask.
    mask: u64,
    /// Bit numbers and their names.
    names: &'static [(u32, &'static str)],
}

impl Names {
    /// Creates the list of names of the bits of `mask`, named by `names`.
    fn new(mask: impl Into<u64>, names: &'static [(u32, &'static str)]) -> Self {
        Self {
            mask: mask.into(),
            names,
        }
    }
}

impl fmt::Display for Names {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mask == 0 {
            return f.write_str("none");
        }

        let mut sep = "";
        for bit in (0..u64::BITS).filter(|bit| self.mask & (1 << bit) != 0) {
            f.write_str(sep)?;
            sep = " ";

            match self.names.iter().find(|(nr, _)| *nr == bit) {
                Some((_, name)) => f.write_str(name)?,
                None => f.write_fmt(fmt!("bit{bit}"))?,
            }
        }

        Ok(())
    }
}

/// The capabilities a virtio-crypto device advertises in its configuration space.
///
/// The masks are as the device reports them; 64-bit masks combine the `_l` (bits 0-31) and `_h`
/// (bits 32-63) fields.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Capabilities {
    /// Device status (`VIRTIO_CRYPTO_S_*`).
    pub(crate) status: u32,
    /// Maximum number of data queues.
    pub(crate) max_dataqueues: u32,
    /// Services (`1 << VIRTIO_CRYPTO_SERVICE_*`).
    pub(crate) services: u32,
    /// Ciphers (`1 << VIRTIO_CRYPTO_CIPHER_*`).
    pub(crate) cipher: u64,
    /// Hashes (`1 << VIRTIO_CRYPTO_HASH_*`).
    pub(crate) hash: u32,
    /// MACs (`1 << VIRTIO_CRYPTO_MAC_*`).
    pub(crate) mac: u64,
    /// AEADs (`1 << VIRTIO_CRYPTO_AEAD_*`).
    pub(crate) aead: u32,
    /// Asymmetric ciphers (`1 << VIRTIO_CRYPTO_AKCIPHER_*`).
    pub(crate) akcipher: u32,
    /// Maximum length of a cipher key, in bytes.
    pub(crate) max_cipher_key_len: u32,
    /// Maximum length of an authentication key, in bytes.
    pub(crate) max_auth_key_len: u32,
    /// Maximum size of the content of a request, in bytes.
    pub(crate) max_size: u64,
}

impl Capabilities {
    /// Reads the capabilities from the configuration space of `vdev`.
    ///
    /// # Errors
    ///
    /// Returns [`ENODEV`] if `vdev` is not a virtio-crypto device.
    pub(crate) fn read(vdev: &virtio::Device<Bound>) -> Result<Self> {
        let config = vdev.config_space::<VirtioCrypto>()?;

        let cipher_l: u32 = io_read!(config, .cipher_algo_l);
        let cipher_h: u32 = io_read!(config, .cipher_algo_h);
        let mac_l: u32 = io_read!(config, .mac_algo_l);
        let mac_h: u32 = io_read!(config, .mac_algo_h);

        Ok(Self {
            status: io_read!(config, .status),
            max_dataqueues: io_read!(config, .max_dataqueues),
            services: io_read!(config, .crypto_services),
            cipher: (u64::from(cipher_h) << 32) | u64::from(cipher_l),
            hash: io_read!(config, .hash_algo),
            mac: (u64::from(mac_h) << 32) | u64::from(mac_l),
            aead: io_read!(config, .aead_algo),
            akcipher: io_read!(config, .akcipher_algo),
            max_cipher_key_len: io_read!(config, .max_cipher_key_len),
            max_auth_key_len: io_read!(config, .max_auth_key_len),
            max_size: io_read!(config, .max_size),
        })
    }

    /// Returns whether the device reports itself ready (`VIRTIO_CRYPTO_S_HW_READY`).
    pub(crate) fn hw_ready(&self) -> bool {
        self.status & uapi::VIRTIO_CRYPTO_S_HW_READY != 0
    }

    /// Returns a one-line summary of the capabilities, for the kernel log.
    pub(crate) fn summary(&self) -> Summary<'_> {
        Summary(self)
    }
}

/// The `capabilities` file format: one `key: value` line per field.
///
/// Masks are printed as a hexadecimal number followed by the names of the bits set, see
/// `Documentation/crypto/device_drivers/rstkey.rst`.
impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_fmt(fmt!(
            "status: {:#010x} {}\n",
            self.status,
            Names::new(self.status, STATUS_NAMES)
        ))?;
        f.write_fmt(fmt!("max_dataqueues: {}\n", self.max_dataqueues))?;
        f.write_fmt(fmt!(
            "services: {:#010x} {}\n",
            self.services,
            Names::new(self.services, SERVICE_NAMES)
        ))?;
        f.write_fmt(fmt!(
            "cipher: {:#018x} {}\n",
            self.cipher,
            Names::new(self.cipher, CIPHER_NAMES)
        ))?;
        f.write_fmt(fmt!(
            "hash: {:#010x} {}\n",
            self.hash,
            Names::new(self.hash, HASH_NAMES)
        ))?;
        f.write_fmt(fmt!(
            "mac: {:#018x} {}\n",
            self.mac,
            Names::new(self.mac, MAC_NAMES)
        ))?;
        f.write_fmt(fmt!(
            "aead: {:#010x} {}\n",
            self.aead,
            Names::new(self.aead, AEAD_NAMES)
        ))?;
        f.write_fmt(fmt!(
            "akcipher: {:#010x} {}\n",
            self.akcipher,
            Names::new(self.akcipher, AKCIPHER_NAMES)
        ))?;
        f.write_fmt(fmt!("max_cipher_key_len: {}\n", self.max_cipher_key_len))?;
        f.write_fmt(fmt!("max_auth_key_len: {}\n", self.max_auth_key_len))?;
        f.write_fmt(fmt!("max_size: {}\n", self.max_size))
    }
}

impl debugfs::Writer for Capabilities {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A one-line summary of [`Capabilities`].
pub(crate) struct Summary<'a>(&'a Capabilities);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let caps = self.0;

        f.write_fmt(fmt!(
            "virtio-crypto {}, {} data queue(s); services: {}; cipher: {}; hash: {}; mac: {}; \
             aead: {}; akcipher: {}",
            if caps.hw_ready() {
                "ready"
            } else {
                "not ready"
            },
            caps.max_dataqueues,
            Names::new(caps.services, SERVICE_NAMES),
            Names::new(caps.cipher, CIPHER_NAMES),
            Names::new(caps.hash, HASH_NAMES),
            Names::new(caps.mac, MAC_NAMES),
            Names::new(caps.aead, AEAD_NAMES),
            Names::new(caps.akcipher, AKCIPHER_NAMES),
        ))
    }
}

#[kunit_tests(rstkey_caps)]
mod tests {
    use super::*;
    use kernel::str::CString;

    /// The capabilities QEMU 7.2's `cryptodev-backend-builtin` advertises.
    const QEMU_BUILTIN: Capabilities = Capabilities {
        status: 1,
        max_dataqueues: 1,
        services: 0b1_0111,
        cipher: 1 << 3,
        hash: 1 << 2,
        mac: 0,
        aead: 0,
        akcipher: 1 << 1,
        max_cipher_key_len: 64,
        max_auth_key_len: 512,
        max_size: 0x7fff_ffff_ffff_ffe7,
    };

    /// Masks are decoded into names, in increasing bit order.
    #[test]
    fn names() -> Result {
        let s = CString::try_from_fmt(fmt!("{}", Names::new(0u32, CIPHER_NAMES)))?;
        assert_eq!(s.to_bytes(), b"none");

        let s = CString::try_from_fmt(fmt!("{}", Names::new(0b1100u32, CIPHER_NAMES)))?;
        assert_eq!(s.to_bytes(), b"aes-ecb aes-cbc");

        // MAC ids go beyond bit 31, and unknown bits are shown by number.
        let mask = (1u64 << uapi::VIRTIO_CRYPTO_MAC_XCBC_AES) | (1 << 60) | (1 << 7);
        let s = CString::try_from_fmt(fmt!("{}", Names::new(mask, MAC_NAMES)))?;
        assert_eq!(s.to_bytes(), b"bit7 xcbc-aes bit60");

        let s = CString::try_from_fmt(fmt!("{}", Names::new(0b1_1111u32, SERVICE_NAMES)))?;
        assert_eq!(s.to_bytes(), b"cipher hash mac aead akcipher");

        let s = CString::try_from_fmt(fmt!("{}", Names::new(0b1110u32, AKCIPHER_NAMES)))?;
        assert_eq!(s.to_bytes(), b"rsa dsa ecdsa");

        Ok(())
    }

    /// The `capabilities` file format, as documented.
    #[test]
    fn capabilities_file() -> Result {
        let s = CString::try_from_fmt(fmt!("{}", QEMU_BUILTIN))?;
        let expected: &[u8] = b"status: 0x00000001 hw-ready\n\
            max_dataqueues: 1\n\
            services: 0x00000017 cipher hash mac akcipher\n\
            cipher: 0x0000000000000008 aes-cbc\n\
            hash: 0x00000004 sha1\n\
            mac: 0x0000000000000000 none\n\
            aead: 0x00000000 none\n\
            akcipher: 0x00000002 rsa\n\
            max_cipher_key_len: 64\n\
            max_auth_key_len: 512\n\
            max_size: 9223372036854775783\n";
        assert_eq!(s.to_bytes(), expected);

        Ok(())
    }

    /// The one-line summary logged at probe time.
    #[test]
    fn summary() -> Result {
        let s = CString::try_from_fmt(fmt!("{}", QEMU_BUILTIN.summary()))?;
        let expected: &[u8] = b"virtio-crypto ready, 1 data queue(s); services: cipher hash \
            mac akcipher; cipher: aes-cbc; hash: sha1; mac: none; aead: none; akcipher: rsa";
        assert_eq!(s.to_bytes(), expected);

        Ok(())
    }
}
