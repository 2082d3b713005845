// SPDX-License-Identifier: GPL-2.0

//! The provisioning tool, `tools/rstkey-wrap`: its build, and its checks against openssl.
//!
//! The checks wrap keys with the tool and with `tests/host/wrap-key` (openssl) under the same
//! device key and IV, and compare the blobs byte for byte: AES keys of each size and usage, and
//! one RSA key given as PKCS#8 PEM, PKCS#8 DER and PKCS#1 PEM (openssl turns it into the DER
//! `RSAPrivateKey` that wrap-key wraps, with the DER `RSAPublicKey` the blob carries). Bad input
//! must be refused with a message. The guest tests then unwrap blobs the tool made
//! (`make-fixtures`), so the secure world opens both.

use crate::ktap::{Case, Outcome};
use crate::paths::Paths;
use crate::util::{run_logged, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds the tool; returns the path of its executable.
pub fn build(p: &Paths) -> Result<PathBuf> {
    let target_dir = p.cache.join("rstkey-wrap");
    run_logged(
        Command::new("cargo")
            .args(["build", "--release", "--locked", "--manifest-path"])
            .arg(p.repo.join("tools/rstkey-wrap/Cargo.toml"))
            .arg("--target-dir")
            .arg(&target_dir),
        &p.logs().join("rstkey-wrap-build.log"),
        "cargo build (rstkey-wrap)",
    )?;
    Ok(target_dir.join("release/rstkey-wrap"))
}

/// Runs `cmd`; returns whether it succeeded and its standard error.
fn status(cmd: &mut Command) -> (bool, String) {
    match cmd.output() {
        Ok(o) => (
            o.status.success(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        ),
        Err(e) => (false, e.to_string()),
    }
}

fn openssl(dir: &Path, args: &[&str]) -> Result {
    let (ok, err) = status(Command::new("openssl").current_dir(dir).args(args));
    ok.then_some(())
        .ok_or(format!("openssl {}: {err}", args.join(" ")))
}

/// The checks, as cases `host.rstkey-wrap.<name>`.
pub fn test_cases() -> Vec<Case> {
    let p = Paths::get();
    let case = |name: &str, ok: bool| Case {
        name: format!("host.rstkey-wrap.{name}"),
        outcome: if ok { Outcome::Pass } else { Outcome::Fail },
    };
    let tool = match build(&p) {
        Ok(t) => t,
        Err(e) => {
            println!("    {e}");
            return vec![case("build", false)];
        }
    };
    let dir = p.cache.join("rstkey-wrap-check");
    let _ = fs::remove_dir_all(&dir);
    if let Err(e) = fs::create_dir_all(&dir) {
        println!("    {}: {e}", dir.display());
        return vec![case("build", true), case("setup", false)];
    }
    let mut cases = vec![case("build", true)];
    match checks(&p, &tool, &dir) {
        Ok(results) => {
            for (name, ok, why) in results {
                if !ok {
                    println!("    rstkey-wrap {name}: {why}");
                }
                cases.push(case(&name, ok));
            }
        }
        Err(e) => {
            println!("    rstkey-wrap: {e}");
            cases.push(case("setup", false));
        }
    }
    let _ = fs::remove_dir_all(&dir);
    cases
}

type Check = (String, bool, String);

fn checks(p: &Paths, tool: &Path, dir: &Path) -> Result<Vec<Check>> {
    let iv = "000102030405060708090a0b0c0d0e0f";
    openssl(dir, &["rand", "-out", "dk", "64"])?;
    let wrap_key = p.repo.join("tests/host/wrap-key");
    let mut out = Vec::new();

    // Same blob as openssl's, for each (name, tool arguments, key file, wrap-key options).
    let mut same = |name: &str, tool_args: &[&str], key: &str, ref_key: &str, opts: &[&str]| {
        let (t_ok, t_err) = status(
            Command::new(tool)
                .current_dir(dir)
                .args(["wrap", "--device-key", "dk", "--iv", iv])
                .args(tool_args)
                .args([key, &format!("{name}.tool")]),
        );
        let (r_ok, r_err) = status(Command::new(&wrap_key).current_dir(dir).args(opts).args([
            "dk",
            ref_key,
            iv,
            &format!("{name}.ref"),
        ]));
        let a = fs::read(dir.join(format!("{name}.tool"))).unwrap_or_default();
        let b = fs::read(dir.join(format!("{name}.ref"))).unwrap_or_default();
        let ok = t_ok && r_ok && !a.is_empty() && a == b;
        out.push((
            format!("{name}-equals-openssl"),
            ok,
            format!("{t_err}{r_err}"),
        ));
    };
    for (name, len, usage, bits) in [
        ("aes128-cbc", 16, "cbc", "1"),
        ("aes192-cbc-ctr", 24, "cbc,ctr", "5"),
        ("aes256-cbc", 32, "cbc", "1"),
        ("aes256-xts", 64, "xts", "8"),
    ] {
        openssl(dir, &["rand", "-out", name, &len.to_string()])?;
        same(
            name,
            &["--type", "aes", "--usage", usage],
            name,
            name,
            &["-u", bits],
        );
    }
    openssl(dir, &["rand", "-out", "aes-exp", "32"])?;
    same(
        "aes256-exportable",
        &["--type", "aes", "--exportable"],
        "aes-exp",
        "aes-exp",
        &["-f", "1"],
    );

    // One RSA key in three encodings; openssl gives the DER RSAPrivateKey the blob holds.
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa.p8.pem",
        ],
    )?;
    openssl(
        dir,
        &[
            "pkey",
            "-in",
            "rsa.p8.pem",
            "-outform",
            "DER",
            "-out",
            "rsa.p8.der",
        ],
    )?;
    openssl(
        dir,
        &[
            "rsa",
            "-in",
            "rsa.p8.pem",
            "-traditional",
            "-out",
            "rsa.p1.pem",
        ],
    )?;
    openssl(
        dir,
        &[
            "rsa",
            "-in",
            "rsa.p8.pem",
            "-traditional",
            "-outform",
            "DER",
            "-out",
            "rsa.der",
        ],
    )?;
    // The public key the blob of an RSA key carries.
    openssl(
        dir,
        &[
            "rsa",
            "-in",
            "rsa.p8.pem",
            "-RSAPublicKey_out",
            "-outform",
            "DER",
            "-out",
            "rsa.pub.der",
        ],
    )?;
    let rsa = ["--type", "rsa"];
    let sd = ["-t", "2", "-u", "0x300", "-p", "rsa.pub.der"];
    same("rsa2048-pkcs8-pem", &rsa, "rsa.p8.pem", "rsa.der", &sd);
    same("rsa2048-pkcs8-der", &rsa, "rsa.p8.der", "rsa.der", &sd);
    same("rsa2048-pkcs1-pem", &rsa, "rsa.p1.pem", "rsa.der", &sd);
    same(
        "rsa2048-sign-only",
        &["--type", "rsa", "--usage", "sign"],
        "rsa.p8.pem",
        "rsa.der",
        &["-t", "2", "-u", "0x100", "-p", "rsa.pub.der"],
    );

    // `inspect` reads the tool's blob and says its tag is valid under the device key only.
    let inspect = |args: &[&str]| {
        Command::new(tool)
            .current_dir(dir)
            .arg("inspect")
            .args(args)
            .output()
            .map(|o| {
                (
                    o.status.success(),
                    String::from_utf8_lossy(&o.stdout).into_owned(),
                )
            })
            .unwrap_or_default()
    };
    let (ok, text) = inspect(&["--device-key", "dk", "rsa2048-pkcs8-pem.tool"]);
    out.push((
        "inspect-rsa".into(),
        ok && text.contains("key type: rsa")
            && text.contains("public key: 2048-bit RSA, exponent 65537")
            && text.contains("usages: sign,decrypt")
            && text.contains("tag: valid"),
        text.clone(),
    ));
    openssl(dir, &["rand", "-out", "dk2", "64"])?;
    let (ok, text) = inspect(&["--device-key", "dk2", "aes256-cbc.tool"]);
    out.push((
        "inspect-other-device-key".into(),
        ok && text.contains("tag: NOT valid"),
        text,
    ));

    // Bad input: refused, with a message, and nothing written.
    openssl(dir, &["rand", "-out", "k17", "17"])?;
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:512",
            "-out",
            "rsa512.pem",
        ],
    )?;
    openssl(
        dir,
        &[
            "pkey",
            "-in",
            "rsa.p8.pem",
            "-pubout",
            "-out",
            "rsa.pub.pem",
        ],
    )?;
    openssl(
        dir,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "rsa.p8.pem",
            "-passout",
            "pass:x",
            "-out",
            "rsa.enc.pem",
        ],
    )?;
    fs::write(dir.join("short-dk"), [0u8; 63]).map_err(|e| e.to_string())?;
    let mut tampered = fs::read(dir.join("aes256-cbc.tool")).map_err(|e| e.to_string())?;
    tampered[4] = 1;
    fs::write(dir.join("v1.blob"), &tampered).map_err(|e| e.to_string())?;
    for (name, args, says) in [
        (
            "refuses-aes-17-bytes",
            vec!["wrap", "--device-key", "dk", "--type", "aes", "k17", "x"],
            "16, 24 or 32",
        ),
        (
            "refuses-xts-16-bytes",
            vec![
                "wrap",
                "--device-key",
                "dk",
                "--type",
                "aes",
                "--usage",
                "xts",
                "aes128-cbc",
                "x",
            ],
            "XTS",
        ),
        (
            "refuses-rsa-usage-on-aes",
            vec![
                "wrap",
                "--device-key",
                "dk",
                "--type",
                "aes",
                "--usage",
                "sign",
                "aes128-cbc",
                "x",
            ],
            "not usages",
        ),
        (
            "refuses-unknown-usage",
            vec![
                "wrap",
                "--device-key",
                "dk",
                "--type",
                "aes",
                "--usage",
                "gcm",
                "aes128-cbc",
                "x",
            ],
            "unknown usage",
        ),
        (
            "refuses-rsa-512",
            vec![
                "wrap",
                "--device-key",
                "dk",
                "--type",
                "rsa",
                "rsa512.pem",
                "x",
            ],
            "1024 to 4096",
        ),
        (
            "refuses-public-key",
            vec![
                "wrap",
                "--device-key",
                "dk",
                "--type",
                "rsa",
                "rsa.pub.pem",
                "x",
            ],
            "public key",
        ),
        (
            "refuses-encrypted-key",
            vec![
                "wrap",
                "--device-key",
                "dk",
                "--type",
                "rsa",
                "rsa.enc.pem",
                "x",
            ],
            "encrypted",
        ),
        (
            "refuses-not-a-key",
            vec![
                "wrap",
                "--device-key",
                "dk",
                "--type",
                "rsa",
                "aes256-cbc",
                "x",
            ],
            "not an RSA private key",
        ),
        (
            "refuses-short-device-key",
            vec![
                "wrap",
                "--device-key",
                "short-dk",
                "--type",
                "aes",
                "aes128-cbc",
                "x",
            ],
            "64 bytes",
        ),
        (
            "refuses-bad-iv",
            vec![
                "wrap",
                "--device-key",
                "dk",
                "--type",
                "aes",
                "--iv",
                "00",
                "aes128-cbc",
                "x",
            ],
            "32 hex digits",
        ),
        (
            "inspect-refuses-version-1",
            vec!["inspect", "v1.blob"],
            "version 1",
        ),
        (
            "inspect-refuses-a-key",
            vec!["inspect", "aes256-cbc"],
            "magic",
        ),
    ] {
        let (ok, err) = status(Command::new(tool).current_dir(dir).args(&args));
        let refused = !ok && err.contains(says) && !dir.join("x").exists();
        out.push((name.to_owned(), refused, err));
    }
    Ok(out)
}
