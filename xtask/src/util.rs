// SPDX-License-Identifier: GPL-2.0

//! Process, file and progress helpers shared by the subcommands.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The result type of every step: errors are messages for the user.
pub type Result<T = ()> = std::result::Result<T, String>;

/// Prints a phase heading.
pub fn step(msg: &str) {
    println!("==> {msg}");
}

/// Formats a duration as `1m23s` or `4.2s`.
pub fn fmt_dur(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 60.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!("{s:.1}s")
    }
}

/// Runs `cmd` to completion with its output inherited; fails on a non-zero exit.
pub fn run(cmd: &mut Command) -> Result {
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed: {status}"))
    }
}

/// Runs `cmd` and returns its standard output; fails on a non-zero exit.
pub fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{cmd:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Runs `cmd` with stdout and stderr written to `log`, printing a progress
/// line every few seconds. On failure, prints the interesting part of the log.
pub fn run_logged(cmd: &mut Command, log: &Path, what: &str) -> Result {
    if let Some(dir) = log.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let file = fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    let start = Instant::now();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let mut readers = Vec::new();
    for stream in [
        child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child.stderr.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);
    let mut file = std::io::BufWriter::new(file);
    let mut lines = 0u64;
    let mut last_line = String::new();
    let mut last_report = Instant::now();
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stdout());
    loop {
        match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(line) => {
                let _ = writeln!(file, "{line}");
                lines += 1;
                last_line = line;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
        let every = if interactive { 2 } else { 30 };
        if last_report.elapsed() >= Duration::from_secs(every) {
            last_report = Instant::now();
            let shown: String = last_line.trim().chars().take(90).collect();
            println!(
                "    {what}: {} elapsed, {lines} log lines, at: {shown}",
                fmt_dur(start.elapsed())
            );
        }
    }
    for r in readers {
        let _ = r.join();
    }
    let _ = file.flush();
    let status = child.wait().map_err(|e| format!("{what}: {e}"))?;
    if status.success() {
        return Ok(());
    }
    print_failure_excerpt(log);
    Err(format!(
        "{what} failed ({status}); full log: {}",
        log.display()
    ))
}

/// Prints the error lines and the tail of a failed step's log.
pub fn print_failure_excerpt(log: &Path) {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains("error") || l.contains("Error") || l.contains("E: "))
        .take(40)
        .collect();
    if !errors.is_empty() {
        eprintln!("--- error lines from {} ---", log.display());
        for l in errors {
            eprintln!("{l}");
        }
    }
    eprintln!("--- last lines of {} ---", log.display());
    for l in &lines[lines.len().saturating_sub(40)..] {
        eprintln!("{l}");
    }
    eprintln!("--- end ---");
}

/// Computes the SHA-256 of a file with `sha256sum`.
pub fn sha256_file(path: &Path) -> Result<String> {
    let out = output(Command::new("sha256sum").arg(path))?;
    out.split_whitespace()
        .next()
        .map(str::to_owned)
        .ok_or_else(|| format!("sha256sum printed nothing for {}", path.display()))
}

/// A stable 64-bit FNV-1a hash, used for change stamps.
pub fn fnv1a(data: &[u8], mut h: u64) -> u64 {
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// The FNV-1a offset basis.
pub const FNV_INIT: u64 = 0xcbf2_9ce4_8422_2325;

/// Reads a file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes a file, creating its parent directories.
pub fn write(path: &Path, data: &[u8]) -> Result {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    fs::write(path, data).map_err(|e| format!("{}: {e}", path.display()))
}

/// Lists the regular files below `dir`, recursively, as paths relative to it.
pub fn walk(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let abs = dir.join(&rel);
        let rd = fs::read_dir(&abs).map_err(|e| format!("{}: {e}", abs.display()))?;
        for entry in rd {
            let entry = entry.map_err(|e| format!("{}: {e}", abs.display()))?;
            let ft = entry.file_type().map_err(|e| e.to_string())?;
            let child = rel.join(entry.file_name());
            if ft.is_dir() {
                stack.push(child);
            } else if ft.is_file() {
                out.push(child);
            }
        }
    }
    out.sort();
    Ok(out)
}
