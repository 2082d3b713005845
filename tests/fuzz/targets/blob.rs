// SPDX-License-Identifier: GPL-2.0

//! Fuzzes the secure world's key blob parser, `drivers/tee/rstkey_sw/blob.rs`.
//!
//! The first byte of an input picks how the rest is used; the rest is the blob. Bit 0 makes the
//! tag valid: the target computes the blob's HMAC under the device key and writes it over the
//! last 32 bytes, so that inputs get past the tag to the decryption and the padding check,
//! which a random tag never would. Bit 1 sets the header's key length to one that fits the
//! blob's length (and for an RSA blob a public key length of 1 to 255 bytes, from the input),
//! and bit 2 a valid key type, usage and flags (AES-CBC or RSA signing, by bit 3), for the same
//! reason.
//!
//! Every result is compared with a reference written from the format of
//! `include/uapi/linux/rstkey_km.h` with RustCrypto's HMAC and AES-CBC with PKCS#7 unpadding:
//! the same key, type, usages, flags and public key on success, the same result code on failure.
//! A blob that unwraps is wrapped again with its IV (`DeviceKey::wrap`, which GENERATE exports
//! with) and must give the same bytes. What the normal world reads of a blob without the device
//! key (`kernel::tee::rstkey_km::blob::peek`) must agree with what unwraps, and fit the layout.

#![no_main]

#[path = "../../../drivers/tee/rstkey_sw/blob.rs"]
#[allow(dead_code)]
mod blob;

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use kernel::tee::backend::result;
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;

/// The device key of the KUnit vector: bytes 0 to 63 (encryption key, then MAC key).
fn device_key() -> [u8; 64] {
    core::array::from_fn(|i| i as u8)
}

/// Header size, tag size and the largest key, as the C header defines them.
const HDR: usize = 32;
const TAG: usize = 32;
const MAX_KEY: usize = 4096;
const MAX_PUB: usize = 1024;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// What the reference gives for a valid blob: the key, its type, usages, flags and public key.
type Unwrapped = (Vec<u8>, u8, u16, u32, Vec<u8>);

