// SPDX-License-Identifier: GPL-2.0

//! `test`: setup, build, boot, run every suite, summarise.
//!
//! One boot runs `/usr/share/rstkey/run-tests` (from `tests/guest/`), which
//! saves the KTAP of every KUnit suite (Rust doctests included) from debugfs
//! and the KTAP of every guest test into the control share. The reliability
//! lane does the same in the debug kernel (KASAN, lockdep, DMA-API and
//! scatterlist debugging...), its cases prefixed with `debug.`. The host parses
//! them all, adds its own checks (the kernel log of the boot is clean, the
//! project as a patch series applies, gives the overlaid tree and passes
//! checkpatch, see `patches`), and prints one line: `N passed, N failed`
//! (`, N skipped` when there are any).

use crate::ktap::{self, Outcome as Res};
use crate::paths::Kernel;
use crate::util::{fmt_dur, step, Result};
use crate::vm;
use std::fs;
use std::time::{Duration, Instant};

/// Boots with clear key import forbidden, checks that the key manager
/// refuses it and that a key generated in the previous boot opens from its
/// blob (`persist`: the blob and the key's digest, as guest test 60 left
/// them), as does a key of the key type rstkey (`persist_key`: its blob, an
/// IV, a ciphertext and its plaintext, separated by colons, as guest test 74
/// left them; `vm.env` has no quoting, so no spaces), as does a dm-crypt
/// mapping over the image guest test 76 left in `suite_ctl` (`persist_dm`:
/// the blob of its generated key and the digest of its plaintext), then has
/// `rstkey_sw_test` read restricted memory through the direct map: the test
/// passes only if that read oopses, in the test module, and nothing else
/// went wrong in the boot.
fn fault_boot(
    persist: Option<(String, String)>,
    persist_key: Option<String>,
    persist_dm: Option<String>,
    suite_ctl: &std::path::Path,
) -> Result<Vec<ktap::Case>> {
    let (blob, digest) = persist.unwrap_or_default();
    let persist_key = persist_key.unwrap_or_default();
    let plaintext = persist_key.split(':').nth(3).unwrap_or_default().to_owned();
    let persist_dm = persist_dm.unwrap_or_default();
    let dm_digest = persist_dm.split(':').nth(1).unwrap_or_default().to_owned();
    let out = vm::boot(&vm::Opts {
        exec: Some("/usr/share/rstkey/fault-test /mnt/ctl/results".into()),
        timeout: Some(Duration::from_secs(600)),
        append: vec!["rstkey_sw.allow_import=0".into()],
        share: Some(suite_ctl.to_path_buf()),
        env: vec![
            ("RSTKEY_PERSIST_BLOB".into(), blob),
            ("RSTKEY_PERSIST_KEY".into(), persist_key),
            ("RSTKEY_PERSIST_DM".into(), persist_dm),
        ],
        ..Default::default()
    })?;
    let results = out.ctl().join("results");
    let read = |f: &str| fs::read_to_string(results.join(f)).unwrap_or_default();
    let log = fs::read_to_string(out.console_log()).unwrap_or_default();
    let marker = format!(
        "reading protected memory at {:#x} through the direct map",
        vm::CARVEOUT_BASE
    );
    let after_marker = log.split_once(&marker).map_or("", |(_, a)| a);
    let oops = after_marker
        .split_once("BUG: unable to handle page fault")
        .map(|(_, a)| a.lines().take(40).collect::<Vec<_>>().join("\n"));
    let before_marker = log.split_once(&marker).map_or(log.as_str(), |(b, _)| b);
    let case = |name: &str, ok: bool| ktap::Case {
        name: format!("host.fault-boot.{name}"),
        outcome: if ok { Res::Pass } else { Res::Fail },
    };
    let cases = vec![
        case("guest-exited-zero", out.rc == Some(0)),
        case(
            "import-refused-by-policy-eacces",
            read("import-policy.txt").trim() == "import: error -13",
        ),
        case(
            "no-algorithm-without-clear-key-import",
            read("rstkey-algs.txt").trim() == "0",
        ),
        case(
            "protected-key-algorithm-tested-without-clear-key-import",
            read("paes-selftest.txt").trim() == "cbc-paes-rstkey passed",
        ),
        case(
            "blob-generated-in-previous-boot-opens",
            !digest.is_empty()
                && read("persist.txt").trim() == format!("unwrap: ok len=32 sha256={digest}"),
        ),
        case(
            "rstkey-key-from-previous-boot-decrypts",
            !plaintext.is_empty() && read("keytype-persist.txt").trim() == format!("ok {plaintext}"),
        ),
        case(
            "rstkey-key-generated-without-clear-key-import",
            read("keytype-new.txt").trim() == "ok ok same",
        ),
        case(
            "dm-crypt-mapping-from-previous-boot-reads-back",
            !dm_digest.is_empty() && read("dm-persist.txt").trim() == format!("ok {dm_digest}"),
        ),
        case("direct-map-read-oopses", oops.is_some()),
        case(
            "oops-in-test-module",
            oops.as_ref().is_some_and(|o| o.contains("rstkey_sw_test")),
        ),
        case(
            "restricted-memory-not-read",
            !log.contains("protected memory was readable"),
        ),
        case("faulting-task-killed", read("fault-exit.txt").trim() != "0"),
        case("log-clean-before-fault", vm::log_problems(before_marker).is_empty()),
    ];
    if cases.iter().any(|c| c.outcome == Res::Fail) {
        println!("    fault boot console: {}", out.console_log().display());
    }
    Ok(cases)
}

