// SPDX-License-Identifier: GPL-2.0

//! The test platform's QEMU: QEMU 10.0 built from Debian's source package.
//!
//! Debian 12's QEMU 7.2 is built with nettle, whose RSA the builtin cryptodev backend can't use
//! for raw RSA, and Debian's QEMU 10 packages are worse for this project: QEMU 10's builtin
//! backend offers the akcipher service only if its crypto library does raw RSA, so with nettle
//! the device offers no RSA at all. Built from the same source with gcrypt, the builtin backend
//! does raw and PKCS#1 RSA, and the asynchronous `cryptodev-backend-lkcf` exists.
//!
//! `setup` fetches the source package of the suite [`SUITE`] through a private apt
//! configuration (apt checks the `.dsc` and the tarballs against the signed `Sources` index),
//! extracts it with `dpkg-source` (which applies Debian's patches), and builds
//! `qemu-system-x86_64` alone, for TCG, with the few devices the test VM uses ([`DEVICES`]). It
//! is rebuilt only when its inputs change (the version, the configure options, the devices),
//! and installed nowhere: the host's QEMU stays as it is.

use crate::paths::Paths;
use crate::util::{self, fmt_dur, output, run_logged, step, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The suite whose `qemu` source package is built: Debian 13's QEMU 10.0, maintained with its
/// security fixes. (bookworm-backports' 10.0.2 lists a `.dsc` the archive no longer serves.)
const SUITE: &str = "trixie";

/// The suite of the build tools Debian 12 has too old: meson 1.5 or later.
const TOOLS_SUITE: &str = "bookworm-backports";

/// The build tools from [`TOOLS_SUITE`].
const TOOLS: &[&str] = &["meson"];

/// The mirror.
const MIRROR: &str = "http://deb.debian.org/debian";

/// The devices of the minimal x86_64 system: the i440FX PC with its ISA serial ports, PCI
/// hot-plug, virtio over PCI, virtio-crypto and virtio-9p (the guest's shares).
const DEVICES: &str = "\
CONFIG_I440FX=y
CONFIG_SERIAL_ISA=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_CRYPTO=y
CONFIG_VIRTIO_9P=y
";

/// The configure options: TCG only, gcrypt (the builtin backend's RSA), keyutils (the lkcf
/// backend), virtfs; no firmware of its own (Debian's source has none: the host's seabios and
/// qemu-system-data provide `bios-256k.bin` and the option ROMs), no downloads, no docs.
const CONFIGURE: &[&str] = &[
    "--python=/usr/bin/python3",
    "--target-list=x86_64-softmmu",
    "--without-default-features",
    "--without-default-devices",
    "--with-devices-x86_64=rstkey",
    "--enable-tcg",
    "--enable-gcrypt",
    "--enable-libkeyutils",
    "--enable-attr",
    "--enable-virtfs",
    "--disable-install-blobs",
    "--disable-fdt",
    "--disable-download",
    "--disable-docs",
    "--disable-containers",
    "--firmwarepath=/usr/share/qemu:/usr/share/seabios",
];

/// The directory of the QEMU build under the cache.
fn dir(p: &Paths) -> PathBuf {
    p.cache.join("qemu")
}

/// The built `qemu-system-x86_64`.
pub fn binary(p: &Paths) -> PathBuf {
    dir(p).join("build/qemu-system-x86_64")
}

/// The firmware directories the built QEMU is given with `-L`: the host's seabios
/// (`bios-256k.bin`) and qemu-system-data (`linuxboot_dma.bin`, `kvmvapic.bin`). Run from its
/// build tree, QEMU looks for its firmware under the tree (`qemu-bundle/`), not in the
/// configured firmware path.
pub const FIRMWARE_DIRS: [&str; 2] = ["/usr/share/seabios", "/usr/share/qemu"];

/// Fetches, builds (if its inputs changed) and returns the test platform's QEMU.
pub fn setup(p: &Paths) -> Result<PathBuf> {
    let d = dir(p);
    let apt = d.join("apt");
    for sub in ["lists/partial", "archives/partial", "cache"] {
        fs::create_dir_all(apt.join(sub)).map_err(|e| format!("{}: {e}", apt.display()))?;
    }
    util::write(
        &apt.join("sources.list"),
        format!(
            "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {MIRROR} {SUITE} main\n\
             deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {MIRROR} {TOOLS_SUITE} main\n"
        )
        .as_bytes(),
    )?;
    if !apt.join("status").exists() {
        util::write(&apt.join("status"), b"")?;
    }
    let opts = crate::setup::apt_opts(&apt);
    run_logged(
        Command::new("apt-get").args(&opts).arg("update"),
        &p.logs().join("qemu-apt-update.log"),
        "apt-get update (private: the QEMU source and its build tools)",
    )?;
    let version = source_version(&opts)?;
    let stamp = format!(
        "qemu {version} from {SUITE}\nconfigure {}\ndevices\n{DEVICES}",
        CONFIGURE.join(" ")
    );
    let bin = binary(p);
    if bin.exists() && fs::read_to_string(d.join("stamp")).ok().as_deref() == Some(&stamp) {
        println!(
            "    qemu {version} ({SUITE}) built already: {}",
            bin.display()
        );
        return Ok(bin);
    }
    build_tools(p, &opts)?;
    let src = fetch(p, &opts, &version)?;
    build(p, &src)?;
    util::write(&d.join("stamp"), stamp.as_bytes())?;
    let v = output(Command::new(&bin).arg("--version"))?;
    println!("    {}", v.lines().next().unwrap_or("qemu-system-x86_64"));
    Ok(bin)
}

/// Returns the version of the `qemu` source package the signed index of [`SUITE`] offers.
fn source_version(opts: &[String]) -> Result<String> {
    let show = output(
        Command::new("apt-cache")
            .args(opts)
            .args(["showsrc", "qemu"]),
    )?;
    // The newest, as dpkg orders versions.
    let version = show
        .lines()
        .filter_map(|l| l.strip_prefix("Version: "))
        .map(|v| v.trim().to_owned())
        .reduce(|best, v| {
            if dpkg_compare(&v, "gt", &best) {
                v
            } else {
                best
            }
        })
        .ok_or_else(|| format!("no qemu source package in {SUITE}"))?;
    if !version.contains(":10.") {
        return Err(format!("qemu {version} in {SUITE}: QEMU 10 is needed").into());
    }
    Ok(version)
}

/// Returns whether the Debian versions `a` and `b` compare as `op` says (`gt`, `ge`, ...), as
/// `dpkg --compare-versions` does.
fn dpkg_compare(a: &str, op: &str, b: &str) -> bool {
    Command::new("dpkg")
        .args(["--compare-versions", a, op, b])
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs meson from [`TOOLS_SUITE`], downloaded through the private configuration (apt
/// checks it against the signed `Packages` index), unless a new enough one is installed.
fn build_tools(p: &Paths, opts: &[String]) -> Result {
    let have = output(Command::new("dpkg-query").args(["-W", "-f=${Version}", "meson"]))
        .unwrap_or_default();
    let new_enough = !have.is_empty() && dpkg_compare(&have, "ge", "1.5");
    if new_enough {
        return Ok(());
    }
    let debs = dir(p).join("debs");
    let _ = fs::remove_dir_all(&debs);
    fs::create_dir_all(&debs).map_err(|e| format!("{}: {e}", debs.display()))?;
    let wanted: Vec<String> = TOOLS.iter().map(|t| format!("{t}/{TOOLS_SUITE}")).collect();
    run_logged(
        Command::new("apt-get")
            .current_dir(&debs)
            .args(opts)
            .arg("download")
            .args(&wanted),
        &p.logs().join("qemu-tools-download.log"),
        "apt-get download (meson from bookworm-backports)",
    )?;
    let files: Vec<PathBuf> = fs::read_dir(&debs)
        .map_err(|e| format!("{}: {e}", debs.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| f.extension().is_some_and(|x| x == "deb"))
        .collect();
    run_logged(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&files),
        &p.logs().join("qemu-tools-install.log"),
        "apt-get install (meson)",
    )
}

/// Downloads the source package `version` (checked by apt against the signed index) and
/// extracts it with Debian's patches applied; returns the source tree.
fn fetch(p: &Paths, opts: &[String], version: &str) -> Result<PathBuf> {
    let d = dir(p);
    let dl = d.join("dl");
    let _ = fs::remove_dir_all(&dl);
    fs::create_dir_all(&dl).map_err(|e| format!("{}: {e}", dl.display()))?;
    println!("    downloading the qemu {version} source package ({SUITE}, ~40 MB)");
    run_logged(
        Command::new("apt-get").current_dir(&dl).args(opts).args([
            "source",
            "--download-only",
            &format!("qemu={version}"),
        ]),
        &p.logs().join("qemu-source-download.log"),
        "apt-get source --download-only qemu",
    )?;
    let dsc = fs::read_dir(&dl)
        .map_err(|e| format!("{}: {e}", dl.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|f| f.extension().is_some_and(|x| x == "dsc"))
        .ok_or("apt-get source: no .dsc")?;
    let src = d.join("src");
    let _ = fs::remove_dir_all(&src);
    // apt checked every file of the package against the signed index; dpkg-source would check
    // the .dsc's own signature, for which it needs the Debian developers' keyring.
    run_logged(
        Command::new("dpkg-source")
            .current_dir(&dl)
            .args(["--no-check", "-x"])
            .arg(&dsc)
            .arg(&src),
        &p.logs().join("qemu-source-extract.log"),
        "dpkg-source -x",
    )?;
    // The device set lives in the tree, where configure looks for it.
    util::write(
        &src.join("configs/devices/x86_64-softmmu/rstkey.mak"),
        DEVICES.as_bytes(),
    )?;
    Ok(src)
}

/// Configures and builds `qemu-system-x86_64` from `src`.
fn build(p: &Paths, src: &Path) -> Result {
    step("setup: QEMU 10 (qemu-system-x86_64, TCG, gcrypt, lkcf)");
    let t = Instant::now();
    let b = dir(p).join("build");
    let _ = fs::remove_dir_all(&b);
    fs::create_dir_all(&b).map_err(|e| format!("{}: {e}", b.display()))?;
    run_logged(
        Command::new(src.join("configure"))
            .current_dir(&b)
            .args(CONFIGURE),
        &p.logs().join("qemu-configure.log"),
        "qemu configure",
    )?;
    run_logged(
        Command::new("ninja")
            .current_dir(&b)
            .args(["-j2", "qemu-system-x86_64"]),
        &p.logs().join("qemu-build.log"),
        "ninja qemu-system-x86_64 (about 4 minutes on 2 cores)",
    )?;
    println!("    qemu built in {}", fmt_dur(t.elapsed()));
    Ok(())
}
