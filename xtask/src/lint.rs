// SPDX-License-Identifier: GPL-2.0

//! The lint pass of `test`, on the project's own files only.
//!
//! - rustfmt: every `.rs` file of the overlay is formatted as the kernel's
//!   `.rustfmt.toml` says (what `make rustfmtcheck` checks);
//! - clippy: the kernel is built with `CLIPPY=1` (see `build`), and the
//!   build log has no warning or error in a project file. A build only
//!   recompiles what changed, so a fresh build checks every file;
//! - rustdoc: `make rustdoc` documents the `kernel` crate, with the new
//!   abstractions, without a warning in a project file.
//!
//! Warnings in files of the pristine tree are not the project's and are
//! not counted.
//!
//! [`minimal_cases`] builds the production module in the smallest
//! configuration that has it, see `build::minimal`.

use crate::build::{make, MIRRORED};
use crate::ktap::{Case, Outcome};
use crate::paths::Paths;
use crate::setup::Tools;
use crate::util::{self, run_logged};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The project's Rust files, relative to the repository.
fn rust_files(p: &Paths) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in MIRRORED {
        let Ok(list) = util::walk(&p.repo.join(dir)) else {
            continue;
        };
        files.extend(
            list.into_iter()
                .filter(|f| f.extension().is_some_and(|e| e == "rs"))
                .map(|f| Path::new(dir).join(f)),
        );
    }
    files
}

/// Returns the diagnostics (warnings and errors) in `log` that point to a
/// project file: `(message, location)`.
pub fn project_diagnostics(p: &Paths, log: &str) -> Vec<(String, String)> {
    let tree = format!("{}/", p.tree().display());
    let mut out = Vec::new();
    let mut message: Option<&str> = None;
    for line in log.lines() {
        if line.starts_with("warning:") || line.starts_with("error:") {
            message = Some(line);
            continue;
        }
        let Some(loc) = line.trim_start().strip_prefix("--> ") else {
            continue;
        };
        let Some(msg) = message.take() else {
            continue;
        };
        let rel = loc.strip_prefix(&tree).unwrap_or(loc);
        let file = rel.split(':').next().unwrap_or(rel);
        if p.repo.join(file).is_file() && MIRRORED.iter().any(|d| file.starts_with(d)) {
            out.push((msg.to_string(), rel.to_string()));
        }
    }
    out
}

/// rustfmt's check of the project's files; returns the files it would change.
fn rustfmt(p: &Paths) -> Result<Vec<String>, String> {
    let files = rust_files(p);
    let out = Command::new("/usr/bin/rustfmt")
        .current_dir(&p.repo)
        .args(["--edition", "2021", "--check", "--config-path"])
        .arg(p.pristine().join(".rustfmt.toml"))
        .args(&files)
        .output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut changed: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("Diff in "))
        .map(|l| l.split(':').next().unwrap_or(l).to_string())
        .collect();
    changed.dedup();
    if changed.is_empty() && !out.status.success() {
        return Err(format!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(changed)
}

/// Runs the lint pass and returns its cases.
pub fn test_cases(tools: &Tools) -> Vec<Case> {
    let p = Paths::get();
    let case = |name: &str, ok: bool| Case {
        name: format!("host.lint.{name}"),
        outcome: if ok { Outcome::Pass } else { Outcome::Fail },
    };
    let mut cases = Vec::new();

    let fmt = rustfmt(&p);
    match &fmt {
        Ok(files) if files.is_empty() => println!("    rustfmt: clean"),
        Ok(files) => println!("    rustfmt: would reformat {}", files.join(" ")),
        Err(e) => println!("    {e}"),
    }
    cases.push(case("rustfmt", fmt.is_ok_and(|f| f.is_empty())));

    let build_log = fs::read_to_string(p.logs().join("build.log")).unwrap_or_default();
    let clippy = project_diagnostics(&p, &build_log);
    for (msg, loc) in &clippy {
        println!("    clippy: {loc}: {msg}");
    }
    if clippy.is_empty() {
        println!("    clippy: no warning in the files the last build compiled");
    }
    cases.push(case("clippy", clippy.is_empty()));

    let log = p.logs().join("rustdoc.log");
    let doc = run_logged(make(&p, tools).arg("rustdoc"), &log, "make rustdoc");
    let doc_log = fs::read_to_string(&log).unwrap_or_default();
    let warnings = project_diagnostics(&p, &doc_log);
    for (msg, loc) in &warnings {
        println!("    rustdoc: {loc}: {msg}");
    }
    if doc.is_ok() && warnings.is_empty() {
        println!("    rustdoc: clean");
    }
    cases.push(case("rustdoc", doc.is_ok() && warnings.is_empty()));
    cases
}

/// Builds the minimal configuration (see `build::minimal`) and returns its
/// cases: it builds, and without a warning in a project file.
pub fn minimal_cases(tools: &Tools) -> Vec<Case> {
    let p = Paths::get();
    let case = |name: &str, ok: bool| Case {
        name: format!("host.minimal-config.{name}"),
        outcome: if ok { Outcome::Pass } else { Outcome::Fail },
    };
    match crate::build::minimal(tools) {
        Ok(log) => {
            let warnings = project_diagnostics(&p, &log);
            for (msg, loc) in &warnings {
                println!("    minimal configuration: {loc}: {msg}");
            }
            vec![case("builds", true), case("no-warnings", warnings.is_empty())]
        }
        Err(e) => {
            println!("    minimal configuration: {e}");
            vec![case("builds", false), case("no-warnings", false)]
        }
    }
}
