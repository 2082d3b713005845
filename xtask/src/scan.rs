// SPDX-License-Identifier: GPL-2.0

//! The source scan: only the emulated secure world maps restricted memory.
//!
//! Restricted memory must never get a CPU mapping outside the secure world
//! (`drivers/tee/rstkey_sw/carveout.rs`, its private `memremap()`). This scan
//! looks for every way kernel or guest code in the project could create or
//! use one (`memremap`, `ioremap`, `__va`, `phys_to_virt`, `kmap`, `vmap`,
//! `begin_cpu_access`, `mmap`, ...) in code lines (not comments) of the
//! project's C and Rust files and of the C hunks its patches add, and fails
//! for any use that is not on the allowlist below, each entry with its
//! reason. The runtime counterpart is the deliberate fault of `test`.

use crate::util::{self, Result};
use std::path::Path;

/// Tokens that create or use a CPU mapping of memory.
const TOKENS: &[&str] = &[
    "memremap",
    "memunmap",
    "ioremap",
    "phys_to_virt",
    "__va(",
    "page_offset_base",
    "kmap",
    "vmap",
    "vm_map_ram",
    "remap_pfn",
    "begin_cpu_access",
    "set_memory_",
    "/dev/mem",
    "mmap(",
];

/// Allowed uses: (file, token, reason).
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "drivers/tee/rstkey_sw/carveout.rs",
        "memremap",
        "the secure world's private mapping of the carveout",
    ),
    (
        "drivers/tee/rstkey_sw/carveout.rs",
        "memunmap",
        "the secure world's private mapping of the carveout",
    ),
    (
        "rust/kernel/io/memremap.rs",
        "memremap",
        "the abstraction of memremap() the secure world maps the carveout with",
    ),
    (
        "rust/kernel/io/memremap.rs",
        "memunmap",
        "the abstraction of memremap() the secure world maps the carveout with",
    ),
    (
        "patches/0015b-rust-io-add-memremap.patch",
        "memremap",
        "adds the module of that abstraction to kernel::io",
    ),
    (
        "drivers/tee/rstkey_sw/rstkey_sw_test.rs",
        "page_offset_base",
        "the deliberate fault: a read through the direct map that must oops",
    ),
    (
        "drivers/tee/rstkey_sw/rstkey_sw_test.rs",
        "vmap",
        "negative test: vmap of a restricted buffer must fail",
    ),
    (
        "drivers/tee/rstkey_sw/rstkey_sw_test.rs",
        "begin_cpu_access",
        "negative test: CPU access to a restricted buffer must fail",
    ),
    (
        "tests/guest/src/dma-heap-test.c",
        "mmap(",
        "negative test: mmap of a restricted buffer must fail",
    ),
    (
        "tests/guest/src/virtio-crypto-config.c",
        "mmap(",
        "maps the device's PCI configuration BAR, not memory",
    ),
    (
        "patches/0005-tee-refuse-CPU-access-to-protected-memory.patch",
        "begin_cpu_access",
        "the TEE heap's refusal of CPU access",
    ),
];

/// Directories whose C and Rust files are scanned.
const DIRS: &[&str] = &["drivers", "rust", "include", "crypto", "samples", "tests/guest/src"];

/// One use of a token that is not allowed.
#[derive(Debug, PartialEq, Eq)]
pub struct Violation {
    pub file: String,
    pub line: usize,
    pub token: &'static str,
    pub text: String,
}

/// Returns whether `line` (trimmed) is a comment.
fn is_comment(line: &str) -> bool {
    line.starts_with("//") || line.starts_with("/*") || line.starts_with('*')
}

/// Scans the code lines of `text`, the content of `file`.
pub fn scan_text(file: &str, text: &str, out: &mut Vec<Violation>) {
    let is_patch = file.ends_with(".patch");
    // In a patch, only the added lines of C files count.
    let mut in_c = false;
    for (i, raw) in text.lines().enumerate() {
        let line = if is_patch {
            if let Some(name) = raw.strip_prefix("+++ ") {
                let name = name.split_whitespace().next().unwrap_or("");
                in_c = name.ends_with(".c") || name.ends_with(".h") || name.ends_with(".rs");
                continue;
            }
            match raw.strip_prefix('+') {
                Some(l) if in_c => l,
                _ => continue,
            }
        } else {
            raw
        };
        let code = line.trim();
        if is_comment(code) {
            continue;
        }
        for token in TOKENS {
            if code.contains(token)
                && !ALLOWED.iter().any(|(f, t, _)| *f == file && t == token)
            {
                out.push(Violation {
                    file: file.to_owned(),
                    line: i + 1,
                    token,
                    text: code.to_owned(),
                });
            }
        }
    }
}

/// Scans the repository at `repo`.
pub fn scan(repo: &Path) -> Result<Vec<Violation>> {
    let mut out = Vec::new();
    let mut files = Vec::new();
    for d in DIRS {
        let dir = repo.join(d);
        if dir.is_dir() {
            for f in util::walk(&dir)? {
                files.push(Path::new(d).join(f));
            }
        }
    }
    for f in util::walk(&repo.join("patches"))? {
        files.push(Path::new("patches").join(f));
    }
    files.sort();
    for f in files {
        let name = f.to_string_lossy().into_owned();
        let code = [".rs", ".c", ".h", ".patch"].iter().any(|e| name.ends_with(e));
        if !code {
            continue;
        }
        let text = String::from_utf8_lossy(&util::read(&repo.join(&f))?).into_owned();
        scan_text(&name, &text, &mut out);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_mappings_outside_the_secure_world() {
        let mut v = Vec::new();
        scan_text(
            "drivers/crypto/rstkey/engine.rs",
            "// memremap in a comment is fine\nlet p = unsafe { bindings::memremap(a, b, c) };\n",
            &mut v,
        );
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].line, v[0].token), (2, "memremap"));

        v.clear();
        scan_text(
            "drivers/tee/rstkey_sw/carveout.rs",
            "let map = unsafe { bindings::memremap(base, size, WB) };\nkmap_local_page(p);\n",
            &mut v,
        );
        // The secure world may memremap, but not kmap.
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].token, "kmap");
    }

    #[test]
    fn scans_only_added_code_lines_of_patches() {
        let patch = "Subject: vmap in the message\n\
                     +++ b/Documentation/x.rst\n+vmap in documentation\n\
                     +++ b/drivers/x.c\n context vmap(x);\n-old vmap(x);\n+\tp = vmap(x);\n";
        let mut v = Vec::new();
        scan_text("patches/0099-x.patch", patch, &mut v);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].text, "p = vmap(x);");
    }
}