/// The reference: what unwrapping `blob` under `dk` must give.
fn reference(dk: &[u8; 64], blob: &[u8]) -> Result<Unwrapped, u32> {
    if blob.len() < HDR {
        return Err(result::BAD_PARAMETERS);
    }
    if &blob[0..4] != b"RKWB" {
        return Err(result::BAD_FORMAT);
    }
    if blob[4] != 2 || blob[5] != 1 {
        return Err(result::NOT_SUPPORTED);
    }
    let key_len = usize::from(u16::from_le_bytes([blob[6], blob[7]]));
    if key_len == 0 || key_len > MAX_KEY {
        return Err(result::BAD_PARAMETERS);
    }
    let ct_len = (key_len / 16 + 1) * 16;
    // An RSA key's blob (type 2) has its public key, with a 16-bit length, after the header.
    let public = if blob[8] == 2 {
        let len = blob.get(HDR..HDR + 2).ok_or(result::BAD_PARAMETERS)?;
        let len = usize::from(u16::from_le_bytes([len[0], len[1]]));
        if len == 0 || len > MAX_PUB {
            return Err(result::BAD_PARAMETERS);
        }
        blob.get(HDR + 2..HDR + 2 + len)
            .ok_or(result::BAD_PARAMETERS)?
            .to_vec()
    } else {
        Vec::new()
    };
    let ct_start = HDR + if public.is_empty() { 0 } else { 2 + public.len() };
    if blob.len() != ct_start + ct_len + TAG {
        return Err(result::BAD_PARAMETERS);
    }
    // Key type (byte 8), reserved (9), usages (10-11), flags (12-15).
    let (key_type, usage) = (blob[8], u16::from_le_bytes([blob[10], blob[11]]));
    let flags = u32::from_le_bytes([blob[12], blob[13], blob[14], blob[15]]);
    if blob[9] != 0 {
        return Err(result::BAD_FORMAT);
    }
    // AES: CBC, ECB, CTR (bits 0-2) take 16, 24 or 32 bytes, XTS (bit 3) 32 or 64. RSA: signing
    // and decryption (bits 8, 9), any length.
    let (usages, len_ok) = match key_type {
        1 => {
            let one = usage & 0x7 == 0 || [16, 24, 32].contains(&key_len);
            let xts = usage & 0x8 == 0 || [32, 64].contains(&key_len);
            (0x000f, one && xts)
        }
        2 => (0x0300, true),
        _ => return Err(result::NOT_SUPPORTED),
    };
    if usage == 0 || usage & !usages != 0 || flags & !1 != 0 || !len_ok {
        return Err(result::BAD_FORMAT);
    }
    let body = ct_start + ct_len;
    if hmac(&dk[32..], &blob[..body]) != blob[body..] {
        return Err(result::MAC_INVALID);
    }
    let dec = cbc::Decryptor::<aes::Aes256>::new_from_slices(&dk[..32], &blob[16..32])
        .expect("key and IV sizes");
    match dec.decrypt_padded_vec_mut::<Pkcs7>(&blob[ct_start..body]) {
        Ok(plain) if plain.len() == key_len => Ok((plain, key_type, usage, flags, public)),
        _ => Err(result::BAD_FORMAT),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, blob)) = data.split_first() else {
        return;
    };
    let mut blob = blob.to_vec();
    let dk = device_key();
    // Bits 2 and 3: the type written below is RSA's, whose blob has a public key.
    let rsa = mode & 0xc == 0xc;
    let pub_part = match blob.get(HDR) {
        Some(&len) if rsa => 2 + usize::from(len.max(1)),
        _ => 0,
    };
    if mode & 2 != 0 && blob.len() >= HDR + pub_part + TAG + 16 {
        // A key length whose ciphertext is exactly what the blob holds; the padding length
        // comes from the input. An RSA blob's public key length comes from its first byte.
        let ct_len = (blob.len() - HDR - pub_part - TAG) / 16 * 16;
        let key_len = ct_len - 1 - usize::from(mode >> 4);
        blob.truncate(HDR + pub_part + ct_len + TAG);
        blob[6..8].copy_from_slice(&(key_len as u16).to_le_bytes());
        if rsa {
            blob[HDR..HDR + 2].copy_from_slice(&((pub_part - 2) as u16).to_le_bytes());
        }
    }
    if mode & 4 != 0 && blob.len() >= HDR {
        let (key_type, usage): (u8, u16) = if mode & 8 == 0 { (1, 1) } else { (2, 0x100) };
        blob[8] = key_type;
        blob[9] = 0;
        blob[10..12].copy_from_slice(&usage.to_le_bytes());
        blob[12..16].fill(0);
    }
    if mode & 1 != 0 && blob.len() >= TAG {
        let n = blob.len() - TAG;
        let tag = hmac(&dk[32..], &blob[..n]);
        blob[n..].copy_from_slice(&tag);
    }

    let key = match blob::DeviceKey::new(&dk) {
        Ok(k) => k,
        Err(e) => panic!("DeviceKey::new: {e:?}"),
    };
    let unwrapped = key.unwrap(&blob);
    // What unwraps wraps again, under the blob's own IV, to the same bytes.
    if let Ok(k) = &unwrapped {
        let iv: [u8; 16] = blob[16..32].try_into().expect("16 bytes");
        match key.wrap(&k.secret.0, &k.public, k.info, &iv) {
            Ok(again) => assert_eq!(&again[..], &blob[..], "wrapped again"),
            Err(e) => panic!("wrap of an unwrapped key: {e:#x}"),
        }
    }
    let got = unwrapped.map(|k| {
        (
            k.secret.0.to_vec(),
            k.info.key_type,
            k.info.usage,
            k.info.flags,
            k.public.to_vec(),
        )
    });
    let want = reference(&dk, &blob);
    assert_eq!(got, want, "blob {blob:02x?}");

    // What the normal world reads of a blob (`blob::peek`): the same as the key manager of one
    // that unwraps, and only of a blob laid out as its header says.
    let peeked = kernel::tee::rstkey_km::blob::peek(&blob);
    if let Ok((key, key_type, usage, _, public)) = &want {
        let p = peeked.expect("peek of a blob that unwraps");
        assert_eq!(
            (p.key_type, p.key_len, p.usage, p.public),
            (*key_type, key.len(), *usage, (*key_type == 2).then_some(&public[..]))
        );
    }
    if let Some(p) = peeked {
        let public = p.public.map_or(0, |k| 2 + k.len());
        assert_eq!(blob.len(), HDR + public + (p.key_len / 16 + 1) * 16 + TAG);
        assert!(p.key_len >= 1 && p.key_len <= MAX_KEY && &blob[..4] == b"RKWB");
        assert!(p.public.is_none_or(|k| !k.is_empty() && k.len() <= MAX_PUB));
    }
});
