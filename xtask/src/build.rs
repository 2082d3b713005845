// SPDX-License-Identifier: GPL-2.0

//! `build`: apply the overlay to a copy of the pristine tree and build it.
//!
//! The overlay has two parts:
//!
//! - files that mirror kernel paths (`drivers/`, `crypto/`, `include/`,
//!   `rust/`, `Documentation/`) are copied to the same path in the tree, and
//!   the repository's top-level `Kconfig` and `Kbuild` become `rstkey/Kconfig`
//!   and `rstkey/Kbuild`;
//! - `patches/*.patch` are the few hunks that change existing kernel files
//!   (build hooks, `rust/kernel/lib.rs`, the bindings and helpers lists).
//!   They are applied, in order, to copies of the pristine files.
//!
//! A file in the tree is rewritten only when its content changes, so make's
//! timestamps stay meaningful and rebuilds are incremental. Files the overlay
//! wrote before but no longer provides are restored from the pristine tree.

use crate::paths::{Kernel, Paths};
use crate::setup::Tools;
use crate::util::{self, fmt_dur, output, run_logged, step, Result};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Repository directories that mirror kernel paths.
pub(crate) const MIRRORED: &[&str] = &["drivers", "crypto", "include", "rust", "Documentation", "samples"];

/// The make invocation every kernel step uses.
pub fn make(p: &Paths, tools: &Tools) -> Command {
    make_in(p, tools, &p.build())
}

/// The make invocation of a build whose output is in `out`.
pub fn make_in(p: &Paths, tools: &Tools, out: &Path) -> Command {
    let mut cmd = Command::new("make");
    let bindgen_dir = tools
        .bindgen
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let path = std::env::var("PATH").unwrap_or_default();
    cmd.current_dir(p.tree())
        .env("PATH", format!("{}:{path}", bindgen_dir.display()))
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("MAKEFLAGS")
        .arg(format!("O={}", out.display()))
        .arg("LLVM=-19")
        .arg("RUSTC=/usr/bin/rustc")
        .arg("RUSTDOC=/usr/bin/rustdoc")
        .arg("CLIPPY_DRIVER=/usr/bin/clippy-driver")
        .arg(format!("BINDGEN={}", tools.bindgen.display()));
    cmd
}

/// Builds bzImage and modules of the test kernel and installs the modules
/// for the guest.
pub fn run(tools: &Tools) -> Result {
    run_kernel(tools, Kernel::Test)
}

