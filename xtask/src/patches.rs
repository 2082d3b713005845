// SPDX-License-Identifier: GPL-2.0

//! `patches DIR`: the project as a `git format-patch` series against the
//! pristine tree.
//!
//! The split into patches is declared in `patches/series` (its format is
//! described at its top): for each patch its subject and message, the
//! overlay files it adds, the hunk files of `patches/` it applies and the
//! edits it makes to files added by earlier patches. Every overlay file must
//! be claimed by exactly one patch, so the series can't silently drift from
//! the overlay.
//!
//! The series is built in a scratch repository (`$RSTKEY_CACHE/patches-work`):
//! a base commit with the pristine versions of the files it touches, one
//! commit per patch, then `git format-patch --cover-letter`. The check that
//! `test` runs applies the series with `git am` to a fresh copy of the
//! pristine files, compares the result with the overlaid tree file by file
//! and runs `scripts/checkpatch.pl --strict` of the pristine tree on every
//! patch.

use crate::ktap::{Case, Outcome};
use crate::paths::Paths;
use crate::util::{self, step, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The manifest, relative to the repository.
const MANIFEST: &str = "patches/series";

/// Longest subject a patch may have.
const MAX_SUBJECT: usize = 75;

/// A change to a file added by an earlier patch: the lines of a diff hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edit {
    /// Repository path of the file.
    path: String,
    /// `(' ' | '-' | '+', text)`.
    lines: Vec<(char, String)>,
    /// Line of the manifest the edit starts at.
    at: usize,
}

impl Edit {
    /// The lines before the edit.
    fn before(&self) -> Vec<&str> {
        self.side('-')
    }

    /// The lines after the edit.
    fn after(&self) -> Vec<&str> {
        self.side('+')
    }

    fn side(&self, keep: char) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|(op, _)| *op == ' ' || *op == keep)
            .map(|(_, l)| l.as_str())
            .collect()
    }
}

/// One patch of the manifest.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Entry {
    subject: String,
    body: String,
    /// Globs of overlay files, relative to the repository.
    files: Vec<String>,
    /// Globs of hunk files, relative to `patches/`.
    hunks: Vec<String>,
    edits: Vec<Edit>,
    /// Line of the manifest the patch starts at.
    at: usize,
}

/// The parsed manifest.
#[derive(Debug, Default, PartialEq, Eq)]
struct Manifest {
    cover_subject: String,
    cover_blurb: String,
    entries: Vec<Entry>,
}

/// Joins message lines, dropping leading and trailing blank lines.
fn message(lines: &[&str]) -> String {
    let start = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(start, |e| e + 1);
    lines[start..end]
        .iter()
        .map(|l| format!("{}\n", l.trim_end()))
        .collect()
}

