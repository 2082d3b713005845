// SPDX-License-Identifier: GPL-2.0

//! The kernel's `uapi` crate for the host: bindgen's bindings of the same UAPI headers, from the
//! Linux source and the project's `include/uapi`.

#![no_std]
#![allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    dead_code,
    clippy::all
)]

include!(concat!(env!("OUT_DIR"), "/uapi.rs"));
