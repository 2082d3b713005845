// SPDX-License-Identifier: GPL-2.0

//! `fuzz`: the parsers of untrusted bytes, built for the host and fuzzed with libFuzzer.
//!
//! `tests/fuzz` includes the kernel's own files (the secure world's key blob parser, the checks
//! of the device's answers with the wire layouts, the reading and printing of the device's
//! configuration space) with a small host stand-in for the kernel crate, and checks every result
//! against a reference. They are built with libFuzzer's coverage instrumentation (SanitizerCoverage
//! with comparison tracing) and AddressSanitizer, and each target runs [`RUNS`] inputs from a
//! fixed seed, starting from the corpus in `tests/fuzz/corpus/<target>` (the inputs the run adds
//! go to the cache, not to the repository). A crash, a failed check or a sanitizer report ends
//! the target with the input in `$RSTKEY_CACHE/fuzz/artifacts/`.

use crate::ktap::{Case, Outcome};
use crate::paths::Paths;
use crate::setup::Tools;
use crate::util::{fmt_dur, run_logged, step, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// The fuzz targets and the largest input each takes.
///
/// `blob`: the largest blobs (4 KiB keys) are left out to keep the run short; they are valid
/// only as whole blobs with a tag, which the guest tests cover.
pub const TARGETS: &[(&str, usize)] = &[
    ("blob", 2048),
    ("answer", 4200),
    ("caps", 56),
    ("keycmd", 256),
];

/// Inputs per target in the test command.
pub const RUNS: u64 = 1_000_000;

/// The flags of the instrumented build, as cargo-fuzz passes them.
///
/// `-Zsanitizer` needs `RUSTC_BOOTSTRAP`, which the build sets for this one flag: the machine's
/// toolchain is a stable one, and its standard library ships the AddressSanitizer runtime.
const RUSTFLAGS: &[&str] = &[
    "--cfg=fuzzing",
    "-Cpasses=sancov-module",
    "-Cllvm-args=-sanitizer-coverage-level=4",
    "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
    "-Cllvm-args=-sanitizer-coverage-pc-table",
    "-Cllvm-args=-sanitizer-coverage-trace-compares",
    "-Cllvm-args=-sanitizer-coverage-stack-depth",
    "-Zsanitizer=address",
    "-Cforce-frame-pointers=yes",
];

/// The host target the fuzzers are built for: naming it keeps `RUSTFLAGS` off the build scripts.
const HOST: &str = "x86_64-unknown-linux-gnu";

/// What one target's run did.
#[derive(Debug, PartialEq)]
pub struct Stats {
    /// Inputs run (`stat::number_of_executed_units`).
    pub runs: u64,
    /// Inputs added to the corpus for new coverage.
    pub new_units: u64,
    /// Seconds, as libFuzzer counts them.
    pub secs: u64,
}

/// Reads libFuzzer's `-print_final_stats=1` lines and its `Done N runs in S second(s)` line.
pub fn parse_stats(log: &str) -> Option<Stats> {
    let stat = |key: &str| {
        log.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let secs = log.lines().find_map(|l| {
        let rest = l.strip_prefix("Done ")?;
        let (_, t) = rest.split_once(" runs in ")?;
        t.split_whitespace().next()?.parse().ok()
    })?;
    Some(Stats {
        runs: stat("stat::number_of_executed_units:")?,
        new_units: stat("stat::new_units_added:").unwrap_or(0),
        secs,
    })
}

fn dir(p: &Paths) -> PathBuf {
    p.cache.join("fuzz")
}

/// Builds the instrumented targets; returns the directory of the executables.
pub fn build(p: &Paths, tools: &Tools) -> Result<PathBuf> {
    let target_dir = dir(p).join("target");
    let mut cmd = Command::new("cargo");
    cmd.args(["build", "--release", "--locked", "--target", HOST])
        .arg("--manifest-path")
        .arg(p.repo.join("tests/fuzz/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .env("RUSTFLAGS", RUSTFLAGS.join(" "))
        .env("RUSTC_BOOTSTRAP", "1")
        .env("RSTKEY_BINDGEN", &tools.bindgen)
        .env("RSTKEY_KERNEL_SRC", p.pristine());
    run_logged(
        &mut cmd,
        &p.logs().join("fuzz-build.log"),
        "cargo build (fuzz targets)",
    )?;
    Ok(target_dir.join(HOST).join("release"))
}

/// Starts `target` for `runs` inputs, its output going to its log.
fn spawn(p: &Paths, bin: &Path, target: &str, max_len: usize, runs: u64) -> Result<Child> {
    let corpus = dir(p).join("corpus").join(target);
    let artifacts = dir(p).join("artifacts").join(target);
    for d in [&corpus, &artifacts] {
        fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let log = log_path(p, target);
    let out = fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out
        .try_clone()
        .map_err(|e| format!("{}: {e}", log.display()))?;
    Command::new(bin.join(target))
        .arg(format!("-runs={runs}"))
        .arg("-seed=1")
        .arg(format!("-max_len={max_len}"))
        .arg("-print_final_stats=1")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg(&corpus)
        .arg(p.repo.join("tests/fuzz/corpus").join(target))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.join(target).display()))
}

fn log_path(p: &Paths, target: &str) -> PathBuf {
    p.logs().join(format!("fuzz-{target}.log"))
}

/// Runs `targets` for `runs` inputs each, all at once (they share the cores; each is one
/// process); returns one result per target: its statistics, or why it failed.
pub fn run(
    p: &Paths,
    bin: &Path,
    targets: &[(&str, usize)],
    runs: u64,
) -> Vec<(String, Result<Stats>)> {
    let children: Vec<(&str, Result<Child>)> = targets
        .iter()
        .map(|(t, max_len)| (*t, spawn(p, bin, t, *max_len, runs)))
        .collect();
    children
        .into_iter()
        .map(|(t, child)| {
            let r = child.and_then(|mut c| {
                let st = c.wait().map_err(|e| format!("{t}: {e}"))?;
                let log = fs::read_to_string(log_path(p, t)).unwrap_or_default();
                if !st.success() {
                    let why = log
                        .lines()
                        .filter(|l| l.contains("ERROR") || l.contains("panicked"))
                        .collect::<Vec<_>>()
                        .join("; ");
                    let log = log_path(p, t);
                    return Err(format!("{t}: {st}: {why} (see {})", log.display()));
                }
                let stats = parse_stats(&log).ok_or(format!("{t}: no statistics in its log"))?;
                if stats.runs < runs {
                    return Err(format!("{t}: ran {} of {runs} inputs", stats.runs));
                }
                Ok(stats)
            });
            (t.to_owned(), r)
        })
        .collect()
}

/// Builds and runs every target; returns the cases `host.fuzz.<target>`.
pub fn test_cases(tools: &Tools) -> Vec<Case> {
    let p = Paths::get();
    let case = |name: &str, ok: bool| Case {
        name: format!("host.fuzz.{name}"),
        outcome: if ok { Outcome::Pass } else { Outcome::Fail },
    };
    let bin = match build(&p, tools) {
        Ok(b) => b,
        Err(e) => {
            println!("    {e}");
            return vec![case("build", false)];
        }
    };
    let mut cases = vec![case("build", true)];
    for (t, r) in run(&p, &bin, TARGETS, RUNS) {
        report(&t, &r);
        cases.push(case(&t, r.is_ok()));
    }
    cases
}

fn report(target: &str, r: &Result<Stats>) {
    match r {
        Ok(s) => println!(
            "    fuzz {target}: {} inputs in {} s, {} new in the corpus, 0 crashes",
            s.runs, s.secs, s.new_units
        ),
        Err(e) => println!("    fuzz {target}: FAILED: {e}"),
    }
}

/// `cargo xtask fuzz [--runs N] [TARGET...]`.
pub fn main(args: &[String]) -> Result<u8> {
    let mut runs = RUNS;
    let mut names = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => {
                runs = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--runs needs a number")?;
            }
            t => names.push(t.to_owned()),
        }
    }
    let targets: Vec<(&str, usize)> = if names.is_empty() {
        TARGETS.to_vec()
    } else {
        names
            .iter()
            .map(|n| {
                TARGETS
                    .iter()
                    .find(|(t, _)| t == n)
                    .copied()
                    .ok_or(format!("fuzz: no target `{n}`"))
            })
            .collect::<Result<_>>()?
    };
    let tools = crate::setup::run()?;
    let p = Paths::get();
    step("fuzz: build");
    let bin = build(&p, &tools)?;
    step("fuzz: run");
    let t = Instant::now();
    let results = run(&p, &bin, &targets, runs);
    for (name, r) in &results {
        report(name, r);
    }
    println!("time: fuzz {}", fmt_dur(t.elapsed()));
    Ok(u8::from(results.iter().any(|(_, r)| r.is_err())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_of_a_finished_run() {
        let log = "#1000000\tDONE   cov: 310 ft: 1210 corp: 230/9Kb\n\
                   Done 1000000 runs in 221 second(s)\n\
                   stat::number_of_executed_units: 1000000\n\
                   stat::average_exec_per_sec:     4524\n\
                   stat::new_units_added:          230\n";
        assert_eq!(
            parse_stats(log),
            Some(Stats {
                runs: 1_000_000,
                new_units: 230,
                secs: 221
            })
        );
    }

    #[test]
    fn no_stats_from_a_crash() {
        let log = "==123==ERROR: AddressSanitizer: heap-buffer-overflow\n\
                   stat::number_of_executed_units: 4242\n";
        assert_eq!(parse_stats(log), None);
    }
}