/// Builds bzImage and modules of `kernel` and installs its modules for the
/// guest.
pub fn run_kernel(tools: &Tools, kernel: Kernel) -> Result {
    let p = Paths::get().for_kernel(kernel);
    let log_name = match kernel {
        Kernel::Test => "build",
        Kernel::Debug => "build-debug",
    };
    let start = Instant::now();
    // One build at a time per cache: the tree and the output are shared.
    fs::create_dir_all(&p.cache).map_err(|e| format!("{}: {e}", p.cache.display()))?;
    let lock_path = p.cache.join("build.lock");
    let lock = fs::File::create(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    if lock.try_lock().is_err() {
        println!("    waiting for another build to finish ({})", lock_path.display());
        lock.lock().map_err(|e| format!("{}: {e}", lock_path.display()))?;
    }
    step("build: overlay");
    prepare_tree(&p)?;
    let changed = sync_overlay(&p)?;
    println!("    {changed} file(s) of the tree updated");
    step("build: configuration");
    configure(&p, tools)?;
    step(match kernel {
        Kernel::Test => "build: bzImage and modules",
        Kernel::Debug => "build: bzImage and modules of the debug kernel",
    });
    let t = Instant::now();
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    run_logged(
        // With clippy: the lint pass of `test` reads its warnings from the log.
        make(&p, tools)
            .arg(format!("-j{jobs}"))
            .arg("CLIPPY=1")
            .args(["bzImage", "modules"]),
        &p.logs().join(format!("{log_name}.log")),
        "make bzImage modules",
    )?;
    println!("    compiled in {}", fmt_dur(t.elapsed()));
    let staging = p.staging();
    let _ = fs::remove_dir_all(&staging);
    run_logged(
        make(&p, tools)
            .arg(format!("INSTALL_MOD_PATH={}", staging.display()))
            .arg("INSTALL_MOD_STRIP=1")
            .arg("modules_install"),
        &p.logs().join(format!("{log_name}-modules_install.log")),
        "make modules_install",
    )?;
    println!("    build done in {}", fmt_dur(start.elapsed()));
    Ok(())
}

/// Builds the kernel of `configs/minimal/rstkey.config` in its own output
/// directory: `tinyconfig` with only what rstkey depends on and rstkey as a
/// module, without its test interfaces. It shows that the driver's Kconfig
/// selects all it uses and that the production module builds without the
/// test code. Expects the tree overlaid by [`run`]. Returns the build log.
pub fn minimal(tools: &Tools) -> Result<String> {
    let p = Paths::get();
    let out = p.build_minimal();
    let frags = [p.repo.join("configs/minimal/rstkey.config")];
    configure_in(&p, tools, &out, &frags, "config-minimal")?;
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let log = p.logs().join("build-minimal.log");
    let t = Instant::now();
    run_logged(
        make_in(&p, tools, &out)
            .arg(format!("-j{jobs}"))
            .arg("CLIPPY=1")
            .args(["vmlinux", "modules"]),
        &log,
        "make vmlinux modules (minimal configuration)",
    )?;
    let ko = out.join("drivers/crypto/rstkey/rstkey.ko");
    if !ko.is_file() {
        return Err(format!("{} was not built", ko.display()));
    }
    println!("    minimal configuration built in {}", fmt_dur(t.elapsed()));
    fs::read_to_string(&log).map_err(|e| format!("{}: {e}", log.display()))
}

/// Makes sure `tree/` is a copy of the current pristine tree.
fn prepare_tree(p: &Paths) -> Result {
    let want = fs::read_to_string(p.pristine_stamp())
        .map_err(|e| format!("no pristine tree, run `cargo xtask setup`: {e}"))?;
    let have = fs::read_to_string(p.tree_stamp()).unwrap_or_default();
    if have == want && p.tree().join("Makefile").exists() {
        return Ok(());
    }
    println!("    copying the pristine tree");
    let _ = fs::remove_dir_all(p.tree());
    let _ = fs::remove_file(p.tree_manifest());
    // A new tree means new sources: the old build output is stale too.
    let _ = fs::remove_dir_all(p.build());
    let _ = fs::remove_dir_all(p.build_minimal());
    let _ = fs::remove_dir_all(Paths::get().for_kernel(Kernel::Debug).build());
    util::run(Command::new("cp").arg("-a").arg(p.pristine()).arg(p.tree()))?;
    util::write(&p.tree_stamp(), want.as_bytes())
}

/// Where a repository file goes in the kernel tree, if it is part of the overlay.
pub(crate) fn overlay_target(rel: &Path) -> Option<PathBuf> {
    let s = rel.to_str()?;
    match s {
        "Kconfig" | "Kbuild" => Some(Path::new("rstkey").join(s)),
        _ => {
            let first = rel.components().next()?.as_os_str().to_str()?;
            MIRRORED.contains(&first).then(|| rel.to_path_buf())
        }
    }
}

/// Computes the overlay: tree path → content.
fn desired(p: &Paths) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut want = BTreeMap::new();
    for top in ["Kconfig", "Kbuild"] {
        let f = p.repo.join(top);
        if f.exists() {
            want.insert(Path::new("rstkey").join(top), util::read(&f)?);
        }
    }
    for dir in MIRRORED {
        let d = p.repo.join(dir);
        if !d.is_dir() {
            continue;
        }
        for rel in util::walk(&d)? {
            let rel = Path::new(dir).join(rel);
            if let Some(t) = overlay_target(&rel) {
                want.insert(t, util::read(&p.repo.join(&rel))?);
            }
        }
    }
    for (path, content) in patched_files(p)? {
        if want.contains_key(&path) {
            return Err(format!(
                "{} is both an overlay file and patched",
                path.display()
            ));
        }
        want.insert(path, content);
    }
    Ok(want)
}

/// Applies `patches/*.patch` to copies of the pristine files they touch.
fn patched_files(p: &Paths) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let dir = p.repo.join("patches");
    let mut patches: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|f| f.extension().is_some_and(|e| e == "patch"))
            .collect(),
        Err(_) => return Ok(Vec::new()),
    };
    patches.sort();
    let mut targets = Vec::new();
    for patch in &patches {
        let text = String::from_utf8_lossy(&util::read(patch)?).into_owned();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("+++ ") {
                let path = rest.split('\t').next().unwrap_or(rest).trim();
                let path = path.split_once('/').map_or(path, |(_, p)| p);
                let path = PathBuf::from(path);
                if !targets.contains(&path) {
                    targets.push(path);
                }
            }
        }
    }
    let work = p.cache.join("patch.tmp");
    let _ = fs::remove_dir_all(&work);
    for t in &targets {
        let src = p.pristine().join(t);
        if src.exists() {
            util::write(&work.join(t), &util::read(&src)?)?;
        }
    }
    fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    for patch in &patches {
        let out = Command::new("patch")
            .current_dir(&work)
            .args(["-p1", "--batch", "--forward", "--no-backup-if-mismatch", "-r", "-", "-i"])
            .arg(patch)
            .output()
            .map_err(|e| format!("patch: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{} does not apply to the pristine tree:\n{}{}",
                patch.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let mut out = Vec::new();
    for t in targets {
        let f = work.join(&t);
        if f.exists() {
            out.push((t, util::read(&f)?));
        }
    }
    let _ = fs::remove_dir_all(&work);
    Ok(out)
}

/// Writes the overlay into the tree; returns how many files changed.
fn sync_overlay(p: &Paths) -> Result<usize> {
    let want = desired(p)?;
    let tree = p.tree();
    let mut changed = 0;
    for (rel, content) in &want {
        let dst = tree.join(rel);
        if fs::read(&dst).ok().as_deref() != Some(content.as_slice()) {
            util::write(&dst, content)?;
            changed += 1;
        }
    }
    // Undo what an earlier overlay wrote and this one no longer provides.
    let old = fs::read_to_string(p.tree_manifest()).unwrap_or_default();
    for rel in old.lines().map(PathBuf::from) {
        if want.contains_key(&rel) {
            continue;
        }
        let dst = tree.join(&rel);
        let orig = p.pristine().join(&rel);
        if orig.exists() {
            util::write(&dst, &util::read(&orig)?)?;
        } else {
            let _ = fs::remove_file(&dst);
        }
        changed += 1;
    }
    let manifest: String = want
        .keys()
        .map(|k| format!("{}\n", k.display()))
        .collect();
    util::write(&p.tree_manifest(), manifest.as_bytes())?;
    Ok(changed)
}

/// Parses `CONFIG_X=v` and `# CONFIG_X is not set` lines.
fn parse_config(text: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("# ") {
            if let Some(name) = rest.strip_suffix(" is not set") {
                m.insert(name.to_owned(), "n".to_owned());
            }
        } else if let Some((k, v)) = line.split_once('=') {
            if k.starts_with("CONFIG_") {
                m.insert(k.to_owned(), v.to_owned());
            }
        }
    }
    m
}

/// Configures the build from `make tinyconfig` plus `configs/*.config`,
/// and checks that every requested value was taken.
fn configure(p: &Paths, tools: &Tools) -> Result {
    let dir = p.repo.join("configs");
    let mut frags: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| f.extension().is_some_and(|e| e == "config"))
        .collect();
    frags.sort();
    let log = match p.kernel {
        Kernel::Test => "config",
        Kernel::Debug => {
            frags.push(p.repo.join("configs/debug/debug.config"));
            "config-debug"
        }
    };
    configure_in(p, tools, &p.build(), &frags, log)
}