/// Parses the manifest text.
fn parse(text: &str) -> Result<Manifest> {
    let lines: Vec<&str> = text.lines().collect();
    let err = |n: usize, msg: &str| format!("{MANIFEST}:{}: {msg}", n + 1);
    let mut m = Manifest::default();
    let mut i = 0;
    // Comments and blank lines before the cover letter.
    while i < lines.len() && (lines[i].starts_with('#') || lines[i].trim().is_empty()) {
        i += 1;
    }
    let Some(cover) = lines.get(i).and_then(|l| l.strip_prefix("cover: ")) else {
        return Err(err(i, "expected `cover: <subject>`"));
    };
    m.cover_subject = cover.trim().to_owned();
    i += 1;
    let start = i;
    while i < lines.len() && !lines[i].starts_with("subject: ") {
        i += 1;
    }
    m.cover_blurb = message(&lines[start..i]);
    if m.cover_blurb.is_empty() {
        return Err(err(start, "the cover letter has no blurb"));
    }
    while i < lines.len() {
        let mut e = Entry {
            at: i + 1,
            subject: lines[i]["subject: ".len()..].trim().to_owned(),
            ..Default::default()
        };
        i += 1;
        // Header lines, up to the first blank line.
        while i < lines.len() && !lines[i].trim().is_empty() {
            let line = lines[i];
            if line.starts_with('#') {
                i += 1;
            } else if let Some(rest) = line.strip_prefix("files:") {
                e.files.extend(rest.split_whitespace().map(str::to_owned));
                i += 1;
            } else if let Some(rest) = line.strip_prefix("hunks:") {
                e.hunks.extend(
                    rest.split_whitespace()
                        .map(|h| h.strip_prefix("patches/").unwrap_or(h).to_owned()),
                );
                i += 1;
            } else if let Some(rest) = line.strip_prefix("edit:") {
                let mut edit = Edit {
                    path: rest.trim().to_owned(),
                    lines: Vec::new(),
                    at: i + 1,
                };
                if edit.path.is_empty() {
                    return Err(err(i, "`edit:` needs a path"));
                }
                i += 1;
                while let Some(op) = lines.get(i).and_then(|l| l.chars().next()) {
                    if !matches!(op, ' ' | '-' | '+') {
                        break;
                    }
                    edit.lines.push((op, lines[i][1..].to_owned()));
                    i += 1;
                }
                if edit.after().is_empty() {
                    return Err(err(
                        edit.at - 1,
                        "an edit needs at least one context (' ') or added ('+') line",
                    ));
                }
                if !edit.lines.iter().any(|(op, _)| *op != ' ') {
                    return Err(err(edit.at - 1, "an edit without '-' or '+' lines"));
                }
                e.edits.push(edit);
            } else {
                return Err(err(
                    i,
                    &format!(
                        "expected `files:`, `hunks:`, `edit:` or a blank line, found `{line}`"
                    ),
                ));
            }
        }
        let start = i;
        while i < lines.len() && !lines[i].starts_with("subject: ") {
            i += 1;
        }
        e.body = message(&lines[start..i]);
        if e.body.is_empty() {
            return Err(err(
                e.at - 1,
                &format!("patch `{}` has no message", e.subject),
            ));
        }
        if e.files.is_empty() && e.hunks.is_empty() && e.edits.is_empty() {
            return Err(err(
                e.at - 1,
                &format!("patch `{}` changes nothing", e.subject),
            ));
        }
        m.entries.push(e);
    }
    if m.entries.is_empty() {
        return Err(format!("{MANIFEST}: no patches"));
    }
    for e in &m.entries {
        let s = &e.subject;
        let prefix_ok = s
            .split_once(": ")
            .is_some_and(|(p, rest)| !p.is_empty() && !p.contains(' ') && !rest.is_empty());
        if !prefix_ok || s.chars().count() > MAX_SUBJECT || s.ends_with('.') {
            return Err(err(
                e.at - 1,
                &format!(
                    "subject `{s}`: expected `subsystem: summary`, at most {MAX_SUBJECT} \
                     characters, without a final period"
                ),
            ));
        }
    }
    Ok(m)
}