/// What a boot that ran every suite gave.
struct SuiteBoot {
    /// Its test cases, named with the lane's prefix.
    cases: Vec<ktap::Case>,
    /// The boot.
    out: vm::Outcome,
}

/// Boots `kernel`, runs every suite (`run-tests`), parses their KTAP and adds the host's checks
/// of the boot; prefixes every case name with `prefix`.
fn suite_boot(kernel: Kernel, prefix: &str, env: &[(String, String)]) -> Result<SuiteBoot> {
    let out = vm::boot(&vm::Opts {
        exec: Some("/usr/share/rstkey/run-tests /mnt/ctl/results".into()),
        timeout: Some(Duration::from_secs(3600)),
        kernel,
        env: env.to_vec(),
        ..Default::default()
    })?;
    let mut cases = Vec::new();
    let results = out.ctl().join("results");
    let mut files: Vec<_> = fs::read_dir(&results)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|f| f.extension().is_some_and(|e| e == "ktap"));
    files.sort();
    for f in &files {
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = fs::read_to_string(f).unwrap_or_default();
        let r = ktap::parse(&text, &format!("{prefix}{stem}"));
        let (p, fl, s) = r.counts();
        println!("    {prefix}{stem}: {p} passed, {fl} failed, {s} skipped");
        if r.cases.is_empty() {
            cases.push(ktap::Case {
                name: format!("{prefix}{stem}.reported-results"),
                outcome: Res::Fail,
            });
        }
        cases.extend(r.cases);
    }
    let host = |name: &str, ok: bool| ktap::Case {
        name: format!("{prefix}host.{name}"),
        outcome: if ok { Res::Pass } else { Res::Fail },
    };
    cases.push(host("guest-exited-zero", out.rc == Some(0)));
    cases.push(host("suites-reported", !files.is_empty()));
    cases.push(host("kernel-log-clean", out.problems.is_empty()));
    if !out.problems.is_empty() {
        vm::report_problems(&out);
    }
    Ok(SuiteBoot { cases, out })
}

