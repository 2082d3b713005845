// SPDX-License-Identifier: GPL-2.0

// This file depends on nothing else, so that the parsers of the secure world that use it can
// also be built for the host and fuzzed (`tests/fuzz`).

/// The operation succeeded.
pub const SUCCESS: u32 = 0;
/// A generic error.
pub const GENERIC: u32 = 0xffff_0000;
/// The client is not allowed to do this.
pub const ACCESS_DENIED: u32 = 0xffff_0001;
/// The input is not in the expected format.
pub const BAD_FORMAT: u32 = 0xffff_0005;
/// A parameter is invalid.
pub const BAD_PARAMETERS: u32 = 0xffff_0006;
/// The state does not allow the operation.
pub const BAD_STATE: u32 = 0xffff_0007;
/// The Trusted Application or object does not exist.
pub const ITEM_NOT_FOUND: u32 = 0xffff_0008;
/// The command is not supported.
pub const NOT_SUPPORTED: u32 = 0xffff_000a;
/// Out of memory.
pub const OUT_OF_MEMORY: u32 = 0xffff_000c;
/// An output buffer is too small.
pub const SHORT_BUFFER: u32 = 0xffff_0010;
/// A message authentication code does not match.
pub const MAC_INVALID: u32 = 0xffff_3071;
