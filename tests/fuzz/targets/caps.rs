// SPDX-License-Identifier: GPL-2.0

//! Fuzzes the reading and printing of the device's configuration space,
//! `drivers/crypto/rstkey/caps.rs`.
//!
//! An input is the configuration space of a virtio-crypto device. The target reads it as the
//! driver does at probe, prints the `capabilities` file and the log summary, and checks the
//! file against the input decoded from the layout of VIRTIO 1.2 section 5.9.4 (twelve le32
//! fields, then the le64 `max_size`): one line per field, each mask's number equal to its field
//! and one name per bit set.

#![no_main]

#[path = "../../../drivers/crypto/rstkey/caps.rs"]
#[allow(dead_code)]
mod caps;

use kernel::{device::Bound, virtio::Device};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut space = [0u8; 56];
    let n = data.len().min(space.len());
    space[..n].copy_from_slice(&data[..n]);
    let field = |i: usize| {
        u64::from(u32::from_le_bytes(
            space[4 * i..4 * i + 4].try_into().unwrap(),
        ))
    };
    let max_size = u64::from_le_bytes(space[48..56].try_into().unwrap());

    let dev = Device::<Bound>::new(&space);
    let Ok(caps) = caps::Capabilities::read(&dev) else {
        panic!("reading a configuration space cannot fail");
    };
    let file = format!("{caps}");
    let _summary = format!("{}", caps.summary());

    // The file's lines, each `name: value [names]`.
    let mut want: Vec<(&str, u64)> = vec![
        ("status", field(0)),
        ("max_dataqueues", field(1)),
        ("services", field(2)),
        ("cipher", field(4) << 32 | field(3)),
        ("hash", field(5)),
        ("mac", field(7) << 32 | field(6)),
        ("aead", field(8)),
        ("akcipher", field(11)),
        ("max_cipher_key_len", field(9)),
        ("max_auth_key_len", field(10)),
        ("max_size", max_size),
    ];
    let lines: Vec<&str> = file.lines().collect();
    assert_eq!(lines.len(), want.len(), "{file}");
    for (line, (name, value)) in lines.iter().zip(want.drain(..)) {
        let (key, rest) = line.split_once(": ").expect("`name: value`");
        assert_eq!(key, name);
        let mut words = rest.split(' ');
        let number = words.next().expect("a value");
        let parsed = match number.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).expect("hex"),
            None => number.parse().expect("decimal"),
        };
        assert_eq!(parsed, value, "{line}");
        if number.starts_with("0x") {
            let names: Vec<&str> = words.collect();
            if value == 0 {
                assert_eq!(names, ["none"]);
            } else {
                assert_eq!(names.len(), value.count_ones() as usize, "{line}");
            }
        }
    }
    assert_eq!(caps.hw_ready(), field(0) & 1 != 0);
});