/// Matches `path` against `pat`: `*` within a path component, `**` across
/// components.
fn glob(pat: &str, path: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match p {
            [] => s.is_empty(),
            [b'*', b'*', rest @ ..] => {
                let rest = rest.strip_prefix(b"/").unwrap_or(rest);
                (0..=s.len()).any(|i| (i == 0 || s[i - 1] == b'/') && go(rest, &s[i..]))
                    || (rest.is_empty() && !s.is_empty())
            }
            [b'*', rest @ ..] => (0..=s.len())
                .take_while(|&i| i == 0 || s[i - 1] != b'/')
                .any(|i| go(rest, &s[i..])),
            [c, rest @ ..] => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    go(pat.as_bytes(), path.as_bytes())
}

/// The overlay files of the repository (repository paths), as `build` sees them.
fn overlay_files(repo: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for top in ["Kconfig", "Kbuild"] {
        if repo.join(top).is_file() {
            out.push(top.to_owned());
        }
    }
    for dir in crate::build::MIRRORED {
        let d = repo.join(dir);
        if d.is_dir() {
            for rel in util::walk(&d)? {
                out.push(Path::new(dir).join(rel).to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The hunk files, `patches/*.patch`, by name, in the order `build` applies them.
fn hunk_files(repo: &Path) -> Result<Vec<String>> {
    let dir = repo.join("patches");
    let mut out: Vec<String> = match fs::read_dir(&dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".patch"))
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    Ok(out)
}

/// The files a hunk file changes, as tree paths (`+++ b/<path>`).
fn hunk_targets(text: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("+++ ") {
            let path = rest.split('\t').next().unwrap_or(rest).trim();
            let path = PathBuf::from(path.split_once('/').map_or(path, |(_, p)| p));
            if !out.contains(&path) {
                out.push(path);
            }
        }
    }
    out
}

/// What each patch does, with the globs of the manifest resolved.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Step {
    /// Repository paths of the overlay files the patch adds.
    files: Vec<String>,
    /// Names of the hunk files it applies, in order.
    hunks: Vec<String>,
}

/// Resolves the manifest's globs and checks that every overlay file and
/// every hunk file is claimed by exactly one patch, the hunk files in the
/// order of their names, and that edits change files added earlier.
fn plan(m: &Manifest, overlay: &[String], hunks: &[String]) -> Result<Vec<Step>> {
    let mut problems = Vec::new();
    let mut owner: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut steps = Vec::new();
    let name = |k: usize| format!("patch {} (`{}`)", k + 1, m.entries[k].subject);
    for (k, e) in m.entries.iter().enumerate() {
        let mut step = Step::default();
        for (pats, pool, into) in [
            (&e.files, overlay, &mut step.files),
            (&e.hunks, hunks, &mut step.hunks),
        ] {
            for pat in pats {
                let hits: Vec<&String> = pool.iter().filter(|f| glob(pat, f)).collect();
                if hits.is_empty() {
                    problems.push(format!("{}: `{pat}` matches no file", name(k)));
                }
                for f in hits {
                    if !into.contains(f) {
                        into.push(f.clone());
                    }
                }
            }
        }
        for f in step.files.iter() {
            owner.entry(f.clone()).or_default().push(k);
        }
        for h in step.hunks.iter() {
            owner.entry(format!("patches/{h}")).or_default().push(k);
        }
        steps.push(step);
    }
    let all = overlay
        .iter()
        .cloned()
        .chain(hunks.iter().map(|h| format!("patches/{h}")));
    for f in all {
        match owner.get(&f).map(Vec::as_slice) {
            None | Some([]) => problems.push(format!("{f} is not claimed by any patch")),
            Some([_]) => {}
            Some(ks) => problems.push(format!(
                "{f} is claimed by {}",
                ks.iter()
                    .map(|&k| name(k))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )),
        }
    }
    let order: Vec<&String> = steps.iter().flat_map(|s| s.hunks.iter()).collect();
    let mut sorted = order.clone();
    sorted.sort();
    if order != sorted {
        problems.push(format!(
            "the hunk files must be claimed in the order of their names, in which the \
             build applies them; the series has:\n      {}",
            order
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n      ")
        ));
    }
    for (k, e) in m.entries.iter().enumerate() {
        for ed in &e.edits {
            let added = steps.iter().position(|s| s.files.contains(&ed.path));
            match added {
                Some(a) if a < k => {}
                Some(_) => problems.push(format!(
                    "{MANIFEST}:{}: {} edits {}, which it or a later patch adds",
                    ed.at,
                    name(k),
                    ed.path
                )),
                None => problems.push(format!(
                    "{MANIFEST}:{}: {} edits {}, which no patch adds",
                    ed.at,
                    name(k),
                    ed.path
                )),
            }
        }
    }
    if problems.is_empty() {
        Ok(steps)
    } else {
        Err(format!(
            "{MANIFEST} does not describe the overlay:\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// Text split into lines, remembering whether it ended with a newline.
fn split_lines(text: &str) -> (Vec<String>, bool) {
    let nl = text.ends_with('\n');
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines = if body.is_empty() && nl {
        vec![String::new()]
    } else if body.is_empty() {
        Vec::new()
    } else {
        body.split('\n').map(str::to_owned).collect()
    };
    (lines, nl)
}

fn join_lines(lines: &[String], nl: bool) -> String {
    let mut s = lines.join("\n");
    if nl && !lines.is_empty() {
        s.push('\n');
    }
    s
}

/// Undoes `edit` on `lines`.
fn undo(lines: &mut Vec<String>, edit: &Edit) -> std::result::Result<(), String> {
    let new = edit.after();
    let hits: Vec<usize> = (0..=lines.len().saturating_sub(new.len()))
        .filter(|&i| {
            i + new.len() <= lines.len()
                && lines[i..i + new.len()]
                    .iter()
                    .zip(&new)
                    .all(|(a, b)| a == b)
        })
        .collect();
    match hits.as_slice() {
        [i] => {
            let old: Vec<String> = edit.before().into_iter().map(str::to_owned).collect();
            lines.splice(*i..*i + new.len(), old);
            Ok(())
        }
        [] => Err("its ' ' and '+' lines are not found".to_owned()),
        _ => Err(format!("its ' ' and '+' lines occur {} times", hits.len())),
    }
}

/// The content of every overlay file after each patch: for patch `k`, the
/// files it adds or edits, `repository path -> content`.
fn contents(repo: &Path, m: &Manifest, steps: &[Step]) -> Result<Vec<BTreeMap<String, Vec<u8>>>> {
    let mut out: Vec<BTreeMap<String, Vec<u8>>> = vec![BTreeMap::new(); steps.len()];
    for (k, s) in steps.iter().enumerate() {
        for f in &s.files {
            out[k].insert(f.clone(), util::read(&repo.join(f))?);
        }
    }
    // Files with edits: undo them from the last patch back to the one that adds the file.
    let edited: BTreeSet<&String> = m
        .entries
        .iter()
        .flat_map(|e| e.edits.iter().map(|ed| &ed.path))
        .collect();
    for path in edited {
        let first = steps
            .iter()
            .position(|s| s.files.contains(path))
            .ok_or_else(|| format!("{path}: not added by any patch"))?;
        let bytes = util::read(&repo.join(path))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("{path}: edits need a UTF-8 text file"))?;
        let (mut lines, nl) = split_lines(&text);
        for k in (first..m.entries.len()).rev() {
            let edits: Vec<&Edit> = m.entries[k]
                .edits
                .iter()
                .filter(|e| &e.path == path)
                .collect();
            if k == first || !edits.is_empty() {
                out[k].insert(path.clone(), join_lines(&lines, nl).into_bytes());
            }
            for ed in edits.into_iter().rev() {
                undo(&mut lines, ed).map_err(|e| {
                    format!(
                        "{MANIFEST}:{}: the edit of {path} in patch {} (`{}`) can't be undone on \
                         the version of the file after that patch: {e}",
                        ed.at,
                        k + 1,
                        m.entries[k].subject
                    )
                })?;
            }
        }
    }
    Ok(out)
}

/// A git command with no user or system configuration, as `author`.
fn git(dir: &Path, author: &Author) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", &author.name)
        .env("GIT_AUTHOR_EMAIL", &author.email)
        .env("GIT_COMMITTER_NAME", &author.name)
        .env("GIT_COMMITTER_EMAIL", &author.email)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .args(["-c", "core.autocrlf=false", "-c", "commit.gpgsign=false"]);
    if let Some(date) = &author.date {
        cmd.env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date);
    }
    cmd
}

/// The author of the commits and their date.
struct Author {
    name: String,
    email: String,
    date: Option<String>,
}

impl Author {
    /// The most frequent author of the repository's history; the date of its last commit.
    fn of_repo(repo: &Path) -> Result<Self> {
        let log = util::output(
            Command::new("git")
                .current_dir(repo)
                .args(["log", "--format=%an%x00%ae"]),
        )
        .map_err(|e| format!("cannot read the repository's history for the author: {e}"))?;
        let mut count: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut first_seen = Vec::new();
        for l in log.lines() {
            if let Some((n, e)) = l.split_once('\0') {
                let key = (n.to_owned(), e.to_owned());
                if !count.contains_key(&key) {
                    first_seen.push(key.clone());
                }
                *count.entry(key).or_default() += 1;
            }
        }
        // Most commits wins; among equals, the most recent author.
        let best = first_seen
            .iter()
            .max_by_key(|k| {
                (
                    count[*k],
                    std::cmp::Reverse(first_seen.iter().position(|x| x == *k)),
                )
            })
            .cloned()
            .ok_or("the repository has no commits to take the author from")?;
        let date =
            util::output(
                Command::new("git")
                    .current_dir(repo)
                    .args(["log", "-1", "--format=%cI"]),
            )
            .ok()
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty());
        Ok(Author {
            name: best.0,
            email: best.1,
            date,
        })
    }

    fn ident(&self) -> String {
        format!("{} <{}>", self.name, self.email)
    }
}

/// A fresh git repository at `dir` with the pristine versions of `files`
/// (tree paths) committed; returns the base commit.
fn base_repo(p: &Paths, dir: &Path, files: &BTreeSet<PathBuf>, author: &Author) -> Result<String> {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    util::output(git(dir, author).args(["init", "-q", "-b", "base"]))?;
    for f in files {
        let src = p.pristine().join(f);
        if src.is_file() {
            util::write(&dir.join(f), &util::read(&src)?)?;
        }
    }
    util::output(git(dir, author).args(["add", "-A"]))?;
    util::output(git(dir, author).args([
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "base: the pristine files the series touches",
    ]))?;
    Ok(util::output(git(dir, author).args(["rev-parse", "HEAD"]))?
        .trim()
        .to_owned())
}

/// A generated series.
pub struct Series {
    /// The patch files, in order, without the cover letter.
    pub patches: Vec<PathBuf>,
    /// Tree paths of every file the series touches.
    pub touched: BTreeSet<PathBuf>,
    /// The subject of each patch.
    pub subjects: Vec<String>,
}

/// Checks that the pristine tree exists.
fn need_pristine(p: &Paths) -> Result {
    if p.pristine().join("Makefile").is_file() {
        Ok(())
    } else {
        Err(format!(
            "no pristine tree at {}: run `cargo xtask setup` first",
            p.pristine().display()
        ))
    }
}

/// Writes the series into `out`.
pub fn generate(p: &Paths, out: &Path) -> Result<Series> {
    need_pristine(p)?;
    let text = fs::read_to_string(p.repo.join(MANIFEST))
        .map_err(|e| format!("{}: {e}", p.repo.join(MANIFEST).display()))?;
    let m = parse(&text)?;
    let overlay = overlay_files(&p.repo)?;
    let hunks = hunk_files(&p.repo)?;
    let steps = plan(&m, &overlay, &hunks)?;
    let contents = contents(&p.repo, &m, &steps)?;
    let author = Author::of_repo(&p.repo)?;

    // Every file the series touches, as tree paths.
    let target = |f: &str| {
        crate::build::overlay_target(Path::new(f))
            .ok_or_else(|| format!("{f}: not an overlay file"))
    };
    let mut touched = BTreeSet::new();
    for f in &overlay {
        touched.insert(target(f)?);
    }
    for h in &hunks {
        let text =
            String::from_utf8_lossy(&util::read(&p.repo.join("patches").join(h))?).into_owned();
        touched.extend(hunk_targets(&text));
    }

    let work = p.cache.join("patches-work");
    let base = base_repo(p, &work, &touched, &author)?;
    let msg_file = work.join(".git/RSTKEY_MSG");
    for (k, (e, s)) in m.entries.iter().zip(&steps).enumerate() {
        for (f, data) in &contents[k] {
            util::write(&work.join(target(f)?), data)?;
        }
        for h in &s.hunks {
            let patch = p.repo.join("patches").join(h);
            let res = Command::new("patch")
                .current_dir(&work)
                .args([
                    "-p1",
                    "--batch",
                    "--forward",
                    "--no-backup-if-mismatch",
                    "-r",
                    "-",
                    "-i",
                ])
                .arg(&patch)
                .output()
                .map_err(|e| format!("patch: {e}"))?;
            if !res.status.success() {
                return Err(format!(
                    "patch {} (`{}`): {} does not apply:\n{}{}",
                    k + 1,
                    e.subject,
                    patch.display(),
                    String::from_utf8_lossy(&res.stdout),
                    String::from_utf8_lossy(&res.stderr)
                ));
            }
        }
        util::output(git(&work, &author).args(["add", "-A"]))?;
        let unchanged = git(&work, &author)
            .args(["diff", "--cached", "--quiet"])
            .status()
            .map_err(|e| format!("git diff: {e}"))?
            .success();
        if unchanged {
            return Err(format!("patch {} (`{}`) changes nothing", k + 1, e.subject));
        }
        let msg = format!(
            "{}\n\n{}\nSigned-off-by: {}\n",
            e.subject,
            e.body,
            author.ident()
        );
        util::write(&msg_file, msg.as_bytes())?;
        util::output(
            git(&work, &author)
                .args(["commit", "-q", "--cleanup=verbatim", "-F"])
                .arg(&msg_file),
        )?;
    }

    // Leave nothing of an earlier series in `out`.
    fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    for entry in fs::read_dir(out).map_err(|e| format!("{}: {e}", out.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let numbered = name.len() > 5
            && name.as_bytes()[..4].iter().all(u8::is_ascii_digit)
            && name.as_bytes()[4] == b'-';
        if numbered && name.ends_with(".patch") {
            fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    let out_abs = std::path::absolute(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let listed = util::output(
        git(&work, &author)
            .args(["format-patch", "--cover-letter", "--no-signature", "-o"])
            .arg(&out_abs)
            .arg(format!("{base}..HEAD")),
    )?;
    let mut files: Vec<PathBuf> = listed.lines().map(PathBuf::from).collect();
    if files.len() != m.entries.len() + 1 {
        return Err(format!(
            "git format-patch wrote {} files for {} patches and a cover letter",
            files.len(),
            m.entries.len()
        ));
    }
    let cover = files.remove(0);
    let text = fs::read_to_string(&cover).map_err(|e| format!("{}: {e}", cover.display()))?;
    if !text.contains("*** SUBJECT HERE ***") || !text.contains("*** BLURB HERE ***") {
        return Err(format!("{}: no placeholders to fill", cover.display()));
    }
    let text = text
        .replace("*** SUBJECT HERE ***", &m.cover_subject)
        .replace("*** BLURB HERE ***", m.cover_blurb.trim_end());
    util::write(&cover, text.as_bytes())?;
    Ok(Series {
        patches: files,
        touched,
        subjects: m.entries.iter().map(|e| e.subject.clone()).collect(),
    })
}

/// What checkpatch said about one patch.
pub struct Checkpatch {
    /// The patch file's name.
    pub name: String,
    pub errors: usize,
    pub warnings: usize,
    pub checks: usize,
    /// `TYPE:KIND: message (where)`, in checkpatch's order.
    pub messages: Vec<String>,
    /// checkpatch's whole output.
    pub output: String,
}

/// Runs checkpatch of the pristine tree on `patch`.
fn checkpatch(p: &Paths, patch: &Path) -> Result<Checkpatch> {
    let res = Command::new("perl")
        .current_dir(p.pristine())
        .arg(p.pristine().join("scripts/checkpatch.pl"))
        .args(["--strict", "--show-types", "--color=never"])
        .arg(patch)
        .output()
        .map_err(|e| format!("checkpatch: {e}"))?;
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&res.stdout),
        String::from_utf8_lossy(&res.stderr)
    );
    let name = patch
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let total = output
        .lines()
        .find_map(|l| l.strip_prefix("total: "))
        .ok_or_else(|| format!("checkpatch printed no total for {name}:\n{output}"))?;
    let nums: Vec<usize> = total
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    let [errors, warnings, checks, ..] = nums[..] else {
        return Err(format!(
            "checkpatch: unexpected total line for {name}: {total}"
        ));
    };
    let lines: Vec<&str> = output.lines().collect();
    let mut messages = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("ERROR:") || l.starts_with("WARNING:") || l.starts_with("CHECK:") {
            let at = lines
                .get(i + 1)
                .and_then(|n| {
                    n.split_once("FILE: ")
                        .map(|(_, f)| f.trim_end_matches(':').to_owned())
                })
                .unwrap_or_else(|| {
                    lines
                        .get(i + 1)
                        .map_or(String::new(), |n| n.trim_end_matches(':').trim().to_owned())
                });
            messages.push(format!("{l} ({at})"));
        }
    }
    Ok(Checkpatch {
        name,
        errors,
        warnings,
        checks,
        messages,
        output,
    })
}

/// The result of checking a generated series.
pub struct Report {
    /// `git am` failed: why.
    pub apply_error: Option<String>,
    /// Files where the applied series differs from the overlaid tree.
    pub mismatches: Vec<String>,
    pub checkpatch: Vec<Checkpatch>,
}

/// Applies `series` with `git am` on the pristine files, compares the result
/// with the overlaid tree, and runs checkpatch on every patch.
pub fn check(p: &Paths, series: &Series) -> Result<Report> {
    need_pristine(p)?;
    if !p.tree().join("Makefile").is_file() {
        return Err(format!(
            "no overlaid tree at {}: run `cargo xtask build` first",
            p.tree().display()
        ));
    }
    let author = Author::of_repo(&p.repo)?;
    let dir = p.cache.join("patches-apply");
    base_repo(p, &dir, &series.touched, &author)?;
    let mut report = Report {
        apply_error: None,
        mismatches: Vec::new(),
        checkpatch: Vec::new(),
    };
    let am = git(&dir, &author)
        .args(["am", "-q", "--whitespace=nowarn"])
        .args(&series.patches)
        .output()
        .map_err(|e| format!("git am: {e}"))?;
    if !am.status.success() {
        report.apply_error = Some(format!(
            "{}{}",
            String::from_utf8_lossy(&am.stdout),
            String::from_utf8_lossy(&am.stderr)
        ));
    } else {
        // Every file the overlay touches, and those it touched in the tree.
        let mut files = series.touched.clone();
        let manifest = fs::read_to_string(p.tree_manifest()).unwrap_or_default();
        files.extend(
            manifest
                .lines()
                .filter(|l| !l.is_empty())
                .map(PathBuf::from),
        );
        for f in &files {
            let got = fs::read(dir.join(f)).ok();
            let want = fs::read(p.tree().join(f)).ok();
            let in_series = series.touched.contains(f);
            let what = match (&got, &want) {
                _ if !in_series => {
                    Some("in the overlaid tree's manifest, not touched by the series")
                }
                (Some(a), Some(b)) if a == b => None,
                (Some(_), Some(_)) => Some("differs"),
                (Some(_), None) => Some("missing in the overlaid tree"),
                (None, Some(_)) => Some("missing after git am"),
                (None, None) => Some("missing in both"),
            };
            if let Some(w) = what {
                report.mismatches.push(format!("{}: {w}", f.display()));
            }
        }
    }
    // checkpatch, a few patches at a time.
    let jobs = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(1);
    let mut results: Vec<Option<Result<Checkpatch>>> =
        (0..series.patches.len()).map(|_| None).collect();
    for chunk in (0..series.patches.len()).collect::<Vec<_>>().chunks(jobs) {
        std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|&i| (i, s.spawn(move || checkpatch(p, &series.patches[i]))))
                .collect();
            for (i, h) in handles {
                results[i] = Some(
                    h.join()
                        .unwrap_or_else(|_| Err("checkpatch thread panicked".into())),
                );
            }
        });
    }
    let logs = p.logs().join("checkpatch");
    let _ = fs::remove_dir_all(&logs);
    for r in results.into_iter().flatten() {
        let c = r?;
        util::write(&logs.join(format!("{}.txt", c.name)), c.output.as_bytes())?;
        report.checkpatch.push(c);
    }
    Ok(report)
}

/// Prints the report; returns one case per check.
fn report_cases(series: &Series, r: &Report, logs: &Path) -> Vec<Case> {
    let case = |name: String, ok: bool| Case {
        name: format!("host.patch-series.{name}"),
        outcome: if ok { Outcome::Pass } else { Outcome::Fail },
    };
    let mut cases = Vec::new();
    if let Some(e) = &r.apply_error {
        println!("    git am failed:\n{e}");
    }
    cases.push(case("git-am".into(), r.apply_error.is_none()));
    for m in &r.mismatches {
        println!("    applied series vs overlaid tree: {m}");
    }
    if r.apply_error.is_none() {
        println!(
            "    git am: {} patches applied, {} files identical to the overlaid tree",
            series.patches.len(),
            series.touched.len().saturating_sub(r.mismatches.len())
        );
    }
    cases.push(case(
        "matches-overlaid-tree".into(),
        r.apply_error.is_none() && r.mismatches.is_empty(),
    ));
    println!("    checkpatch --strict (errors/warnings/checks):");
    for (c, subject) in r.checkpatch.iter().zip(&series.subjects) {
        println!(
            "      {:>2}/{:>2}/{:>2}  {}  {subject}",
            c.errors,
            c.warnings,
            c.checks,
            &c.name[..4.min(c.name.len())]
        );
    }
    let mut shown = false;
    for c in &r.checkpatch {
        for msg in c.messages.iter().filter(|m| !m.starts_with("CHECK:")) {
            if !shown {
                println!("    checkpatch errors and warnings:");
                shown = true;
            }
            println!("      {}: {msg}", &c.name[..4.min(c.name.len())]);
        }
    }
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for c in &r.checkpatch {
        for msg in c.messages.iter().filter(|m| m.starts_with("CHECK:")) {
            let kind = msg.split(':').nth(1).unwrap_or("").to_owned();
            *kinds.entry(kind).or_default() += 1;
        }
    }
    if !kinds.is_empty() {
        let k: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!("    checkpatch checks: {}", k.join(", "));
    }
    println!("    checkpatch reports: {}", logs.display());
    for c in &r.checkpatch {
        let stem = c.name.strip_suffix(".patch").unwrap_or(&c.name);
        cases.push(case(format!("checkpatch-no-errors.{stem}"), c.errors == 0));
    }
    cases
}

/// The check `test` runs: generate the series into the cache, apply it,
/// compare, checkpatch. Failures become failed cases, not errors.
pub fn test_cases() -> Vec<Case> {
    let p = Paths::get();
    let out = p.cache.join("patches-check");
    let generated = generate(&p, &out);
    let mut cases = vec![Case {
        name: "host.patch-series.generated".into(),
        outcome: if generated.is_ok() {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
    }];
    let series = match generated {
        Ok(s) => s,
        Err(e) => {
            println!("    patch series: {e}");
            return cases;
        }
    };
    println!("    {} patches in {}", series.patches.len(), out.display());
    match check(&p, &series) {
        Ok(r) => cases.extend(report_cases(&series, &r, &p.logs().join("checkpatch"))),
        Err(e) => {
            println!("    patch series check: {e}");
            cases.push(Case {
                name: "host.patch-series.checked".into(),
                outcome: Outcome::Fail,
            });
        }
    }
    cases
}

/// `cargo xtask patches DIR [--no-check]`.
pub fn main(args: &[String]) -> Result<u8> {
    let mut dir = None;
    let mut no_check = false;
    for a in args {
        match a.as_str() {
            "--no-check" => no_check = true,
            o if o.starts_with('-') => return Err(format!("patches: unknown option `{o}`")),
            d if dir.is_none() => dir = Some(PathBuf::from(d)),
            d => return Err(format!("patches: unexpected argument `{d}`")),
        }
    }
    let dir = dir.ok_or("patches: missing DIR, where to write the series")?;
    let p = Paths::get();
    need_pristine(&p)?;
    if !no_check && !p.tree().join("Makefile").is_file() {
        return Err(format!(
            "no overlaid tree at {} to compare the series with: run `cargo xtask build` first, \
             or pass --no-check",
            p.tree().display()
        ));
    }
    step("patches: generate");
    let series = generate(&p, &dir)?;
    println!(
        "    {} patches and a cover letter in {}",
        series.patches.len(),
        dir.display()
    );
    if no_check {
        return Ok(0);
    }
    step("patches: git am, compare with the overlaid tree, checkpatch");
    let r = check(&p, &series)?;
    let cases = report_cases(&series, &r, &p.logs().join("checkpatch"));
    if !r.mismatches.is_empty() {
        println!(
            "    (the overlaid tree is what the last `cargo xtask build` wrote: it differs \
             from the series if the repository changed since)"
        );
    }
    let failed = cases.iter().filter(|c| c.outcome == Outcome::Fail).count();
    println!("{} passed, {failed} failed", cases.len() - failed);
    Ok(u8::from(failed > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# comment\n\ncover: rstkey: the series\n\nBlurb.\n\n\
        subject: a: add x\nfiles: x/*.c\nhunks: patches/0001-a.patch\n\nWhy x.\n\n\
        subject: b: add y\nfiles: y/**\nedit: x/a.c\n int a;\n+int b;\n\nWhy y.\n\nMore.\n";

    #[test]
    fn parses_the_manifest() {
        let m = parse(TEXT).unwrap();
        assert_eq!(m.cover_subject, "rstkey: the series");
        assert_eq!(m.cover_blurb, "Blurb.\n");
        assert_eq!(m.entries.len(), 2);
        assert_eq!(m.entries[0].files, ["x/*.c"]);
        assert_eq!(m.entries[0].hunks, ["0001-a.patch"]);
        assert_eq!(m.entries[0].body, "Why x.\n");
        assert_eq!(m.entries[1].body, "Why y.\n\nMore.\n");
        let e = &m.entries[1].edits[0];
        assert_eq!(
            (e.path.as_str(), e.before(), e.after()),
            ("x/a.c", vec!["int a;"], vec!["int a;", "int b;"])
        );
    }

    #[test]
    fn refuses_bad_subjects() {
        let long = format!(
            "cover: c\n\nb\n\nsubject: a: {}\nfiles: x\n\nw\n",
            "x".repeat(80)
        );
        assert!(parse(&long).is_err());
        assert!(parse("cover: c\n\nb\n\nsubject: no subsystem\nfiles: x\n\nw\n").is_err());
        assert!(parse("cover: c\n\nb\n\nsubject: a: b\nfiles: x\n\n").is_err());
    }

    #[test]
    fn globs() {
        assert!(glob("x/*.c", "x/a.c"));
        assert!(!glob("x/*.c", "x/y/a.c"));
        assert!(glob("x/**", "x/y/a.c"));
        assert!(glob("x/**/a.c", "x/a.c"));
        assert!(glob("x/**/a.c", "x/y/z/a.c"));
        assert!(!glob("x/**", "xy/a.c"));
        assert!(glob("Kconfig", "Kconfig"));
        assert!(!glob("Kconfig", "Kconfig.x"));
    }

    #[test]
    fn every_file_claimed_once_and_hunks_in_order() {
        let m = parse(TEXT).unwrap();
        let overlay: Vec<String> = ["x/a.c", "y/b.rs"].map(String::from).to_vec();
        let hunks = vec!["0001-a.patch".to_owned()];
        let steps = plan(&m, &overlay, &hunks).unwrap();
        assert_eq!(steps[1].files, ["y/b.rs"]);

        let more: Vec<String> = ["x/a.c", "y/b.rs", "z.c"].map(String::from).to_vec();
        let e = plan(&m, &more, &hunks).unwrap_err();
        assert!(e.contains("z.c is not claimed"), "{e}");

        let two = vec!["0001-a.patch".to_owned(), "0002-b.patch".to_owned()];
        assert!(plan(&m, &overlay, &two)
            .unwrap_err()
            .contains("patches/0002-b.patch"));

        let text = TEXT.replace("files: y/**", "files: y/** x/a.c");
        let e = plan(&parse(&text).unwrap(), &overlay, &hunks).unwrap_err();
        assert!(e.contains("x/a.c is claimed by patch 1"), "{e}");

        let text = "cover: c\n\nb\n\nsubject: a: a\nhunks: 0002-b.patch\n\nw\n\n\
                    subject: a: b\nhunks: 0001-a.patch\n\nw\n";
        let e = plan(&parse(text).unwrap(), &[], &two).unwrap_err();
        assert!(e.contains("order of their names"), "{e}");
    }

    #[test]
    fn edits_are_undone_last_first() {
        let text = "cover: c\n\nb\n\nsubject: a: a\nfiles: f\n\nw\n\n\
                    subject: a: b\nedit: f\n one\n+two\n\nw\n\n\
                    subject: a: c\nedit: f\n-two\n+deux\n three\n\nw\n";
        let m = parse(text).unwrap();
        let dir = std::env::temp_dir().join(format!("xtask-patches-test-{}", std::process::id()));
        util::write(&dir.join("f"), b"one\ndeux\nthree\n").unwrap();
        let steps = plan(&m, &["f".to_owned()], &[]).unwrap();
        let c = contents(&dir, &m, &steps).unwrap();
        let _ = fs::remove_dir_all(&dir);
        assert_eq!(c[0]["f"], b"one\nthree\n");
        assert_eq!(c[1]["f"], b"one\ntwo\nthree\n");
        assert_eq!(c[2]["f"], b"one\ndeux\nthree\n");
    }

    #[test]
    fn hunk_targets_strip_the_prefix() {
        let t = hunk_targets("--- a/Kconfig\t2026\n+++ b/Kconfig\t2026\n+++ m/rust/x.h\n");
        assert_eq!(t, [PathBuf::from("Kconfig"), PathBuf::from("rust/x.h")]);
    }
}
