// SPDX-License-Identifier: GPL-2.0

//! `bench`: rstkey against the C `virtio_crypto` driver and the generic software
//! implementations, in one boot.
//!
//! The guest script `tests/guest/bench` measures through rstkey's test-only debugfs file
//! `rstkey/bench` (`drivers/crypto/rstkey/bench.rs`): `cbc(aes)` with a 128-bit key at 16 B,
//! 256 B, 4 KiB and 64 KiB with 1 and 8 requests in flight (submitted together, then waited for,
//! as tcrypt's `mode=600 num_mb=N` does), RSA-2048 PKCS#1 v1.5 signatures (SHA-256) and
//! private-key decryptions, each in one kernel thread, RSA-2048 and 4096 signatures through the
//! keyring in the kernel, as `keyctl pkey_sign` makes them (`rsaN-pkey-sign`: rstkey with a
//! restricted key of the subtype `rstkey`, `rsaN-pkey-sign-pkcs8`: rstkey with a PKCS#8 key of the
//! kernel's `public_key` subtype; C and generic: the PKCS#8 key while rstkey, reloaded, has no
//! algorithm, with the device on the C driver, then unbound), and dm-crypt's sequential write
//! and read
//! throughput (`dmcrypt-write`, `dmcrypt-read`: `dd` with `O_DIRECT` in 4 KiB and 64 KiB blocks
//! through a mapping over a RAM disk; rstkey's `cbc(paes)` keyed by a blob, the generic
//! `cbc(aes)` with the clear key; dm-crypt refuses the C driver). It measures rstkey and the generic
//! implementations first, then unbinds the device from rstkey, binds it to the C driver and
//! measures that; then again, `RSTKEY_BENCH_ROUNDS` times in all (default 3), and the best
//! round of each measurement counts. The host prints a table with ratios and writes `bench.csv`,
//! `bench.png` and the table (`bench.txt`) to `$RSTKEY_CACHE/bench/`. As the best rounds of two
//! implementations may come from different rounds, the table also shows the lowest and the
//! highest ratio of rstkey to the C driver within one round: the spread of the noise.
//!
//! Next to the rates, the table shows what each request cost the host: the CPU time of QEMU's
//! vCPU threads (the guest's work, including its accesses to the device's registers) and of its
//! main thread (which runs the virtio-crypto device and its crypto backend), per request. The
//! guest marks the start and the end of each measurement on its output, and the host reads the
//! scheduler's account of QEMU's threads as each mark arrives ([`vm::CpuStamp`]). Unlike the
//! guest's own tick counts (also in the CSV), this misses nothing while a vCPU is in QEMU: it
//! tells where a driver spends its time, in the guest or in the device.
//!
//! This is a benchmark, not a test: nothing is asserted about speed.

use crate::paths::Paths;
use crate::util::{step, Result};
use crate::vm;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The implementations, in the order of the table.
const IMPLS: [&str; 3] = ["rstkey", "virtio_crypto", "generic"];

/// The length of a `/proc/stat` tick (`USER_HZ` is 100), in microseconds.
const TICK_US: f64 = 10_000.0;

/// The host CPU time QEMU spent during one measurement, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
struct HostCpu {
    /// The vCPU threads.
    vcpus: u64,
    /// The main thread: the device.
    main: u64,
}

impl HostCpu {
    /// The CPU time between two stamps, if they are in order.
    fn between(start: &vm::CpuStamp, end: &vm::CpuStamp) -> Option<Self> {
        Some(Self {
            vcpus: end.vcpus_ns.checked_sub(start.vcpus_ns)?,
            main: end.main_ns.checked_sub(start.main_ns)?,
        })
    }
}

/// One measurement: operations and bytes in `ns` nanoseconds, the guest's busy CPU ticks
/// meanwhile and QEMU's CPU time (if known), or the error.
#[derive(Clone, Debug, PartialEq)]
enum Measured {
    Ok {
        ops: u64,
        bytes: u64,
        ns: u64,
        cpu: Option<u64>,
        host: Option<HostCpu>,
    },
    Failed(String),
}

impl Measured {
    /// Operations per second.
    fn per_sec(&self) -> Option<f64> {
        match self {
            Self::Ok { ops, ns, .. } if *ns > 0 => Some(*ops as f64 * 1e9 / *ns as f64),
            _ => None,
        }
    }

    /// Megabytes (10^6) per second.
    fn mb_per_sec(&self) -> Option<f64> {
        match self {
            Self::Ok { bytes, ns, .. } if *ns > 0 => Some(*bytes as f64 * 1e3 / *ns as f64),
            _ => None,
        }
    }

