// SPDX-License-Identifier: GPL-2.0

//! The kernel's procedural macros as far as the fuzzed files use them.

use proc_macro::TokenStream;

/// Leaves out a KUnit test module: its tests run in the kernel, not in the host build.
#[proc_macro_attribute]
pub fn kunit_tests(_attr: TokenStream, _item: TokenStream) -> TokenStream {
    TokenStream::new()
}
