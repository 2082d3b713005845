// SPDX-License-Identifier: GPL-2.0

//! Generates the bindings of `wrapper.h` with the kernel build's bindgen.
//!
//! `RSTKEY_BINDGEN` names the bindgen executable and `RSTKEY_KERNEL_SRC` the Linux source tree
//! (`cargo xtask fuzz` sets both); the project's own UAPI headers come before the kernel's.

use std::{env, path::PathBuf, process::Command};

fn main() {
    let bindgen = env::var_os("RSTKEY_BINDGEN").unwrap_or_else(|| "bindgen".into());
    let ksrc = PathBuf::from(
        env::var_os("RSTKEY_KERNEL_SRC").expect("RSTKEY_KERNEL_SRC: the Linux source tree"),
    );
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let repo_uapi = manifest.join("../../../../include/uapi");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets it")).join("uapi.rs");
    let wrapper = manifest.join("wrapper.h");
    let st = Command::new(&bindgen)
        .arg(&wrapper)
        .args([
            "--use-core",
            "--ctypes-prefix",
            "core::ffi",
            "--no-layout-tests",
        ])
        .args(["--no-doc-comments", "--with-derive-default", "-o"])
        .arg(&out)
        .arg("--")
        .arg(format!("-I{}", repo_uapi.display()))
        .arg(format!("-I{}", ksrc.join("include/uapi").display()))
        .status()
        .unwrap_or_else(|e| panic!("{}: {e}", PathBuf::from(&bindgen).display()));
    assert!(st.success(), "bindgen failed: {st}");
    println!("cargo:rerun-if-changed={}", wrapper.display());
    println!(
        "cargo:rerun-if-changed={}",
        repo_uapi.join("linux/rstkey_km.h").display()
    );
    println!("cargo:rerun-if-env-changed=RSTKEY_BINDGEN");
    println!("cargo:rerun-if-env-changed=RSTKEY_KERNEL_SRC");
}