    /// Guest CPU time per operation, in microseconds.
    fn cpu_us(&self) -> Option<f64> {
        match self {
            Self::Ok {
                ops, cpu: Some(t), ..
            } if *ops > 0 => Some(*t as f64 * TICK_US / *ops as f64),
            _ => None,
        }
    }

    /// Host CPU time of QEMU's vCPU threads and of its main thread per operation, in
    /// microseconds.
    fn host_us(&self) -> Option<(f64, f64)> {
        match self {
            Self::Ok {
                ops, host: Some(h), ..
            } if *ops > 0 => {
                let per = |ns: u64| ns as f64 / 1e3 / *ops as f64;
                Some((per(h.vcpus), per(h.main)))
            }
            _ => None,
        }
    }
}

/// What is measured: the operation, the size in bytes (0 for RSA) and the requests in flight.
type Key = (String, u64, u64);

/// Every round's measurement of each implementation, in the order of the rounds.
type Rounds = BTreeMap<Key, BTreeMap<String, Vec<Measured>>>;

/// The best round's measurement of each implementation.
type Best = BTreeMap<Key, BTreeMap<String, Measured>>;

/// Of several rounds, the best measurement counts: on an emulated machine the noise only ever
/// slows things down.
fn best(rounds: &Rounds) -> Best {
    rounds
        .iter()
        .map(|(key, imps)| {
            let imps = imps
                .iter()
                .filter_map(|(imp, all)| {
                    let m = all.iter().max_by(|a, b| {
                        let rate = |m: &Measured| m.per_sec().unwrap_or(-1.0);
                        rate(a).total_cmp(&rate(b))
                    })?;
                    Some((imp.clone(), m.clone()))
                })
                .collect();
            (key.clone(), imps)
        })
        .collect()
}

/// The lowest and the highest ratio of `a`'s rate to `b`'s, round by round (a round measures
/// both implementations within seconds of each other).
fn round_ratios(a: Option<&Vec<Measured>>, b: Option<&Vec<Measured>>) -> Option<(f64, f64)> {
    let ratios: Vec<f64> = a?
        .iter()
        .zip(b?)
        .filter_map(|(a, b)| Some(a.per_sec()? / b.per_sec().filter(|r| *r > 0.0)?))
        .collect();
    let lo = ratios.iter().copied().reduce(f64::min)?;
    let hi = ratios.iter().copied().reduce(f64::max)?;
    Some((lo, hi))
}

/// Formats [`round_ratios`] as `lowest-highest`.
fn spread(a: Option<&Vec<Measured>>, b: Option<&Vec<Measured>>) -> String {
    match round_ratios(a, b) {
        Some((lo, hi)) => format!("{lo:.2}-{hi:.2}"),
        None => "n/a".into(),
    }
}

/// Parses the guest's output: `<impl> <operation> <size> <depth> <result>` lines.
///
/// The lines may carry the host's stamps (the format of `host-cpu.log`); a result then gets the
/// CPU time between the `bench-mark start` and `bench-mark end` lines before it.
fn parse(text: &str) -> Rounds {
    let mut rows = Rounds::new();
    let (mut start, mut end) = (None, None);
    for line in text.lines() {
        let (stamp, line) = match vm::CpuStamp::parse(line) {
            Some((st, text)) => (Some(st), text),
            None => (None, line),
        };
        match line.trim() {
            "bench-mark start" => {
                (start, end) = (stamp, None);
                continue;
            }
            "bench-mark end" => {
                end = stamp;
                continue;
            }
            _ => (),
        }
        let w: Vec<&str> = line.split_whitespace().collect();
        let [imp, op, size, depth, rest @ ..] = w.as_slice() else {
            continue;
        };
        let (Ok(size), Ok(depth)) = (size.parse::<u64>(), depth.parse::<u64>()) else {
            continue;
        };
        let field = |name: &str| {
            rest.iter()
                .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
                .and_then(|v| v.parse::<u64>().ok())
        };
        let m = match (rest.first(), field("ops"), field("bytes"), field("ns")) {
            (Some(&"ok"), Some(ops), Some(bytes), Some(ns)) => Measured::Ok {
                ops,
                bytes,
                ns,
                cpu: field("cpu"),
                host: match (&start, &end) {
                    (Some(s), Some(e)) => HostCpu::between(s, e),
                    _ => None,
                },
            },
            _ => Measured::Failed(rest.join(" ")),
        };
        (start, end) = (None, None);
        rows.entry((op.to_string(), size, depth))
            .or_default()
            .entry(imp.to_string())
            .or_default()
            .push(m);
    }
    rows
}

