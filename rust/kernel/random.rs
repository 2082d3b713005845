// SPDX-License-Identifier: GPL-2.0

//! Random numbers from the kernel's random number generator.
//!
//! C header: [`include/linux/random.h`](srctree/include/linux/random.h)

use crate::bindings;

/// Fills `buf` with random bytes from the kernel's cryptographically secure random number
/// generator (`get_random_bytes()`).
///
/// The bytes are fit for keys once the generator has been seeded, which happens early during
/// boot; before that, they are not, and a kernel built with `CONFIG_WARN_ALL_UNSEEDED_RANDOM`
/// warns about the call.
///
/// # Examples
///
/// ```
/// use kernel::random;
///
/// let mut key = [0u8; 32];
/// random::fill_bytes(&mut key);
/// // All zeros has a probability of 2^-256.
/// assert_ne!(key, [0u8; 32]);
/// ```
pub fn fill_bytes(buf: &mut [u8]) {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
    unsafe { bindings::get_random_bytes(buf.as_mut_ptr().cast(), buf.len()) };
}