/// Configures the build in `out` from `make tinyconfig` plus `frags`, logging
/// to `<log>.log`, and checks that every requested value was taken.
fn configure_in(p: &Paths, tools: &Tools, out: &Path, frags: &[PathBuf], log: &str) -> Result {
    let mut h = util::FNV_INIT;
    let mut requested = BTreeMap::new();
    for f in frags {
        let text = util::read(f)?;
        h = util::fnv1a(&text, h);
        requested.extend(parse_config(&String::from_utf8_lossy(&text)));
    }
    let stamp_path = out.join(".rstkey-config-stamp");
    let stamp = format!("{h:016x}\n");
    let config = out.join(".config");
    if config.exists() && fs::read_to_string(&stamp_path).unwrap_or_default() == stamp {
        println!("    configuration unchanged");
        return Ok(());
    }
    fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let merge_log = p.logs().join(format!("{log}-merge.log"));
    let log = p.logs().join(format!("{log}.log"));
    run_logged(make_in(p, tools, out).arg("tinyconfig"), &log, "make tinyconfig")?;
    run_logged(
        Command::new(p.tree().join("scripts/kconfig/merge_config.sh"))
            .current_dir(p.tree())
            .arg("-m")
            .arg("-O")
            .arg(out)
            .arg(&config)
            .args(frags),
        &merge_log,
        "merge_config.sh",
    )?;
    run_logged(make_in(p, tools, out).arg("olddefconfig"), &log, "make olddefconfig")?;
    let got = parse_config(&String::from_utf8_lossy(&util::read(&config)?));
    let mut bad = Vec::new();
    for (k, v) in &requested {
        let have = got.get(k).map_or("n", String::as_str);
        if have != v {
            bad.push(format!("{k}: requested {v}, got {have}"));
        }
    }
    if !bad.is_empty() {
        return Err(format!(
            "the configuration did not take these values (check their dependencies):\n  {}",
            bad.join("\n  ")
        ));
    }
    let avail = output(make_in(p, tools, out).arg("rustavailable"))?;
    if !avail.contains("Rust is available") {
        return Err(format!("make rustavailable: {avail}"));
    }
    util::write(&stamp_path, stamp.as_bytes())?;
    println!("    {} options from {} fragments applied", requested.len(), frags.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_targets() {
        assert_eq!(
            overlay_target(Path::new("Kconfig")),
            Some(PathBuf::from("rstkey/Kconfig"))
        );
        assert_eq!(
            overlay_target(Path::new("rust/kernel/virtio.rs")),
            Some(PathBuf::from("rust/kernel/virtio.rs"))
        );
        assert_eq!(overlay_target(Path::new("xtask/src/main.rs")), None);
        assert_eq!(overlay_target(Path::new("README.md")), None);
    }

    #[test]
    fn config_parsing() {
        let m = parse_config("CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=\"x\"\n# comment\n");
        assert_eq!(m.get("CONFIG_A").map(String::as_str), Some("y"));
        assert_eq!(m.get("CONFIG_B").map(String::as_str), Some("n"));
        assert_eq!(m.get("CONFIG_C").map(String::as_str), Some("\"x\""));
        assert_eq!(m.len(), 3);
    }
}