/// Formats a size in bytes.
fn size_name(size: u64) -> String {
    match size {
        0 => "-".into(),
        s if s >= 1024 && s % 1024 == 0 => format!("{} KiB", s / 1024),
        s => format!("{s} B"),
    }
}

/// Formats `a / b`.
fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
        _ => "n/a".into(),
    }
}

/// Formats a rate.
fn rate(v: Option<f64>) -> String {
    match v {
        Some(v) if v >= 100.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
        None => "n/a".into(),
    }
}

/// The table, the CSV and the gnuplot data.
fn report(rounds: &Rounds) -> (String, String, String) {
    let rows = best(rounds);
    let mut table = String::new();
    let mut csv = String::from(
        "operation,size_bytes,in_flight,implementation,ops,bytes,ns,ops_per_sec,mb_per_sec,\
         cpu_ticks,cpu_us_per_op,host_vcpus_us_per_op,host_device_us_per_op,error\n",
    );
    let mut dat = String::from("# config rstkey virtio_crypto generic\n");
    let _ = writeln!(
        table,
        "{:<16} {:>7} {:>4} | {:>9} {:>9} {:>9} | {:>8} {:>8} {:>8} | {:>9} {:>11} {:>10} {:>11} | {:>7} {:>7} | {:>7} {:>7}",
        "operation",
        "size",
        "fly",
        "rstkey/s",
        "C/s",
        "generic/s",
        "rstkey",
        "C",
        "generic",
        "vs C",
        "rounds",
        "vs generic",
        "rounds",
        "rstkey",
        "C",
        "rstkey",
        "C"
    );
    let _ = writeln!(
        table,
        "{:<16} {:>7} {:>4} | {:>29} | {:>26} | {:>44} | {:>15} | {:>15}",
        "", "", "", "requests (operations) per second", "MB/s", "", "vCPUs us/req", "device us/req"
    );
    let mut keys: Vec<&Key> = rows.keys().collect();
    // Ciphers first, by size then depth; RSA after.
    keys.sort_by_key(|(op, size, depth)| (op.starts_with("rsa"), op.clone(), *size, *depth));
    for key in keys {
        let (op, size, depth) = key;
        let m = &rows[key];
        let get = |i: &str| m.get(i);
        let per = |i: &str| get(i).and_then(Measured::per_sec);
        let mb = |i: &str| get(i).and_then(Measured::mb_per_sec);
        let cipher = *size > 0;
        let _ = writeln!(
            table,
            "{:<16} {:>7} {:>4} | {:>9} {:>9} {:>9} | {:>8} {:>8} {:>8} | {:>9} {:>11} {:>10} {:>11} | {:>7} {:>7} | {:>7} {:>7}",
            op,
            size_name(*size),
            depth,
            rate(per("rstkey")),
            rate(per("virtio_crypto")),
            rate(per("generic")),
            if cipher {
                rate(mb("rstkey"))
            } else {
                "-".into()
            },
            if cipher {
                rate(mb("virtio_crypto"))
            } else {
                "-".into()
            },
            if cipher {
                rate(mb("generic"))
            } else {
                "-".into()
            },
            ratio(per("rstkey"), per("virtio_crypto")),
            spread(rounds[key].get("rstkey"), rounds[key].get("virtio_crypto")),
            ratio(per("rstkey"), per("generic")),
            spread(rounds[key].get("rstkey"), rounds[key].get("generic")),
            rate(get("rstkey").and_then(Measured::host_us).map(|h| h.0)),
            rate(get("virtio_crypto").and_then(Measured::host_us).map(|h| h.0)),
            rate(get("rstkey").and_then(Measured::host_us).map(|h| h.1)),
            rate(get("virtio_crypto").and_then(Measured::host_us).map(|h| h.1)),
        );
        for imp in IMPLS {
            match get(imp) {
                Some(
                    m @ Measured::Ok {
                        ops,
                        bytes,
                        ns,
                        cpu,
                        ..
                    },
                ) => {
                    let host = m.host_us();
                    let _ = writeln!(
                        csv,
                        "{op},{size},{depth},{imp},{ops},{bytes},{ns},{:.3},{:.3},{},{},{},{},",
                        per(imp).unwrap_or(0.0),
                        mb(imp).unwrap_or(0.0),
                        cpu.map_or(String::new(), |c| c.to_string()),
                        m.cpu_us().map_or(String::new(), |c| format!("{c:.1}")),
                        host.map_or(String::new(), |h| format!("{:.2}", h.0)),
                        host.map_or(String::new(), |h| format!("{:.2}", h.1)),
                    );
                }
                Some(Measured::Failed(e)) => {
                    let _ = writeln!(csv, "{op},{size},{depth},{imp},,,,,,,,,,{e}");
                }
                None => (),
            }
        }
        let label = if cipher {
            format!("{op}:{}x{}", size_name(*size).replace(' ', ""), depth)
        } else {
            op.replace("rsa2048-", "rsa-")
        };
        let _ = writeln!(
            dat,
            "{label} {} {} {}",
            per("rstkey").unwrap_or(0.0),
            per("virtio_crypto").unwrap_or(0.0),
            per("generic").unwrap_or(0.0)
        );
    }
    (table, csv, dat)
}