/// `cargo xtask test [--no-build] [--no-debug] [--soak SECS]`.
pub fn main(args: &[String]) -> Result<u8> {
    let mut no_build = false;
    let mut debug = true;
    let mut env = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--no-build" => no_build = true,
            "--no-debug" => debug = false,
            "--soak" => {
                let secs: u64 = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--soak needs a number of seconds")?;
                env.push(("RSTKEY_SOAK_SECS".to_owned(), secs.to_string()));
            }
            other => return Err(format!("test: unknown option `{other}`")),
        }
    }
    let total = Instant::now();
    let mut phases: Vec<(&str, Duration)> = Vec::new();
    let tools = if no_build {
        crate::setup::Tools::installed()
    } else {
        let t = Instant::now();
        let tools = crate::setup::run()?;
        phases.push(("setup", t.elapsed()));
        let t = Instant::now();
        crate::build::run(&tools)?;
        phases.push(("build", t.elapsed()));
        tools
    };

    // rustfmt, clippy and rustdoc on the project's files.
    step("test: lint");
    let t = Instant::now();
    let mut lint_cases = crate::lint::test_cases(&tools);
    phases.push(("lint", t.elapsed()));

    // The production module in the smallest configuration that has it.
    if !no_build {
        step("test: minimal configuration");
        let t = Instant::now();
        lint_cases.extend(crate::lint::minimal_cases(&tools));
        phases.push(("minimal build", t.elapsed()));
    }

    // The provisioning tool, against openssl.
    step("test: the provisioning tool");
    let t = Instant::now();
    lint_cases.extend(crate::wraptool::test_cases());
    phases.push(("rstkey-wrap", t.elapsed()));

    // The parsers of untrusted bytes, fuzzed on the host.
    step("test: fuzz the parsers");
    let t = Instant::now();
    lint_cases.extend(crate::fuzz::test_cases(&tools));
    phases.push(("fuzz", t.elapsed()));

    // The project as a patch series: it must apply and give the overlaid tree.
    step("test: patch series");
    let t = Instant::now();
    let series_cases = crate::patches::test_cases();
    phases.push(("patch series", t.elapsed()));

    step("test: boot and run the suites");
    let t = Instant::now();
    let main_boot = suite_boot(Kernel::Test, "", &env)?;
    phases.push(("boot + tests", t.elapsed()));

    let mut cases = lint_cases;
    cases.extend(series_cases);
    cases.extend(main_boot.cases);
    let out = main_boot.out;
    let host = |name: &str, ok: bool| ktap::Case {
        name: format!("host.{name}"),
        outcome: if ok { Res::Pass } else { Res::Fail },
    };

    // Only the secure world maps restricted memory.
    let violations = crate::scan::scan(&crate::paths::Paths::get().repo)?;
    for v in &violations {
        println!("    source scan: {}:{}: `{}` in: {}", v.file, v.line, v.token, v.text);
    }
    cases.push(host("source-scan-no-cpu-mapping-outside-secure-world", violations.is_empty()));

    // The deliberate fault, in a boot of its own.
    step("test: boot for the deliberate fault");
    let t = Instant::now();
    let persist = fs::read_to_string(out.ctl().join("persist.txt"))
        .ok()
        .and_then(|s| {
            let (blob, digest) = s.trim().split_once(' ')?;
            Some((blob.to_owned(), digest.to_owned()))
        });
    let persist_key = fs::read_to_string(out.ctl().join("keytype-persist.txt"))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| s.split(':').count() == 4);
    let persist_dm = fs::read_to_string(out.ctl().join("dm-persist.txt"))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| s.split(':').count() == 2);
    cases.extend(fault_boot(persist, persist_key, persist_dm, &out.ctl())?);
    phases.push(("fault boot", t.elapsed()));

    // The reliability lane: every suite again, under the debug kernel's checkers.
    let mut debug_out = None;
    if debug {
        if !no_build {
            step("test: debug kernel");
            let t = Instant::now();
            crate::build::run_kernel(&tools, Kernel::Debug)?;
            phases.push(("debug build", t.elapsed()));
        }
        step("test: boot the debug kernel and run the suites");
        let t = Instant::now();
        let b = suite_boot(Kernel::Debug, "debug.", &env)?;
        phases.push(("debug boot + tests", t.elapsed()));
        cases.extend(b.cases);
        debug_out = Some(b.out);
    }

    let failed: Vec<&ktap::Case> = cases.iter().filter(|c| c.outcome == Res::Fail).collect();
    if !failed.is_empty() {
        println!("failed tests:");
        for c in &failed {
            println!("    {}", c.name);
        }
        for o in std::iter::once(&out).chain(debug_out.as_ref()) {
            println!(
                "    (results: {}, console: {})",
                o.ctl().join("results").display(),
                o.console_log().display()
            );
        }
    }
    phases.push(("total", total.elapsed()));
    let times: Vec<String> = phases
        .iter()
        .map(|(n, d)| format!("{n} {}", fmt_dur(*d)))
        .collect();
    println!("time: {}", times.join(", "));
    if let Some(u) = out.ready_uptime {
        println!("time: boot to userspace {u:.1}s (guest uptime)");
    }
    let n = |o: Res| cases.iter().filter(|c| c.outcome == o).count();
    let (passed, nfailed, skipped) = (n(Res::Pass), n(Res::Fail), n(Res::Skip));
    if skipped > 0 {
        println!("{passed} passed, {nfailed} failed, {skipped} skipped");
    } else {
        println!("{passed} passed, {nfailed} failed");
    }
    Ok(u8::from(nfailed > 0 || passed == 0))
}
