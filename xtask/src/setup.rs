// SPDX-License-Identifier: GPL-2.0

//! `setup`: the Debian packages, bindgen-cli, the Linux 7.3 source and the test platform's QEMU
//! ([`crate::qemu`]).
//!
//! Idempotent: every step first checks whether its result is already there.
//! The kernel source comes from Debian's trixie-backports suite through a
//! private apt configuration under the cache, so the system's sources are
//! never touched. apt verifies the suite's signature and the package's
//! checksum against the signed index; the checksum is verified again here.

use crate::paths::Paths;
use crate::util::{self, fmt_dur, output, run_logged, step, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Debian packages the build, the VM and the guest need.
const PACKAGES: &[&str] = &[
    // Rust for the kernel (DESIGN.md: rustc-web 1.96 with its rust-src).
    "rustc-web",
    "rust-web-src",
    "rustfmt-web",
    "rust-web-clippy",
    // The C side is built with LLVM=-19.
    "clang-19",
    "lld-19",
    "llvm-19",
    "libclang-19-dev",
    // Kernel build tools.
    "make",
    "bc",
    "flex",
    "bison",
    "libelf-dev",
    "libssl-dev",
    "libc6-dev",
    "gcc",
    "kmod",
    "cpio",
    "patch",
    "perl",
    "xz-utils",
    // The VM and the guest's userspace.
    "qemu-system-x86",
    "busybox-static",
    "keyutils",
    "kcapi-tools",
    "openssl",
    "dmsetup",
    "cryptsetup-bin",
    // The chart of `bench`.
    "gnuplot-nox",
    // The test platform's QEMU 10, built from Debian's source (`qemu.rs`); the host's
    // qemu-system-x86 provides its firmware (seabios, qemu-system-data).
    "dpkg-dev",
    "ninja-build",
    "pkgconf",
    "python3-venv",
    "libglib2.0-dev",
    "zlib1g-dev",
    "libgcrypt20-dev",
    "libkeyutils-dev",
    "seabios",
    "qemu-system-data",
];

/// The kernel source package and the suite it comes from.
const SOURCE_PACKAGE: &str = "linux-source-7.3";
const SOURCE_SUITE: &str = "trixie-backports";
const SOURCE_MIRROR: &str = "http://deb.debian.org/debian";

/// bindgen version the kernel's Rust support is verified with.
const BINDGEN_VERSION: &str = "0.71.1";

/// Host tools found or installed by [`run`].
pub struct Tools {
    /// The `bindgen` executable.
    pub bindgen: PathBuf,
}

impl Tools {
    /// The tools as an earlier [`run`] installed them, without checking.
    pub fn installed() -> Self {
        Tools {
            bindgen: Paths::get().tools().join("bin/bindgen"),
        }
    }
}

/// Runs every setup step.
pub fn run() -> Result<Tools> {
    let p = Paths::get();
    let start = Instant::now();
    step("setup: Debian packages");
    packages(&p)?;
    step("setup: bindgen-cli");
    let bindgen = bindgen(&p)?;
    step("setup: Linux 7.3 source");
    source(&p)?;
    step("setup: QEMU 10 from Debian's source");
    crate::qemu::setup(&p)?;
    println!("    setup done in {}", fmt_dur(start.elapsed()));
    Ok(Tools { bindgen })
}

fn packages(p: &Paths) -> Result {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Package} ${db:Status-Status}\n"])
        .args(PACKAGES)
        .output()
        .map_err(|e| format!("dpkg-query: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let installed: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_suffix(" installed"))
        .collect();
    let missing: Vec<&str> = PACKAGES
        .iter()
        .copied()
        .filter(|p| !installed.contains(p))
        .collect();
    if missing.is_empty() {
        println!("    all {} packages installed", PACKAGES.len());
        return Ok(());
    }
    println!("    installing: {}", missing.join(" "));
    let log = p.logs().join("setup-apt.log");
    run_logged(
        Command::new("apt-get").arg("update"),
        &p.logs().join("setup-apt-update.log"),
        "apt-get update",
    )?;
    run_logged(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing),
        &log,
        "apt-get install",
    )
}

fn bindgen(p: &Paths) -> Result<PathBuf> {
    let ours = p.tools().join("bin/bindgen");
    let home_cargo = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cargo/bin/bindgen"))
        .unwrap_or_default();
    for cand in [&ours, &home_cargo] {
        if let Ok(v) = output(Command::new(cand).arg("--version")) {
            if v.split_whitespace().nth(1) == Some(BINDGEN_VERSION) {
                println!("    {} is {}", cand.display(), v.trim());
                return Ok(cand.clone());
            }
        }
    }
    println!("    cargo install bindgen-cli {BINDGEN_VERSION} (a few minutes)");
    run_logged(
        Command::new("cargo")
            .args(["install", "--locked", "--force", "--root"])
            .arg(p.tools())
            .arg(format!("bindgen-cli@{BINDGEN_VERSION}")),
        &p.logs().join("setup-bindgen.log"),
        "cargo install bindgen-cli",
    )?;
    Ok(ours)
}

/// The options of a private apt configuration under `root`: its sources list, lists, cache and
/// an empty status, so that the system's sources and state are never used.
pub fn apt_opts(root: &Path) -> Vec<String> {
    vec![
        format!(
            "-oDir::Etc::SourceList={}",
            root.join("sources.list").display()
        ),
        "-oDir::Etc::SourceParts=/dev/null".into(),
        format!("-oDir::State::Lists={}", root.join("lists").display()),
        format!("-oDir::State::status={}", root.join("status").display()),
        format!("-oDir::Cache={}", root.join("cache").display()),
        format!("-oDir::Cache::archives={}", root.join("archives").display()),
        "-oAPT::Architecture=amd64".into(),
        "-oAPT::Sandbox::User=root".into(),
        "-oDebug::NoLocking=1".into(),
    ]
}

fn source(p: &Paths) -> Result {
    let stamp = fs::read_to_string(p.pristine_stamp()).unwrap_or_default();
    if !stamp.is_empty() && p.pristine().join("Makefile").exists() {
        println!("    pristine tree present: {}", stamp.trim());
        return Ok(());
    }
    let a = p.apt();
    for d in ["lists/partial", "archives/partial", "cache"] {
        fs::create_dir_all(a.join(d)).map_err(|e| format!("{}: {e}", a.display()))?;
    }
    util::write(
        &a.join("sources.list"),
        format!(
            "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] \
             {SOURCE_MIRROR} {SOURCE_SUITE} main\n"
        )
        .as_bytes(),
    )?;
    util::write(&a.join("status"), b"")?;
    let opts = apt_opts(&a);
    run_logged(
        Command::new("apt-get").args(&opts).arg("update"),
        &p.logs().join("setup-source-apt.log"),
        "apt-get update (private, trixie-backports)",
    )?;
    let policy = output(Command::new("apt-cache").args(&opts).args(["policy", SOURCE_PACKAGE]))?;
    let version = policy
        .lines()
        .find_map(|l| l.trim().strip_prefix("Candidate: "))
        .filter(|v| *v != "(none)")
        .ok_or_else(|| format!("{SOURCE_PACKAGE} not found in {SOURCE_SUITE}"))?
        .to_owned();
    let show = output(
        Command::new("apt-cache")
            .args(&opts)
            .args(["show", &format!("{SOURCE_PACKAGE}={version}")]),
    )?;
    let field = |name: &str| {
        show.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
            .ok_or_else(|| format!("apt-cache show: no {name}"))
    };
    let sha = field("SHA256:")?;
    let filename = field("Filename:")?;
    let deb_name = filename
        .rsplit('/')
        .next()
        .ok_or("bad Filename")?
        .replace("%3a", ":");
    let dl = p.dl();
    fs::create_dir_all(&dl).map_err(|e| format!("{}: {e}", dl.display()))?;
    let deb = dl.join(&deb_name);
    if !deb.exists() || util::sha256_file(&deb)? != sha {
        println!("    downloading {SOURCE_PACKAGE} {version} (~170 MB)");
        run_logged(
            Command::new("apt-get")
                .current_dir(&dl)
                .args(&opts)
                .args(["download", &format!("{SOURCE_PACKAGE}={version}")]),
            &p.logs().join("setup-source-download.log"),
            "apt-get download",
        )?;
    }
    let got = util::sha256_file(&deb)?;
    if got != sha {
        return Err(format!(
            "{}: SHA256 {got} does not match the signed index ({sha})",
            deb.display()
        ));
    }
    println!("    {deb_name}: SHA256 {sha} verified");

    println!("    extracting (about a minute)");
    let t = Instant::now();
    let src = p.cache.join("src");
    let tmp = src.join("extract.tmp");
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    util::run(Command::new("sh").arg("-c").arg(format!(
        "dpkg-deb --fsys-tarfile '{}' | tar -x -C '{}' ./usr/src/{SOURCE_PACKAGE}.tar.xz \
         && tar -xJf '{}/usr/src/{SOURCE_PACKAGE}.tar.xz' -C '{}' \
         && rm -rf '{}/usr'",
        deb.display(),
        tmp.display(),
        tmp.display(),
        tmp.display(),
        tmp.display()
    )))?;
    let _ = fs::remove_dir_all(p.pristine());
    fs::rename(tmp.join(SOURCE_PACKAGE), p.pristine())
        .map_err(|e| format!("moving the extracted tree: {e}"))?;
    let _ = fs::remove_dir_all(&tmp);
    util::write(
        &p.pristine_stamp(),
        format!("{SOURCE_PACKAGE}_{version} sha256={sha}\n").as_bytes(),
    )?;
    println!("    extracted in {}", fmt_dur(t.elapsed()));
    Ok(())
}