/// Draws `dat` as grouped bars into `png` with gnuplot.
fn chart(dat: &Path, png: &Path) -> Result {
    let script = format!(
        "set terminal pngcairo size 1400,700 noenhanced\n\
         set output '{}'\n\
         set title 'rstkey vs C virtio_crypto vs generic (one QEMU boot; requests/s, log scale)'\n\
         set style data histograms\n\
         set style histogram clustered gap 1\n\
         set style fill solid 0.8 border -1\n\
         set logscale y\n\
         set yrange [1:*]\n\
         set ylabel 'operations per second'\n\
         set xtics rotate by -30\n\
         set key top right\n\
         set grid ytics\n\
         plot '{}' using 2:xtic(1) title 'rstkey', '' using 3 title 'virtio_crypto (C)', \
         '' using 4 title 'generic (software)'\n",
        png.display(),
        dat.display()
    );
    let gp = dat.with_extension("gp");
    crate::util::write(&gp, script.as_bytes())?;
    let out = Command::new("gnuplot")
        .arg(&gp)
        .output()
        .map_err(|e| format!("gnuplot: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "gnuplot failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// `cargo xtask bench [--ms N] [--no-build]`.
pub fn main(args: &[String]) -> Result<u8> {
    let mut ms = 1000u64;
    let mut no_build = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--ms" => {
                ms = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|v| *v > 0)
                    .ok_or("bench: --ms needs a positive number of milliseconds")?;
            }
            "--no-build" => no_build = true,
            other => return Err(format!("bench: unknown option `{other}`")),
        }
    }
    if !no_build {
        let tools = crate::setup::run()?;
        crate::build::run(&tools)?;
    }

    step("bench: boot and measure");
    let out = vm::boot(&vm::Opts {
        exec: Some(format!(
            "RSTKEY_BENCH_MS={ms} /usr/share/rstkey/bench /mnt/ctl/bench.txt"
        )),
        timeout: Some(Duration::from_secs(1800)),
        // The test kernel's leak detector tracks every allocation, which under TCG costs about
        // as much as a whole small request.
        append: vec!["kmemleak=off".into()],
        host_cpu: true,
        ..Default::default()
    })?;
    // The output stamped with QEMU's CPU times; the guest's own file if that is missing.
    let text = fs::read_to_string(out.run_dir.join("host-cpu.log"))
        .ok()
        .filter(|t| !parse(t).is_empty())
        .or_else(|| fs::read_to_string(out.ctl().join("bench.txt")).ok())
        .ok_or("bench: no results from the guest")?;
    let rounds = parse(&text);
    if rounds.is_empty() {
        return Err("bench: the guest reported no measurement".into());
    }
    let (table, csv, dat) = report(&rounds);

    let dir = Paths::get().cache.join("bench");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (csv_path, dat_path, png_path) = (
        dir.join("bench.csv"),
        dir.join("bench.dat"),
        dir.join("bench.png"),
    );
    crate::util::write(&csv_path, csv.as_bytes())?;
    crate::util::write(&dat_path, dat.as_bytes())?;
    crate::util::write(&dir.join("bench.txt"), table.as_bytes())?;

    println!();
    print!("{table}");
    println!();
    println!(
        "(each measurement {ms} ms; \"fly\": requests in flight; ratios are of rstkey's rate; \
         \"vs C\" and \"vs generic\" are of the best rounds, each \"rounds\" the lowest and \
         highest ratio within a round; dmcrypt rows: one request is one dd block; host CPU time \
         of QEMU per request: its vCPU threads, and its main thread, which runs the device)"
    );
    // A kernel log problem (a self-test the C driver fails, say) is shown, not fatal: this is a
    // benchmark.
    let mut notes: Vec<&str> = out
        .problems
        .iter()
        .flat_map(|p| p.lines())
        .filter(|l| l.contains("alg: self-tests") || l.contains("BUG") || l.contains("Oops"))
        .map(|l| l.split_once("] ").map_or(l, |(_, t)| t))
        .collect();
    notes.dedup();
    for n in notes {
        println!("kernel log: {n}");
    }
    println!("csv: {}", csv_path.display());
    match chart(&dat_path, &png_path) {
        Ok(()) => println!("png: {}", png_path.display()),
        Err(e) => println!("png: not drawn ({e})"),
    }
    Ok(u8::from(out.rc != Some(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_results_and_errors() {
        let rows = best(&parse(
            "rstkey cbc-aes-128 16 8 ok ops=100 bytes=1600 ns=1000000000 cpu=50\n\
             virtio_crypto rsa2048-sign 0 1 error -80 at alloc\n\
             rstkey cbc-aes-128 16 8 ok ops=50 bytes=800 ns=1000000000\n\
             noise\n",
        ));
        let m = &rows[&("cbc-aes-128".into(), 16, 8)]["rstkey"];
        assert_eq!(
            *m,
            Measured::Ok {
                ops: 100,
                bytes: 1600,
                ns: 1_000_000_000,
                cpu: Some(50),
                host: None,
            }
        );
        assert_eq!(m.per_sec(), Some(100.0));
        assert_eq!(m.mb_per_sec(), Some(0.0016));
        // 50 ticks of 10 ms for 100 requests.
        assert_eq!(m.cpu_us(), Some(5000.0));
        assert_eq!(
            rows[&("rsa2048-sign".into(), 0, 1)]["virtio_crypto"],
            Measured::Failed("error -80 at alloc".into())
        );
        assert_eq!(rows.len(), 2);
    }

    #[test]
    fn parses_host_stamps() {
        let rows = best(&parse(
            "10 0 0 0\tbench: round 1\n\
             100 1000 500 7\tbench-mark start\n\
             200 5000 2500 9\tbench-mark end\n\
             300 5100 2600 9\trstkey cbc-aes-128 16 1 ok ops=2 bytes=32 ns=100 cpu=1\n\
             400 6000 3000 9\tbench-mark start\n\
             500 7000 3500 9\tvirtio_crypto cbc-aes-128 16 1 error -22 at run\n\
             600 8000 4000 9\tgeneric cbc-aes-128 16 1 ok ops=1 bytes=16 ns=100\n",
        ));
        let m = &rows[&("cbc-aes-128".into(), 16, 1)];
        // 4000 ns of vCPU time and 2000 ns of the main thread, for 2 requests.
        assert_eq!(m["rstkey"].host_us(), Some((2.0, 1.0)));
        // A result without both marks before it has no host time.
        assert_eq!(m["generic"].host_us(), None);
        assert!(matches!(m["virtio_crypto"], Measured::Failed(_)));
        assert_eq!(
            vm::CpuStamp::parse("1 2 3 4\tx y"),
            Some((
                vm::CpuStamp {
                    wall_ns: 1,
                    vcpus_ns: 2,
                    main_ns: 3,
                    other_ns: 4
                },
                "x y"
            ))
        );
        assert_eq!(vm::CpuStamp::parse("1 2 3\tx"), None);
    }

    #[test]
    fn ratios_by_round() {
        let rounds = parse(
            "rstkey x 16 8 ok ops=300 bytes=0 ns=1000000000\n\
             virtio_crypto x 16 8 ok ops=100 bytes=0 ns=1000000000\n\
             rstkey x 16 8 ok ops=100 bytes=0 ns=1000000000\n\
             virtio_crypto x 16 8 ok ops=200 bytes=0 ns=1000000000\n",
        );
        let r = &rounds[&("x".into(), 16, 8)];
        // Round by round: 3.0 and 0.5; of the best rounds: 300 / 200.
        assert_eq!(
            round_ratios(r.get("rstkey"), r.get("virtio_crypto")),
            Some((0.5, 3.0))
        );
        assert_eq!(
            best(&rounds)[&("x".into(), 16, 8)]["rstkey"].per_sec(),
            Some(300.0)
        );
        assert_eq!(round_ratios(r.get("rstkey"), r.get("generic")), None);
    }

    #[test]
    fn ratios() {
        assert_eq!(ratio(Some(3.0), Some(2.0)), "1.50x");
        assert_eq!(ratio(Some(3.0), None), "n/a");
        assert_eq!(size_name(65536), "64 KiB");
        assert_eq!(size_name(256), "256 B");
    }
}
