// SPDX-License-Identifier: GPL-2.0

//! rstkey host tool.
//!
//! `cargo xtask <subcommand>`:
//!
//! - `setup`: install the toolchain and fetch the Linux 7.3 source (idempotent);
//! - `build`: overlay the project on a copy of the pristine tree and build it;
//! - `vm`: boot the build in QEMU with a virtio-crypto device;
//! - `test`: setup, build, boot and run every suite, then summarise;
//! - `fuzz`: the parsers of untrusted bytes, built for the host, under libFuzzer;
//! - `bench`: rstkey vs the C virtio_crypto driver vs generic, in one boot;
//! - `patches`: the project as a patch series against the pristine tree.

mod bench;
mod build;
mod cpio;
mod fuzz;
mod ktap;
mod lint;
mod patches;
mod qemu;
mod qmp;
mod paths;
mod scan;
mod setup;
mod test;
mod util;
mod vm;
mod wraptool;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  setup                 install packages, bindgen and the Linux 7.3 source (idempotent)
  build [--debug]       apply the overlay and build bzImage + modules (incremental);
                        --debug: the debug kernel (configs/debug/debug.config on top)
  vm [options]          boot the build in QEMU (setup and build first)
      --exec CMD        run CMD as root in the guest, stream its output, exit with its status
      --share DIR       make host DIR readable and writable in the guest at /mnt/share
      --no-build        boot what was built last, without setup and build
      --debug           boot the debug kernel (built with `build --debug`)
      --new-device-key  give this boot a device key of its own (default: the platform's,
                        $RSTKEY_CACHE/device-key.bin, the same in every boot)
      --timeout SECS    kill the guest after SECS seconds (default: none for a shell, 1800 with --exec)
  test [options]        setup + build + boot + run all suites, then the same under the debug
                        kernel (the reliability lane), print `N passed, N failed`
      --no-build        test what was built last
      --no-debug        leave out the reliability lane
      --soak SECS       length of the removal test's soak (default 30)
  fuzz [options] [TARGET...]
                        build the parsers of untrusted bytes for the host (tests/fuzz) and run
                        each target (blob, answer, caps, keycmd; default all) under libFuzzer
      --runs N          inputs per target (default 1000000)
  wrap-check            build the provisioning tool (tools/rstkey-wrap) and compare its blobs
                        with openssl's (tests/host/wrap-key); check that it refuses bad input
  bench [options]       measure rstkey vs the C virtio_crypto driver vs generic in one boot,
                        print a table with ratios, write bench.csv and bench.png
      --ms N            milliseconds per measurement (default 1000)
      --no-build        measure what was built last
  patches DIR [options] write the project as a `git format-patch` series against the pristine
                        tree into DIR (split as patches/series declares), then apply it with
                        `git am`, compare it with the overlaid tree and run checkpatch
      --no-check        only write the series

environment:
  RSTKEY_CACHE          where the source, the build and the logs live (default /var/cache/rstkey)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let result = match cmd.as_str() {
        "setup" => no_args(rest).and_then(|()| setup::run().map(|_| 0)),
        "build" => {
            let kernel = match rest {
                [] => Ok(paths::Kernel::Test),
                [d] if d == "--debug" => Ok(paths::Kernel::Debug),
                _ => no_args(rest).map(|()| paths::Kernel::Test),
            };
            kernel.and_then(|kernel| {
                let tools = setup::run()?;
                build::run_kernel(&tools, kernel).map(|_| 0)
            })
        }
        "vm" => vm::main(rest),
        "test" => test::main(rest),
        "fuzz" => fuzz::main(rest),
        "wrap-check" => no_args(rest).map(|()| {
            let cases = wraptool::test_cases();
            let failed = cases.iter().filter(|c| c.outcome != ktap::Outcome::Pass).count();
            println!("{} passed, {failed} failed", cases.len() - failed);
            u8::from(failed > 0)
        }),
        "bench" => bench::main(rest),
        "patches" => patches::main(rest),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(0)
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn no_args(rest: &[String]) -> Result<(), String> {
    match rest.first() {
        None => Ok(()),
        Some(a) => Err(format!("unexpected argument `{a}`\n\n{USAGE}")),
    }
}
